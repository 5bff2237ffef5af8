namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Runs <see cref="PendingExecArguments.TryRead"/> on a helper thread and waits for it at most
/// <see cref="Deadline"/>. Reading another process's memory can block without bound: its argv
/// may sit in a page of a FUSE file whose daemon never answers, or under a userfaultfd, which
/// any user can arrange before an exec a rule refuses. The gate must never block (every exec on
/// the host waits for it), so past the deadline it answers without argv; while that read is
/// still stuck, no other read starts (counted in <see cref="Skipped"/>). The caller's memory
/// is stable meanwhile: it waits in execve for the gate's answer.
/// </summary>
internal sealed class PendingArgvReader : IDisposable
{
    internal static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(50);

    private const int Idle = 0, Reading = 1, Abandoned = 2;

    private readonly Thread _thread;
    private readonly SemaphoreSlim _request = new(0, 1);
    private readonly ManualResetEventSlim _done = new(false);
    private int _state;
    private volatile bool _stopping;
    private int _tid;
    private string? _filename;
    private List<string>? _argv;
    private bool _truncated;
    private bool _read;
    private long _skipped;

    internal PendingArgvReader()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "procwatch-execargv" };
        _thread.Start();
    }

    /// <summary>Denials and audits reported without argv because a read was stuck or too slow.</summary>
    internal long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>The gate's thread only.</summary>
    internal bool TryRead(int tid, out string? filename, out List<string>? argv, out bool truncated)
    {
        filename = null;
        argv = null;
        truncated = false;
        if (Volatile.Read(ref _state) != Idle)
        {
            Interlocked.Increment(ref _skipped); // the last read is still stuck
            return false;
        }
        Volatile.Write(ref _state, Reading);
        _tid = tid;
        _done.Reset();
        _request.Release();
        if (!_done.Wait(Deadline))
        {
            Interlocked.Increment(ref _skipped);
            Interlocked.CompareExchange(ref _state, Abandoned, Reading);
            if (_done.IsSet)
                Volatile.Write(ref _state, Idle); // it finished meanwhile: free again
            return false;
        }
        filename = _filename;
        argv = _argv;
        truncated = _truncated;
        Volatile.Write(ref _state, Idle);
        return _read;
    }

    private void Run()
    {
        while (true)
        {
            _request.Wait();
            if (_stopping)
                return;
            _read = PendingExecArguments.TryRead(_tid, out _filename, out _argv, out _truncated);
            _done.Set();
            Interlocked.CompareExchange(ref _state, Idle, Abandoned); // nobody waits for this one: free again
        }
    }

    /// <summary>Ends the helper thread (a stuck one ends when its read returns).</summary>
    public void Dispose()
    {
        _stopping = true;
        if (Volatile.Read(ref _state) == Idle)
            _request.Release();
    }
}

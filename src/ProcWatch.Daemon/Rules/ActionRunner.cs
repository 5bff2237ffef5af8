using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace ProcWatch.Rules;

/// <summary>One run of a rule's <c>exec</c> action.</summary>
/// <param name="Argv">The program and its arguments, exactly as configured: never a shell string.</param>
/// <param name="Stdin">The event as one JSON document (one line).</param>
/// <param name="Environment">PROCWATCH_* variables describing the event.</param>
internal sealed record ActionRequest(
    string RuleName, IReadOnlyList<string> Argv, byte[] Stdin, IReadOnlyList<KeyValuePair<string, string>> Environment);

internal enum ActionResult
{
    Succeeded,
    Failed,
    TimedOut,
    CouldNotStart,
}

internal sealed record ActionRunnerOptions
{
    /// <summary>An action still running after this is killed (with its descendants).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Actions running at once.</summary>
    public int Concurrency { get; init; } = 2;

    /// <summary>Actions waiting to run; past this new ones are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 256;
}

/// <summary>How each action ended; read any time.</summary>
internal sealed class ActionCounters
{
    private long _succeeded, _failed, _timedOut, _queueFull, _rateLimited;

    public long Succeeded => Volatile.Read(ref _succeeded);
    public long Failed => Volatile.Read(ref _failed);
    public long TimedOut => Volatile.Read(ref _timedOut);
    public long QueueFull => Volatile.Read(ref _queueFull);
    public long RateLimited => Volatile.Read(ref _rateLimited);

    internal void OnResult(ActionResult result)
    {
        switch (result)
        {
            case ActionResult.Succeeded: Interlocked.Increment(ref _succeeded); break;
            case ActionResult.TimedOut: Interlocked.Increment(ref _timedOut); break;
            default: Interlocked.Increment(ref _failed); break;
        }
    }

    internal void OnQueueFull() => Interlocked.Increment(ref _queueFull);
    public void OnRateLimited() => Interlocked.Increment(ref _rateLimited);
}

/// <summary>
/// Runs <c>exec</c> actions off the event path: <see cref="TryEnqueue"/> never blocks (a full
/// queue drops and counts), a few workers start each program with the event on stdin, and
/// an action that outlives the timeout is killed with its process tree. The action's
/// stdout is discarded; the start of its stderr is reported when it fails.
/// </summary>
internal sealed class ActionRunner : IAsyncDisposable
{
    private const int StderrKept = 512;
    private readonly ActionRunnerOptions _options;
    private readonly Action<ActionRequest, ActionResult, string>? _onFinished;
    private readonly Channel<ActionRequest> _queue;
    private readonly Task[] _workers;

    /// <param name="onFinished">Called after each action with its result and a one-line detail (exit code, stderr).</param>
    public ActionRunner(ActionRunnerOptions options, Action<ActionRequest, ActionResult, string>? onFinished = null)
    {
        _options = options;
        _onFinished = onFinished;
        _queue = Channel.CreateBounded<ActionRequest>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
        });
        _workers = new Task[Math.Max(1, options.Concurrency)];
        for (int i = 0; i < _workers.Length; i++)
            _workers[i] = Task.Run(WorkAsync);
    }

    public ActionCounters Counters { get; } = new();

    public bool TryEnqueue(ActionRequest request)
    {
        if (_queue.Writer.TryWrite(request))
            return true;
        Counters.OnQueueFull();
        return false;
    }

    /// <summary>Stops taking actions and waits for the queued and running ones (each bounded by the timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task WorkAsync()
    {
        await foreach (ActionRequest request in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            (ActionResult result, string detail) = await RunAsync(request, _options.Timeout).ConfigureAwait(false);
            Counters.OnResult(result);
            try
            {
                _onFinished?.Invoke(request, result, detail);
            }
            catch (Exception)
            {
                // A reporting failure must not stop the worker.
            }
        }
    }

    /// <summary>Runs one action to its end or its timeout.</summary>
    public static async Task<(ActionResult Result, string Detail)> RunAsync(ActionRequest request, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(request.Argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        for (int i = 1; i < request.Argv.Count; i++)
            info.ArgumentList.Add(request.Argv[i]);
        var inherited = new List<string>();
        foreach (string key in info.Environment.Keys)
        {
            if (key.StartsWith("PROCWATCH_", StringComparison.Ordinal)) inherited.Add(key);
        }
        foreach (string key in inherited)
            info.Environment.Remove(key);
        foreach (KeyValuePair<string, string> variable in request.Environment)
            info.Environment[variable.Key] = variable.Value;

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return (ActionResult.CouldNotStart, $"cannot start {request.Argv[0]}: {ex.Message}");
        }

        using var deadline = new CancellationTokenSource(timeout);
        Task stdin = WriteStdinAsync(process, request.Stdin, deadline.Token);
        Task stdout = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, deadline.Token);
        Task<string> stderr = ReadHeadAsync(process.StandardError.BaseStream, deadline.Token);
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended just now.
            }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        await Quietly(stdin).ConfigureAwait(false);
        // A descendant may keep the pipes open: wait for them only as long as the deadline allows.
        await Quietly(stdout).ConfigureAwait(false);
        string errorText = await stderr.ConfigureAwait(false);

        if (timedOut)
            return (ActionResult.TimedOut, $"killed after {timeout.TotalSeconds:0.###} s");
        if (process.ExitCode != 0)
            return (ActionResult.Failed, errorText.Length == 0 ? $"exit code {process.ExitCode}" : $"exit code {process.ExitCode}: {errorText}");
        return (ActionResult.Succeeded, "exit code 0");
    }

    private static async Task WriteStdinAsync(Process process, byte[] data, CancellationToken cancellationToken)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            process.StandardInput.Close();
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[StderrKept];
        int kept = 0;
        try
        {
            byte[] scratch = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(scratch, cancellationToken).ConfigureAwait(false)) > 0)
            {
                int take = Math.Min(n, buffer.Length - kept);
                Array.Copy(scratch, 0, buffer, kept, take);
                kept += take;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Keep what arrived.
        }
        string text = Encoding.UTF8.GetString(buffer, 0, kept);
        var line = new StringBuilder(text.Length);
        foreach (char c in text.AsSpan().Trim())
            line.Append(char.IsControl(c) ? ' ' : c);
        return line.ToString();
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The action closed its stdin early, or was killed: not a failure of ours.
        }
    }
}

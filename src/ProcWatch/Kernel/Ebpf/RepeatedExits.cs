namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// One exit, one event. A process whose main thread and last thread leave at the same moment
/// can have both read <c>signal->live</c> at 0, so the kernel program writes an exit record for
/// each: the main thread's plain, the last thread's flagged <c>EXIT_RECORD_AFTER_LEADER</c>
/// (bpf/hook_exit.c). The flagged one then repeats an exit already delivered and is dropped
/// here. The two are written microseconds apart, so the last <see cref="Capacity"/> plain exits
/// (process id and start time: a reused pid is another process) are enough to remember; the
/// usual flagged record (the main thread left earlier and wrote only a marker) finds nothing.
/// Allocation-free; one caller at a time (the ring's reader).
/// </summary>
internal sealed class RepeatedExits
{
    public const int Capacity = 256;

    private readonly (int Tgid, ulong StartBootNs)[] _recent = new (int, ulong)[Capacity];
    private int _next;

    /// <summary>Repeated exit records dropped.</summary>
    public long Dropped { get; private set; }

    /// <summary>Whether <paramref name="exit"/> repeats an exit already delivered (then it is counted and forgotten).</summary>
    public bool IsRepeat(ExitRecord exit)
    {
        if (!exit.AfterLeader)
        {
            _recent[_next] = (exit.Tgid, exit.StartBootNs);
            _next = (_next + 1) % Capacity;
            return false;
        }
        for (int i = 0; i < _recent.Length; i++)
        {
            if (_recent[i].Tgid == exit.Tgid && _recent[i].StartBootNs == exit.StartBootNs)
            {
                _recent[i] = default;
                Dropped++;
                return true;
            }
        }
        return false;
    }
}

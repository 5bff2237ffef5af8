namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Counts connector events that never arrived, from cn_msg.seq. What the kernel does
/// (drivers/connector/cn_proc.c, send_msg()): every message it sends — each process event and
/// each PROC_EVENT_NONE ack — takes the next number of a per-CPU counter
/// (<c>__this_cpu_inc_return(local_event.count) - 1</c>, with that CPU in proc_event.cpu),
/// under a local lock, and is then multicast to every listener through cn_filter(). So:
/// <list type="bullet">
/// <item>On an unfiltered (PROC_EVENT_ALL) subscription every numbered message arrives, acks
/// included: a jump in one CPU's sequence is exactly the number lost (ENOBUFS). Acks must be
/// observed as sequence points, not skipped: any client's PROC_CN_MCAST_LISTEN or IGNORE makes
/// cn_proc_mcast_ctl() → cn_proc_ack() send one, numbered like an event (its seq argument is
/// overwritten by send_msg), to every unfiltered listener. Skipped, each looked like a loss.</item>
/// <item>With the 6.6+ per-socket filter, cn_filter() drops unwanted kinds (and acks) for that
/// socket after they were numbered: the numbers skip filtered messages, so the detector must
/// not be used on a filtered socket (the caller does not).</item>
/// <item>Kernels before the local_event counter sent acks with cpu = -1 and the client's own
/// seq: cpu ≥ <see cref="MaxCpus"/> is ignored, so those neither count nor reset anything.</item>
/// </list>
/// Real loss still counts: ENOBUFS drops numbered messages, which leaves a jump.
/// </summary>
internal sealed class SequenceGapDetector
{
    private const int MaxCpus = 8192;
    private uint[] _last = new uint[64];
    private bool[] _seen = new bool[64];

    /// <summary>Events missing between the previous event of <paramref name="cpu"/> and this one.</summary>
    public long Observe(uint cpu, uint seq)
    {
        if (cpu >= MaxCpus)
            return 0;
        if (cpu >= _last.Length)
        {
            int size = (int)Math.Min(MaxCpus, Math.Max(cpu + 1, (uint)_last.Length * 2));
            Array.Resize(ref _last, size);
            Array.Resize(ref _seen, size);
        }
        if (!_seen[cpu])
        {
            _seen[cpu] = true;
            _last[cpu] = seq;
            return 0;
        }
        uint ahead = unchecked(seq - _last[cpu]);
        if (ahead == 0 || ahead > int.MaxValue)
            return 0; // a repeat or an older message: nothing new is missing
        _last[cpu] = seq;
        return ahead - 1;
    }
}

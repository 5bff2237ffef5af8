namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Counts connector events that never arrived, from cn_msg.seq: the kernel numbers every
/// proc event per CPU (proc_event_counts), so on an unfiltered subscription a jump in one
/// CPU's sequence is exactly the number of events lost (ENOBUFS). With the kernel's event-type
/// filter the numbers skip the filtered events too, so the detector must not be used then.
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

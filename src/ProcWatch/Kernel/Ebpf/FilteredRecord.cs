using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Where an exec record would have been, had the kernel's tree filter
/// (<see cref="ExecCaptureOptions.TreeRoots"/>) not left it out: the process and the time
/// only (RECORD_FILTERED).
/// </summary>
internal sealed class FilteredRecord : KernelRecord
{
    /// <summary>RECORD_EXEC (forks and exits are never left out).</summary>
    public required record_kind FilteredKind { get; init; }

    internal static FilteredRecord? Parse(ReadOnlySpan<byte> sample)
    {
        if (!MemoryMarshal.TryRead(sample, out filtered_record r))
            return null;
        return new FilteredRecord { Tgid = (int)r.prefix.tgid, KernelTimeNs = r.prefix.ktime_ns, FilteredKind = r.filtered_kind };
    }
}

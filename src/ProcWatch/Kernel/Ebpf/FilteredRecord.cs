using System.Runtime.InteropServices;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// A marker for the completeness cross-check (RECORD_FILTERED), no event: where an exec record
/// would have been, had the kernel's tree filter (<see cref="ExecCaptureOptions.TreeRoots"/>)
/// not left it out (RECORD_EXEC); or a main thread that left before its process ended, whose
/// exit the connector reports as the process's (RECORD_EXIT). The process and the time only.
/// </summary>
internal sealed class FilteredRecord : KernelRecord
{
    /// <summary>RECORD_EXEC or RECORD_EXIT (forks and exits are never left out).</summary>
    public required record_kind FilteredKind { get; init; }

    internal static FilteredRecord? Parse(ReadOnlySpan<byte> sample)
    {
        if (!MemoryMarshal.TryRead(sample, out filtered_record r))
            return null;
        return new FilteredRecord { Tgid = (int)r.prefix.tgid, KernelTimeNs = r.prefix.ktime_ns, FilteredKind = r.filtered_kind };
    }
}

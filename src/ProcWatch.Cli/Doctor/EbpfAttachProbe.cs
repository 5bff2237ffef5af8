using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Cli.Doctor;

/// <summary>
/// Loads and attaches the real embedded exec-capture program, exactly as a watch would (the
/// same ladder: tp_btf, raw_tp, then the classic tracepoint), and detaches at once: the only
/// honest answer to "does eBPF work here" (the verifier, BTF relocation and the attach point
/// all have their say). Nothing is mounted.
/// </summary>
internal static class EbpfAttachProbe
{
    internal sealed record Result(bool Loaded, string? Reason, string? AttachMode, IReadOnlyList<AttachFailure> Failures);

    public static Result Run()
    {
        if (!ExecCapture.TryStart(static _ => { }, out ExecCapture? capture, out string? reason))
            return new Result(false, reason, null, SplitFailures(reason));
        using (capture)
            return new Result(true, null, capture.AttachMode, SplitFailures(string.Join("; ", capture.AttachFailures)));
    }

    /// <summary>
    /// "tp_btf: why; raw_tp: why; tracepoint: why" (each why may hold "; " itself) into one
    /// failure per attach type. A reason that stops every type (privilege, no object) names none.
    /// </summary>
    internal static List<AttachFailure> SplitFailures(string reasons)
    {
        var starts = new List<(int At, string Mode)>();
        foreach ((string mode, _, _, _) in ExecCaptureProgram.AttachLadder)
        {
            string prefix = mode + ": ";
            if (reasons.StartsWith(prefix, StringComparison.Ordinal))
                starts.Add((0, mode));
            else if (reasons.IndexOf("; " + prefix, StringComparison.Ordinal) is int at and >= 0)
                starts.Add((at + 2, mode));
        }
        starts.Sort((a, b) => a.At.CompareTo(b.At));
        var failures = new List<AttachFailure>(starts.Count);
        for (int i = 0; i < starts.Count; i++)
        {
            int from = starts[i].At + starts[i].Mode.Length + 2;
            int to = i + 1 < starts.Count ? starts[i + 1].At - 2 : reasons.Length;
            failures.Add(new AttachFailure(starts[i].Mode, reasons[from..to]));
        }
        return failures;
    }
}

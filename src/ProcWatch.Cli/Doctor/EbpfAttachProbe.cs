using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Cli.Doctor;

/// <summary>
/// Loads and attaches the real embedded exec-capture program, exactly as a watch would, and
/// detaches at once: the only honest answer to "does eBPF work here" (the verifier, BTF
/// relocation and the attach point all have their say). Nothing is mounted.
/// </summary>
internal static class EbpfAttachProbe
{
    internal sealed record Result(bool Loaded, string? Reason, string? AttachMode, IReadOnlyList<AttachFailure> Failures);

    public static Result Run()
    {
        if (!ExecCapture.TryStart(static _ => { }, out ExecCapture? capture, out string? reason))
            return new Result(false, reason, null, AttachFailures(reason));
        using (capture)
            return new Result(true, null, "tracepoint", []);
    }

    /// <summary>Only an attach step's failure names an attach type; a failure before it (load, verifier) is not one.</summary>
    private static List<AttachFailure> AttachFailures(string reason) =>
        reason.StartsWith("attaching", StringComparison.Ordinal) ? [new AttachFailure("tracepoint", reason)] : [];
}

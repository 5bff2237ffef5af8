using ProcWatch.Core;
using ProcWatch.Kernel.Connector;
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
    /// <param name="Failure">Why it did not load (null when it did): doctor's privilege-or-mechanism verdict reads its kind.</param>
    /// <param name="CountReason">Why the connector's copies would be counted in user space, not by the socket filter in the kernel; null when the filter loads and attaches.</param>
    internal sealed record Result(bool Loaded, Failure? Failure, string? AttachMode, IReadOnlyList<AttachFailure> Failures, string? CountReason = null)
    {
        public string? Reason => Failure is { } failure ? FailureText.OneLine(failure) : null;
    }

    public static Result Run()
    {
        if (!ExecCapture.TryStart(static _ => { }, out ExecCapture? capture, out Failure failure))
            return new Result(false, failure, null, Listed(failure.Attempts));
        using (capture)
            return new Result(true, null, capture.AttachMode, Listed(capture.AttachFailures), CountingFilterFailure(capture));
    }

    /// <summary>
    /// Whether the cross-check's connector counting filter loads with the capture and attaches
    /// to a real connector socket, as a watch would attach it; null when it does, else why not.
    /// </summary>
    private static string? CountingFilterFailure(ExecCapture capture)
    {
        if (capture.ConnectorCount is not { } counter)
        {
            return ConnectorCountMap.DisabledByEnvironment ? ConnectorCountMap.Variable + "=user"
                : capture.ConnectorCountFailure is { } why ? "the counting socket filter did not load: " + FailureText.OneLine(why)
                : "the eBPF object has no counting socket filter";
        }
        try
        {
            using var socket = ProcConnectorSocket.Open(64 * 1024);
            int errno = socket.AttachFilter(counter.ProgramFd);
            return errno == 0 ? null : $"the counting socket filter did not attach: {FailureText.Errno(errno)}";
        }
        catch (ProcWatchException ex)
        {
            return "no connector socket to attach it to: " + ex.Message;
        }
    }

    /// <summary>One line per attach type that failed, worded by <see cref="FailureText"/>. A failure that stops every type (privilege, no object) has none.</summary>
    internal static List<AttachFailure> Listed(IReadOnlyList<AttachAttempt>? attempts)
    {
        var failures = new List<AttachFailure>(attempts?.Count ?? 0);
        foreach (AttachAttempt attempt in attempts ?? [])
            failures.Add(new AttachFailure(attempt.Mode, FailureText.OneLine(attempt.Failure)));
        return failures;
    }
}

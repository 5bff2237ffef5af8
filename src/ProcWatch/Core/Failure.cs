namespace ProcWatch.Core;

/// <summary>
/// A failure as it happened, carried as data from where it happens (a system call, a libbpf
/// step, a check) to the one place that words it, <see cref="FailureText.OneLine(Failure)"/>.
/// Decisions (fall back or stop, which exit code, privilege or mechanism) switch on
/// <see cref="Kind"/>, <see cref="Step"/> and <see cref="Errno"/>, never on the words.
/// </summary>
/// <param name="Kind">What the user can do about it: the exit-code class (<see cref="FailureKind.NoPrivilege"/>: run as root).</param>
/// <param name="Errno">The errno the kernel or libc returned; 0 when a check failed without a system call.</param>
/// <param name="Step">What was being done or checked when it failed.</param>
/// <param name="Subject">What the step acted on, as the line names it (a path, a program, an attach point), or null.</param>
internal readonly record struct Failure(FailureKind Kind, int Errno, FailureStep Step, string? Subject = null)
{
    /// <summary>libbpf's last warning before the failure (the verifier's or the loader's own words), one line, or null.</summary>
    public string? Detail { get; init; }

    /// <summary>With <see cref="FailureStep.EveryAttachType"/>: each attach type tried, best first, and why it failed.</summary>
    public IReadOnlyList<AttachAttempt>? Attempts { get; init; }

    /// <summary>The failure is missing privilege (exit code 3), not a kernel that lacks the mechanism.</summary>
    public bool IsPrivilege => Kind == FailureKind.NoPrivilege;
}

/// <summary>One rung of an attach ladder that did not work: its mode ("tp_btf", "lsm", "fork") and why.</summary>
internal readonly record struct AttachAttempt(string Mode, Failure Failure);

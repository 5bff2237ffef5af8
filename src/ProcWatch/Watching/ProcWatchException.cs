namespace ProcWatch.Watching;

/// <summary>Why ProcWatch cannot do what was asked; each maps to a documented exit code.</summary>
public enum FailureKind
{
    /// <summary>Not Linux.</summary>
    PlatformNotSupported,
    /// <summary>Missing privilege (root, CAP_NET_ADMIN, CAP_BPF...).</summary>
    NoPrivilege,
    /// <summary>The kernel lacks the mechanism (no CONFIG_PROC_EVENTS, no connector).</summary>
    KernelUnsupported,
    /// <summary>Anything else the system refused.</summary>
    SystemError,
}

/// <summary>
/// An expected failure a user can act on. The message is one line that says what to do;
/// front ends print it without a stack trace.
/// </summary>
public sealed class ProcWatchException : Exception
{
    public ProcWatchException(FailureKind kind, string message) : base(message) => Kind = kind;

    public ProcWatchException() : this(FailureKind.SystemError, "procwatch failed") { }

    public ProcWatchException(string message) : this(FailureKind.SystemError, message) { }

    public ProcWatchException(string message, Exception inner) : base(message, inner) => Kind = FailureKind.SystemError;

    public FailureKind Kind { get; }
}

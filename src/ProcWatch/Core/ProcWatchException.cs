using ProcWatch.Core;

namespace ProcWatch;

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
    /// <summary>An event handler registered with <c>ProcessWatcher.On</c> threw (the handler's exception is the inner one).</summary>
    HandlerFailed,
    /// <summary>A file or directory ProcWatch would write is not safe to write as root (a symbolic link, someone else's, writable by others).</summary>
    UnsafeFile,
}

/// <summary>
/// An expected failure a user can act on. The message is one line that says what to do;
/// front ends print it without a stack trace.
/// </summary>
public sealed class ProcWatchException : Exception
{
    /// <summary>A failure of <paramref name="kind"/> with a one-line <paramref name="message"/>.</summary>
    public ProcWatchException(FailureKind kind, string message) : base(message) => Kind = kind;

    /// <summary>A failure of <paramref name="kind"/> caused by <paramref name="inner"/>.</summary>
    public ProcWatchException(FailureKind kind, string message, Exception inner) : base(message, inner) => Kind = kind;

    /// <summary>A <see cref="FailureKind.SystemError"/> with a generic message.</summary>
    public ProcWatchException() : this(FailureKind.SystemError, "procwatch failed") { }

    /// <summary>A <see cref="FailureKind.SystemError"/> with a one-line <paramref name="message"/>.</summary>
    public ProcWatchException(string message) : this(FailureKind.SystemError, message) { }

    /// <summary>A <see cref="FailureKind.SystemError"/> caused by <paramref name="inner"/>.</summary>
    public ProcWatchException(string message, Exception inner) : base(message, inner) => Kind = FailureKind.SystemError;

    /// <summary>A failure worded by <see cref="FailureText"/>, after <paramref name="context"/> ("eBPF exec capture unavailable: ").</summary>
    internal ProcWatchException(Failure failure, string context = "") : base(context + FailureText.OneLine(failure))
    {
        Kind = failure.Kind;
        Failure = failure;
    }

    /// <summary>What kind of failure this is (the CLI maps it to an exit code).</summary>
    public FailureKind Kind { get; }

    /// <summary>The failure as data, when it started at a step procwatch knows (a system call, a check); null otherwise.</summary>
    internal Failure? Failure { get; }
}

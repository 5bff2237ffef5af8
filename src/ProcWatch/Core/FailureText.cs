using System.Runtime.InteropServices;
using System.Text;

namespace ProcWatch.Core;

/// <summary>
/// The one place that words a failure for a user: one line, no control characters. Every
/// "why not" procwatch prints (errors, fallback warnings, doctor's reasons, the daemon's
/// log) comes from <see cref="OneLine(Failure)"/>, or from <see cref="OneLine(string, int)"/>
/// for text that arrives as text (a library's exception message, a server's reply).
/// </summary>
internal static class FailureText
{
    /// <summary>What a BPF call refused with EPERM needs (exit code 3).</summary>
    internal const string NeedsBpfCapabilities = "needs CAP_BPF and CAP_PERFMON (or root)";

    /// <summary>The line for <paramref name="failure"/>.</summary>
    public static string OneLine(Failure failure) => OneLine(Words(failure));

    /// <summary>
    /// <paramref name="text"/> as one line: every line break or other control character becomes
    /// a space (a CR LF pair one space), trimmed, at most <paramref name="maxLength"/> characters.
    /// For text from elsewhere that goes into our output or log.
    /// </summary>
    public static string OneLine(string text, int maxLength = int.MaxValue)
    {
        var line = new StringBuilder(Math.Min(text.Length, maxLength));
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                continue; // the '\n' makes the one space
            line.Append(char.IsControl(c) ? ' ' : c);
        }
        string trimmed = line.ToString().Trim();
        return trimmed.Length <= maxLength ? trimmed : trimmed[..maxLength].TrimEnd();
    }

    /// <summary>strerror's words for <paramref name="errno"/>, starting lower case to follow a colon ("no such file or directory").</summary>
    public static string Errno(int errno)
    {
        string message = Marshal.GetPInvokeErrorMessage(errno);
        return message.Length > 1 && char.IsUpper(message[0]) && char.IsLower(message[1])
            ? char.ToLowerInvariant(message[0]) + message[1..]
            : message;
    }

    private static string Words(Failure f)
    {
        string? s = f.Subject;
        if (f.IsPrivilege && IsBpfStep(f.Step))
            return NeedsBpfCapabilities; // EPERM from any BPF call: the same fix (run as root)
        string line = f.Step switch
        {
            FailureStep.NotLinux => s is null ? "procwatch needs Linux" : $"procwatch needs Linux ({s})",
            FailureStep.DisabledByEnvironment => $"disabled by {s}",
            FailureStep.FindLibbpf => "libbpf.so.1 not found (install libbpf1)",
            FailureStep.FindKernelBtf => $"kernel has no BTF ({s} missing; needs CONFIG_DEBUG_INFO_BTF)",
            FailureStep.BpfCapabilities => NeedsBpfCapabilities,
            FailureStep.KernelLockdown => "kernel lockdown (confidentiality) forbids eBPF tracing",
            FailureStep.FindEmbeddedObject => $"{s} is not built into this procwatch (build it with clang and libbpf-dev installed)",
            FailureStep.AttachModeNotAllowed => $"not allowed by {s}",
            FailureStep.OpenObject => Failed($"opening {s}", f.Errno),
            FailureStep.CountPossibleCpus => Failed("counting possible CPUs", f.Errno),
            FailureStep.FindInObject => $"the embedded eBPF object lacks {s} (stale build?)",
            FailureStep.SizeMaps => Failed($"sizing {s}", f.Errno),
            FailureStep.LoadProgram => Failed($"loading {s}", f.Errno)
                + (f.Errno == EPERM ? " (the kernel refuses this program type here)" : ""), // with the capabilities: the program type is refused
            FailureStep.ConfigureProgram => Failed("configuring the eBPF program", f.Errno),
            FailureStep.AttachProgram => Failed($"attaching {s}", f.Errno),
            FailureStep.AttachTracepointWithoutTracefs => Failed($"attaching to tracepoint {s} (tracefs is not mounted)", f.Errno),
            FailureStep.MapRingBuffer => Failed("mapping the eBPF ring buffer", f.Errno),
            FailureStep.EveryAttachType => Ladder(f.Attempts),
            FailureStep.CreateConnectorSocket => f.Kind == FailureKind.KernelUnsupported
                ? "this kernel has no netlink proc connector (needs CONFIG_CONNECTOR and CONFIG_PROC_EVENTS); try --backend procfs"
                : $"cannot create netlink socket: {Errno(f.Errno)}",
            FailureStep.BindConnector => f.IsPrivilege ? ConnectorRefused(s) : $"cannot bind to the proc connector: {Errno(f.Errno)}",
            FailureStep.SubscribeConnector => f.IsPrivilege ? ConnectorRefused(s) : $"cannot subscribe to the proc connector: {Errno(f.Errno)}",
            FailureStep.StartProbeProcess => "could not start a test process to check the proc connector",
            FailureStep.ProbeSawHostPids => $"the proc connector reports host pids, not this {s} namespace's (container)",
            FailureStep.ProbeIgnoredInNamespace => $"the kernel ignores proc connector subscriptions from a non-initial {s} namespace (container)",
            FailureStep.ProbeSawNothing => $"the proc connector reported no event for a test process within {s} ms (kernel without CONFIG_PROC_EVENTS?)",
            FailureStep.OpenDirectory => $"cannot open {s}: {Errno(f.Errno)}",
            FailureStep.CreateEventFd => $"eventfd failed: {Errno(f.Errno)}",
            FailureStep.RealtimeScheduling => f.IsPrivilege ? "--realtime needs root or CAP_SYS_NICE" : $"cannot switch to real-time scheduling: {Errno(f.Errno)}",
            FailureStep.FanotifyPermission => Failed(s ?? "fanotify", f.Errno),
            _ => Failed(f.Step.ToString(), f.Errno),
        };
        return f.Detail is { } detail ? line + "; libbpf: " + detail : line;
    }

    private const int EPERM = 1;

    private static string Failed(string action, int errno) => errno == 0 ? action + " failed" : action + " failed: " + Errno(errno);

    /// <summary>"tp_btf: why; raw_tp: why; tracepoint: why", best first.</summary>
    private static string Ladder(IReadOnlyList<AttachAttempt>? attempts)
    {
        if (attempts is null || attempts.Count == 0)
            return "no attach type to try";
        var line = new StringBuilder();
        foreach (AttachAttempt attempt in attempts)
        {
            if (line.Length > 0)
                line.Append("; ");
            line.Append(attempt.Mode).Append(": ").Append(Words(attempt.Failure));
        }
        return line.ToString();
    }

    /// <summary>
    /// Worded by what the kernel checks, not by a version: netlink_bind() lets a socket join the
    /// connector's group only with CAP_NET_ADMIN over the network namespace's owning user
    /// namespace, and cn_proc serves only subscribers in the initial user and pid namespaces.
    /// </summary>
    private static string ConnectorRefused(string? namespaces) => namespaces is not null
        ? $"the kernel refuses proc connector subscriptions from a non-initial {namespaces} namespace (container): it serves only the host's namespaces with CAP_NET_ADMIN"
        : "no permission to listen to process events: the kernel requires CAP_NET_ADMIN (run as root)";

    /// <summary>The eBPF steps are contiguous in <see cref="FailureStep"/> (said there).</summary>
    private static bool IsBpfStep(FailureStep step) => step is >= FailureStep.DisabledByEnvironment and <= FailureStep.EveryAttachType;
}

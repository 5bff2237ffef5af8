using System.Globalization;
using System.Text;
using ProcWatch.Text;

namespace ProcWatch.Cli.Doctor;

/// <summary>The one screen of `procwatch doctor`: a line per finding, the reason beside each "no".</summary>
internal static class DoctorText
{
    private const int LabelWidth = 18;

    public static string Format(HostReport report, int exitCode)
    {
        var sb = new StringBuilder();
        Line(sb, "", $"procwatch doctor: {report.Hostname}, Linux {report.KernelRelease}, {(report.IsRoot ? "as root" : "not as root")}");
        sb.Append('\n');

        ConnectorFinding c = report.Connector;
        Line(sb, "proc connector", c.Works
            ? $"yes; kernel event filter {(c.KernelFilter ? "yes (Linux 6.6+: only the kinds asked for are sent)" : "no (before Linux 6.6: every event is sent and filtered here)")}"
            : $"no: {c.Reason}");

        EbpfFinding e = report.Ebpf;
        Line(sb, "eBPF exec capture", e.Works ? $"yes, attached as {e.AttachMode}"
            : e.AttachFailures.Count > 0 ? "no: no attach type works (below)" : $"no: {e.Reason}");
        Line(sb, "  libbpf", e.Libbpf ? "yes (libbpf.so.1)" : "no (install libbpf1)");
        Line(sb, "  BTF", e.Btf ? "yes (/sys/kernel/btf/vmlinux)" : "no (/sys/kernel/btf/vmlinux missing: a kernel without CONFIG_DEBUG_INFO_BTF)");
        string held = e.CapabilityNames.Count == 0 ? "none of CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_NET_ADMIN" : string.Join(' ', e.CapabilityNames);
        Line(sb, "  capabilities", e.Capabilities switch
        {
            true => $"yes ({held})",
            false => $"no: needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (has {held})",
            null => "unknown (/proc/self/status unreadable)",
        });
        Line(sb, "  lockdown", e.Lockdown switch
        {
            null => "unknown (/sys/kernel/security not mounted; eBPF would say if lockdown stops it)",
            "confidentiality" => "confidentiality: eBPF tracing is forbidden",
            { } mode => mode,
        });
        var attach = new StringBuilder();
        foreach (AttachFailure failure in e.AttachFailures)
            attach.Append(failure.Mode).Append(" failed (").Append(failure.Reason).Append("); ");
        attach.Append(e.AttachMode is { } mode2 ? $"{mode2} works" : e.AttachFailures.Count == 0 ? "not tried (the program did not load: see above)" : "none works");
        Line(sb, "  attach", attach.ToString());
        if (e.CrossCheckCount is { } count)
        {
            Line(sb, "  cross-check count", count == "kernel"
                ? "in the kernel (a socket filter counts the connector's forks, execs and exits; none are received)"
                : $"in user space ({e.CrossCheckCountReason})");
        }

        if (report.Prevention is { } prevention)
        {
            string level = Kernel.Enforcement.DenyLevels.Name(prevention.Level);
            Line(sb, "prevention (deny)", prevention.AttachMode is { } hook
                ? $"{level} via {hook}: {Kernel.Enforcement.DenyLevels.Describe(prevention.Level)}"
                : $"{level}: {Kernel.Enforcement.DenyLevels.Describe(prevention.Level)}; no eBPF hook loads{(prevention.Failures.Count == 0 && prevention.Reason is { } r ? " (" + r + ")" : "")}");
            foreach (AttachFailure failure in prevention.Failures)
                Line(sb, "  " + failure.Mode, "failed: " + failure.Reason);
        }

        Line(sb, "tracefs", report.Tracefs.MountPoints.Count == 0
            ? "not mounted (information only: procwatch neither needs nor mounts it)"
            : $"mounted at {string.Join(", ", report.Tracefs.MountPoints)} (information only: procwatch does not need it)");

        CgroupFinding g = report.Cgroup;
        string layout = g.Layout switch
        {
            "hybrid" => $"hybrid ({g.V1Hierarchies} v1 hierarchies, cgroup2 at {g.Cgroup2MountPoint})",
            "v2" => $"v2 (cgroup2 at {g.Cgroup2MountPoint})",
            "v1" => $"v1 only ({g.V1Hierarchies} hierarchies, no cgroup2: no cgroup ids)",
            _ => "none mounted",
        };
        Line(sb, "cgroups", $"{layout}; cgroup ids resolve: {(g.IdsResolve ? $"yes (this process: {g.OwnPath})" : "no (eBPF's cgroup id cannot be checked against a path; procwatch.cgroup then comes from /proc only)")}");

        ProcessNamespaceFinding n = report.Namespace;
        string ns = (n.InitialPidNamespace, n.InitialUserNamespace) switch
        {
            (true, true) => "host (initial pid and user namespaces)",
            (null, _) or (_, null) => "unknown (/proc/self/ns unreadable)",
            _ => $"not the host's ({(n.InitialPidNamespace == false ? "pid" : "")}{(n.InitialPidNamespace == false && n.InitialUserNamespace == false ? " and " : "")}{(n.InitialUserNamespace == false ? "user" : "")} namespace): a container",
        };
        Line(sb, "pid namespace", $"{ns}; container marks: {n.Container ?? "none"}");
        foreach (ContainerRuntimeFinding r in report.ContainerRuntimes)
            Line(sb, $"runtime {r.Runtime}", !r.Present ? $"not found ({r.Detail})" : r.Readable ? $"found, readable: {r.Detail}" : $"found, NOT readable: {r.Detail} (events carry container.id only)");
        Line(sb, "/proc", $"{(n.HidePid is null ? "hidepid off" : $"{n.HidePid}: other users' processes are hidden from this user")}; pid_max {(n.PidMax is { } max ? max.ToString(CultureInfo.InvariantCulture) : "unknown")}");
        sb.Append('\n');

        AutoBackendFinding a = report.Auto;
        Line(sb, "backend auto", a.Backend switch
        {
            AutoBackend.Best => "connector + eBPF: every event, exact argv (the best there is)",
            "connector" => "connector, argv read from /proc",
            _ => "procfs (scanning /proc)",
        });
        foreach (string loss in a.Loses)
            Line(sb, "  you lose", loss);
        Line(sb, "result", exitCode switch
        {
            ExitCodes.Success => "exit 0: the best backend works here",
            ExitCodes.NoPrivilege => "exit 3: the best backend needs more privilege (see the \"no\" above)",
            _ => "exit 4: this host lacks what the best backend needs (see the \"no\" above)",
        });
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string label, string text)
    {
        if (label.Length > 0)
            sb.Append(label.PadRight(LabelWidth - 1)).Append(' '); // a label as long as the column still gets its space ("runtime containerd")
        sb.Append(TerminalText.Escape(text)).Append('\n');
    }
}

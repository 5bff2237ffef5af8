using System.Globalization;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Kernel.ProcScan;
using ProcWatch.Watching;

namespace ProcWatch.Cli.Doctor;

/// <summary>
/// Collects the <see cref="HostReport"/>: each check uses the same code a watch uses (the
/// connector probe, the real eBPF program), the rest only reads /proc and /sys. It never
/// mounts, writes or changes anything on the host.
/// </summary>
internal static class HostChecks
{
    private const int CAP_NET_ADMIN = 12;
    private const int CAP_SYS_ADMIN = 21;
    private const int CAP_PERFMON = 38;
    private const int CAP_BPF = 39;

    public static HostReport Collect(Containers.ContainerOptions? containers = null)
    {
        ConnectorFinding connector = CheckConnector();
        EbpfFinding ebpf = CheckEbpf();
        return new HostReport
        {
            Hostname = Environment.MachineName,
            KernelRelease = ReadLine("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.Version.ToString(),
            IsRoot = Libc.GetEuid() == 0,
            Connector = connector,
            Ebpf = ebpf,
            Tracefs = new TracefsFinding(MountPoints("tracefs")),
            Cgroup = CheckCgroup(),
            Namespace = CheckNamespace(),
            Auto = AutoBackend.Describe(connector, ebpf),
            Prevention = CheckPrevention(),
            ContainerRuntimes = CheckContainerRuntimes(containers ?? new Containers.ContainerOptions()),
        };
    }

    /// <summary>
    /// Loads the deny program with no rules (it allows everything) at the best level that loads,
    /// then unloads it; below BPF LSM, checks the fanotify gate's permission events can be had
    /// (<see cref="Kernel.Enforcement.ExecPermissionGate.Probe"/>): the ladder a daemon would take.
    /// </summary>
    private static PreventionFinding CheckPrevention()
    {
        bool loaded = Kernel.Enforcement.DenyProgram.TryLoad(null, out Kernel.Enforcement.DenyProgram? program, out Failure failure);
        using (program)
        {
            if (program is { Level: EnforcementLevel.Lsm })
                return new PreventionFinding(program.Level, program.AttachMode, EbpfAttachProbe.Listed(program.AttachFailures), null);
            var better = new List<AttachAttempt>();
            foreach (AttachAttempt attempt in loaded ? program!.AttachFailures : failure.Attempts ?? [new AttachAttempt("ebpf", failure)])
            {
                if (!loaded || attempt.Mode == "lsm")
                    better.Add(attempt);
            }
            if (Kernel.Enforcement.ExecPermissionGate.Probe(out Failure gateFailure))
                return new PreventionFinding(EnforcementLevel.Fanotify, loaded ? "fanotify+" + program!.AttachMode : "fanotify", EbpfAttachProbe.Listed(better), null);
            if (loaded)
                return new PreventionFinding(program!.Level, program.AttachMode, EbpfAttachProbe.Listed([.. program.AttachFailures, new AttachAttempt("fanotify", gateFailure)]), null);
            return new PreventionFinding(EnforcementLevel.PostExecKill, null, EbpfAttachProbe.Listed([.. better, new AttachAttempt("fanotify", gateFailure)]), FailureText.OneLine(failure));
        }
    }

    private static List<ContainerRuntimeFinding> CheckContainerRuntimes(Containers.ContainerOptions options)
    {
        var findings = new List<ContainerRuntimeFinding>();
        using var resolver = new Containers.ContainerResolver(options);
        foreach (Containers.IContainerRuntimeReader reader in resolver.Readers)
        {
            (bool present, bool readable, string detail) = reader.Probe();
            findings.Add(new ContainerRuntimeFinding(reader.Runtime, present, readable, detail));
        }
        return findings;
    }

    private static ConnectorFinding CheckConnector()
    {
        bool works = ConnectorProbe.TryConnector(BackendSelector.ProbeTimeout, out Failure failure);
        // The probe subscribes with the kernel filter where the kernel has it (proc_input, 6.6).
        bool filter = ConnectorEventSource.KernelSupportsFilter;
        return works
            ? new ConnectorFinding(true, null, Missing.Nothing, filter)
            : new ConnectorFinding(false, FailureText.OneLine(failure), MissingFor(failure), filter);
    }

    private static EbpfFinding CheckEbpf()
    {
        bool libbpf = NativeLibrary.TryLoad(Libbpf.Name, out nint handle);
        if (libbpf)
            NativeLibrary.Free(handle);
        ulong? caps = EffectiveCapabilities();
        bool Has(int cap) => caps is { } c && (c & (1UL << cap)) != 0;
        var names = new List<string>();
        foreach ((int cap, string name) in (ReadOnlySpan<(int, string)>)[(CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON"), (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"), (CAP_NET_ADMIN, "CAP_NET_ADMIN")])
        {
            if (Has(cap))
                names.Add(name);
        }
        EbpfAttachProbe.Result load = EbpfAttachProbe.Run();
        Missing missing = load.Failure is { } failure ? MissingFor(failure) : Missing.Nothing;
        return new EbpfFinding
        {
            Works = load.Loaded,
            Reason = load.Reason,
            Missing = missing,
            Libbpf = libbpf,
            Btf = File.Exists(EbpfPrerequisites.VmlinuxBtfPath),
            Capabilities = caps is null ? null : Has(CAP_SYS_ADMIN) || (Has(CAP_BPF) && Has(CAP_PERFMON)),
            CapabilityNames = names,
            Lockdown = Lockdown(),
            AttachMode = load.AttachMode,
            AttachFailures = load.Failures,
            CrossCheckCount = !load.Loaded ? null : load.CountReason is null ? "kernel" : "user",
            CrossCheckCountReason = load.CountReason,
        };
    }

    /// <summary>What the user lacks: privilege (run as root; exit code 3) or the kernel mechanism, by the failure's kind.</summary>
    internal static Missing MissingFor(Failure failure) => failure.IsPrivilege ? Missing.Privilege : Missing.Mechanism;

    private static CgroupFinding CheckCgroup()
    {
        int v1 = MountPoints("cgroup").Count;
        string? v2 = Cgroup2Mount.Path;
        string layout = (v1 > 0, v2 is not null) switch
        {
            (true, true) => "hybrid",
            (true, false) => "v1",
            (false, true) => "v2",
            _ => "none",
        };
        string? own = ProcCgroup.TryRead(Environment.ProcessId, out string path) && path.StartsWith('/') ? path : null;
        bool resolves = v2 is not null && own is not null && Directory.Exists(v2 + own);
        return new CgroupFinding { Layout = layout, Cgroup2MountPoint = v2, V1Hierarchies = v1, OwnPath = own, IdsResolve = resolves };
    }

    private static ProcessNamespaceFinding CheckNamespace() => new()
    {
        InitialPidNamespace = Namespaces.InInitialPidNamespace,
        InitialUserNamespace = Namespaces.InInitialUserNamespace,
        Container = ContainerHint(),
        HidePid = ProcMounts.FindHidePid()?.Option,
        PidMax = long.TryParse(ReadLine("/proc/sys/kernel/pid_max"), NumberStyles.None, CultureInfo.InvariantCulture, out long max) ? max : null,
    };

    /// <summary>The usual marks a container runtime leaves; the first found wins.</summary>
    private static string? ContainerHint()
    {
        if (File.Exists("/.dockerenv"))
            return "docker (/.dockerenv)";
        if (File.Exists("/run/.containerenv"))
            return "podman (/run/.containerenv)";
        if (ReadLine("/run/systemd/container") is { Length: > 0 } runtime)
            return $"{runtime} (/run/systemd/container)";
        if (ProcCgroup.TryRead(Environment.ProcessId, out string path) && ContainerId.FromCgroupPath(path) is { } id)
            return $"container id {id} (cgroup {path})";
        return null;
    }

    /// <summary>The selected mode in /sys/kernel/security/lockdown ("none [integrity] confidentiality").</summary>
    private static string? Lockdown()
    {
        string? line = ReadLine(EbpfPrerequisites.LockdownPath);
        int open = line?.IndexOf('[', StringComparison.Ordinal) ?? -1;
        int close = line?.IndexOf(']', StringComparison.Ordinal) ?? -1;
        return open >= 0 && close > open ? line![(open + 1)..close] : null;
    }

    /// <summary>Mount points of a file system type, from /proc/self/mountinfo.</summary>
    internal static List<string> MountPoints(string fsType)
    {
        var points = new List<string>();
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                int separator = line.IndexOf(" - ", StringComparison.Ordinal);
                if (separator < 0 || !line.AsSpan(separator + 3).StartsWith(fsType + " ", StringComparison.Ordinal))
                    continue;
                string[] fields = line[..separator].Split(' ');
                if (fields.Length >= 5)
                    points.Add(fields[4]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return points;
    }

    private static ulong? EffectiveCapabilities()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps))
                    return caps;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string? ReadLine(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

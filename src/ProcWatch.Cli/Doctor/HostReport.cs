namespace ProcWatch.Cli.Doctor;

/// <summary>What `procwatch doctor` found on this host; rendered as text (<see cref="DoctorText"/>) or JSON (<see cref="DoctorJson"/>).</summary>
internal sealed record HostReport
{
    public required string Hostname { get; init; }
    public required string KernelRelease { get; init; }
    public required bool IsRoot { get; init; }
    public required ConnectorFinding Connector { get; init; }
    public required EbpfFinding Ebpf { get; init; }
    public required TracefsFinding Tracefs { get; init; }
    public required CgroupFinding Cgroup { get; init; }
    public required ProcessNamespaceFinding Namespace { get; init; }
    public required AutoBackendFinding Auto { get; init; }
    public PreventionFinding? Prevention { get; init; }
    public IReadOnlyList<ContainerRuntimeFinding> ContainerRuntimes { get; init; } = [];
}

/// <summary>How deny rules would be enforced here (docs/prevention.md): the level, its hook, and why better ones fail.</summary>
internal sealed record PreventionFinding(EnforcementLevel Level, string? AttachMode, IReadOnlyList<AttachFailure> Failures, string? Reason);

/// <summary>One container runtime: installed here (its state or socket exists), readable by ProcWatch, and what was checked.</summary>
internal sealed record ContainerRuntimeFinding(string Runtime, bool Present, bool Readable, string Detail);

/// <summary>Why something is missing decides the exit code: privilege (3) or the host itself (4).</summary>
internal enum Missing
{
    Nothing,
    Privilege,
    Mechanism,
}

internal sealed record ConnectorFinding(bool Works, string? Reason, Missing Missing, bool KernelFilter);

internal sealed record EbpfFinding
{
    public required bool Works { get; init; }
    public string? Reason { get; init; }
    public required Missing Missing { get; init; }
    public required bool Libbpf { get; init; }
    public required bool Btf { get; init; }
    /// <summary>CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON, in the effective set; null when unreadable.</summary>
    public required bool? Capabilities { get; init; }
    /// <summary>Names of the relevant capabilities held (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_NET_ADMIN).</summary>
    public required IReadOnlyList<string> CapabilityNames { get; init; }
    /// <summary>none, integrity, confidentiality; null when /sys/kernel/security is not mounted.</summary>
    public required string? Lockdown { get; init; }
    /// <summary>The program's attach type that worked (tp_btf, raw_tp, tracepoint); null when none did.</summary>
    public string? AttachMode { get; init; }
    /// <summary>Each attach type tried before the one that worked (or all, when none did), with its failure.</summary>
    public required IReadOnlyList<AttachFailure> AttachFailures { get; init; }
    /// <summary>Where the cross-check counts the connector's copies of the ring's events: "kernel" (its socket filter), "user"; null when eBPF does not work.</summary>
    public string? CrossCheckCount { get; init; }
    /// <summary>Why "user" (null otherwise).</summary>
    public string? CrossCheckCountReason { get; init; }
}

internal sealed record AttachFailure(string Mode, string Reason);

internal sealed record TracefsFinding(IReadOnlyList<string> MountPoints);

internal sealed record CgroupFinding
{
    /// <summary>v1, v2, hybrid or none.</summary>
    public required string Layout { get; init; }
    public required string? Cgroup2MountPoint { get; init; }
    public required int V1Hierarchies { get; init; }
    /// <summary>This process's cgroup v2 path, and whether it names a directory under the cgroup2 mount (so eBPF's cgroup id can be checked against it).</summary>
    public required string? OwnPath { get; init; }
    public required bool IdsResolve { get; init; }
}

internal sealed record ProcessNamespaceFinding
{
    public required bool? InitialPidNamespace { get; init; }
    public required bool? InitialUserNamespace { get; init; }
    /// <summary>What says this runs in a container (docker, podman, a container id, container=...), or null.</summary>
    public required string? Container { get; init; }
    /// <summary>The /proc hidepid option (e.g. hidepid=invisible), or null when nothing is hidden.</summary>
    public required string? HidePid { get; init; }
    public required long? PidMax { get; init; }
}

/// <summary>What `--backend auto` chooses here and what the user gives up with it.</summary>
internal sealed record AutoBackendFinding(string Backend, bool IsBest, IReadOnlyList<string> Loses, Missing Missing);

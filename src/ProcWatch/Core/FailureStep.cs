namespace ProcWatch.Core;

/// <summary>
/// What was being done or checked when a <see cref="Failure"/> happened. One value per place a
/// failure can start; <see cref="FailureText"/> has the words for each.
/// </summary>
internal enum FailureStep : byte
{
    /// <summary>Not Linux; Subject: what needs Linux ("/proc", "eBPF").</summary>
    NotLinux,

    // The eBPF steps, DisabledByEnvironment through EveryAttachType, stay together: FailureText
    // words a NoPrivilege failure at any of them as the one fix (CAP_BPF and CAP_PERFMON).

    // Checks before eBPF touches the kernel (EbpfPrerequisites).
    /// <summary>Switched off by an environment variable (Subject).</summary>
    DisabledByEnvironment,
    /// <summary>libbpf.so.1 cannot be loaded.</summary>
    FindLibbpf,
    /// <summary>No kernel BTF at Subject.</summary>
    FindKernelBtf,
    /// <summary>Neither CAP_SYS_ADMIN nor CAP_BPF with CAP_PERFMON, or the kernel said EPERM to a BPF call.</summary>
    BpfCapabilities,
    /// <summary>A BPF call failed and lockdown is at "confidentiality" (it removes the helpers that read kernel memory).</summary>
    KernelLockdown,

    // Loading an embedded BPF object (Kernel/Ebpf, Kernel/Enforcement).
    /// <summary>The object (Subject) is not embedded in this build.</summary>
    FindEmbeddedObject,
    /// <summary>An attach mode excluded by an environment variable (Subject).</summary>
    AttachModeNotAllowed,
    /// <summary>bpf_object__open_mem of Subject.</summary>
    OpenObject,
    /// <summary>libbpf_num_possible_cpus.</summary>
    CountPossibleCpus,
    /// <summary>The embedded object lacks Subject (a map or program): a stale build.</summary>
    FindInObject,
    /// <summary>bpf_map__set_max_entries on Subject.</summary>
    SizeMaps,
    /// <summary>bpf_object__load (relocation and the verifier) of Subject.</summary>
    LoadProgram,
    /// <summary>Writing the settings map before the first event.</summary>
    ConfigureProgram,
    /// <summary>bpf_program__attach of Subject.</summary>
    AttachProgram,
    /// <summary>Attaching a classic tracepoint (Subject) while tracefs is not mounted.</summary>
    AttachTracepointWithoutTracefs,
    /// <summary>mmap of the BPF ring buffer.</summary>
    MapRingBuffer,
    /// <summary>No attach type of the ladder worked: see <see cref="Failure.Attempts"/>.</summary>
    EveryAttachType,

    // The netlink proc connector.
    /// <summary>socket(AF_NETLINK, NETLINK_CONNECTOR).</summary>
    CreateConnectorSocket,
    /// <summary>bind to the CN_IDX_PROC group; Subject: the non-initial namespaces, when any.</summary>
    BindConnector,
    /// <summary>sending PROC_CN_MCAST_LISTEN; Subject: the non-initial namespaces, when any.</summary>
    SubscribeConnector,
    /// <summary>The probe could not start its test process.</summary>
    StartProbeProcess,
    /// <summary>The probe saw events, but with the host's pids; Subject: the namespaces.</summary>
    ProbeSawHostPids,
    /// <summary>The probe saw nothing in a non-initial namespace; Subject: the namespaces.</summary>
    ProbeIgnoredInNamespace,
    /// <summary>The probe saw no event within Subject milliseconds.</summary>
    ProbeSawNothing,

    // Other system calls a watch needs.
    /// <summary>Opening the directory Subject (/proc).</summary>
    OpenDirectory,
    /// <summary>eventfd.</summary>
    CreateEventFd,
    /// <summary>sched_setscheduler(SCHED_FIFO) for --realtime.</summary>
    RealtimeScheduling,
    /// <summary>The fanotify permission gate of deny rules; Subject: the call (fanotify_init, fanotify_mark).</summary>
    FanotifyPermission,
}

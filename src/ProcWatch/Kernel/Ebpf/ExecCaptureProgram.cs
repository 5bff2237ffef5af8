using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The loaded and attached exec_capture.bpf.o: open from the embedded object, size the maps,
/// set its const volatile settings (.rodata.settings: wakeup policy, the -u/-p filters), load
/// (CO-RE relocation against the kernel's BTF, verification), attach to sched_process_exec
/// (and fork and exit), fill the watched tree of -p. The object holds one program per attach type; they are tried in
/// <see cref="AttachLadder"/> order, each in a fresh object with only that program loaded,
/// so a host without tracefs (or without typed BTF arguments) still gets exact argv.
/// Nothing is ever mounted: a host's tracefs is its admin's business.
/// </summary>
internal sealed unsafe class ExecCaptureProgram : IDisposable
{
    internal const string ResourceName = "ExecCapture.BpfObject";
    private const string EventsMap = "events";
    private const string ScratchMap = "scratch";
    private const string CountersMap = "counters";
    private const string SettingsMap = ".rodata.settings"; // const volatile struct capture_settings
    private const string TreeMap = "watched_tgids";
    private const string TreeStateMap = ".data.tree";

    private const int EPERM = 1;

    /// <summary>Restricts the ladder to the listed modes ("raw_tp,tracepoint"): to test each fallback, or to work around a kernel bug.</summary>
    internal const string AttachVariable = "PROCWATCH_EBPF_ATTACH";

    /// <summary>
    /// Attach types, best first: (mode as doctor and -v name it, its programs in
    /// exec_capture.bpf.c for exec, fork and exit). A level is taken when its exec program
    /// attaches; fork and exit are extras of the same level (their failure is reported, and
    /// costs only the exact start time, CPU and RSS). The classic fork tracepoint has no
    /// child task to read: no fork program there.
    /// </summary>
    internal static readonly (string Mode, string Program, string? Fork, string Exit)[] AttachLadder =
    [
        ("tp_btf", "handle_exec_btf", "handle_fork_btf", "handle_exit_btf"),  // by BTF id: no tracefs, cheapest per event
        ("raw_tp", "handle_exec_raw", "handle_fork_raw", "handle_exit_raw"),  // by name: no tracefs
        ("tracepoint", "handle_exec_tp", null, "handle_exit_tp"),             // needs tracefs mounted at /sys/kernel/tracing
    ];

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;
    private readonly SafeBpfLinkHandle? _forkLink;
    private readonly SafeBpfLinkHandle? _exitLink;
    private readonly int _possibleCpus;

    private ExecCaptureProgram(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, SafeBpfLinkHandle? forkLink, SafeBpfLinkHandle? exitLink,
        int eventsFd, int countersFd, int possibleCpus, string attachMode)
    {
        _object = obj;
        _link = link;
        _forkLink = forkLink;
        _exitLink = exitLink;
        EventsMapFd = eventsFd;
        CountersMapFd = countersFd;
        _possibleCpus = possibleCpus;
        AttachMode = attachMode;
    }

    /// <summary>The BPF_MAP_TYPE_RINGBUF map; valid while this object lives.</summary>
    internal int EventsMapFd { get; }

    /// <summary>Which entry of <see cref="AttachLadder"/> is attached (tp_btf, raw_tp or tracepoint).</summary>
    internal string AttachMode { get; }

    /// <summary>Why each better attach type failed before <see cref="AttachMode"/> worked; empty when the first worked.</summary>
    internal IReadOnlyList<AttachAttempt> AttachFailures { get; private set; } = [];

    private int CountersMapFd { get; }

    /// <summary>The fork program is attached: forks carry the child's exact start time.</summary>
    internal bool ForkAttached => _forkLink is not null;

    /// <summary>The exit program is attached: exits carry CPU time and peak RSS.</summary>
    internal bool ExitAttached => _exitLink is not null;

    /// <summary>Why the fork or exit program of the attached level did not attach (mode "fork" or "exit").</summary>
    internal IReadOnlyList<AttachAttempt> LifecycleFailures { get; private set; } = [];

    /// <summary>The connector counting filter, loaded with the capture; null when it could not load (or was turned off).</summary>
    internal ConnectorCountMap? ConnectorCount { get; private set; }

    /// <summary>Why the counting filter did not load with the capture, when it did not (and not for <see cref="ConnectorCountMap.Variable"/>).</summary>
    internal Failure? ConnectorCountFailure { get; private set; }

    internal static bool IsEmbedded => BpfObjectParts.IsEmbedded(ResourceName);

    /// <summary>
    /// Loads the best attach type that works. On failure, <paramref name="failure"/> is each
    /// type's failure (<see cref="FailureStep.EveryAttachType"/>), or the one failure that
    /// stops them all (no object, no privilege, lockdown).
    /// </summary>
    internal static bool TryLoad(int ringBufferBytes, capture_settings settings, IReadOnlyList<int>? treeRoots, IReadOnlyList<int>? treeMembers, int treeCapacity, [NotNullWhen(true)] out ExecCaptureProgram? program, out Failure failure)
    {
        program = null;
        byte[]? image = BpfObjectParts.ReadEmbedded(ResourceName);
        if (image is null)
        {
            failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindEmbeddedObject, "the eBPF object");
            return false;
        }
        bool countConnector = !ConnectorCountMap.DisabledByEnvironment;
        if (TryLoadLadder(image, countConnector, ringBufferBytes, settings, treeRoots, treeMembers, treeCapacity, out program, out failure) || !countConnector || IsFatal(failure))
            return program is not null;
        // The connector counting filter is the one program every rung shares: a kernel that
        // refuses it (verifier) must not cost the capture. Without it the connector counts in
        // user space, as before.
        Failure counting = failure;
        if (!TryLoadLadder(image, countConnector: false, ringBufferBytes, settings, treeRoots, treeMembers, treeCapacity, out program, out failure))
            return false;
        program.ConnectorCountFailure = counting;
        return true;
    }

    /// <summary>A failure no other attempt can do better at (no privilege, lockdown, a broken object).</summary>
    private static bool IsFatal(Failure failure) => failure.Step != FailureStep.EveryAttachType;

    private static bool TryLoadLadder(byte[] image, bool countConnector, int ringBufferBytes, capture_settings settings, IReadOnlyList<int>? treeRoots, IReadOnlyList<int>? treeMembers, int treeCapacity, [NotNullWhen(true)] out ExecCaptureProgram? program, out Failure failure)
    {
        program = null;
        var failures = new List<AttachAttempt>(AttachLadder.Length);
        string[]? allowed = Environment.GetEnvironmentVariable(AttachVariable)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach ((string mode, string programName, string? forkProgram, string exitProgram) in AttachLadder)
        {
            if (allowed is { Length: > 0 } && Array.IndexOf(allowed, mode) < 0)
            {
                failures.Add(new AttachAttempt(mode, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, AttachVariable)));
                continue;
            }
            if (TryLoadOne(image, (programName, forkProgram, exitProgram), mode, countConnector, ringBufferBytes, settings, treeRoots, treeMembers, treeCapacity, out program, out Failure why, out bool fatal))
            {
                program.AttachFailures = failures;
                failure = default;
                return true;
            }
            if (fatal)
            {
                failure = why;
                return false;
            }
            failures.Add(new AttachAttempt(mode, why));
        }
        failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType) { Attempts = failures };
        return false;
    }

    /// <param name="fatal">Set when no other attach type can do better (privilege, lockdown, a broken object).</param>
    private static bool TryLoadOne(byte[] image, (string Exec, string? Fork, string Exit) programs, string mode, bool countConnector, int ringBufferBytes, capture_settings settings, IReadOnlyList<int>? treeRoots, IReadOnlyList<int>? treeMembers, int treeCapacity,
        [NotNullWhen(true)] out ExecCaptureProgram? program, out Failure failure, out bool fatal)
    {
        program = null;
        fatal = false;
        LibbpfLog.Install();
        LibbpfLog.Clear();
        SafeBpfObjectHandle? obj = null;
        SafeBpfLinkHandle? link = null;
        SafeBpfLinkHandle? forkLink = null;
        SafeBpfLinkHandle? exitLink = null;
        string programName = programs.Exec;
        try
        {
            fixed (byte* p = image)
            {
                // libbpf parses the ELF in place until bpf_object__load returns.
                obj = new SafeBpfObjectHandle(Libbpf.bpf_object__open_mem(p, (nuint)image.Length, null));
                if (obj.IsInvalid)
                {
                    fatal = true;
                    failure = Describe(FailureStep.OpenObject, "the eBPF object", Marshal.GetLastPInvokeError(), ref fatal);
                    return false;
                }
                nint obj_ = obj.DangerousGetHandle();
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (cpus <= 0)
                {
                    fatal = true;
                    failure = Describe(FailureStep.CountPossibleCpus, null, -cpus, ref fatal);
                    return false;
                }
                nint events = Libbpf.bpf_object__find_map_by_name(obj_, EventsMap);
                nint scratch = Libbpf.bpf_object__find_map_by_name(obj_, ScratchMap);
                nint counters = Libbpf.bpf_object__find_map_by_name(obj_, CountersMap);
                nint settingsMap = Libbpf.bpf_object__find_map_by_name(obj_, SettingsMap);
                nint tree = Libbpf.bpf_object__find_map_by_name(obj_, TreeMap);
                nint treeState = Libbpf.bpf_object__find_map_by_name(obj_, TreeStateMap);
                nint prog = Libbpf.bpf_object__find_program_by_name(obj_, programName);
                if (events == 0 || scratch == 0 || counters == 0 || settingsMap == 0 || tree == 0 || treeState == 0 || prog == 0
                    || Libbpf.bpf_map__value_size(settingsMap) != capture_settings.Size)
                {
                    fatal = true;
                    failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, "its maps or program " + programName);
                    return false;
                }
                // Only this attach type's programs are loaded: the others might not even verify here.
                foreach ((_, string exec, string? fork, string exit) in AttachLadder)
                {
                    foreach (string? other in (ReadOnlySpan<string?>)[exec, fork, exit])
                    {
                        if (other is not null && other != programs.Exec && other != programs.Fork && other != programs.Exit)
                        {
                            Libbpf.bpf_program__set_autoload(Libbpf.bpf_object__find_program_by_name(obj_, other), false);
                        }
                    }
                }
                nint countProgram = Libbpf.bpf_object__find_program_by_name(obj_, ConnectorCountMap.ProgramName);
                nint counts = Libbpf.bpf_object__find_map_by_name(obj_, ConnectorCountMap.CountsMap);
                nint countSettings = Libbpf.bpf_object__find_map_by_name(obj_, ConnectorCountMap.SettingsMap);
                // An object without the filter (or of another layout) counts in user space.
                countConnector &= countProgram != 0 && counts != 0 && countSettings != 0
                    && Libbpf.bpf_map__value_size(counts) == conn_count.Size && Libbpf.bpf_map__value_size(countSettings) == conn_count_settings.Size;
                if (countProgram != 0 && !countConnector)
                    Libbpf.bpf_program__set_autoload(countProgram, false);
                int rc = Libbpf.bpf_map__set_max_entries(events, (uint)ringBufferBytes);
                if (rc == 0)
                {
                    rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                }
                bool filtersTree = (settings.filters & capture_filters.TREE) != 0;
                if (rc == 0)
                {
                    rc = Libbpf.bpf_map__set_max_entries(tree, filtersTree ? (uint)treeCapacity : 1);
                }
                if (rc != 0)
                {
                    fatal = true;
                    failure = Describe(FailureStep.SizeMaps, "the eBPF maps", -rc, ref fatal);
                    return false;
                }
                // Before load: the verifier then reads the settings as constants and prunes what they switch off.
                rc = Libbpf.bpf_map__set_initial_value(settingsMap, &settings, (nuint)capture_settings.Size);
                if (rc != 0)
                {
                    fatal = true;
                    failure = Describe(FailureStep.ConfigureProgram, null, -rc, ref fatal);
                    return false;
                }
                BtfLoadMemory.BeforeLoad(); // the load's BTF copy comes on top of what is resident now
                rc = Libbpf.bpf_object__load(obj_);
                if (rc != 0)
                {
                    failure = Describe(FailureStep.LoadProgram, "the " + mode + " program", -rc, ref fatal);
                    return false;
                }
                if (filtersTree)
                {
                    rc = WatchedTree.AddRoots(Libbpf.bpf_map__fd(tree), treeRoots!);
                    // The caller's own tree as it stood before this load (its seed), so that a
                    // member reparented away from the roots since then is still the kernel's.
                    if (rc == 0 && treeMembers is not null)
                        WatchedTree.AddMembers(Libbpf.bpf_map__fd(tree), Libbpf.bpf_map__fd(treeState), treeMembers);
                    if (rc != 0)
                    {
                        fatal = true;
                        failure = Describe(FailureStep.ConfigureProgram, null, -rc, ref fatal);
                        return false;
                    }
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
                if (link.IsInvalid)
                {
                    failure = DescribeAttach(mode, Marshal.GetLastPInvokeError(), ref fatal);
                    return false;
                }
                var lifecycleFailures = new List<AttachAttempt>(2);
                forkLink = programs.Fork is null ? null : AttachExtra(obj_, programs.Fork, "fork", mode, lifecycleFailures);
                exitLink = AttachExtra(obj_, programs.Exit, "exit", mode, lifecycleFailures);
                if (filtersTree)
                {
                    // Without the fork program the kernel cannot follow the tree: it must not filter by it.
                    if (forkLink is null)
                        WatchedTree.Open(Libbpf.bpf_map__fd(treeState));
                    else
                        WatchedTree.AddDescendants(Libbpf.bpf_map__fd(tree), Libbpf.bpf_map__fd(treeState), treeRoots!);
                }
                program = new ExecCaptureProgram(obj, link, forkLink, exitLink, Libbpf.bpf_map__fd(events), Libbpf.bpf_map__fd(counters), cpus, mode)
                {
                    LifecycleFailures = lifecycleFailures,
                };
                if (countConnector)
                {
                    program.ConnectorCount = new ConnectorCountMap(obj, Libbpf.bpf_program__fd(countProgram),
                        Libbpf.bpf_map__fd(counts), Libbpf.bpf_map__fd(countSettings), cpus);
                }
                failure = default;
                return true;
            }
        }
        finally
        {
            if (program is null)
            {
                forkLink?.Dispose();
                exitLink?.Dispose();
                link?.Dispose();
                obj?.Dispose();
            }
        }
    }

    /// <summary>Attaches the fork or exit program of the level; null (and a reason added) when it will not.</summary>
    private static SafeBpfLinkHandle? AttachExtra(nint obj, string programName, string what, string mode, List<AttachAttempt> failures)
    {
        nint prog = Libbpf.bpf_object__find_program_by_name(obj, programName);
        if (prog == 0)
        {
            failures.Add(new AttachAttempt(what, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, programName)));
            return null;
        }
        var link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
        if (!link.IsInvalid)
            return link;
        bool ignored = false;
        failures.Add(new AttachAttempt(what, Describe(FailureStep.AttachProgram, mode + "/sched_process_" + what, Marshal.GetLastPInvokeError(), ref ignored)));
        link.Dispose();
        return null;
    }

    private static Failure DescribeAttach(string mode, int errno, ref bool fatal) => mode switch
    {
        "tracepoint" => Directory.Exists("/sys/kernel/tracing/events")
            ? Describe(FailureStep.AttachProgram, "to tracepoint sched/sched_process_exec", errno, ref fatal)
            : Describe(FailureStep.AttachTracepointWithoutTracefs, "sched/sched_process_exec", errno, ref fatal),
        _ => Describe(FailureStep.AttachProgram, mode + "/sched_process_exec", errno, ref fatal),
    };

    /// <summary>Sums one per-CPU counter of the program.</summary>
    internal ulong ReadCounter(exec_counter index)
    {
        bool added = false;
        _object.DangerousAddRef(ref added); // the map's fd lives as long as the object
        try
        {
            return BpfObjectParts.SumPerCpu(CountersMapFd, (uint)index, _possibleCpus);
        }
        finally
        {
            if (added)
                _object.DangerousRelease();
        }
    }

    public void Dispose()
    {
        _forkLink?.Dispose();
        _exitLink?.Dispose();
        _link.Dispose();
        _object.Dispose();
    }


    /// <param name="fatal">Set when the failure holds for every attach type (lockdown, privilege).</param>
    private static Failure Describe(FailureStep step, string? subject, int errno, ref bool fatal)
    {
        if (EbpfPrerequisites.IsConfidentialityLockdown())
        {
            fatal = true;
            return new Failure(FailureKind.KernelUnsupported, errno, FailureStep.KernelLockdown, subject);
        }
        if (errno == EPERM)
        {
            fatal = true;
            return new Failure(FailureKind.NoPrivilege, errno, step, subject);
        }
        return new Failure(FailureKind.KernelUnsupported, errno, step, subject) { Detail = LibbpfLog.LastUsefulWarning };
    }
}

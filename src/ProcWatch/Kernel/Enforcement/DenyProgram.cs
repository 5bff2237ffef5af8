using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The loaded and attached deny.bpf.o: one hook of <see cref="AttachLadder"/>, best first, in
/// a fresh object each (a hook that does not verify or attach here costs nothing). Not pinned:
/// closing it, or the death of the process, detaches it and exec is free again.
/// </summary>
internal sealed unsafe class DenyProgram : IDisposable
{
    internal const string ResourceName = "DenyEnforcement.BpfObject";

    /// <summary>Restricts the ladder ("tp_btf", "fentry,tp_btf"): for tests of each level, or to avoid one.</summary>
    internal const string AttachVariable = "PROCWATCH_DENY_ATTACH";

    /// <summary>(mode as doctor names it, program in deny.bpf.c, the level it gives), best first.</summary>
    internal static readonly (string Mode, string Program, EnforcementLevel Level)[] AttachLadder =
    [
        ("lsm", "deny_lsm", EnforcementLevel.Lsm),               // BPF LSM: EPERM from execve
        ("fentry", "deny_fentry", EnforcementLevel.Signal),      // security_bprm_check: SIGKILL, scripts judged too
        ("tp_btf", "deny_exec_tp", EnforcementLevel.Signal),     // sched_process_exec: SIGKILL, the final program only
    ];

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;
    private readonly int _possibleCpus;

    private DenyProgram(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, int cpus, string mode, EnforcementLevel level, DenyMaps maps)
    {
        _object = obj;
        _link = link;
        _possibleCpus = cpus;
        AttachMode = mode;
        Level = level;
        Maps = maps;
    }

    internal string AttachMode { get; }

    internal EnforcementLevel Level { get; }

    /// <summary>Why each better hook failed; empty when the best one loaded.</summary>
    internal IReadOnlyList<AttachAttempt> AttachFailures { get; private set; } = [];

    internal DenyMaps Maps { get; }

    internal static bool IsEmbedded => BpfObjectParts.IsEmbedded(ResourceName);

    /// <summary>
    /// Loads the best hook that works. On failure, <paramref name="failure"/> is each hook's
    /// failure (<see cref="FailureStep.EveryAttachType"/>), or the one that stops them all.
    /// </summary>
    internal static bool TryLoad(IReadOnlyList<string>? allowedModes, [NotNullWhen(true)] out DenyProgram? program, out Failure failure)
    {
        program = null;
        if (!EbpfPrerequisites.TryCheck(out failure))
            return false;
        byte[]? image = BpfObjectParts.ReadEmbedded(ResourceName);
        if (image is null)
        {
            failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindEmbeddedObject, "the deny eBPF object");
            return false;
        }
        string[]? fromEnvironment = Environment.GetEnvironmentVariable(AttachVariable)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<string>? allowed = allowedModes ?? (fromEnvironment is { Length: > 0 } ? fromEnvironment : null);
        var failures = new List<AttachAttempt>();
        foreach ((string mode, string programName, EnforcementLevel level) in AttachLadder)
        {
            if (allowed is not null && !allowed.Contains(mode))
            {
                failures.Add(new AttachAttempt(mode, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, AttachVariable)));
                continue;
            }
            if (TryLoadOne(image, mode, programName, level, out program, out Failure why))
            {
                program.AttachFailures = failures;
                return true;
            }
            failures.Add(new AttachAttempt(mode, why));
        }
        failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType) { Attempts = failures };
        return false;
    }

    private static bool TryLoadOne(byte[] image, string mode, string programName, EnforcementLevel level,
        [NotNullWhen(true)] out DenyProgram? program, out Failure failure)
    {
        program = null;
        LibbpfLog.Install();
        LibbpfLog.Clear();
        SafeBpfObjectHandle? obj = null;
        SafeBpfLinkHandle? link = null;
        try
        {
            fixed (byte* p = image)
            {
                obj = new SafeBpfObjectHandle(Libbpf.bpf_object__open_mem(p, (nuint)image.Length, null));
                if (obj.IsInvalid)
                {
                    failure = Describe(FailureStep.OpenObject, "the deny eBPF object", Marshal.GetLastPInvokeError());
                    return false;
                }
                nint o = obj.DangerousGetHandle();
                nint prog = Libbpf.bpf_object__find_program_by_name(o, programName);
                nint scratch = Libbpf.bpf_object__find_map_by_name(o, "deny_scratch");
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (prog == 0 || scratch == 0 || cpus <= 0)
                {
                    failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, programName);
                    return false;
                }
                foreach ((_, string other, _) in AttachLadder)
                {
                    if (other != programName)
                        Libbpf.bpf_program__set_autoload(Libbpf.bpf_object__find_program_by_name(o, other), false);
                }
                int rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                if (rc != 0)
                {
                    failure = Describe(FailureStep.SizeMaps, "the deny maps", -rc);
                    return false;
                }
                rc = Libbpf.bpf_object__load(o);
                if (rc != 0)
                {
                    failure = Describe(FailureStep.LoadProgram, mode + " program " + programName, -rc);
                    return false;
                }
                if (!DenyMaps.TryFind(o, out DenyMaps? maps))
                {
                    failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, "the deny maps");
                    return false;
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(prog));
                if (link.IsInvalid)
                {
                    failure = Describe(FailureStep.AttachProgram, mode + " program " + programName, Marshal.GetLastPInvokeError());
                    return false;
                }
                program = new DenyProgram(obj, link, cpus, mode, level, maps);
                failure = default;
                return true;
            }
        }
        finally
        {
            if (program is null)
            {
                link?.Dispose();
                obj?.Dispose();
            }
        }
    }

    /// <summary>Sums one per-CPU counter.</summary>
    internal ulong ReadCounter(deny_counter index)
    {
        return BpfObjectParts.SumPerCpu(Maps.Counters, (uint)index, _possibleCpus);
    }

    public void Dispose()
    {
        _link.Dispose();
        _object.Dispose();
    }


    /// <summary>
    /// EPERM here comes with the capabilities already checked: the kernel refuses the program
    /// type (BPF LSM or trampolines off), a mechanism missing, not a privilege.
    /// </summary>
    private static Failure Describe(FailureStep step, string subject, int errno) =>
        new(FailureKind.KernelUnsupported, errno, step, subject) { Detail = LibbpfLog.LastUsefulWarning };
}

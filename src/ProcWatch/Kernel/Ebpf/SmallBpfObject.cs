using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// One of the small BPF objects beside the exec capture (deny.bpf.o, exec_failure.bpf.o),
/// loaded with the best program of its attach ladder that works here, attached, and owned:
/// disposing it detaches the program and frees the maps. Nothing is pinned, so the death of
/// the process detaches it too.
/// </summary>
/// <remarks>
/// Both objects are built alike (one program per rung, a per-CPU scratch map sized here, a
/// ring, per-CPU counters), so one loader serves both. The exec capture has its own loader:
/// several programs per rung, settings written after load, and steps after which no other rung
/// is worth trying.
/// </remarks>
internal sealed unsafe class SmallBpfObject : IDisposable
{
    /// <summary>What the loader needs to know of one object.</summary>
    /// <param name="ResourceName">The embedded resource that holds the object file.</param>
    /// <param name="Subject">The object as a failure names it ("the deny eBPF object").</param>
    /// <param name="ScratchMap">The per-CPU scratch map (one slot per possible CPU).</param>
    /// <param name="RequiredMaps">Maps the caller uses: an object without them is a stale build.</param>
    /// <param name="AttachLadder">(mode as doctor names it, program in the object), best first.</param>
    /// <param name="AttachVariable">The environment variable that may restrict the ladder ("tp_btf,raw_tp"), or null.</param>
    internal sealed record Layout(
        string ResourceName,
        string Subject,
        string ScratchMap,
        IReadOnlyList<string> RequiredMaps,
        IReadOnlyList<(string Mode, string Program)> AttachLadder,
        string? AttachVariable = null);

    private readonly SafeBpfObjectHandle _object;
    private readonly SafeBpfLinkHandle _link;

    private SmallBpfObject(SafeBpfObjectHandle obj, SafeBpfLinkHandle link, string mode, int possibleCpus)
    {
        _object = obj;
        _link = link;
        AttachMode = mode;
        PossibleCpus = possibleCpus;
    }

    /// <summary>The rung in force ("lsm", "tp_btf", ...).</summary>
    internal string AttachMode { get; }

    /// <summary>The slots of every per-CPU map.</summary>
    internal int PossibleCpus { get; }

    /// <summary>Why each better rung failed; empty when the best one attached.</summary>
    internal IReadOnlyList<AttachAttempt> AttachFailures { get; private set; } = [];

    /// <summary>The file descriptor of map <paramref name="name"/> (one of <see cref="Layout.RequiredMaps"/>: checked at load).</summary>
    internal int MapFd(string name) => Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(_object.DangerousGetHandle(), name));

    /// <summary>Slot <paramref name="index"/> of a per-CPU counter map, summed over the CPUs.</summary>
    internal ulong SumPerCpu(int mapFd, uint index) => BpfObjectParts.SumPerCpu(mapFd, index, PossibleCpus);

    /// <summary>
    /// Loads the best rung that works. On failure, <paramref name="failure"/> is each rung's
    /// failure (<see cref="FailureStep.EveryAttachType"/>), or the one that stops them all (no
    /// eBPF here, no privilege, no embedded object).
    /// </summary>
    /// <param name="allowedModes">Restricts the ladder (tests); null: <see cref="Layout.AttachVariable"/>, else every rung.</param>
    internal static bool TryLoad(Layout layout, IReadOnlyList<string>? allowedModes, [NotNullWhen(true)] out SmallBpfObject? loaded, out Failure failure)
    {
        loaded = null;
        if (!EbpfPrerequisites.TryCheck(out failure))
            return false;
        byte[]? image = BpfObjectParts.ReadEmbedded(layout.ResourceName);
        if (image is null)
        {
            failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindEmbeddedObject, layout.Subject);
            return false;
        }
        IReadOnlyList<string>? allowed = allowedModes ?? FromEnvironment(layout.AttachVariable);
        var failures = new List<AttachAttempt>();
        foreach ((string mode, string program) in layout.AttachLadder)
        {
            if (allowed is not null && !allowed.Contains(mode))
            {
                failures.Add(new AttachAttempt(mode, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, layout.AttachVariable)));
                continue;
            }
            if (TryLoadOne(image, layout, mode, program, out loaded, out Failure why))
            {
                loaded.AttachFailures = failures;
                failure = default;
                return true;
            }
            failures.Add(new AttachAttempt(mode, why));
        }
        failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType) { Attempts = failures };
        return false;
    }

    private static string[]? FromEnvironment(string? variable)
    {
        string[]? modes = variable is null ? null
            : Environment.GetEnvironmentVariable(variable)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return modes is { Length: > 0 } ? modes : null;
    }

    /// <summary>One rung, in a fresh object: a program that does not verify or attach here costs nothing.</summary>
    private static bool TryLoadOne(byte[] image, Layout layout, string mode, string programName,
        [NotNullWhen(true)] out SmallBpfObject? loaded, out Failure failure)
    {
        loaded = null;
        LibbpfLog.Install();
        LibbpfLog.Clear();
        SafeBpfObjectHandle? obj = null;
        SafeBpfLinkHandle? link = null;
        try
        {
            fixed (byte* p = image)
            {
                // libbpf parses the ELF in place until bpf_object__load returns.
                obj = new SafeBpfObjectHandle(Libbpf.bpf_object__open_mem(p, (nuint)image.Length, null));
                if (obj.IsInvalid)
                {
                    failure = Describe(FailureStep.OpenObject, layout.Subject, Marshal.GetLastPInvokeError());
                    return false;
                }
                nint o = obj.DangerousGetHandle();
                int cpus = Libbpf.libbpf_num_possible_cpus();
                if (cpus <= 0)
                {
                    failure = Describe(FailureStep.CountPossibleCpus, null, -cpus);
                    return false;
                }
                nint program = Libbpf.bpf_object__find_program_by_name(o, programName);
                nint scratch = Libbpf.bpf_object__find_map_by_name(o, layout.ScratchMap);
                if (program == 0 || scratch == 0 || !HasMaps(o, layout.RequiredMaps))
                {
                    failure = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.FindInObject, programName + " or its maps");
                    return false;
                }
                // Only this rung's program is loaded: the others might not even verify here.
                foreach ((_, string other) in layout.AttachLadder)
                {
                    if (other != programName)
                        Libbpf.bpf_program__set_autoload(Libbpf.bpf_object__find_program_by_name(o, other), false);
                }
                int rc = Libbpf.bpf_map__set_max_entries(scratch, (uint)cpus);
                if (rc != 0)
                {
                    failure = Describe(FailureStep.SizeMaps, "the maps of " + layout.Subject, -rc);
                    return false;
                }
                BtfLoadMemory.BeforeLoad(); // the load's BTF copy comes on top of what is resident now
                rc = Libbpf.bpf_object__load(o);
                if (rc != 0)
                {
                    failure = Describe(FailureStep.LoadProgram, mode + " program " + programName, -rc);
                    return false;
                }
                link = new SafeBpfLinkHandle(Libbpf.bpf_program__attach(program));
                if (link.IsInvalid)
                {
                    failure = Describe(FailureStep.AttachProgram, mode + " program " + programName, Marshal.GetLastPInvokeError());
                    return false;
                }
                loaded = new SmallBpfObject(obj, link, mode, cpus);
                failure = default;
                return true;
            }
        }
        finally
        {
            if (loaded is null)
            {
                link?.Dispose();
                obj?.Dispose();
            }
        }
    }

    private static bool HasMaps(nint obj, IReadOnlyList<string> names)
    {
        foreach (string name in names)
        {
            if (Libbpf.bpf_object__find_map_by_name(obj, name) == 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// EPERM here comes with the capabilities already checked (<see cref="EbpfPrerequisites"/>):
    /// the kernel refuses the program type (BPF LSM or trampolines off), a mechanism missing,
    /// not a privilege.
    /// </summary>
    private static Failure Describe(FailureStep step, string? subject, int errno) =>
        new(FailureKind.KernelUnsupported, errno, step, subject) { Detail = LibbpfLog.LastUsefulWarning };

    public void Dispose()
    {
        _link.Dispose();
        _object.Dispose();
    }
}

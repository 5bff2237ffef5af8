using System.Diagnostics.CodeAnalysis;
using ProcWatch.Core;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// The loaded and attached deny.bpf.o: one hook of <see cref="AttachLadder"/>, best first, in
/// a fresh object each (a hook that does not verify or attach here costs nothing). Not pinned:
/// closing it, or the death of the process, detaches it and exec is free again.
/// </summary>
internal sealed class DenyProgram : IDisposable
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

    private static readonly SmallBpfObject.Layout s_layout = new(
        ResourceName,
        Subject: "the deny eBPF object",
        ScratchMap: "deny_scratch",
        RequiredMaps: DenyMaps.Names,
        AttachLadder: Array.ConvertAll(AttachLadder, rung => (rung.Mode, rung.Program)),
        AttachVariable);

    private readonly SmallBpfObject _object;

    private DenyProgram(SmallBpfObject obj)
    {
        _object = obj;
        Level = Array.Find(AttachLadder, rung => rung.Mode == obj.AttachMode).Level;
        Maps = DenyMaps.Of(obj);
    }

    internal string AttachMode => _object.AttachMode;

    internal EnforcementLevel Level { get; }

    /// <summary>Why each better hook failed; empty when the best one loaded.</summary>
    internal IReadOnlyList<AttachAttempt> AttachFailures => _object.AttachFailures;

    internal DenyMaps Maps { get; }

    /// <summary>
    /// Loads the best hook that works. On failure, <paramref name="failure"/> is each hook's
    /// failure (<see cref="FailureStep.EveryAttachType"/>), or the one that stops them all.
    /// </summary>
    /// <param name="allowedModes">Restricts <see cref="AttachLadder"/> (tests); null: <see cref="AttachVariable"/> or all.</param>
    internal static bool TryLoad(IReadOnlyList<string>? allowedModes, [NotNullWhen(true)] out DenyProgram? program, out Failure failure)
    {
        program = SmallBpfObject.TryLoad(s_layout, allowedModes, out SmallBpfObject? obj, out failure) ? new DenyProgram(obj) : null;
        return program is not null;
    }

    /// <summary>Sums one per-CPU counter.</summary>
    internal ulong ReadCounter(deny_counter index) => _object.SumPerCpu(Maps.Counters, (uint)index);

    public void Dispose() => _object.Dispose();
}

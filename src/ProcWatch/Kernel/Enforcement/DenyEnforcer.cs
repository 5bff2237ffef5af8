using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Deny rules enforced in the kernel, as an event source: loads deny.bpf.o at the best level
/// this host allows (<see cref="DenyProgram.AttachLadder"/>), writes the policy, and posts a
/// <see cref="DeniedEvent"/> for every record its ring delivers (thread <c>procwatch-deny</c>).
/// Without BPF LSM the fanotify gate (<see cref="ExecPermissionGate"/>) refuses execs with
/// EPERM, with the SIGKILL program kept loaded below it as a backstop for what the gate let
/// through. The ladder: lsm, fanotify, signal (fentry, tp_btf), post-exec-kill.
/// Nothing is pinned: disposing it, or the process dying, lifts every rule.
/// </summary>
internal sealed class DenyEnforcer : IEventSource
{
    private readonly IReadOnlyList<DenyRule> _initialRules;
    private readonly IReadOnlyList<string> _protectedPaths;
    private readonly IReadOnlyList<string>? _allowedModes;
    private readonly ConcurrentDictionary<string, long> _perRule = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, IReadOnlyList<DenyRule>> _generations = [];
    private readonly Lock _generationsGate = new();
    private readonly KernelClock _clock = KernelClock.Shared;
    private DenyProgram? _program;
    private DenyPolicyWriter? _writer;
    private LibbpfRingReader? _reader;
    private ExecPermissionGate? _gate;
    private DenialHandOff? _handOff;
    private IEventSink? _sink;
    private long _malformed;
    private int _disposed;

    /// <param name="rules">The rules (checked at once: <see cref="ArgumentException"/> names the bad one).</param>
    /// <param name="protectedPaths">Programs never denied besides init and ProcWatch itself (the daemon's action programs).</param>
    /// <param name="allowedModes">Restricts <see cref="DenyProgram.AttachLadder"/> (tests); null: <see cref="DenyProgram.AttachVariable"/> or all.</param>
    internal DenyEnforcer(IReadOnlyList<DenyRule> rules, IReadOnlyList<string>? protectedPaths = null, IReadOnlyList<string>? allowedModes = null)
    {
        _initialRules = rules;
        _protectedPaths = protectedPaths ?? [];
        _allowedModes = allowedModes;
        Policy = DenyPolicyCompiler.Compile(rules);
    }

    public string Name => "deny";

    /// <summary>The compiled policy in force (or to be put in force at start).</summary>
    internal KernelPolicy Policy { get; private set; }

    /// <summary>The level in force once started.</summary>
    internal EnforcementLevel Level { get; private set; } = EnforcementLevel.None;

    /// <summary>The hook in force (lsm, fentry, tp_btf; "fanotify+tp_btf" for the gate over its backstop), or null.</summary>
    internal string? AttachMode => _gate is null ? _program?.AttachMode
        : _program is { } backstop ? "fanotify+" + backstop.AttachMode : "fanotify";

    /// <summary>The fanotify gate, at <see cref="EnforcementLevel.Fanotify"/> (its counters).</summary>
    internal ExecPermissionGate? Gate => _gate;

    /// <summary>Denials the gate's hand-off could not hold (the exec was refused all the same).</summary>
    internal long GateDrops => _handOff?.Dropped ?? 0;

    /// <summary>Name of the ladder's fanotify rung in <see cref="DenyProgram.AttachVariable"/> and the tests' attach modes.</summary>
    internal const string FanotifyMode = "fanotify";

    /// <summary>Why better levels are not in force (each hook's failure), or why none is; null at the best level.</summary>
    internal Failure? Degraded { get; private set; }

    /// <summary>Denials (and would-be denials) per rule name, as delivered.</summary>
    internal IReadOnlyDictionary<string, long> PerRule => _perRule;

    internal ulong KernelDenied => _program?.ReadCounter(deny_counter.DENIED) ?? 0;

    internal ulong KernelAudited => _program?.ReadCounter(deny_counter.AUDITED) ?? 0;

    /// <summary>Denial records the ring could not hold (the denial itself happened; its event is lost and counted).</summary>
    internal ulong Drops => _program is null ? 0 : _program.ReadCounter(deny_counter.RING_DROPS) + _program.ReadCounter(deny_counter.SCRATCH_MISSING);

    internal long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>
    /// Loads and attaches the program and puts the rules in force. Without eBPF the level is
    /// <see cref="EnforcementLevel.PostExecKill"/> with the reason in <see cref="Degraded"/>:
    /// the caller decides how to kill after the fact.
    /// </summary>
    public void Start(IEventSink sink, WatcherStatistics statistics)
    {
        _sink = sink;
        if (Policy.Rules.Count == 0)
            return;
        IReadOnlyList<string>? modes = _allowedModes ?? ModesFromEnvironment();
        bool loaded = DenyProgram.TryLoad(modes, out DenyProgram? program, out Failure failure);
        _program = program;
        try
        {
            if (program is not null)
            {
                _writer = new DenyPolicyWriter(program.Maps);
                _writer.Protect([1, Environment.ProcessId], ProtectedFiles());
                Remember(1, Policy.Rules);
                _writer.Apply(Policy);
            }
            var better = new List<AttachAttempt>();
            if (program is not null)
            {
                foreach (AttachAttempt attempt in program.AttachFailures)
                {
                    if (program.Level == EnforcementLevel.Lsm || attempt.Mode == "lsm")
                        better.Add(attempt);
                }
            }
            else if (failure.Attempts is { } attempts)
            {
                better.AddRange(attempts);
            }
            else
            {
                better.Add(new AttachAttempt("ebpf", failure)); // no eBPF here at all: the one reason
            }
            if (loaded && program!.Level == EnforcementLevel.Lsm)
            {
                Level = EnforcementLevel.Lsm;
            }
            else if (modes is null || modes.Contains(FanotifyMode))
            {
                if (StartGate(backstop: program is not null, out Failure gateFailure))
                    Level = EnforcementLevel.Fanotify;
                else
                    better.Add(new AttachAttempt(FanotifyMode, gateFailure));
            }
            else
            {
                better.Add(new AttachAttempt(FanotifyMode, new Failure(FailureKind.KernelUnsupported, 0, FailureStep.AttachModeNotAllowed, DenyProgram.AttachVariable)));
            }
            if (Level == EnforcementLevel.None)
                Level = program?.Level ?? EnforcementLevel.PostExecKill;
            if (better.Count > 0)
                Degraded = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType) { Attempts = better };
            if (program is not null)
            {
                _reader = LibbpfRingReader.TryOpen(program.Maps.Events, Deliver, sink, "denial ring", "a denial", out int errno)
                    ?? throw new IOException("opening the denial ring failed: " + FailureText.Errno(errno));
            }
        }
        catch (IOException e)
        {
            Dispose();
            throw new ProcWatchException(FailureKind.SystemError, "deny rules: " + e.Message, e);
        }
        _reader?.Start("procwatch-deny");
    }

    /// <summary>The fanotify gate over the policy; its denials reach the sink through <see cref="DenialHandOff"/>.</summary>
    private bool StartGate(bool backstop, out Failure failure)
    {
        var handOff = new DenialHandOff(DeliverFromGate, _clock, AccountNames.Shared);
        var judge = new PermissionJudge(ProtectedFiles());
        if (_writer is { } writer)
        {
            // A copy the gate hashed before its first exec joins the kernel's deny set too (the
            // backstop judges by identity). Off the gate's thread: the writer takes a lock.
            judge.DeniedHashFound = (file, sha256) =>
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.writer.OnHashed(s.file, s.sha256), (writer, file, sha256), preferLocal: false);
        }
        if (!ExecPermissionGate.TryStart(Policy, judge, backstop, d => Post(handOff, d), out ExecPermissionGate? gate, out failure))
        {
            handOff.Dispose();
            return false;
        }
        _handOff = handOff;
        _gate = gate;
        return true;
    }

    /// <summary>On the gate's thread: an audited exec goes on, and the backstop would audit it again; remember it first.</summary>
    private void Post(DenialHandOff handOff, PermissionDenial denial)
    {
        if (denial.Audit && denial.CallerKnown)
            _auditedByGate.Remember(denial.Caller.Tgid, denial.File);
        handOff.Post(denial);
    }

    private void DeliverFromGate(DeniedEvent denied)
    {
        _perRule.AddOrUpdate(denied.RuleName, 1, static (_, n) => n + 1);
        _sink?.Post(denied);
    }

    private readonly AuditedExecs _auditedByGate = new();
    private long _backstopRepeats;

    /// <summary>The backstop's records of execs the gate had already audited, not reported twice.</summary>
    internal long BackstopRepeats => Interlocked.Read(ref _backstopRepeats);

    private static string[]? ModesFromEnvironment()
    {
        string[]? modes = Environment.GetEnvironmentVariable(DenyProgram.AttachVariable)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return modes is { Length: > 0 } ? modes : null;
    }

    /// <summary>Replaces the rules at once (the kernel never sees a mix). Compiles first: a bad set throws and changes nothing.</summary>
    /// <exception cref="ArgumentException">A rule is invalid or unsafe.</exception>
    internal void Reload(IReadOnlyList<DenyRule> rules)
    {
        KernelPolicy policy = DenyPolicyCompiler.Compile(rules);
        if (_writer is { } writer)
        {
            Remember(writer.Generation + 1, rules);
            writer.Apply(policy);
        }
        _gate?.Reload(policy);
        Policy = policy;
    }

    /// <summary>From the hasher: a file whose digest a rule denies is denied from its next exec on.</summary>
    internal void OnHashed(ExecutableVersion version, string sha256)
    {
        var file = new FileIdentity(version.Device, version.Inode);
        _writer?.OnHashed(file, sha256);
        _gate?.OnHashed(file, sha256);
    }

    private void Remember(uint generation, IReadOnlyList<DenyRule> rules)
    {
        lock (_generationsGate)
        {
            _generations[generation] = rules;
            _generations.Remove(generation - 2); // records of a generation two back are long read
        }
    }

    private DenyRule? RuleOf(uint generation, uint index)
    {
        lock (_generationsGate)
        {
            return _generations.TryGetValue(generation, out IReadOnlyList<DenyRule>? rules) && index < rules.Count ? rules[(int)index] : null;
        }
    }

    /// <summary>Counts a denial made outside the kernel (<see cref="PostExecDenyStage"/>).</summary>
    internal void Count(string rule) => _perRule.AddOrUpdate(rule, 1, static (_, n) => n + 1);

    /// <summary>Init, ProcWatch and the protected programs: never denied.</summary>
    internal bool IsProtected(FileIdentity file) => (_protectedFiles ??= [.. ProtectedFiles()]).Contains(file);

    private HashSet<FileIdentity>? _protectedFiles;

    private IEnumerable<FileIdentity> ProtectedFiles()
    {
        var files = new List<FileIdentity>();
        foreach (string path in (IEnumerable<string>)["/proc/self/exe", "/proc/1/exe", .. _protectedPaths])
        {
            if (FileIdentity.TryStat(path, followLinks: true, out FileIdentity? id, out _))
                files.Add(id.Value);
        }
        // The .NET host of a library user is ProcWatch too when it runs as `dotnet app.dll`.
        if (Environment.ProcessPath is { } host && FileIdentity.TryStat(host, followLinks: true, out FileIdentity? h, out _))
            files.Add(h.Value);
        return files;
    }

    private void Deliver(ReadOnlySpan<byte> sample)
    {
        // The gate reported this audited exec already (the same policy, judged before the exec).
        if (_gate is not null && MemoryMarshal.TryRead(sample, out deny_record_header h) &&
            (h.flags & deny_record_flags.DENY_RECORD_AUDIT) != 0 &&
            _auditedByGate.Forget((int)h.tgid, new FileIdentity(h.exe_dev, h.exe_ino)))
        {
            Interlocked.Increment(ref _backstopRepeats);
            return;
        }
        DeniedEvent? denied = DenialRecordParser.TryParse(sample, RuleOf, Level, _clock, AccountNames.Shared);
        if (denied is null)
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        _perRule.AddOrUpdate(denied.RuleName, 1, static (_, n) => n + 1);
        _sink?.Post(denied);
    }

    /// <summary>Stops reading and detaches the program: from here on every exec is allowed again.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _gate?.Dispose(); // first: its descriptor closed, the kernel allows every waiting exec
        _handOff?.Dispose();
        _reader?.Dispose(); // what is already in the ring still reaches the sink
        _program?.Dispose();
    }
}

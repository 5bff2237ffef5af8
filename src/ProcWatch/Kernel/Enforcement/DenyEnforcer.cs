using System.Collections.Concurrent;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Kernel.Enforcement;

/// <summary>
/// Deny rules enforced in the kernel, as an event source: loads deny.bpf.o at the best level
/// this host allows (<see cref="DenyProgram.AttachLadder"/>), writes the policy, and posts a
/// <see cref="DeniedEvent"/> for every record its ring delivers (thread <c>procwatch-deny</c>).
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

    /// <summary>The hook in force (lsm, fentry, tp_btf), or null.</summary>
    internal string? AttachMode => _program?.AttachMode;

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
        if (!DenyProgram.TryLoad(_allowedModes, out DenyProgram? program, out Failure failure))
        {
            Level = EnforcementLevel.PostExecKill;
            Degraded = failure;
            return;
        }
        _program = program;
        Level = program.Level;
        if (program.AttachFailures.Count > 0)
            Degraded = new Failure(FailureKind.KernelUnsupported, 0, FailureStep.EveryAttachType) { Attempts = program.AttachFailures };
        try
        {
            _writer = new DenyPolicyWriter(program.Maps);
            _writer.Protect([1, Environment.ProcessId], ProtectedFiles());
            Remember(1, Policy.Rules);
            _writer.Apply(Policy);
            _reader = LibbpfRingReader.TryOpen(program.Maps.Events, Deliver, sink, "denial ring", "a denial", out int errno)
                ?? throw new IOException("opening the denial ring failed: " + FailureText.Errno(errno));
        }
        catch (IOException e)
        {
            Dispose();
            throw new ProcWatchException(FailureKind.SystemError, "deny rules: " + e.Message, e);
        }
        _reader.Start("procwatch-deny");
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
        Policy = policy;
    }

    /// <summary>From the hasher: a file whose digest a rule denies is denied from its next exec on.</summary>
    internal void OnHashed(ExecutableVersion version, string sha256) =>
        _writer?.OnHashed(new FileIdentity(version.Device, version.Inode), sha256);

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
        _reader?.Dispose(); // what is already in the ring still reaches the sink
        _program?.Dispose();
    }
}

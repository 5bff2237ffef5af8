using System.Globalization;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Text;

namespace ProcWatch.Rules;

/// <summary>
/// A rule ready to test events: patterns compiled once at load, the cheap conditions
/// (kind, glob) before the costly one (the command line).
/// </summary>
internal sealed class CompiledRule
{
    private readonly ProcessEventKinds _events;
    private readonly string? _executable;
    private readonly string? _name;
    private readonly TextPattern? _args;
    private readonly string? _userName;
    private readonly uint? _userId;
    private readonly string? _parentExecutable;
    private readonly RuleMatch? _containers;
    private readonly TokenBucket _execBudget;

    /// <exception cref="ArgumentException">A pattern does not compile (message says why).</exception>
    public CompiledRule(RuleDefinition definition)
    {
        Definition = definition;
        RuleMatch m = definition.Match;
        _events = m.Events;
        _executable = m.Executable;
        _name = m.Name;
        _args = m.Args is null ? null : TextPattern.Parse(m.Args);
        if (m.User is not null)
        {
            if (uint.TryParse(m.User, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)) _userId = uid;
            else _userName = m.User;
        }
        _parentExecutable = m.ParentExecutable;
        _containers = m.SelectsContainers ? m : null;
        Alert = Kill = false;
        var exec = new List<ExecAction>();
        foreach (RuleAction action in definition.Actions)
        {
            switch (action)
            {
                case AlertAction: Alert = true; break;
                case KillAction: Kill = true; break;
                case ExecAction e: exec.Add(e); break;
            }
        }
        Exec = exec;
        _execBudget = new TokenBucket(definition.ExecRateLimit.Count, definition.ExecRateLimit.Period);
    }

    public RuleDefinition Definition { get; }
    public string Name => Definition.Name;
    public RuleSeverity Severity => Definition.Severity;
    public bool Alert { get; }
    public bool Kill { get; }
    public IReadOnlyList<ExecAction> Exec { get; }

    /// <summary>Event kinds this rule can match (the daemon subscribes to them).</summary>
    public ProcessEventKinds Events => _events;

    public bool Matches(ProcessEvent e)
    {
        string? commandLine = null;
        return _events.Contains(e.Kind) && MatchesProcess(e, ref commandLine);
    }

    /// <summary>
    /// Matches an event of a kind this rule looks at (the caller picked the rule by kind, see
    /// RuleSet.OwnRulesFor). <paramref name="commandLine"/> is the event's joined argv, joined
    /// by the first rule that needs it and shared with the rest, so it is joined once per event.
    /// </summary>
    public bool MatchesProcess(ProcessEvent e, ref string? commandLine)
    {
        ProcessInfo? p = e.Process;
        if (_executable is not null && !Glob(_executable, p?.Executable))
            return false;
        if (_name is not null && !ProcessMatching.NameMatches(e, _name))
            return false;
        if (_parentExecutable is not null && !Glob(_parentExecutable, p?.Parent?.Executable))
            return false;
        if ((_userName is not null || _userId is not null) && !ProcessMatching.UserMatches(p, _userId, _userName))
            return false;
        if (_containers is not null && !ContainerRuleMatching.Matches(_containers, p))
            return false;
        if (_args is not null && (p?.Args is not { } args || !_args.IsMatch(commandLine ??= CommandLine.Join(args))))
            return false;
        return true;
    }

    /// <summary>Takes one of this rule's exec budget; false when the rule is over its rate.</summary>
    public bool TryTakeExecBudget(long nowTicks) => _execBudget.TryTake(nowTicks);

    /// <summary>The shared semantic (<see cref="ProcessMatching"/>): filters and rules agree on what a glob matches.</summary>
    private static bool Glob(string pattern, string? value) => ProcessMatching.Glob(pattern, value);
}

using ProcWatch.Events;

namespace ProcWatch.Rules;

/// <summary>A rule as written in the configuration, before it is compiled (<see cref="CompiledRule"/>).</summary>
internal sealed record RuleDefinition
{
    public required string Name { get; init; }
    public RuleSeverity Severity { get; init; } = RuleSeverity.Medium;
    public RuleMatch Match { get; init; } = new();
    public IReadOnlyList<RuleAction> Actions { get; init; } = [new AlertAction()];

    /// <summary>How often this rule may run its <c>exec</c> actions (a burst may use the whole count at once).</summary>
    public RateLimit ExecRateLimit { get; init; } = new(60, TimeSpan.FromMinutes(1));
}

/// <summary>At most <paramref name="Count"/> per <paramref name="Period"/>.</summary>
internal readonly record struct RateLimit(int Count, TimeSpan Period);

/// <summary>
/// What an event must look like for a rule to fire. Every given condition must hold; an
/// absent one is not checked. Conditions on process details need them to be known: an
/// event without the detail does not match.
/// </summary>
internal sealed record RuleMatch
{
    /// <summary>Event kinds the rule looks at (default: exec).</summary>
    public ProcessEventKinds Events { get; init; } = ProcessEventKinds.Exec;

    /// <summary>Glob (<c>*</c>, <c>?</c>) on the executable's absolute path.</summary>
    public string? Executable { get; init; }

    /// <summary>Glob on the process name (comm).</summary>
    public string? Name { get; init; }

    /// <summary><c>/regex/</c> (or <c>/regex/i</c>), else a plain substring, of the command line.</summary>
    public string? Args { get; init; }

    /// <summary>User name, or numeric uid (the effective user).</summary>
    public string? User { get; init; }

    /// <summary>Glob on the parent's executable path.</summary>
    public string? ParentExecutable { get; init; }

    /// <summary>Container name (glob), id, or id prefix of 12+ characters, as <c>--container</c>.</summary>
    public string? Container { get; init; }

    /// <summary>Glob on the container's image name, or on "name:tag".</summary>
    public string? Image { get; init; }

    /// <summary>Glob on the Kubernetes pod's namespace.</summary>
    public string? PodNamespace { get; init; }

    /// <summary>Glob on the Kubernetes pod's name.</summary>
    public string? Pod { get; init; }

    /// <summary>Only entries into a container (true) or only the rest (false).</summary>
    public bool? ContainerEntry { get; init; }

    /// <summary>True when a container condition is given (the container fields must be known).</summary>
    public bool SelectsContainers => Container is not null || Image is not null || PodNamespace is not null || Pod is not null || ContainerEntry is not null;
}

/// <summary>What a rule does when it fires.</summary>
internal abstract record RuleAction;

/// <summary>Write an alert (the event with <c>event.kind: alert</c>, <c>rule.*</c>) to every output.</summary>
internal sealed record AlertAction : RuleAction;

/// <summary>Run a program (argv, never a shell string) with the alert JSON on stdin and PROCWATCH_* variables.</summary>
internal sealed record ExecAction(IReadOnlyList<string> Argv) : RuleAction;

/// <summary>SIGKILL the process (opt-in per rule; logged).</summary>
internal sealed record KillAction : RuleAction;

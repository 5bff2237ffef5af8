using System.Diagnostics;
using ProcWatch.Rules;
using ProcWatch.Text;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Rules firing on an event: count, kill (the event's own process only), alert, queue exec actions.</summary>
internal sealed partial class DaemonService
{
    /// <param name="written">What is written of <paramref name="e"/> (its arguments cut when its user floods).</param>
    private void Evaluate(ProcessEvent e, ProcessEvent written, RuleSet set)
    {
        string? commandLine = null; // joined at most once for all rules
        foreach (int i in set.OwnRulesFor(e.Kind))
        {
            if (set.Rules[i].MatchesProcess(e, ref commandLine))
                Fire(e, written, set, i);
        }
        if (set.SigmaEngines.Length == 0)
            return;
        set.MatchSigma(e, _sigmaFired);
        foreach (int i in _sigmaFired)
            Fire(e, written, set, i);
    }

    /// <summary>What a rule does when it fires, the same for own and Sigma rules: count, kill, alert, queue exec actions.</summary>
    private void Fire(ProcessEvent e, ProcessEvent written, RuleSet set, int i)
    {
        CompiledRule rule = set.Rules[i];
        Metrics!.OnRuleHit(i);
        string? killed = rule.Kill ? Kill(rule, e) : null;
        if (rule.Alert)
        {
            Write(written, killed is null ? set.Alerts[i] : set.Alerts[i] with { ActionResult = killed });
            Metrics.OnAlert();
        }
        if (rule.Exec.Count > 0)
            QueueActions(set, i, rule, e);
    }

    /// <summary>Only the event's own process is ever signalled (see <see cref="ProcessKiller"/>): a pid taken by another since is left alone.</summary>
    /// <returns>What happened, for the alert's <c>procwatch.action.result</c>.</returns>
    private string Kill(CompiledRule rule, ProcessEvent e)
    {
        (KillOutcome outcome, int errno) = _killer.Kill(e);
        switch (outcome)
        {
            case KillOutcome.Killed:
                Metrics!.OnKill(true);
                DaemonLog.Killed(_log, rule.Name, e.Pid, Describe(e));
                return "killed";
            case KillOutcome.Gone:
                Metrics!.OnKillGone();
                DaemonLog.KillGone(_log, rule.Name, e.Pid, Describe(e));
                return "not killed: already exited";
            case KillOutcome.Unverified:
                Metrics!.OnKillUncertain();
                DaemonLog.KillUnverified(_log, rule.Name, e.Pid, Describe(e));
                return "not killed: identity not certain";
            case KillOutcome.Refused:
                Metrics!.OnKill(false);
                DaemonLog.KillFailed(_log, rule.Name, e.Pid, Describe(e), errno);
                return "not killed: refused";
            default:
                Metrics!.OnKill(false);
                DaemonLog.KillFailed(_log, rule.Name, e.Pid, Describe(e), errno);
                return $"not killed: errno {errno}";
        }
    }

    private void QueueActions(RuleSet set, int index, CompiledRule rule, ProcessEvent e)
    {
        byte[]? document = null;
        IReadOnlyList<KeyValuePair<string, string>>? environment = null;
        foreach (ExecAction exec in rule.Exec)
        {
            if (!rule.TryTakeExecBudget(Stopwatch.GetTimestamp()))
            {
                _actions!.Counters.OnRateLimited();
                if (!set.RateLimitLogged[index])
                {
                    set.RateLimitLogged[index] = true;
                    DaemonLog.RateLimited(_log, rule.Name);
                }
                continue;
            }
            set.RateLimitLogged[index] = false;
            if (document is null)
            {
                _line.ResetWrittenCount();
                _formatter.WriteAlert(e, set.Alerts[index], _line);
                document = _line.WrittenSpan.ToArray();
                environment = ActionEnvironment.Build(e, rule);
            }
            if (!_actions!.TryEnqueue(new ActionRequest(rule.Name, exec.Argv, document, environment!)))
                DaemonLog.ActionQueueFull(_log, rule.Name);
        }
    }

    private void OnActionFinished(ActionRequest request, ActionResult result, string detail)
    {
        if (result == ActionResult.Succeeded)
            DaemonLog.ActionSucceeded(_log, request.RuleName, request.Argv[0], detail);
        else
            DaemonLog.ActionFailed(_log, request.RuleName, request.Argv[0], result switch
            {
                ActionResult.TimedOut => "timed out",
                ActionResult.CouldNotStart => "could not start",
                _ => "failed",
            }, detail);
    }

    private static string Describe(ProcessEvent e)
    {
        ProcessInfo? p = e.Process;
        string text = p?.Args is { Count: > 0 } args ? CommandLine.Join(args) : p?.Executable ?? p?.Name ?? "?";
        return TerminalText.Escape(text);
    }
}

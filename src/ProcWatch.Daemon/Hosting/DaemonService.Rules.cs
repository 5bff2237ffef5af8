using System.Diagnostics;
using ProcWatch.Rules;
using ProcWatch.Text;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Rules firing on an event: count, kill (the event's own process only), alert, queue exec actions.</summary>
internal sealed partial class DaemonService
{
    private void Evaluate(ProcessEvent e, RuleSet set)
    {
        string? commandLine = null; // joined at most once for all rules
        foreach (int i in set.OwnRulesFor(e.Kind))
        {
            if (set.Rules[i].MatchesProcess(e, ref commandLine))
                Fire(e, set, i);
        }
        if (set.SigmaEngines.Length == 0)
            return;
        set.MatchSigma(e, _sigmaFired);
        foreach (int i in _sigmaFired)
            Fire(e, set, i);
    }

    /// <summary>What a rule does when it fires, the same for own and Sigma rules: count, kill, alert, queue exec actions.</summary>
    private void Fire(ProcessEvent e, RuleSet set, int i)
    {
        CompiledRule rule = set.Rules[i];
        Metrics!.OnRuleHit(i);
        if (rule.Kill)
            Kill(rule, e);
        if (rule.Alert)
        {
            Write(e, set.Alerts[i]);
            Metrics.OnAlert();
        }
        if (rule.Exec.Count > 0)
            QueueActions(set, i, rule, e);
    }

    /// <summary>Only the event's own process is ever signalled (see <see cref="ProcessKiller"/>): a pid taken by another since is left alone.</summary>
    private void Kill(CompiledRule rule, ProcessEvent e)
    {
        (KillOutcome outcome, int errno) = _killer.Kill(e.Pid, e.KernelTimeNs);
        switch (outcome)
        {
            case KillOutcome.Killed:
                Metrics!.OnKill(true);
                DaemonLog.Killed(_log, rule.Name, e.Pid, Describe(e));
                break;
            case KillOutcome.Gone:
                Metrics!.OnKillGone();
                DaemonLog.KillGone(_log, rule.Name, e.Pid, Describe(e));
                break;
            case KillOutcome.Unverified:
                Metrics!.OnKill(false);
                DaemonLog.KillUnverified(_log, rule.Name, e.Pid, Describe(e));
                break;
            default:
                Metrics!.OnKill(false);
                DaemonLog.KillFailed(_log, rule.Name, e.Pid, Describe(e), errno);
                break;
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

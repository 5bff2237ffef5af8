using System.Globalization;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Kernel.Enforcement;
using ProcWatch.Rules;

namespace ProcWatch.Daemon.Hosting;

/// <summary>Deny rules: the start line's level, SIGHUP's atomic swap, the action programs never denied.</summary>
internal sealed partial class DaemonService
{
    /// <summary>"none", or "2 rule(s) by signal (tp_btf)".</summary>
    private string DenySummary()
    {
        if (_watcher?.Enforcer is not { } enforcer)
            return "none";
        return string.Create(CultureInfo.InvariantCulture,
            $"{enforcer.Policy.Rules.Count} rule(s) by {DenyLevels.Name(enforcer.Level)}{(enforcer.AttachMode is { } mode ? " (" + mode + ")" : "")}");
    }

    /// <summary>SIGHUP: the new deny rules replace the old in one step; false (logged) when they cannot.</summary>
    private bool ReloadDenyRules(IReadOnlyList<DenyRule> rules)
    {
        if (_watcher?.Enforcer is not { } enforcer)
        {
            if (rules.Count > 0)
                DaemonLog.ReloadFailed(_log, "deny rules were added; they take effect at the next start (the daemon started without any)", _ruleSet.Rules.Length);
            return rules.Count == 0;
        }
        try
        {
            enforcer.Reload(rules);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException)
        {
            DaemonLog.ReloadFailed(_log, ex.Message, _ruleSet.Rules.Length);
            return false;
        }
        return true;
    }

    /// <summary>The programs of exec actions: a deny rule never stops the daemon's own response.</summary>
    private static List<string> ActionPrograms(DaemonConfig config)
    {
        var programs = new List<string>();
        foreach (RuleDefinition rule in config.Rules)
        {
            foreach (RuleAction action in rule.Actions)
            {
                if (action is ExecAction exec && exec.Argv.Count > 0)
                    programs.Add(exec.Argv[0]);
            }
        }
        foreach (SigmaSource sigma in config.Sigma)
        {
            foreach (RuleAction action in sigma.Actions)
            {
                if (action is ExecAction exec && exec.Argv.Count > 0)
                    programs.Add(exec.Argv[0]);
            }
        }
        return programs;
    }
}

using System.Text.Json;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// A rule on an event kind the daemon does not record (`events:`) subscribes that kind itself:
/// it fires, `--check-config` has nothing to say about it, and the kind stays unrecorded.
/// </summary>
public sealed class RuleEventSubscriptionTests
{
    [Fact]
    public void A_fork_rule_fires_when_fork_is_not_recorded_and_check_config_is_silent_about_it()
    {
        using var dir = new TempDir();
        // A private copy of sh: its path is unique to this test, so only our processes match.
        string marker = dir.File("pw-fork-marker-" + Guid.NewGuid().ToString("N")[..8]);
        File.Copy("/bin/sh", marker);
        File.SetUnixFileMode(marker, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        string config = dir.Write("config.yaml", $$"""
            events: [exec, exit]
            outputs:
              - type: file
                path: {{dir.File("events.json")}}
            health:
              socket: {{dir.File("status.sock")}}
              interval: 0
            rules:
              - name: marker-forked
                match:
                  event: fork
                  executable: "*/{{Path.GetFileName(marker)}}"
            """);

        (int checkCode, string checkOut, string checkErr) = Cli.Run("daemon", "--check-config", "--config", config);
        Assert.Equal(0, checkCode);
        Assert.Equal($"procwatch: {config}: valid (1 output(s), 1 rule(s))", checkOut.Trim());
        Assert.Equal("", checkErr);

        using var daemon = DaemonUnderTest.Start(config);
        // The shell forks a child for the command in the subshell (it cannot exec in place).
        (int pid, int code) = Spawn.Run(marker, ["-c", "(/bin/true); /bin/true"]);
        Assert.Equal(0, code);

        List<JsonElement> alerts = [];
        Poll.Until(() =>
        {
            alerts = [.. EventFiles.Lines(dir.Path).Select(EventFiles.Parse)
                .Where(e => e.Str("event.kind") == "alert" && e.Str("rule.name") == "marker-forked")];
            return alerts.Any(a => a.Str("process.parent.pid") == pid.ToString());
        }, TimeSpan.FromSeconds(20), () => $"no fork alert for a child of {pid}; stderr:\n{daemon.Stderr}");

        JsonElement alert = alerts.First(a => a.Str("process.parent.pid") == pid.ToString());
        Assert.Equal("fork", alert.Str("event.action"));
        Assert.Equal(marker, alert.Str("process.executable"));
        // Subscribed for the rule, still not recorded: no fork event line, only the alert.
        Assert.DoesNotContain(EventFiles.Lines(dir.Path).Select(EventFiles.Parse),
            e => e.Str("event.kind") == "event" && e.Str("event.action") == "fork");
    }
}

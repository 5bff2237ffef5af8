using ProcWatch.Tests.Helpers;
using System.Text.Json;
using Xunit;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Sigma;

/// <summary>
/// Real commands on the real kernel against rule files of the test's own: the CLI with
/// <c>--sigma</c> and the daemon with <c>sigma:</c> / <c>filters:</c>. Every assertion looks
/// only at processes carrying this test's unique tag.
/// </summary>
[Collection("daemon")]
public sealed class SigmaIntegrationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60); // the daemon records the whole loaded machine: it can lag by many seconds

    private static string MarkerRule(string tag) => $"""
        title: Marker true run by our script
        id: 7d1a3f00-0000-4000-8000-{tag}0000
        description: /bin/true with the test's tag, started by the tagged script
        references:
            - https://example.com/procwatch-sigma-test
        tags:
            - attack.execution
            - attack.t1059.004
        logsource:
            product: linux
            category: process_creation
        detection:
            selection:
                Image|endswith: '/true'
                CommandLine|contains: 'pw-sigma-{tag}'
            parent:
                ParentCommandLine|contains|all:
                    - '-c'
                    - 'pw-sigma-{tag}'
            condition: selection and parent
        level: high
        """;

    private static string EchoRule(string tag) => $"""
        title: Marker echo (regex)
        logsource:
            product: linux
            category: process_creation
        detection:
            sel:
                Image|endswith: /echo
                CommandLine|re: 'pw-sigma-{tag}-[e]cho$'
            condition: sel
        level: low
        """;

    private static string BackupFilter(string tag) => $"""
        title: The backup run is fine
        logsource:
            product: linux
            category: process_creation
        filter:
            rules:
                - 7d1a3f00-0000-4000-8000-{tag}0000
            selection:
                CommandLine|endswith: '-backup'
            condition: not selection
        """;

    [KernelFact]
    public void The_cli_alerts_on_real_execs_with_the_rule_fields_and_survives_a_broken_rule()
    {
        using var dir = new TempDir();
        string tag = Guid.NewGuid().ToString("N")[..8];
        string rules = Directory.CreateDirectory(dir.File("rules")).FullName;
        File.WriteAllText(Path.Combine(rules, "marker.yml"), MarkerRule(tag));
        File.WriteAllText(Path.Combine(rules, "broken.yml"), "title: [unclosed\n");
        File.WriteAllText(Path.Combine(rules, "windows.yml"), EchoRule(tag).Replace("product: linux", "product: windows"));
        string echoRule = dir.Write("echo.yml", EchoRule(tag));
        File.WriteAllText(Path.Combine(rules, "filter.yml"), BackupFilter(tag));

        string script = $"/bin/true pw-sigma-{tag}; /bin/echo pw-sigma-{tag}-echo >/dev/null; /bin/true pw-sigma-{tag}-backup; /bin/true unrelated; :";
        (int code, string stdout, string stderr) = CliRunner.Run("--sigma", rules, "--sigma", echoRule, "-f", "json", "--", "/bin/sh", "-c", script);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("2 Sigma rule(s) loaded", stderr);
        Assert.Contains("1 invalid", stderr);
        Assert.Contains("1 of other log sources skipped", stderr);
        List<JsonElement> lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(EventFiles.Parse).ToList();
        List<JsonElement> alerts = lines.Where(e => e.Str("event.kind") == "alert").ToList();
        Assert.True(alerts.Count == 2, $"alerts: {string.Join("\n", alerts)}\nstderr: {stderr}");

        JsonElement marker = Assert.Single(alerts, a => a.Str("rule.ruleset") == "sigma" && a.Str("rule.name") == "Marker true run by our script");
        Assert.Equal($"7d1a3f00-0000-4000-8000-{tag}0000", marker.Str("rule.id"));
        Assert.Equal("/bin/true with the test's tag, started by the tagged script", marker.Str("rule.description"));
        Assert.Equal("https://example.com/procwatch-sigma-test", marker.At("rule.reference")[0].GetString());
        Assert.Equal("high", marker.Str("rule.severity"));
        Assert.Equal("73", marker.Str("event.severity"));
        Assert.Equal("T1059.004", marker.At("threat.technique.id")[0].GetString());
        Assert.Equal("exec", marker.Str("event.action"));
        Assert.Equal(["/bin/true", $"pw-sigma-{tag}"], marker.Args());
        Assert.EndsWith("/true", marker.Str("process.executable"));
        Assert.Equal(["/bin/sh", "-c", script], marker.At("process.parent.args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        // The alert follows its exec event, for the same process.
        JsonElement exec = Assert.Single(lines, e => e.Str("event.kind") == "event" && e.Str("event.action") == "exec" && e.Args() is [_, var a] && a == $"pw-sigma-{tag}");
        Assert.Equal(exec.Str("process.pid"), marker.Str("process.pid"));

        JsonElement echo = Assert.Single(alerts, a => a.Str("rule.name") == "Marker echo (regex)");
        Assert.Equal("low", echo.Str("rule.severity"));
        Assert.Null(echo.Str("rule.id"));
        Assert.Equal(["/bin/echo", $"pw-sigma-{tag}-echo"], echo.Args());
    }

    [KernelFact]
    public void The_table_view_shows_an_alert_as_one_line()
    {
        using var dir = new TempDir();
        string tag = Guid.NewGuid().ToString("N")[..8];
        string rule = dir.Write("marker.yml", MarkerRule(tag));
        (int code, string stdout, string stderr) = CliRunner.Run("--sigma", rule, "-f", "table", "--", "/bin/sh", "-c", $"/bin/true pw-sigma-{tag}; :");
        Assert.True(code == 0, stderr);
        string line = Assert.Single(stdout.Split('\n'), l => l.Contains(" ALERT ", StringComparison.Ordinal));
        Assert.Contains($"sigma high: Marker true run by our script [T1059.004]: /bin/true pw-sigma-{tag}", line);
    }

    [KernelFact]
    public void The_daemon_alerts_to_its_outputs_applies_filters_and_reloads_rules_on_sighup()
    {
        using var dir = new TempDir();
        string tag = Guid.NewGuid().ToString("N")[..8];
        string rules = Directory.CreateDirectory(dir.File("sigma")).FullName;
        string filters = Directory.CreateDirectory(dir.File("filters")).FullName;
        File.WriteAllText(Path.Combine(rules, "marker.yml"), MarkerRule(tag));
        File.WriteAllText(Path.Combine(filters, "backup.yml"), BackupFilter(tag));
        string config = dir.Write("config.yaml", $"""
            events: [exec]
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            sigma:
              - {rules}
            filters:
              - {filters}
            """);
        using var daemon = DaemonUnderTest.Start(config);
        daemon.WaitForStderr("1 Sigma rule(s) loaded", Deadline);

        string script = $"/bin/true pw-sigma-{tag}; /bin/true pw-sigma-{tag}-backup; /bin/echo pw-sigma-{tag}-echo >/dev/null; :";
        (int shPid, int code) = Spawn.Run("/bin/sh", ["-c", script]);
        Assert.Equal(0, code);
        List<JsonElement> alerts = [];
        Poll.Until(() =>
        {
            alerts = AlertsOf(dir, tag);
            return alerts.Count >= 1;
        }, Deadline, () => $"no Sigma alert; stderr:\n{daemon.Stderr}");
        Thread.Sleep(500); // a wrong second alert (the filtered backup run) would show up by now
        JsonElement alert = Assert.Single(AlertsOf(dir, tag));
        Assert.Equal(["/bin/true", $"pw-sigma-{tag}"], alert.Args());
        Assert.Equal("sigma", alert.Str("rule.ruleset"));
        Assert.Equal(shPid.ToString(), alert.Str("process.parent.pid"));

        // A new rule, then SIGHUP: it is in force without a restart.
        File.WriteAllText(Path.Combine(rules, "echo.yml"), EchoRule(tag));
        daemon.Signal(DaemonUnderTest.SIGHUP);
        daemon.WaitForStderr("2 Sigma rule(s) loaded", Deadline);
        Spawn.Run("/bin/sh", ["-c", script]);
        Poll.Until(() => AlertsOf(dir, tag).Any(a => a.Str("rule.name") == "Marker echo (regex)"), Deadline,
            () => $"the reloaded rule did not alert; stderr:\n{daemon.Stderr}");
    }

    [KernelFact]
    public void Sigma_check_lists_every_rule_and_exits_1_when_some_do_not_load()
    {
        using var dir = new TempDir();
        string tag = Guid.NewGuid().ToString("N")[..8];
        dir.Write("good.yml", MarkerRule(tag));
        (int code, string stdout, _) = CliRunner.Run("sigma", "check", dir.Path);
        Assert.Equal(0, code);
        Assert.Contains($"ok          {dir.File("good.yml")}: Marker true run by our script", stdout);
        dir.Write("hash.yml", MarkerRule(tag).Replace("CommandLine|contains:", "md5|contains:"));
        (code, stdout, _) = CliRunner.Run("sigma", "check", "-q", dir.Path);
        Assert.Equal(1, code);
        Assert.Contains($"unsupported {dir.File("hash.yml")}:15: Marker true run by our script: field 'md5': ProcWatch computes SHA-256 only (match it with Hashes: 'SHA256=...' or sha256)", stdout);
        Assert.DoesNotContain("ok ", stdout);
        Assert.Contains("1 Sigma rule(s) loaded from 2 file(s) (1 unsupported, 0 invalid", stdout);
        (code, _, string stderr) = CliRunner.Run("sigma", "check", dir.File("nope"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);
    }

    private static List<JsonElement> AlertsOf(TempDir dir, string tag) =>
        EventFiles.Lines(dir.Path).Select(EventFiles.Parse)
            .Where(e => e.Str("event.kind") == "alert" && e.Args().Any(a => a.Contains(tag, StringComparison.Ordinal)))
            .ToList();
}

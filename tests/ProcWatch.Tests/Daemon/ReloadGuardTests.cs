using System.Text.Json;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// Issue 20, H10: a SIGHUP after the configuration was truncated (<c>: &gt; procwatch.yaml</c>)
/// or rewritten without its rules keeps the running rules armed, with a warning; only an
/// explicit <c>rules: []</c> disarms them.
/// </summary>
public sealed class ReloadGuardTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string Config(TempDir dir, string rules) => $"""
        events: [exec, exit]
        outputs:
          - type: file
            path: {dir.File("events.json")}
        health:
          socket: {dir.File("status.sock")}
          interval: 0
        {rules}
        """;

    private static string Marked(TempDir dir)
    {
        string program = dir.File("marked-" + Guid.NewGuid().ToString("N")[..6]);
        File.Copy("/bin/true", program);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return program;
    }

    private static string Rule(string program) => $"""
        rules:
          - name: marked
            match:
              executable: "*/{Path.GetFileName(program)}"
            actions: [alert]
        """;

    /// <summary>Runs <paramref name="program"/> and returns whether its exec raised the rule's alert.</summary>
    private static bool Alerts(TempDir dir, DaemonUnderTest daemon, string program)
    {
        int pid = Spawn.Run(program, []).Pid;
        var mine = new HashSet<int> { pid };
        // By pid and program: on a busy machine the pid may have been another process's earlier.
        IEnumerable<JsonElement> Runs() => EventFiles.ForPids(EventFiles.Lines(dir.Path), mine).Where(e => e.Str("process.executable") == program);
        Poll.Until(() => Runs().Any(e => e.Str("event.action") == "exit"), Deadline,
            () => $"no exit of {pid}; stderr:\n{daemon.Stderr}");
        return Runs().Any(e => e.Str("event.kind") == "alert" && e.Str("rule.name") == "marked");
    }

    [KernelFact]
    public void H10_a_truncated_configuration_keeps_every_rule_with_a_warning()
    {
        using var dir = new TempDir();
        string program = Marked(dir);
        string config = dir.Write("config.yaml", Config(dir, Rule(program)));
        using var daemon = DaemonUnderTest.Start(config);
        Assert.True(Alerts(dir, daemon, program));

        File.WriteAllText(config, ""); // `: > procwatch.yaml`
        daemon.Signal(DaemonUnderTest.SIGHUP);
        daemon.WaitForStderr($"warn: SIGHUP: {config} is empty; nothing reloaded, the 1 running rule(s) stay", Deadline);

        Assert.True(Alerts(dir, daemon, program), "the rule was disarmed by an empty file");
        Assert.DoesNotContain("0 rule(s) loaded", daemon.Stderr);
    }

    [KernelFact]
    public void H10_a_configuration_without_rules_keeps_them_unless_it_says_rules_empty()
    {
        using var dir = new TempDir();
        string program = Marked(dir);
        string config = dir.Write("config.yaml", Config(dir, Rule(program)));
        using var daemon = DaemonUnderTest.Start(config);

        File.WriteAllText(config, Config(dir, "")); // rewritten by a tool that lost the rules
        daemon.Signal(DaemonUnderTest.SIGHUP);
        daemon.WaitForStderr($"SIGHUP: {config} has no rules; the 1 running rule(s) stay (to remove every rule, say so: rules: [])", Deadline);
        Assert.True(Alerts(dir, daemon, program), "the rule was disarmed by a rule-less file");

        File.WriteAllText(config, Config(dir, "rules: []"));
        daemon.Signal(DaemonUnderTest.SIGHUP);
        daemon.WaitForStderr("SIGHUP: 0 rule(s) loaded", Deadline);
        Assert.False(Alerts(dir, daemon, program), "rules: [] said to disarm");
    }
}

using System.Text.Json;
using ProcWatch.Interop;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Kernel.Enforcement;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Daemon;

/// <summary>The daemon's <c>deny:</c> section on the real kernel: enforced, written to the outputs, gone with the daemon.</summary>
[Collection(DenyCollection.Name)]
public sealed class DenyDaemonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string Config(TempDir dir, DenyPlayground play, string mode = "enforce") => $"""
        events: [exec, exit]
        outputs:
          - type: file
            path: {dir.File("events.json")}
        health:
          socket: {dir.File("status.sock")}
          interval: 0
        deny:
          mode: {mode}
          rules:
            - name: test-deny-dir
              directories: [{play.Denied}]
        """;

    [KernelFact]
    public void Denials_AreEventsInTheOutputs_WithTheirContext_AndAfterTheDaemonIsKilledTheProgramRunsAgain()
    {
        using var play = new DenyPlayground();
        using var dir = new TempDir();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, play)));
        output.WriteLine(daemon.Stderr);
        Assert.Matches("deny 1 rule\\(s\\) by (lsm|fanotify|signal)", daemon.Stderr);

        DenyStormResult storm = DenyStormResult.Run(50, prog);
        output.WriteLine(storm.Line);
        Assert.Equal(0, storm.Ran);
        Assert.Equal(50, storm.Eperm + storm.Killed);
        bool eperm = daemon.Stderr.Contains("by lsm", StringComparison.Ordinal) || daemon.Stderr.Contains("by fanotify", StringComparison.Ordinal);
        Assert.Equal(50, eperm ? storm.Eperm : storm.Killed);

        List<JsonElement> denials = [];
        Poll.Until(() =>
        {
            denials = EventFiles.Lines(dir.Path).Select(EventFiles.Parse).Where(e => e.Str("event.action") == "denied").ToList();
            return denials.Count >= 50;
        }, Deadline, () => $"{denials.Count} of 50 denials written; stderr:\n{daemon.Stderr}");
        Assert.Equal(50, denials.Count);
        JsonElement d = denials[0];
        Assert.Equal(["start", "denied"], d.At("event.type").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal("failure", d.Str("event.outcome"));
        Assert.Equal("test-deny-dir", d.Str("rule.name"));
        Assert.Equal(prog, d.Str("process.executable"));
        Assert.Equal([prog, "deny-storm"], d.Args());
        Assert.Equal(Environment.CurrentDirectory, d.Str("process.working_directory"));
        Assert.Equal("0", d.Str("process.user.id"));
        Assert.NotNull(d.Str("process.parent.pid"));
        Assert.Equal("enforce", d.Str("procwatch.deny.mode"));

        // Metrics count denials per rule, and name the level.
        (int code, string metrics, string err) = ProcWatch.Tests.Daemon.Cli.Run("status", "--socket", dir.File("status.sock"), "--raw");
        Assert.True(code == 0, err);
        Assert.Contains("procwatch_denials_total{rule=\"test-deny-dir\"} 50", metrics, StringComparison.Ordinal);
        Assert.Matches("procwatch_deny_level\\{level=\"(lsm|fanotify|signal)\"\\} 1", metrics);
        Assert.Contains("procwatch_deny_kernel_total{what=\"denied\"}", metrics, StringComparison.Ordinal);
        if (daemon.Stderr.Contains("by fanotify", StringComparison.Ordinal))
        {
            Assert.Contains("procwatch_deny_fanotify_total{what=\"denied\"} 50", metrics, StringComparison.Ordinal);
            Assert.Contains("procwatch_deny_fanotify_hash_total{what=\"over_budget\"} 0", metrics, StringComparison.Ordinal); // no sha256 rule: nothing hashed
        }

        Assert.Equal(0, Libc.Kill(daemon.Pid, 9));
        daemon.WaitForExit(Deadline);
        Assert.Equal(5, DenyStormResult.Run(5, prog).Ran);
    }

    [KernelFact]
    public void AuditMode_LetsEveryAttemptRun_AndWritesEachAsAllowedWouldDeny()
    {
        using var play = new DenyPlayground();
        using var dir = new TempDir();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", Config(dir, play, mode: "audit")));

        Assert.Equal(20, DenyStormResult.Run(20, prog).Ran);
        List<JsonElement> audits = [];
        Poll.Until(() =>
        {
            audits = EventFiles.Lines(dir.Path).Select(EventFiles.Parse).Where(e => e.Str("event.action") == "denied").ToList();
            return audits.Count >= 20;
        }, Deadline, () => $"{audits.Count} of 20 audit events written; stderr:\n{daemon.Stderr}");
        Assert.All(audits, a =>
        {
            Assert.Equal("success", a.Str("event.outcome"));
            Assert.Equal("audit", a.Str("procwatch.deny.mode"));
            Assert.True(a.At("procwatch.deny.would_deny").GetBoolean());
        });
    }

    [Fact]
    public void ADenyRuleOnArguments_IsAConfigErrorThatSaysWhy()
    {
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            outputs:
              - type: file
                path: {dir.File("events.json")}
            deny:
              rules:
                - name: no-curl-pipe
                  args: "| sh"
            """);
        (int code, _, string stderr) = ProcWatch.Tests.Daemon.Cli.Run("daemon", "--config", config, "--check-config");
        Assert.NotEqual(0, code);
        Assert.Contains("judged in the kernel at exec", stderr, StringComparison.Ordinal);
    }
}

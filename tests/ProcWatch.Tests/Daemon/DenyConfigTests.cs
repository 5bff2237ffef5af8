using System.Text.Json;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Tests.Kernel.Enforcement;
using Xunit;
using static ProcWatch.Tests.Output.JsonTestHelpers;

namespace ProcWatch.Tests.Daemon;

/// <summary>The daemon's <c>deny:</c> section, and a denial's ECS line.</summary>
public sealed class DenyConfigTests
{
    [Fact]
    public void TheDenySection_ReadsEveryCondition_AndTheSectionModeIsEachRulesDefault()
    {
        using var play = new DenyPlayground();
        string prog = play.Program(Path.Combine(play.Denied, "prog"));
        string sha = new('a', 64);
        DaemonConfig config = ConfigLoader.Parse($"""
            deny:
              mode: audit
              rules:
                - name: dirs
                  directories: [{play.Denied}, {play.Allowed}]
                - name: one
                  executable: {prog}
                  mode: enforce
                  user: root
                  parent_executable: {prog}
                - name: mem
                  fileless: true
                  sha256: [{sha}]
                  allow_critical: false
            """, "deny.yaml");
        Assert.Equal(3, config.DenyRules.Count);
        Assert.Equal([play.Denied, play.Allowed], config.DenyRules[0].Directories);
        Assert.True(config.DenyRules[0].Audit);
        Assert.False(config.DenyRules[1].Audit);
        Assert.Equal([prog], config.DenyRules[1].Executables);
        Assert.Equal("root", config.DenyRules[1].User);
        Assert.Equal(prog, config.DenyRules[1].ParentExecutable);
        Assert.True(config.DenyRules[2].Fileless);
        Assert.Equal([sha], config.DenyRules[2].Sha256);
    }

    [Theory]
    [InlineData("args: \"| sh\"", "judged in the kernel at exec")]
    [InlineData("executables: [/nonexistent/pw-deny-test]", "does not exist")]
    [InlineData("directories: [relative/dir]", "not an absolute path")]
    [InlineData("sha256: [abc]", "64 hexadecimal digits")]
    [InlineData("mode: block", "unknown deny mode 'block'")]
    [InlineData("colour: red", "unknown key 'colour' in a deny rule")]
    [InlineData("user: 65534", "names no executable")]
    [InlineData("directories: [/usr/bin]", "add allow_critical: true")]
    [InlineData("directories: [/]", "would deny")]
    public void AnInvalidOrUnsafeDenyRule_IsAConfigErrorOnItsLine(string condition, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"""
            deny:
              rules:
                - name: bad
                  {condition}
            """, "deny.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("line ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DenyAsAPostExecAction_PointsToTheDenySection()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            rules:
              - name: r
                match: { executable: /usr/bin/nc }
                actions: [deny]
            """, "deny.yaml"));
        Assert.Contains("put the rule under deny:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADenial_IsAFailedStart_WithTheRule_AndAnAuditIsAnAllowedOne()
    {
        var process = new ProcessInfo
        {
            Pid = 10, Executable = "/tmp/x/payload", Args = ["/tmp/x/payload", "-c"], WorkingDirectory = "/home/a",
            User = new IdName(1000, "ana"), ArgvSource = ArgvSource.Ebpf,
        };
        var denied = new DeniedEvent
        {
            KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = 10, Tid = 11, Origin = EventOrigin.Ebpf, Process = process,
            RuleName = "no-tmp", Audit = false, Level = EnforcementLevel.Lsm, Filename = "./payload",
        };
        JsonElement j = Parse(Format(denied));
        Assert.Equal(["start", "denied"], j.At("event.type").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal("denied", j.At("event.action").GetString());
        Assert.Equal("failure", j.At("event.outcome").GetString());
        Assert.Equal("no-tmp", j.At("rule.name").GetString());
        Assert.Equal("/tmp/x/payload", j.At("process.executable").GetString());
        Assert.Equal("-c", j.At("process.args")[1].GetString());
        Assert.Equal("/home/a", j.At("process.working_directory").GetString());
        Assert.Equal("lsm", j.At("procwatch.deny.level").GetString());
        Assert.Equal("enforce", j.At("procwatch.deny.mode").GetString());
        Assert.Equal("./payload", j.At("procwatch.deny.filename").GetString());

        JsonElement audit = Parse(Format(denied with { Audit = true }));
        Assert.Equal("allowed", audit.At("event.type")[1].GetString());
        Assert.Equal("success", audit.At("event.outcome").GetString());
        Assert.True(audit.At("procwatch.deny.would_deny").GetBoolean());
    }
}

using System.Text.Json;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Daemon;

/// <summary>The real daemon records failed execs when listed, and its rules match them (<c>event: execfail</c>).</summary>
[Collection("daemon")]
public sealed class ExecFailureDaemonTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [KernelFact]
    public void A_rule_on_a_probed_path_alerts_with_the_error_and_the_argv_tried()
    {
        using var dir = new TempDir();
        string token = "PROBE" + Guid.NewGuid().ToString("N")[..8];
        string probed = Path.Combine(dir.Path, "probe-" + token);
        string config = $"""
            events: [exec, exit, execfail]
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            rules:
              - name: probing-for-a-dropper
                severity: high
                match:
                  event: execfail
                  executable: "{dir.Path}/probe-*"
                actions: [alert]
            """;
        using var daemon = DaemonUnderTest.Start(dir.Write("config.yaml", config));

        string helper = NativeHelpers.Build("exec_fail.c");
        (int pid, int code) = Spawn.Run(helper, ["once", probed, token, "\u001b[2J"]);
        Assert.Equal(0, code);

        List<JsonElement> mine = [];
        Poll.Until(() =>
        {
            mine = EventFiles.ForPids(EventFiles.Lines(dir.Path), new HashSet<int> { pid });
            return mine.Any(e => e.Str("event.kind") == "alert") && mine.Any(e => e.Str("event.kind") == "event" && e.Str("event.action") == "execfail");
        }, Deadline, () => $"no execfail event and alert for pid {pid}; stderr:\n{daemon.Stderr}");

        JsonElement alert = Assert.Single(mine, e => e.Str("event.kind") == "alert");
        Assert.Equal("probing-for-a-dropper", alert.Str("rule.name"));
        Assert.Equal("execfail", alert.Str("event.action"));
        Assert.Equal("failure", alert.Str("event.outcome"));
        Assert.Equal("ENOENT", alert.Str("error.code"));
        Assert.Equal(probed, alert.Str("process.executable"));
        Assert.Equal([probed, token, "\u001b[2J"], alert.Args());
        JsonElement recorded = Assert.Single(mine, e => e.Str("event.kind") == "event" && e.Str("event.action") == "execfail");
        Assert.Equal(probed, recorded.Str("procwatch.exec_failure.filename"));
    }
}

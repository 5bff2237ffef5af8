using ProcWatch.Tests.Helpers;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// B1 end to end: a rule kills `KILLME` processes; each one exits at once and its pid is
/// taken (ns_last_pid) by an innocent `sleep 0.2`. No sleep may ever be signalled, and the
/// log must say the matching process was gone, naming it.
/// </summary>
[Collection("daemon")]
public sealed class KillPidReuseTests(ITestOutputHelper output)
{
    [KernelFact]
    public void A_reused_pid_is_never_killed_and_the_kill_is_reported_gone()
    {
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            events: [exec, exit]
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            rules:
              - name: killme
                match: {"{"}args: "KILLME"{"}"}
                actions: [alert, kill]
            """);
        using var daemon = DaemonUnderTest.Start(config);
        string results = dir.File("results");
        // The shell forks nothing between writing ns_last_pid and starting the sleep.
        string script = $$"""
            for i in $(seq 150); do
              /bin/true KILLME & p=$!; wait $p
              echo $((p - 1)) > /proc/sys/kernel/ns_last_pid
              /bin/sleep 0.2 & q=$!
              echo "$p $q" >> {{dir.File("pairs")}}
            done
            for q in $(cut -d' ' -f2 {{dir.File("pairs")}}); do wait $q; echo "$q $?" >> {{results}}; done
            /bin/sh -c 'sleep 5' KILLME; echo "victim $?" >> {{results}}
            """;
        // From a file: a script on the command line would hold KILLME in its own argv.
        Assert.Equal(0, Spawn.Run("/bin/bash", [dir.Write("reuse.sh", script)]).ExitCode);

        var status = File.ReadAllLines(results).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => int.Parse(f[1], CultureInfo.InvariantCulture));
        var reused = File.ReadAllLines(dir.File("pairs")).Select(l => l.Split(' ')).Where(f => f[0] == f[1]).Select(f => f[1]).ToList();
        int killedInnocents = reused.Count(q => status[q] != 0);
        string stderr = daemon.Stderr;
        int gone = stderr.Split('\n').Count(l => l.Contains("rule killme: pid ", StringComparison.Ordinal)
            && l.Contains("(/bin/true KILLME) had already exited", StringComparison.Ordinal));
        output.WriteLine($"{reused.Count}/150 pids reused; innocent sleeps killed: {killedInnocents}; 'already exited' lines: {gone}");

        Assert.True(reused.Count >= 100, $"pid reuse forced only {reused.Count} times");
        Assert.Equal(0, killedInnocents);
        Assert.Equal(137, status["victim"]); // a matching process that is still there is killed
        Assert.DoesNotContain("(/bin/sleep", stderr, StringComparison.Ordinal);
        if (!stderr.Contains("eBPF exec capture unavailable", StringComparison.Ordinal))
            Assert.True(gone >= reused.Count / 2, $"only {gone} kills reported the process gone:\n{stderr}");
    }
}

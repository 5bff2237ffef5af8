using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;
using ProcWatch.Tests.Integration;

namespace ProcWatch.Tests.Daemon;

/// <summary>
/// H5 (issue 20) on every backend: a rule kills `pwkillme` processes; each one exits at once and
/// its pid is taken, through ns_last_pid, by an innocent forked right after (within the same
/// 10 ms clock tick, which is all the procfs backend's start time can tell apart). No innocent
/// may ever be signalled; a matching process that still runs is killed.
/// </summary>
[Collection(Helpers.PidReuseCollection.Name)] // writes ns_last_pid: alone, see there
public sealed class KillIdentityTests(ITestOutputHelper output)
{
    [KernelTheory]
    [InlineData("procfs", 900)]
    [InlineData("procfs-in-a-network-namespace", 900)]
    [InlineData("connector", 300)]
    [InlineData("ebpf", 300)]
    public void An_innocent_on_a_reused_pid_is_never_killed(string backend, int iterations)
    {
        using var dir = new TempDir();
        string config = dir.Write("config.yaml", $"""
            backend: {backend.Split('-')[0]}
            events: [exec, exit]
            outputs:
              - type: file
                path: {dir.File("events.json")}
            health:
              socket: {dir.File("status.sock")}
              interval: 0
            rules:
              - name: pwkillme
                match: {"{"}name: "pwkillme*"{"}"}
                actions: [alert, kill]
            """);
        // In a network namespace of its own (a container's case, where auto picks procfs) taskstats
        // does not answer: a start time is known only to the 10 ms tick.
        using var daemon = backend.Contains("namespace", StringComparison.Ordinal)
            ? DaemonUnderTest.StartInOwnNetworkNamespace(config)
            : DaemonUnderTest.Start(config);
        string results = dir.File("results");
        // The victim sleeps long enough for a daemon lagging on a loaded host (it is killed at
        // once when the rule acts). The shell forks nothing between writing ns_last_pid and starting the innocent; the
        // pid written is wrapped below pid_max (a write past it fails, and nothing is reused).
        // Innocents are reaped in batches of 25 (pids wrap over a long run, so a pid may come
        // back: within a batch it cannot).
        string script = $$"""
            max=$(cat /proc/sys/kernel/pid_max)
            for b in $(seq {{iterations / 25}}); do
              batch=""
              for i in $(seq 25); do
                {{dir.File("pwkillme")}} & p=$!; wait $p
                if [ $p -gt 300 ] && [ $p -lt $((max - 1)) ]; then echo $((p - 1)) > /proc/sys/kernel/ns_last_pid; fi
                /bin/sleep 0.3 & q=$!
                batch="$batch $p:$q"
              done
              for pq in $batch; do wait ${pq#*:}; echo "${pq%:*} ${pq#*:} $?" >> {{results}}; done
            done
            {{dir.File("pwkillme-sh")}} -c '/bin/sleep 120; :'; echo "victim victim $?" >> {{results}}
            """;
        File.Copy("/bin/true", dir.File("pwkillme"));
        File.Copy("/bin/bash", dir.File("pwkillme-sh"));
        using (var shell = Spawn.Start("/bin/bash", [dir.Write("reuse.sh", script)]))
        {
            Assert.True(shell.WaitForExit(600_000), "the script did not finish");
            Assert.Equal(0, shell.ExitCode);
        }

        string[][] lines = File.ReadAllLines(results).Select(l => l.Split(' ')).ToArray();
        var reused = lines.Where(f => f[0] == f[1] && f[0] != "victim").ToList();
        var killed = reused.Where(f => f[2] != "0").Select(f => f[1]).ToList();
        string stderr = daemon.Stderr;
        int kills = stderr.Split('\n').Count(l => l.Contains("rule pwkillme: ", StringComparison.Ordinal));
        output.WriteLine($"{backend}: {reused.Count}/{iterations} pids reused; innocents killed: {killed.Count}; kill log lines: {kills}");
        foreach (string line in stderr.Split('\n').Where(l => l.Contains("rule pwkillme: ", StringComparison.Ordinal) && !l.Contains("already exited", StringComparison.Ordinal)))
            output.WriteLine(line);

        Assert.True(reused.Count >= iterations * 2 / 3, $"pid reuse forced only {reused.Count} times");
        Assert.True(killed.Count == 0, $"{killed.Count} innocents killed ({string.Join(' ', killed)}):\n{stderr}");
        Assert.Equal("137", lines.Single(f => f[0] == "victim")[2]);
        if (backend == "ebpf")
        {
            // With the kernel's exec time, a kill that finds its process gone says so, naming it.
            int gone = stderr.Split('\n').Count(l => l.Contains("rule pwkillme: pid ", StringComparison.Ordinal)
                && l.Contains("pwkillme) had already exited", StringComparison.Ordinal));
            Assert.True(gone >= reused.Count / 2, $"only {gone} kills reported the process gone:\n{stderr}");
        } // a matching process that is still there is killed
        Assert.DoesNotContain(stderr.Split('\n'), l => l.Contains("killed pid", StringComparison.Ordinal) && !l.Contains("pwkillme", StringComparison.Ordinal));
    }
}

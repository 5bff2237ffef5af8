using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// Entity ids are unique across pid reuse (issue 10 B9), with the CLI on eBPF. The test pins the
/// machine's pid counter to three pids for 600 processes, so it runs alone
/// (<see cref="PidReuseCollection"/>): any process another test started meanwhile would land on
/// those pids too.
/// </summary>
[Collection(PidReuseCollection.Name)]
public sealed class PidReuseEntityIdTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [KernelFact]
    public void EntityId_IsUniquePerProcess_WhenPidsAreReusedWithinOneTick()
    {
        string token = ExecCollector.NewToken();
        const int Count = 600;
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        // Each `sh -c 'exit N' TOKEN` is forced onto one of 3 pids: ns_last_pid is written just before its fork.
        string script = $$"""
            # 1000 pids ahead, wrapped below pid_max (a write past it fails, and nothing is reused)
            max=$(cat /proc/sys/kernel/pid_max)
            base=$(( ( $(cat /proc/sys/kernel/ns_last_pid) + 1000 ) % ( max - 1000 ) + 300 )); i=0
            while [ $i -lt {{Count}} ]; do
              echo $(( base + i % 3 )) > /proc/sys/kernel/ns_last_pid
              /bin/sh -c "exit $((i % 7))" {{token}}
              i=$((i+1))
            done
            """;
        Assert.Equal(0, Programs.Run("/bin/bash", "-c", script));
        p.WaitUntil(() => KernelContextTests.Execs(p, token).Count(IsExit) >= Count, Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));

        List<JsonElement> execs = KernelContextTests.Execs(p, token).Where(IsExit).ToList();
        Assert.Equal(Count, execs.Count);
        var pids = execs.Select(e => e.GetProperty("process").GetProperty("pid").GetInt32()).ToHashSet();
        Assert.True(pids.Count <= Count / 10, $"pids were not reused: {pids.Count} pids"); // others' forks may steal a few
        var ids = execs.Select(e => e.GetProperty("process").GetProperty("entity_id").GetString()).ToHashSet();
        Assert.Equal(Count, ids.Count);

        // The script's own bash has the token in its argv too; the shells have it as $0.
        bool IsExit(JsonElement e) => e.GetProperty("process").GetProperty("args") is var a && a.GetArrayLength() == 4 && a[3].GetString() == token;
    }
}

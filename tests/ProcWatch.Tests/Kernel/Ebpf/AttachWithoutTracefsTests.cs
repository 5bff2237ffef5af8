using ProcWatch.Tests.Helpers;
using System.Text.Json;
using ProcWatch.Tests.Cli;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The CLI in a private mount namespace with tracefs unmounted, as on a host that never
/// mounted it (minimal VMs, container hosts, this project's fresh machines): eBPF must still
/// attach (tp_btf, else raw_tp: neither needs tracefs) and every exec must carry exact argv.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class AttachWithoutTracefsTests
{
    private static readonly Dictionary<string, string> NoExtraEnvironment = [];

    [KernelFact]
    public void WithoutTracefs_DefaultAttach_IsTpBtf_AndStormIsExact()
    {
        (string stderr, int exact) = RunStorm(NoExtraEnvironment, 2000);
        Assert.Contains("argv from eBPF (tp_btf)", stderr);
        Assert.DoesNotContain("warning", stderr);
        Assert.Equal(2000, exact);
    }

    [KernelFact]
    public void WithoutTracefs_RawTracepointFallback_IsExactToo()
    {
        (string stderr, int exact) = RunStorm(new Dictionary<string, string> { ["PROCWATCH_EBPF_ATTACH"] = "raw_tp" }, 500);
        Assert.Contains("argv from eBPF (raw_tp)", stderr);
        Assert.DoesNotContain("warning", stderr);
        Assert.Equal(500, exact);
    }

    [KernelFact]
    public void WithoutTracefs_ClassicTracepointOnly_WarnsWithEveryReasonAndPointsAtDoctor()
    {
        using CliProcess p = CliRunner.StartWithoutTracefs(
            new Dictionary<string, string> { ["PROCWATCH_EBPF_ATTACH"] = "tracepoint" }, "-v", "-e", "exec", "-f", "json", "-D", "0.5");
        int code = p.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        string warning = Assert.Single(p.Stderr.Split('\n'), l => l.Contains("warning", StringComparison.Ordinal));
        Assert.Contains("tp_btf: not allowed by PROCWATCH_EBPF_ATTACH", warning);
        Assert.Contains("tracepoint: attaching to tracepoint sched/sched_process_exec (tracefs is not mounted)", warning);
        Assert.Contains("run procwatch doctor", warning);
        Assert.Contains("procwatch: ready", p.Stderr);
    }

    /// <summary>Runs Count execs of /bin/true TOKEN-i under the watcher; returns stderr and how many came with exact eBPF argv.</summary>
    private static (string Stderr, int Exact) RunStorm(IReadOnlyDictionary<string, string> environment, int count)
    {
        string token = ExecCollector.NewToken();
        using CliProcess p = CliRunner.StartWithoutTracefs(environment, "-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {count} ]; do /bin/true {token}-$i; i=$((i+1)); done"));
        p.WaitUntil(() => p.StdoutLines().Count >= count, TimeSpan.FromSeconds(30));
        p.Signal(CliRunner.SIGINT);
        Assert.Equal(0, p.WaitForExit(TimeSpan.FromSeconds(20)));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in p.StdoutLines())
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement process = doc.RootElement.GetProperty("process");
            string[] args = [.. process.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];
            string source = doc.RootElement.GetProperty("procwatch").GetProperty("argv_source").GetString()!;
            if (source == "ebpf" && args.Length == 2 && args[0] == "/bin/true" && args[1].StartsWith(token + "-", StringComparison.Ordinal))
            {
                seen.Add(args[1]);
            }
        }
        return (p.Stderr, seen.Count);
    }
}

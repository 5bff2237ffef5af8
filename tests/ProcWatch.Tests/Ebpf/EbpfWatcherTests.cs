using System.Threading.Channels;
using ProcWatch.Events;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Ebpf;

/// <summary>The whole path on the real kernel: connector + eBPF joined, through ProcessWatcher and enrichment.</summary>
[Collection(EbpfCollection.Name)]
public sealed class EbpfWatcherTests
{
    internal static (ProcessWatcher Watcher, List<ExecEvent> Execs, Lock Gate) Watch(Backend backend, string token, out string? warning)
    {
        var options = new WatchOptions { Kinds = ProcessEventKinds.Default };
        BackendSelection selection = BackendSelector.Select(backend, options);
        warning = selection.Warning;
        var watcher = new ProcessWatcher(options with { Sources = selection.Sources });
        ChannelReader<ProcessEvent> reader = watcher.Start();
        var execs = new List<ExecEvent>();
        var gate = new Lock();
        _ = Task.Run(async () =>
        {
            await foreach (ProcessEvent e in reader.ReadAllAsync())
            {
                if (e is ExecEvent exec && exec.Process?.Args is { Count: > 1 } args && HasToken(args, token))
                {
                    lock (gate)
                    {
                        execs.Add(exec);
                    }
                }
            }
        });
        return (watcher, execs, gate);
    }

    private static bool HasToken(IReadOnlyList<string> args, string token)
    {
        for (int i = 1; i < args.Count; i++)
        {
            if (args[i].StartsWith(token, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    internal static List<ExecEvent> WaitFor(List<ExecEvent> execs, Lock gate, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            lock (gate)
            {
                if (execs.Count >= count)
                {
                    return [.. execs];
                }
            }
            Thread.Sleep(20);
        }
        lock (gate)
        {
            return [.. execs];
        }
    }

    [Fact]
    public void EbpfBackend_ExecStorm_EveryExecHasItsExactArgvFromEbpf()
    {
        const int Count = 1000;
        string token = ExecCollector.NewToken();
        var (watcher, execs, gate) = Watch(Backend.Ebpf, token, out string? warning);
        using (watcher)
        {
            Assert.Null(warning);
            Assert.IsType<EbpfExecSource>(Assert.Single(watcher.Sources));
            Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i; i=$((i+1)); done"));

            var seen = WaitFor(execs, gate, Count);
            var args = new HashSet<string>();
            foreach (ExecEvent e in seen)
            {
                Assert.Equal(ArgvSource.Ebpf, e.Process!.ArgvSource);
                Assert.Equal(2, e.Process.Args!.Count);
                Assert.Equal("/bin/true", e.Process.Args[0]);
                Assert.True(args.Add(e.Process.Args[1]), "duplicate exec " + e.Process.Args[1]);
            }
            for (int i = 0; i < Count; i++)
            {
                Assert.Contains($"{token}-{i}", args);
            }
        }
    }
}

using System.Text.Json;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// The output rule (docs/ARCHITECTURE.md, "Output timing") as a user of `-o FILE` sees it: an exec on a quiet stream is
/// in the file before anything else happens, and SIGTERM right after a storm writes every exec of
/// it, each once. (The rule's timing is proved with a still clock in Watching/EventConsumerTests.)
/// </summary>
public class OutputCoalescingCliTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [KernelFact]
    public void QuietStream_EachExecIsInTheFile_BeforeTheNextOneRuns()
    {
        using var dir = new Daemon.TempDir();
        string file = dir.File("events.json");
        string token = EventCollector.NewToken();
        using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-e", "exec", "-o", file);
        watch.WaitForReady();
        for (int i = 0; i < 10; i++)
        {
            Spawn.Run("/bin/true", [$"{token}-{i}"]);
            // Nothing else of ours happens until the line is there: a writer that held an event
            // for company (or for the end) would leave this waiting.
            string quoted = $"\"{token}-{i}\"";
            Assert.True(watch.WaitUntil(() => File.Exists(file) && File.ReadAllText(file).Contains(quoted, StringComparison.Ordinal), Wait),
                $"exec {i} was not written; stderr:\n{watch.Stderr}");
        }
        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(Wait));
    }

    [KernelFact]
    public void Sigterm_RightAfterAStorm_WritesEveryExecOfIt_EachOnce()
    {
        const int execs = 400;
        using var dir = new Daemon.TempDir();
        string file = dir.File("events.json");
        string token = EventCollector.NewToken();
        using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-e", "exec", "-o", file);
        watch.WaitForReady();
        Spawn.Sh($"i=0; while [ $i -lt {execs} ]; do /bin/true {token}-$i; i=$((i+1)); done");
        // No waiting for the lines: whatever is still queued or held for company goes out on the way down.
        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(Wait));

        var seen = new int[execs];
        foreach (string line in File.ReadAllLines(file))
        {
            using JsonDocument doc = JsonDocument.Parse(line); // whole lines only
            if (!doc.RootElement.GetProperty("process").TryGetProperty("args", out JsonElement args) || args.GetArrayLength() != 2)
                continue;
            string arg = args[1].GetString()!;
            if (arg.StartsWith(token + "-", StringComparison.Ordinal))
                seen[int.Parse(arg.AsSpan(token.Length + 1), System.Globalization.CultureInfo.InvariantCulture)]++;
        }
        Assert.All(seen, count => Assert.Equal(1, count));
        Assert.DoesNotContain("lost", watch.Stderr, StringComparison.Ordinal);
    }
}

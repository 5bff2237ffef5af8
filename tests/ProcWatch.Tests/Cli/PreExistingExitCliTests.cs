using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Kernel.Ebpf;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// A process older than procwatch that forks and exits at once: its first event (the fork) is
/// handled after it has ended, when /proc has no argv or executable left for it. Its fork's
/// <c>process.parent</c> and its own exit must still name its executable (and the fork its
/// argv): procwatch read them just after its seed. eBPF and the connector alone, side by side.
/// </summary>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PreExistingExitCliTests
{
    [KernelFact]
    public void APreExistingProcessThatEndsAtOnce_KeepsItsExecutableAndArgv()
    {
        string t = EventCollector.NewToken();
        string sh = NativeHelpers.Run("readlink", "-f /bin/sh").Output.Trim(); // /usr/bin/dash on Debian
        string dir = Directory.CreateTempSubdirectory("procwatch-preexisting-").FullName;
        string go = Path.Combine(dir, "go");
        Assert.Equal(0, Programs.Run("mkfifo", go));
        // P: reads the fifo, forks a subshell that exits 3 (no exec), exits 0 at once.
        using Process p = Process.Start("/bin/sh", ["-c", $"read x < {go}; (exit 3) & exit 0", t])!;
        try
        {
            string root = p.Id.ToString(CultureInfo.InvariantCulture);
            string[] args = ["-f", "json", "-e", "fork,exec,exit", "-v", "-p", root];
            using CliProcess ebpf = new(args);
            using CliProcess connector = new([.. args, "--backend", "connector"]);
            foreach (CliProcess w in (CliProcess[])[ebpf, connector])
                w.WaitForReady(TimeSpan.FromSeconds(60));
            File.WriteAllText(go, "go\n");
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "P did not finish");

            foreach ((string name, CliProcess w) in (ReadOnlySpan<(string, CliProcess)>)[("ebpf", ebpf), ("connector", connector)])
            {
                Assert.True(w.WaitUntil(() => Find(w.StdoutLines(), "exit", p.Id) is not null, TimeSpan.FromSeconds(60)), $"{name}: no exit of P; stderr:\n{w.Stderr}");
                w.Signal(CliRunner.SIGINT);
                Assert.Equal(0, w.WaitForExit(TimeSpan.FromSeconds(30)));
                List<string> lines = w.StdoutLines();
                string all = string.Join('\n', lines);

                using JsonDocument exit = JsonDocument.Parse(Find(lines, "exit", p.Id)!);
                Assert.True(exit.RootElement.GetProperty("process").TryGetProperty("executable", out JsonElement exe), $"{name}: P's exit has no executable:\n{all}");
                Assert.Equal(sh, exe.GetString());

                string? fork = lines.Find(l => l.Contains("\"action\":\"fork\"", StringComparison.Ordinal) && ParentPid(l) == p.Id);
                Assert.True(fork is not null, $"{name}: no fork by P:\n{all}");
                using JsonDocument doc = JsonDocument.Parse(fork);
                JsonElement parent = doc.RootElement.GetProperty("process").GetProperty("parent");
                Assert.True(parent.TryGetProperty("executable", out JsonElement parentExe), $"{name}: the fork's parent has no executable:\n{fork}");
                Assert.Equal(sh, parentExe.GetString());
                Assert.True(parent.TryGetProperty("args", out JsonElement parentArgs), $"{name}: the fork's parent has no argv:\n{fork}");
                Assert.Equal(t, parentArgs[parentArgs.GetArrayLength() - 1].GetString());
            }
        }
        finally
        {
            if (!p.HasExited)
                p.Kill();
            p.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string? Find(List<string> lines, string action, int pid) =>
        lines.Find(l => l.Contains($"\"action\":\"{action}\"", StringComparison.Ordinal) && Pid(l) == pid);

    private static int? Pid(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.TryGetProperty("process", out JsonElement p) && p.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : null;
    }

    private static int? ParentPid(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.TryGetProperty("process", out JsonElement p) && p.TryGetProperty("parent", out JsonElement parent)
            && parent.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : null;
    }
}

using ProcWatch.Tests.Helpers;
using System.Text.Json;
using Xunit;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>
/// procwatch where the proc connector cannot be used: in a container-like user + pid namespace
/// (auto must fall back to procfs, with one warning line), and as an unprivileged user.
/// Each run watches a `sleep 0.3 TOKEN` the test starts and looks only at that process.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProcfsCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("procwatch-procfs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Starts procwatch in the background, waits for its "ready" line, runs the marker process,
    /// lets a few scans pass, then stops procwatch with SIGTERM (a background job of a script ignores SIGINT).
    /// </summary>
    private string Script(string procwatch, string token, string prefix = "") => $"""
        out={ProcwatchBinary.Quote(_directory)}/out; err={ProcwatchBinary.Quote(_directory)}/err
        {prefix} {procwatch} -f json -v -D 30 > "$out" 2> "$err" &
        pw=$!
        i=0
        while ! grep -q 'ready' "$err" 2>/dev/null; do
          i=$((i+1)); [ $i -gt 400 ] && break
          kill -0 $pw 2>/dev/null || break
          sleep 0.05
        done
        /bin/sleep 0.3 {token}
        sleep 0.6
        kill -TERM $pw
        wait $pw
        echo $? > {ProcwatchBinary.Quote(_directory)}/rc
        """;

    [KernelFact]
    public void AutoFallsBackToProcfsInAUserAndPidNamespace()
    {
        string token = ProcfsEventSourceTests.UniqueSleepToken();
        string procwatch = $"{ProcwatchBinary.ShellCommand()} --backend auto";
        string script = Script(procwatch, token);
        int rc = ProcwatchBinary.RunShell(
            $"unshare --user --map-root-user --pid --fork --mount-proc /bin/sh -c {ProcwatchBinary.Quote(script)}",
            TimeSpan.FromSeconds(60));
        Assert.Equal(0, rc);
        string[] errors = ReadLines("err");
        Assert.Equal("0", File.ReadAllText(Path.Combine(_directory, "rc")).Trim());
        string[] warnings = Array.FindAll(errors, l => l.Contains("warning", StringComparison.Ordinal));
        Assert.Single(warnings);
        Assert.Contains("procfs", warnings[0], StringComparison.Ordinal);
        Assert.Contains("namespace", warnings[0], StringComparison.Ordinal);
        // Besides the warning, only the -v "ready" line.
        Assert.All(errors, l => Assert.True(l.Contains("warning", StringComparison.Ordinal) || l.Contains("ready (procfs", StringComparison.Ordinal), l));
        AssertMarkerReported(token, expectExecutable: true);
    }

    [KernelFact]
    public void RunsAsAnUnprivilegedUserAndSeesOtherUsersProcesses()
    {
        string procwatch = ProcwatchBinary.CopyForUser(Path.Combine(_directory, "bin"));
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101); // nobody must reach bin/; root's shell writes out and err
        string token = ProcfsEventSourceTests.UniqueSleepToken();
        string script = Script($"{procwatch} --backend procfs", token,
            prefix: "setpriv --reuid=65534 --regid=65534 --clear-groups");
        int rc = ProcwatchBinary.RunShell(script, TimeSpan.FromSeconds(60));
        Assert.Equal(0, rc);
        Assert.Equal("0", File.ReadAllText(Path.Combine(_directory, "rc")).Trim());
        Assert.DoesNotContain(ReadLines("err"), l => l.Contains("warning", StringComparison.Ordinal) || l.Contains("error", StringComparison.Ordinal));
        // root's sleep: argv is world-readable, its executable link is not (ptrace rules).
        AssertMarkerReported(token, expectExecutable: false);
    }

    [KernelFact]
    public void AutoDoesNotFallBackToProcfsOnTheHost()
    {
        string err = ProcwatchBinary.Quote(Path.Combine(_directory, "err"));
        int rc = ProcwatchBinary.RunShell($"{ProcwatchBinary.ShellCommand()} --backend auto -v -D 0.5 -f json > /dev/null 2> {err}", TimeSpan.FromSeconds(60));
        Assert.Equal(0, rc);
        string[] errors = ReadLines("err");
        // The connector (with eBPF exec capture when it loads), never the procfs fallback.
        Assert.Contains(errors, l => l.StartsWith("procwatch: ready (", StringComparison.Ordinal) && l.Contains("connector", StringComparison.Ordinal) && !l.Contains("procfs", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, l => l.Contains("warning", StringComparison.Ordinal));
    }

    [KernelFact]
    public void ProcfsBackendIsForcedAndSaysSoWhenVerbose()
    {
        string err = ProcwatchBinary.Quote(Path.Combine(_directory, "err"));
        int rc = ProcwatchBinary.RunShell(
            $"{ProcwatchBinary.ShellCommand()} --backend procfs --scan-interval 50 --no-inotify -v -D 0.5 -f json > /dev/null 2> {err}",
            TimeSpan.FromSeconds(60));
        Assert.Equal(0, rc);
        Assert.Equal(["procwatch: ready (procfs, scan every 50 ms, inotify on 0 paths)"], ReadLines("err"));
    }

    [KernelTheory]
    [InlineData("--backend bogus")]
    [InlineData("--backend procfs --scan-interval 0")]
    public void BadBackendOptionsAreUsageErrors(string arguments)
    {
        string err = ProcwatchBinary.Quote(Path.Combine(_directory, "err"));
        int rc = ProcwatchBinary.RunShell($"{ProcwatchBinary.ShellCommand()} {arguments} -D 0.5 > /dev/null 2> {err}", TimeSpan.FromSeconds(60));
        Assert.Equal(2, rc);
        Assert.Single(ReadLines("err"));
    }

    private string[] ReadLines(string name) =>
        File.ReadAllLines(Path.Combine(_directory, name)).Where(l => l.Length > 0).ToArray();

    private void AssertMarkerReported(string token, bool expectExecutable)
    {
        string[] lines = ReadLines("out");
        JsonElement? exec = null;
        foreach (string line in lines)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.GetProperty("event").GetProperty("action").GetString() == "exec"
                && root.GetProperty("process").TryGetProperty("args", out JsonElement args)
                && args.GetArrayLength() == 3 && args[2].GetString() == token)
                exec = root.Clone();
        }
        Assert.True(exec.HasValue, $"no exec of sleep {token} among {lines.Length} events");
        JsonElement e = exec.Value;
        Assert.Equal(["/bin/sleep", "0.3", token], e.GetProperty("process").GetProperty("args").EnumerateArray().Select(a => a.GetString() ?? "").ToArray());
        Assert.Equal("procfs", e.GetProperty("procwatch").GetProperty("source").GetString());
        Assert.Equal(expectExecutable, e.GetProperty("process").TryGetProperty("executable", out _));
        int pid = e.GetProperty("process").GetProperty("pid").GetInt32();

        bool exitSeen = false;
        foreach (string line in lines)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.GetProperty("event").GetProperty("action").GetString() == "exit"
                && root.GetProperty("process").GetProperty("pid").GetInt32() == pid)
            {
                exitSeen = true;
                Assert.False(root.GetProperty("process").TryGetProperty("exit_code", out _)); // unknown: absent, never 0
            }
        }
        Assert.True(exitSeen, $"no exit for pid {pid}");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// <c>-u USER</c> and a process that becomes USER's with setuid() and no exec
/// (Helpers/setuid_fork.c: W, forked by root, drops to the uid, forks C, which exits 3; W exits
/// 0). C's fork, C's exit and W's exit are the user's; W's fork was root's. Three procwatch side
/// by side: the eBPF backend with the kernel filter on and off, and the connector alone.
/// Before: the connector's uid event was not subscribed to under <c>-e fork,exec,exit</c>, and
/// with eBPF it could come after the ring's fork and exit records anyway.
/// </summary>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UserChangeCliTests
{
    [KernelFact]
    public void UserFilter_FollowsASetuidWithoutExec_OnEveryBackend()
    {
        string t = EventCollector.NewToken();
        // A uid of its own (no account needed): other tests' processes run as nobody.
        int uid = 42000 + Random.Shared.Next(20000);
        string user = uid.ToString(CultureInfo.InvariantCulture);
        string helper = NativeHelpers.Build("setuid_fork.c");
        string[] args = ["-f", "json", "-e", "fork,exec,exit", "-v", "-u", user];
        using CliProcess kernelFilter = new(args);
        using CliProcess userSpace = new(args, environment: new Dictionary<string, string> { ["PROCWATCH_EBPF_PREFILTER"] = "0" });
        using CliProcess connector = new([.. args, "--backend", "connector"]);
        foreach (CliProcess started in (CliProcess[])[kernelFilter, userSpace, connector])
            started.WaitForReady(TimeSpan.FromSeconds(60));

        using Process p = Process.Start(new ProcessStartInfo(helper, [user]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        p.StandardInput.WriteLine("go");
        p.StandardInput.Flush();
        string pids = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "setuid_fork did not finish");
        Assert.Equal(0, p.ExitCode);
        int[] wc = Array.ConvertAll(pids.Trim().Split(' '), s => int.Parse(s, CultureInfo.InvariantCulture));
        (int w, int c) = (wc[0], wc[1]);
        // The user's exec after all that: once a watcher shows it, it has handled everything before.
        // It lives half a second: the connector alone reads argv from /proc.
        using (Process end = Process.Start("setpriv", [$"--reuid={user}", $"--regid={user}", "--clear-groups", "/bin/sh", "-c", "sleep 0.5; :", $"{t}-end"])!)
            Assert.True(end.WaitForExit(TimeSpan.FromSeconds(60)) && end.ExitCode == 0, "setpriv failed");

        foreach ((string name, CliProcess watcher) in (ReadOnlySpan<(string, CliProcess)>)[("kernel filter", kernelFilter), ("user space", userSpace), ("connector", connector)])
        {
            Assert.True(watcher.WaitUntil(() => watcher.StdoutLines().Exists(l => l.Contains($"\"{t}-end\"", StringComparison.Ordinal)), TimeSpan.FromSeconds(60)),
                $"{name}: no exec of {t}-end; stderr:\n{watcher.Stderr}");
            watcher.Signal(CliRunner.SIGINT);
            Assert.Equal(0, watcher.WaitForExit(TimeSpan.FromSeconds(30)));
            List<Line> lines = watcher.StdoutLines().ConvertAll(Line.Parse);
            string all = string.Join('\n', lines.FindAll(l => l.Pid == w || l.Pid == c).ConvertAll(l => l.Text));

            Line? cFork = lines.Find(l => l.Action == "fork" && l.Pid == c);
            Assert.True(cFork is not null, $"{name}: the fork of C ({c}) by W ({w}) after setuid is missing:\n{all}");
            Assert.Equal((w, user), (cFork.ParentPid, cFork.UserId));
            Line? cExit = lines.Find(l => l.Action == "exit" && l.Pid == c);
            Assert.True(cExit is not null, $"{name}: C's exit is missing:\n{all}");
            Assert.Equal((3, user), (cExit.ExitCode, cExit.UserId));
            Line? wExit = lines.Find(l => l.Action == "exit" && l.Pid == w);
            Assert.True(wExit is not null, $"{name}: W's own exit after setuid is missing:\n{all}");
            Assert.Equal((0, user), (wExit.ExitCode, wExit.UserId));
            // W's fork was root's; the uid events themselves were not asked for.
            Assert.DoesNotContain(lines, l => l.Action == "fork" && l.Pid == w);
            Assert.DoesNotContain(lines, l => l.Action == "uid");
        }
    }

    private sealed record Line(string Text, string? Action, int? Pid, int? ParentPid, string? UserId, int? ExitCode)
    {
        public static Line Parse(string text)
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement root = doc.RootElement;
            string? action = root.GetProperty("event").GetProperty("action").GetString();
            if (!root.TryGetProperty("process", out JsonElement p))
                return new Line(text, action, null, null, null, null);
            return new Line(text, action,
                p.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : null,
                p.TryGetProperty("parent", out JsonElement parent) && parent.TryGetProperty("pid", out JsonElement ppid) ? ppid.GetInt32() : null,
                p.TryGetProperty("user", out JsonElement u) && u.TryGetProperty("id", out JsonElement id) ? id.GetString() : null,
                p.TryGetProperty("exit_code", out JsonElement code) ? code.GetInt32() : null);
        }
    }
}

using System.Diagnostics;
using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Daemon;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Integration.WhatRan;

/// <summary>
/// Issue 22 items 1 and 2 and issue 20 H7 on the CLI, on real processes: every fresh binary
/// has its hash on its exec or on the follow-up event; self-deleting droppers are hashed from
/// the descriptor held since their exec; a file over the inline bound gets a "hash" event
/// joined by entity id; an unknown path raises the built-in alert under --match.
/// </summary>
[Collection(Kernel.Ebpf.EbpfCollection.Name)]
public sealed class WhatRanCliTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [KernelFact]
    public void One_hundred_fresh_copies_run_once_and_left_running_all_have_their_hash()
    {
        using var dir = new TempDir();
        string token = "fresh" + Guid.NewGuid().ToString("N")[..8];
        byte[] sleep = File.ReadAllBytes("/bin/sleep");
        var expected = new Dictionary<string, string>();
        for (int i = 0; i < 100; i++)
        {
            // A distinct file each: ELF ignores the appended bytes, the hash does not.
            string path = dir.File($"{token}-{i}");
            File.WriteAllBytes(path, [.. sleep, .. System.Text.Encoding.ASCII.GetBytes($"copy {i}")]);
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            expected[path] = WhatRanDaemonTests.Sha256Of(path);
        }
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        var running = new List<Process>();
        try
        {
            foreach (string path in expected.Keys)
                running.Add(Spawn.Start(path, ["2"]));
            Dictionary<string, string?> got = [];
            p.WaitUntil(() => (got = HashesByExecutable(p, token)).Count(kv => kv.Value is not null) >= 100, Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));
            foreach ((string path, string sha) in expected)
                Assert.Equal(sha, got.GetValueOrDefault(path));
        }
        finally
        {
            foreach (Process r in running)
            {
                r.WaitForExit(10_000);
                r.Dispose();
            }
        }
    }

    [KernelFact]
    public void Self_deleting_droppers_are_hashed_from_the_file_held_since_their_exec()
    {
        string helper = NativeHelpers.Build("self_delete.c");
        byte[] binary = File.ReadAllBytes(helper);
        using var dir = new TempDir();
        string token = "dropper" + Guid.NewGuid().ToString("N")[..8];
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        var expected = new Dictionary<string, string>();
        for (int i = 0; i < 100; i++)
        {
            // Written, run, gone: the binary unlinks itself and exits microseconds after its exec.
            string path = dir.File($"{token}-{i}");
            File.WriteAllBytes(path, [.. binary, .. System.Text.Encoding.ASCII.GetBytes($"drop {i}")]);
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            expected[path] = WhatRanDaemonTests.Sha256Of(path);
            Assert.Equal(0, Spawn.Run(path, []).ExitCode);
            Assert.False(File.Exists(path));
        }
        Dictionary<string, string?> got = [];
        p.WaitUntil(() => (got = HashesByExecutable(p, token)).Count >= 100 && !PendingLeft(p, token), Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));
        int hashed = expected.Count(kv => got.GetValueOrDefault(kv.Key) == kv.Value);
        Assert.True(hashed >= 99, $"{hashed}/100 droppers hashed; not hashed: {string.Join("; ", Missed(p, expected, got))}; stderr: {p.Stderr[Math.Max(0, p.Stderr.Length - 1500)..]}");
    }

    [KernelFact]
    public void A_file_over_the_inline_bound_says_pending_and_a_hash_event_joined_by_entity_id_follows()
    {
        using var dir = new TempDir();
        string token = "big" + Guid.NewGuid().ToString("N")[..8];
        string big = dir.File(token);
        File.Copy("/usr/bin/python3.11", big); // 6.8 MB: over the 2 MiB inline bound
        File.SetUnixFileMode(big, (UnixFileMode)Convert.ToInt32("755", 8));
        string sha = WhatRanDaemonTests.Sha256Of(big);
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", token);
        p.WaitForReady();
        Assert.Equal(0, Spawn.Run(big, ["-c", "pass"]).ExitCode);
        p.WaitUntil(() => Lines(p).Any(e => e.Str("event.action") == "hash"), Deadline);
        p.Signal(CliRunner.SIGINT);
        p.WaitForExit(TimeSpan.FromSeconds(20));

        JsonElement exec = Assert.Single(Lines(p), e => e.Str("event.action") == "exec");
        Assert.Equal("pending", exec.Str("procwatch.hash_status"));
        Assert.Null(exec.Str("process.hash.sha256"));
        JsonElement hash = Assert.Single(Lines(p), e => e.Str("event.action") == "hash");
        Assert.Equal(exec.Str("process.entity_id"), hash.Str("process.entity_id"));
        Assert.Equal(sha, hash.Str("file.hash.sha256"));
        Assert.Equal(big, hash.Str("file.path"));
        Assert.Equal("executable", hash.Str("procwatch.hash_target"));
        Assert.Equal(sha, hash.Str("process.hash.sha256"));
    }

    [KernelFact]
    public void Match_raises_the_built_in_alert_for_a_program_whose_path_nothing_can_name()
    {
        using var dir = new TempDir();
        using CliProcess p = CliRunner.Start("-v", "-e", "exec", "-f", "json", "--match", "no-such-program-" + Guid.NewGuid().ToString("N"));
        p.WaitForReady();
        try
        {
            int pid = WhatRanDaemonTests.RunDeep(dir, levels: 60);
            p.WaitUntil(() => Lines(p).Any(e => e.Str("event.kind") == "alert" && e.Str("process.pid") == pid.ToString()), Deadline);
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));
            JsonElement alert = Lines(p).First(e => e.Str("event.kind") == "alert" && e.Str("process.pid") == pid.ToString());
            Assert.Equal("procwatch-executable-unknown", alert.Str("rule.name"));
            Assert.Equal("True", alert.Str("procwatch.executable_unknown"));
        }
        finally
        {
            WhatRanDaemonTests.RemoveDeep(dir);
        }
    }

    private static List<JsonElement> Lines(CliProcess p) =>
        p.StdoutLines().Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>Per executable of the token's execs: its hash, from the exec or from the follow-up joined by entity id.</summary>
    private static Dictionary<string, string?> HashesByExecutable(CliProcess p, string token)
    {
        List<JsonElement> lines = Lines(p);
        var followUps = lines.Where(e => e.Str("event.action") == "hash" && e.Str("procwatch.hash_target") == "executable")
            .GroupBy(e => e.Str("process.entity_id") ?? "").ToDictionary(g => g.Key, g => g.First().Str("file.hash.sha256"));
        var result = new Dictionary<string, string?>();
        foreach (JsonElement e in lines.Where(e => e.Str("event.action") == "exec"))
        {
            string? exe = e.Str("process.executable");
            if (exe is null || !exe.Contains(token, StringComparison.Ordinal))
                continue;
            result[exe] = e.Str("process.hash.sha256") ?? followUps.GetValueOrDefault(e.Str("process.entity_id") ?? "");
        }
        return result;
    }

    private static bool PendingLeft(CliProcess p, string token) =>
        Lines(p).Any(e => e.Str("event.action") == "exec" && e.Str("procwatch.hash_status") == "pending")
        && HashesByExecutable(p, token).Any(kv => kv.Value is null);

    /// <summary>For each dropper not hashed: its exec's status and its follow-up's, so a failure says which step lost it.</summary>
    private static IEnumerable<string> Missed(CliProcess p, Dictionary<string, string> expected, Dictionary<string, string?> got)
    {
        List<JsonElement> lines = Lines(p);
        foreach ((string path, string sha) in expected)
        {
            if (got.GetValueOrDefault(path) == sha)
                continue;
            JsonElement? exec = lines.FirstOrDefault(e => e.Str("event.action") == "exec" && e.Str("process.executable") == path);
            string? entity = exec?.Str("process.entity_id");
            JsonElement? follow = entity is null ? null : lines.FirstOrDefault(e => e.Str("event.action") == "hash" && e.Str("process.entity_id") == entity);
            yield return $"{Path.GetFileName(path)}: exec {(exec is null ? "missing" : exec.Value.Str("procwatch.hash_status") ?? "hashed")}, "
                + $"follow-up {(follow is null ? "none" : follow.Value.Str("procwatch.hash_status") ?? (follow.Value.Str("file.hash.sha256") == sha ? "right" : "wrong hash"))}";
        }
    }
}

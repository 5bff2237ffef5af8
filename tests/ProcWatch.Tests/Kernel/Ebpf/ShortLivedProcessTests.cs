using System.Text.Json;
using ProcWatch.Tests.Cli;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// A process that lives about a millisecond, under another user, in its own session, in a
/// directory of its own: its exec and exit events carry every field exactly (issue 11), though
/// it is gone before /proc could be read.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed class ShortLivedProcessTests
{
    [KernelFact]
    public void OneMillisecondProcess_EveryFieldOfExecAndExitIsExact()
    {
        string helper = NativeHelpers.Build("short_life.c");
        string token = ExecCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-1ms-").FullName;
        try
        {
            using CliProcess p = CliRunner.Start("-v", "-e", "exec,exit", "-f", "json");
            p.WaitForReady();
            DateTimeOffset before = DateTimeOffset.UtcNow;
            // sh, setsid, setpriv and the helper are one pid, exec after exec: the helper is a
            // session and group leader with uid/gid 65534, started by this test process.
            using var run = Programs.Start("/bin/sh", "-c", $"cd '{dir}' && exec setsid setpriv --reuid 65534 --regid 65534 --clear-groups '{helper}' {token} 'a b'");
            int pid = run.Id;
            run.WaitForExit();
            DateTimeOffset after = DateTimeOffset.UtcNow;
            Assert.Equal(3, run.ExitCode);
            p.WaitUntil(() => Find(p, "exit", pid, after) is not null, TimeSpan.FromSeconds(30));
            p.Signal(CliRunner.SIGINT);
            p.WaitForExit(TimeSpan.FromSeconds(20));

            JsonElement exec = Find(p, "exec", pid, after, args0: helper) ?? throw new Xunit.Sdk.XunitException("no exec event of the helper");
            JsonElement process = exec.GetProperty("process");
            Assert.Equal(pid, process.GetProperty("pid").GetInt32());
            Assert.Equal(helper, process.GetProperty("executable").GetString());
            Assert.Equal([helper, token, "a b"], process.GetProperty("args").EnumerateArray().Select(a => a.GetString()!));
            Assert.Equal(3, process.GetProperty("args_count").GetInt32());
            Assert.Equal($"{helper} {token} 'a b'", process.GetProperty("command_line").GetString());
            Assert.Equal(dir, process.GetProperty("working_directory").GetString());
            Assert.Equal("65534", process.GetProperty("user").GetProperty("id").GetString());
            Assert.Equal("65534", process.GetProperty("real_user").GetProperty("id").GetString());
            Assert.Equal("65534", process.GetProperty("group").GetProperty("id").GetString());
            Assert.Equal(pid, process.GetProperty("session_leader").GetProperty("pid").GetInt32());
            Assert.Equal(pid, process.GetProperty("group_leader").GetProperty("pid").GetInt32());
            Assert.Equal(Environment.ProcessId, process.GetProperty("parent").GetProperty("pid").GetInt32());
            DateTimeOffset start = process.GetProperty("start").GetDateTimeOffset();
            Assert.InRange(start, before.AddMilliseconds(-5), after); // the fork, not the exec: sh forked before the helper's exec
            string entityId = process.GetProperty("entity_id").GetString()!;
            Assert.Matches($"^[0-9a-f]{{32}}-{pid}-[0-9]+$", entityId);
            JsonElement pw = exec.GetProperty("procwatch");
            Assert.Equal("ebpf", pw.GetProperty("argv_source").GetString());
            Assert.Equal("0755", pw.GetProperty("executable_mode").GetString());
            Assert.Equal("0", pw.GetProperty("executable_owner").GetProperty("id").GetString());
            Assert.False(pw.TryGetProperty("executable_deleted", out _));

            JsonElement exit = Find(p, "exit", pid, after)!.Value;
            JsonElement exited = exit.GetProperty("process");
            Assert.Equal(3, exited.GetProperty("exit_code").GetInt32());
            Assert.Equal("failure", exit.GetProperty("event").GetProperty("outcome").GetString());
            Assert.Equal(entityId, exited.GetProperty("entity_id").GetString());
            Assert.Equal(start, exited.GetProperty("start").GetDateTimeOffset());
            JsonElement ended = exit.GetProperty("procwatch");
            Assert.Equal(3 << 8, ended.GetProperty("wait_status").GetInt32());
            long duration = ended.GetProperty("duration_ns").GetInt64();
            Assert.InRange(duration, 1_000_000, (after - before).Ticks * 100 + 5_000_000); // at least the helper's 1 ms sleep
            // Tick-based accounting may charge a 1 ms process nothing; never more than it lived (plus a 4 ms tick).
            long cpu = ended.GetProperty("cpu_user_ns").GetInt64() + ended.GetProperty("cpu_system_ns").GetInt64();
            Assert.InRange(cpu, 0, duration + 4_000_000);
            // ru_maxrss semantics: the process's peak over its life, the forked test host's image before the exec included.
            Assert.True(ended.GetProperty("peak_rss_bytes").GetInt64() >= 4L << 20); // at least the helper's touched 4 MiB
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The last event of <paramref name="action"/> for <paramref name="pid"/> (whose argv[0] is <paramref name="args0"/> if given).</summary>
    private static JsonElement? Find(CliProcess p, string action, int pid, DateTimeOffset until, string? args0 = null)
    {
        JsonElement? found = null;
        foreach (string line in p.StdoutLines())
        {
            if (!line.StartsWith('{'))
                continue;
            JsonElement e = JsonDocument.Parse(line).RootElement;
            if (e.GetProperty("event").GetProperty("action").GetString() != action)
                continue;
            JsonElement process = e.GetProperty("process");
            if (process.GetProperty("pid").GetInt32() != pid)
                continue;
            if (args0 is not null && !(process.TryGetProperty("args", out JsonElement a) && a.GetArrayLength() > 0 && a[0].GetString() == args0))
                continue;
            if (e.GetProperty("@timestamp").GetDateTimeOffset() > until.AddSeconds(1))
                continue; // a later process that reused the pid
            found = e;
        }
        return found;
    }
}

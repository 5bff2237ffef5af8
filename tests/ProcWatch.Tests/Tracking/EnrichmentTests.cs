using ProcWatch.Tests.Helpers;
using System.Buffers;
using System.Diagnostics;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Output;
using ProcWatch.Tracking;
using Xunit;

namespace ProcWatch.Tests.Tracking;

/// <summary>
/// Enrichment against real processes with known argv, cwd, credentials, terminal and fate.
/// Each spawned program lives long enough (a sleep) for /proc to be read even on a loaded
/// machine; races are the eBPF issue's business, correctness of what is read is ours.
/// </summary>
public class EnrichmentTests
{
    private static readonly string HugeArg = new('x', 100_000);

    private static Process Start(string file, string? cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true };
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static string Format(IEventFormatter formatter, params ProcessEvent[] events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ProcessEvent e in events) formatter.Write(e, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string RealPath(string path) =>
        Process.Start(new ProcessStartInfo("readlink", ["-f", path]) { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd().Trim();

    [KernelFact]
    public void ExecCarriesExactArgvCwdUserAndParent()
    {
        using var collector = new EventCollector();
        string token = EventCollector.NewToken();
        string cwd = Directory.CreateTempSubdirectory("pw cwd ").FullName;
        const string script = """
            import os, sys
            tok = sys.argv[1].encode()
            os.execv(b"/bin/sh", [b"sh", b"-c", b"sleep 1.5", tok, b"", b"a b", "\u00fcn\u00efc\u00f8d\u00e9 \u2603".encode(),
                b"x" * 100000, b"\x1b[31mred\x1b[0m", b"bell\x07", b"new\nline", b"\xff\xfebad"])
            """;
        using Process p = Start("python3", cwd, "-c", script, token);
        // Its start time, read while it surely runs (exec keeps it): the checks below need not race its end.
        Assert.True(ProcStat.TryRead(p.Id, out ProcStat stat));

        ExecEvent exec = collector.WaitFor<ExecEvent>(e => e.Pid == p.Id && e.Process?.Args is [ "sh", .. ], "exec of sh");
        ProcessInfo info = exec.Process!;
        string[] expected =
        [
            "sh", "-c", "sleep 1.5", token, "", "a b", "ünïcødé ☃", HugeArg,
            "\u001b[31mred\u001b[0m", "bell\u0007", "new\nline", "\udcff\udcfebad",
        ];
        Assert.Equal(expected, info.Args);
        Assert.Equal(ArgvSource.Procfs, info.ArgvSource);
        Assert.False(info.ArgsTruncated);
        Assert.Equal(RealPath("/bin/sh"), info.Executable);
        Assert.False(info.ExecutableDeleted);
        Assert.Equal(cwd, info.WorkingDirectory);
        Assert.Equal("sh", info.Name);
        uint euid = ProcWatch.Interop.Libc.GetEuid();
        Assert.Equal(euid, info.User!.Value.Id);
        Assert.Equal(euid, info.EffectiveUser!.Value.Id);
        Assert.Equal(AccountNames.Shared.UserName(euid), info.User.Value.Name);
        Assert.Equal(Environment.ProcessId, info.ParentPid);
        Assert.Equal(Environment.ProcessId, info.Parent!.Pid);
        Assert.NotNull(info.Parent.Name);
        Assert.NotNull(info.SessionId);
        Assert.NotNull(info.ProcessGroupId);
        Assert.Contains($"-{p.Id}-", info.EntityId);
        Assert.InRange(info.Start!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(stat.StartTimeTicks, info.StartTimeTicks);

        string json = Format(new EcsJsonFormatter("test"), exec);
        Assert.Single(json.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"args_count\":12", json);
        Assert.Contains("\"\\udcff\\udcfebad\"", json);
        Assert.Contains("\"bell\\u0007\"", json);
        Assert.Contains("\"\\u001b[31mred\\u001b[0m\"", json);
        Assert.Contains("\"new\\nline\"", json);
        Assert.Contains("\"ünïcødé ☃\"", json);
        Assert.Contains($"\"working_directory\":\"{cwd}\"", json);
        Assert.Contains("\"argv_source\":\"procfs\"", json);
        Assert.Contains($"\"entity_id\":\"{info.EntityId}\"", json);
        Assert.Contains($"\"parent\":{{\"pid\":{Environment.ProcessId}", json);

        foreach (string terminal in new[] { Format(new TableFormatter(), exec), Format(new TreeFormatter(), exec) })
        {
            Assert.DoesNotContain('\u001b', terminal);
            Assert.DoesNotContain('\u0007', terminal);
            Assert.Single(terminal.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("'\\e[31mred\\e[0m'", terminal);
            Assert.Contains("'bell\\x07'", terminal);
            Assert.Contains("'new\\nline'", terminal);
            Assert.Contains("\\xff\\xfebad", terminal);
            Assert.Contains(" '' 'a b' ", terminal);
            Assert.Contains("ünïcødé", terminal);
        }
        Assert.StartsWith($"{p.Id}+ <{info.User.Value.Name}> {cwd} % sh -c 'sleep 1.5' {token} ''", Format(new TreeFormatter(), exec));

        ExitEvent exit = collector.WaitFor<ExitEvent>(p.Id, e => e.Pid == p.Id && !e.IsThread, "exit of sh"); // in its tree: not an earlier holder of the pid
        Assert.Equal(0, exit.Status!.Value.ExitCode);
        Assert.Equal(expected, exit.Process!.Args);
        Assert.InRange(exit.Duration!.Value, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(30));
        Assert.Contains("\"duration_ns\":", Format(new EcsJsonFormatter("test"), exit));
    }

    [KernelFact]
    public void AnotherUserIsNamed()
    {
        using var collector = new EventCollector();
        string token = EventCollector.NewToken();
        using Process p = Start("setpriv", null, "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", "sleep 1", token);
        ExecEvent exec = collector.WaitFor<ExecEvent>(e => e.Pid == p.Id && e.Process?.Args is ["sh", ..], "exec of sh as 65534");
        ProcessInfo info = exec.Process!;
        Assert.Equal(65534u, info.User!.Value.Id);
        Assert.Equal(65534u, info.EffectiveUser!.Value.Id);
        Assert.Equal(65534u, info.Group!.Value.Id);
        Assert.Equal(AccountNames.Shared.UserName(65534), info.User.Value.Name);
        Assert.NotNull(info.User.Value.Name);
        string json = Format(new EcsJsonFormatter("test"), exec);
        Assert.Contains($"\"user\":{{\"id\":\"65534\",\"name\":\"{info.User.Value.Name}\"}}", json);
        Assert.Contains($"\"group\":{{\"id\":\"65534\"", json);
        string table = Format(new TableFormatter(), exec);
        Assert.Contains(info.User.Value.Name!, table);
    }

    [KernelFact]
    public void ProcessOnAPtyHasItsTerminal()
    {
        using var collector = new EventCollector();
        string token = EventCollector.NewToken();
        using Process p = Start("script", null, "-qec", $"sh -c 'sleep 1' {token}", "/dev/null");
        ExecEvent exec = collector.WaitFor<ExecEvent>(e => e.Process?.Args is ["sh", "-c", "sleep 1", var t] && t == token, "exec on the pty");
        Assert.StartsWith("pts/", exec.Process!.Tty);
        Assert.Contains($"\"tty\":{{\"name\":\"{exec.Process.Tty}\"}}", Format(new EcsJsonFormatter("test"), exec));
        Assert.Contains($" {exec.Process.Tty} ", Format(new TableFormatter(), exec));
    }

    [KernelFact]
    public void DeathBySignalWithACore()
    {
        using var collector = new EventCollector();
        string cwd = Directory.CreateTempSubdirectory("pw-core").FullName;
        using Process p = Start("sh", cwd, "-c", "ulimit -c unlimited; sleep 0.5; exec sh -c 'kill -SEGV $$' " + EventCollector.NewToken());
        ExitEvent exit = collector.WaitFor<ExitEvent>(p.Id, e => e.Pid == p.Id && !e.IsThread, "exit by SIGSEGV"); // in its tree: not an earlier holder of the pid
        Assert.Equal(11, exit.Status!.Value.Signal);
        Assert.True(exit.Status.Value.CoreDumped);
        Assert.Equal(139, exit.Status.Value.ShellCode);
        Assert.NotNull(exit.Duration);
        string json = Format(new EcsJsonFormatter("test"), exit);
        Assert.Contains("\"exit_code\":139", json);
        Assert.Contains("\"signal_name\":\"SIGSEGV\",\"core_dumped\":true", json);

        ExecEvent exec = collector.WaitFor<ExecEvent>(e => e.Pid == p.Id, "exec of the shell");
        string tree = Format(new TreeFormatter(), exec, exit);
        Assert.Matches($@"\n{p.Id}- \S+ exited signal=SIGSEGV \(core dumped\) time=\d+\.\d{{3}}s\n$", tree);
        Assert.Contains("SIGSEGV (core)", Format(new TableFormatter(), exit));
        Directory.Delete(cwd, recursive: true);
    }

    [KernelFact]
    public void DeletedExecutableIsReportedWithoutTheSuffix()
    {
        string dir = Directory.CreateTempSubdirectory("pw-deleted").FullName;
        string copy = Path.Combine(dir, "my sleep");
        File.Copy("/bin/sleep", copy);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using Process p = Start(copy, null, "5");
        try
        {
            var clock = Stopwatch.StartNew();
            while (!(ProcLinks.TryReadExecutable(p.Id, out string now, out _) && now == copy) && clock.Elapsed < TimeSpan.FromSeconds(10))
                Thread.Sleep(10);
            File.Delete(copy);
            var reader = new ProcessReader();
            Assert.True(reader.TryRead(p.Id, null, false, readArgs: true, out ProcRead read));
            Assert.Equal(copy, read.Executable);
            Assert.True(read.ExecutableDeleted);
            var info = new ProcessInfo { Pid = p.Id, Executable = read.Executable, ExecutableDeleted = read.ExecutableDeleted, ExecutableSource = ExecutableSource.Procfs };
            var exec = new ExecEvent { KernelTimeNs = 1, Timestamp = DateTimeOffset.UtcNow, Pid = p.Id, Tid = p.Id, Process = info };
            string json = Format(new EcsJsonFormatter("test"), exec);
            Assert.Contains($"\"executable\":\"{copy}\"", json);
            Assert.Contains("\"executable_deleted\":true", json);
            Assert.Contains(" (deleted)", Format(new TreeFormatter(new TreeOptions { FullPath = true }), exec));
        }
        finally
        {
            p.Kill();
            p.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void StaleStartTimeRejectsWhatIsRead()
    {
        // A pid now held by another process than the table knew: nothing read is trusted.
        Assert.True(ProcStat.TryRead(Environment.ProcessId, out ProcStat stat));
        var reader = new ProcessReader();
        Assert.True(reader.TryRead(Environment.ProcessId, stat.StartTimeTicks, true, true, out _));
        Assert.False(reader.TryRead(Environment.ProcessId, stat.StartTimeTicks - 1, true, true, out _));
        Assert.False(reader.TryRead(Environment.ProcessId, stat.StartTimeTicks + 500, false, true, out _));
    }

    [KernelFact]
    public void EnvironmentOnRequest()
    {
        using var collector = new EventCollector(enrichment: new EnrichmentOptions { IncludeEnvironment = true });
        string token = EventCollector.NewToken();
        var psi = new ProcessStartInfo("sh") { UseShellExecute = false, ArgumentList = { "-c", "sleep 1", token } };
        psi.Environment["PW_TEST_VAR"] = token + "\u001b";
        using Process p = Process.Start(psi)!;
        ExecEvent exec = collector.WaitFor<ExecEvent>(e => e.Pid == p.Id && EventCollector.HasArg(e, token), "exec with environment");
        Assert.Contains($"PW_TEST_VAR={token}\u001b", exec.Process!.Environment!);
        Assert.Contains($"\"PW_TEST_VAR={token}\\u001b\"", Format(new EcsJsonFormatter("test"), exec));
    }
}

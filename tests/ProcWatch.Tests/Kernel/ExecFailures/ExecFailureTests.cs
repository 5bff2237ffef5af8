using System.Diagnostics;
using ProcWatch.Tests.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace ProcWatch.Tests.Kernel.ExecFailures;

/// <summary>
/// Failed exec attempts (<c>-e execfail</c>) on the real kernel: a helper calls execve once on
/// a missing file, a file without the execute bit, a file the kernel cannot run, and through
/// execveat; each attempt is one <see cref="ExecFailedEvent"/>, checked field by field. Other
/// processes fail execs at the same time (PATH searches): only events carrying the test's own
/// token count.
/// </summary>
public sealed class ExecFailureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int ENOENT = 2, EACCES = 13, ENOEXEC = 8;

    private readonly string _dir = Directory.CreateTempSubdirectory("procwatch-execfail-").FullName;
    private readonly string _helper = NativeHelpers.Build("exec_fail.c");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [KernelFact]
    public void MissingFile_IsOneFailure_WithENOENT_TheFilename_TheArgv_AndTheCaller()
    {
        // eBPF: forks carry the kernel's exact start, as failures do, so their entity ids agree even when the failure comes first.
        using var events = new EventCollector(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed, backend: Backend.Ebpf);
        string token = EventCollector.NewToken();
        string missing = Path.Combine(_dir, "missing-" + token);
        // Attacker-controlled text: an escape sequence, a quote, a space and invalid UTF-8 would all be printed.
        (int pid, string said) = RunHelper("once", missing, token, "two words", "\u001b[31mred", "it's");

        Assert.Contains($"errno {ENOENT}", said);
        ExecFailedEvent e = OneFailure(events, token);
        Assert.Equal(ENOENT, e.Errno);
        Assert.Equal("ENOENT", e.ErrorName);
        Assert.Equal("execve", e.Syscall);
        Assert.Equal(missing, e.Filename);
        Assert.Null(e.DirectoryFd);
        Assert.Equal(0, e.Flags);
        Assert.Equal(pid, e.Pid);
        Assert.Equal(pid, e.Tid);
        Assert.Equal(EventOrigin.Ebpf, e.Origin);
        ProcessInfo p = e.Process!;
        Assert.Equal(missing, p.Executable);
        Assert.Equal([missing, token, "two words", "\u001b[31mred", "it's"], p.Args);
        Assert.Equal(5, p.ArgsCount);
        Assert.False(p.ArgsTruncated);
        Assert.Equal(ArgvSource.Ebpf, p.ArgvSource);
        Assert.Equal(_dir, p.WorkingDirectory);
        Assert.Equal(Environment.ProcessId, p.ParentPid);
        Assert.Equal(0u, p.User!.Value.Id);
        Assert.Equal(0u, p.EffectiveUser!.Value.Id);
        Assert.Equal(0u, p.Group!.Value.Id);
        Assert.StartsWith("exec_fail", p.Name); // the caller's comm
        Assert.NotNull(p.EntityId);
        // The failure joins the caller's own fork by entity id (it carries the kernel's start time).
        Assert.True(Wait(events, x => x is ForkEvent { IsThread: false } f && f.Pid == pid && f.Process?.EntityId == p.EntityId),
            "the caller's fork event with the same entity id");
    }

    [KernelFact]
    public void FileWithoutExecuteBit_IsOneFailure_WithEACCES()
    {
        using var events = EventCollector.Start(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed);
        string token = EventCollector.NewToken();
        string plain = Path.Combine(_dir, "not-executable");
        File.WriteAllText(plain, "#!/bin/sh\necho never\n");
        File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (int pid, string said) = RunHelper("once", plain, token);

        Assert.Contains($"errno {EACCES}", said);
        ExecFailedEvent e = OneFailure(events, token);
        Assert.Equal(EACCES, e.Errno);
        Assert.Equal("EACCES", e.ErrorName);
        Assert.Equal(plain, e.Filename);
        Assert.Equal(plain, e.Process!.Executable);
        Assert.Equal([plain, token], e.Process.Args);
        Assert.Equal(2, e.Process.ArgsCount);
        Assert.Equal(pid, e.Pid);
        Assert.Equal(_dir, e.Process.WorkingDirectory);
    }

    [KernelFact]
    public void FileTheKernelCannotRun_IsOneFailure_WithENOEXEC_AndARelativeFilenameResolvedAgainstTheCwd()
    {
        using var events = EventCollector.Start(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed);
        string token = EventCollector.NewToken();
        string junk = Path.Combine(_dir, "junk");
        File.WriteAllBytes(junk, [0x7f, (byte)'X', (byte)'L', (byte)'F', 1, 2, 3, 4, 5, 6, 7, 8]); // neither ELF nor #!
        File.SetUnixFileMode(junk, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        (int pid, string said) = RunHelper("once", "./junk", token);

        Assert.Contains($"errno {ENOEXEC}", said);
        ExecFailedEvent e = OneFailure(events, token);
        Assert.Equal(ENOEXEC, e.Errno);
        Assert.Equal("ENOEXEC", e.ErrorName);
        Assert.Equal("./junk", e.Filename);
        Assert.Equal(_dir + "/./junk", e.Process!.Executable); // lexical: the path the kernel walked
        Assert.Equal(["./junk", token], e.Process.Args);
        Assert.Equal(pid, e.Pid);
    }

    [KernelFact]
    public void Execveat_RelativeToADirectoryFd_SaysSo_AndNamesNoResolvedPath()
    {
        using var events = EventCollector.Start(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed);
        string token = EventCollector.NewToken();
        (int pid, string said) = RunHelper("at", _dir, "absent-" + token, token);

        Assert.Contains($"errno {ENOENT}", said);
        int dirfd = int.Parse(said.Split('\n').Single(l => l.StartsWith("dirfd ", StringComparison.Ordinal))[6..], System.Globalization.CultureInfo.InvariantCulture);
        ExecFailedEvent e = OneFailure(events, token);
        Assert.Equal("execveat", e.Syscall);
        Assert.Equal(ENOENT, e.Errno);
        Assert.Equal(dirfd, e.DirectoryFd);
        Assert.Equal("absent-" + token, e.Filename);
        Assert.Null(e.Process!.Executable); // relative to a directory fd: the cwd would be a lie
        Assert.Equal(["absent-" + token, token], e.Process.Args);
        Assert.Equal(pid, e.Pid);
    }

    [KernelFact]
    public void SuccessfulExec_IsNoFailure()
    {
        using var events = EventCollector.Start(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed);
        string token = EventCollector.NewToken();
        string missing = Path.Combine(_dir, "missing-" + token);
        // Lives long enough for /proc to show its argv (this collector is the connector alone).
        RunHelper("once", "/bin/sh", "-c", "/bin/sleep 0.3", token);
        // A failure after it, from the same test: once that one is in, the success had its chance.
        RunHelper("once", missing, token);

        OneFailure(events, token);
        Assert.True(Wait(events, x => x is ExecEvent && x.Process?.Args is { } a && a.Contains(token) && a[0] == "/bin/sh"), "the successful exec itself");
        Assert.DoesNotContain(events.Snapshot(), x => x is ExecFailedEvent { Process.Args: { } a } && a.Count > 0 && a[0] == "/bin/sh" && a.Contains(token));
    }

    [KernelFact]
    public void AStormOfFailures_IsDeliveredOrReportedLost_NeverSilently()
    {
        const int PerProcess = 20_000;
        using var events = EventCollector.Start(ProcessEventKinds.Default | ProcessEventKinds.ExecFailed);
        string token = EventCollector.NewToken();
        string missing = Path.Combine(_dir, "storm-" + token);
        // Two at once on two cores: faster than one reader drains a 256 KiB ring.
        Process first = Programs.Start(_helper, "storm", PerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture), missing, token);
        Process second = Programs.Start(_helper, "storm", PerProcess.ToString(System.Globalization.CultureInfo.InvariantCulture), missing, token);
        foreach (Process p in (Process[])[first, second])
        {
            Assert.Contains($"failed {PerProcess}", p.StandardOutput.ReadToEnd());
            p.WaitForExit();
            p.Dispose();
        }

        long Mine() => events.Snapshot().Count(x => x is ExecFailedEvent { Process.Args: { } a } && a.Count == 2 && a[1] == token);
        long Lost() => events.Snapshot().OfType<LostEvent>().Sum(l => l.Count);
        Stopwatch waited = Stopwatch.StartNew();
        while (Mine() + Lost() < 2 * PerProcess && waited.Elapsed < Patience)
            Thread.Sleep(50);
        long mine = Mine(), lost = Lost();
        output.WriteLine($"delivered {mine}, reported lost {lost} (ring {events.Statistics.RingBufferDrops}, queue {events.Statistics.QueueDrops})");
        Assert.True(mine + lost >= 2 * PerProcess, $"{2 * PerProcess - mine - lost} failures neither delivered nor reported lost");
        Assert.True(mine <= 2 * PerProcess);
    }

    /// <summary>Polls (generously: the machine may be 10x slower) until an event matches.</summary>
    private static bool Wait(EventCollector events, Func<ProcessEvent, bool> match)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < Patience)
        {
            if (events.Snapshot().Exists(x => match(x)))
                return true;
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>Runs the helper in the test's directory; returns its pid and what it printed.</summary>
    private (int Pid, string Output) RunHelper(params string[] args)
    {
        var psi = new ProcessStartInfo(_helper) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            psi.ArgumentList.Add(arg);
        using Process p = Process.Start(psi)!;
        string said = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        output.WriteLine($"exec_fail {string.Join(' ', args)} -> {said.Trim()}");
        return (p.Id, said);
    }

    /// <summary>Waits for the one failure carrying <paramref name="token"/>, then checks no second one came.</summary>
    private static ExecFailedEvent OneFailure(EventCollector events, string token)
    {
        static bool Mine(ProcessEvent x, string token) => x is ExecFailedEvent { Process.Args: { } a } && a.Contains(token);
        Assert.True(Wait(events, x => Mine(x, token)), "no failure event with the test's token");
        List<ExecFailedEvent> found = events.Snapshot().Where(x => Mine(x, token)).Cast<ExecFailedEvent>().ToList();
        Assert.Single(found);
        return found[0];
    }
}

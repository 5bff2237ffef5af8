using System.Buffers;
using System.Text;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Output;
using ProcWatch.Tracking;
using ProcWatch.Watching;
using Xunit;

namespace ProcWatch.Tests.Output;

public class TreeFormatterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static ProcessInfo Info(int pid, int ppid, params string[] args) => new()
    {
        Pid = pid, ParentPid = ppid, Name = args[0], Args = args, ArgvSource = ArgvSource.Procfs,
        WorkingDirectory = "/src", User = new IdName(1000, "dev"), EffectiveUser = new IdName(1000, "dev"),
        Executable = "/usr/bin/" + args[0],
    };

    private static ForkEvent Fork(int pid, int ppid) => new() { KernelTimeNs = 1, Timestamp = T0, Pid = pid, Tid = pid, ParentPid = ppid, ParentTid = ppid };

    private static ExecEvent Exec(ProcessInfo info) => new() { KernelTimeNs = 2, Timestamp = T0, Pid = info.Pid, Tid = info.Pid, Process = info };

    private static ExitEvent Exit(int pid, uint status, double seconds, ProcessInfo info) => new()
    {
        KernelTimeNs = 3, Timestamp = T0, Pid = pid, Tid = pid, Status = new WaitStatus(status),
        Duration = TimeSpan.FromSeconds(seconds), Process = info,
    };

    [Fact]
    public void IndentsChildrenUnderParents()
    {
        ProcessInfo make = Info(100, 1, "make", "-j2");
        ProcessInfo cc = Info(101, 100, "cc", "-c", "a.c");
        ProcessInfo sub = Info(102, 100, "sh", "-c", "x");
        ProcessInfo deep = Info(103, 102, "true");
        var tree = new TreeFormatter();
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ProcessEvent e in new ProcessEvent[]
        {
            Exec(make), Fork(101, 100), Exec(cc), Fork(102, 100), Fork(103, 102), Exec(deep),
            Exit(103, 0, 0.001, deep), Exit(102, 0x0100, 0.002, sub), Exit(101, 0x8b, 1.2344, cc), Exit(100, 0x0200, 2, make),
        })
        {
            tree.Write(e, buffer);
        }
        Assert.Equal(
            """
            100+ <dev> /src % make -j2
              101+ <dev> /src % cc -c a.c
                103+ <dev> /src % true
                103- true exited status=0 time=0.001s
              101- cc exited signal=SIGSEGV (core dumped) time=1.234s
            100- make exited status=2 time=2.000s

            """.Replace("\r", ""), Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void FullPath_DeletedMarkFollowsThePath_NotTheArguments()
    {
        ProcessInfo info = Info(100, 1, "app", "--serve", "8080") with { Executable = "/opt/app", ExecutableDeleted = true };
        var buffer = new ArrayBufferWriter<byte>();
        new TreeFormatter(new TreeOptions { FullPath = true }).Write(Exec(info), buffer);
        Assert.Equal("100+ <dev> /src % /opt/app (deleted) --serve 8080\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void UnreadableWorkingDirectory_IsShownAsUnknown()
    {
        ProcessInfo info = Info(100, 1, "make") with { WorkingDirectory = null };
        var buffer = new ArrayBufferWriter<byte>();
        new TreeFormatter().Write(Exec(info), buffer);
        Assert.Equal("100+ <dev> <unknown cwd> % make\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void FullPathAndHiddenArguments()
    {
        ProcessInfo info = Info(7, 1, "ls", "-l", "\u001b]0;title\u0007");
        var buffer = new ArrayBufferWriter<byte>();
        new TreeFormatter(new TreeOptions { FullPath = true, HideArgs = true }).Write(Exec(info), buffer);
        Assert.Equal("7+ <dev> /src % /usr/bin/ls\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
        buffer.ResetWrittenCount();
        new TreeFormatter(new TreeOptions { ShowUser = false, ShowWorkingDirectory = false }).Write(Exec(info), buffer);
        Assert.Equal("7+ ls -l '\\e]0;title\\x07'\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void TableShowsIdsTtyDurationAndRenames()
    {
        ProcessInfo info = Info(42, 1, "sleep", "1") with { Tty = "pts/3", User = new IdName(1000, "dev"), EffectiveUser = new IdName(0, "root") };
        var table = new TableFormatter();
        var buffer = new ArrayBufferWriter<byte>();
        table.Write(Exit(42, 0, 1.5, info), buffer);
        table.Write(new CommEvent { KernelTimeNs = 1, Timestamp = T0, Pid = 42, Tid = 42, Comm = "new\u001bname", OldComm = "sleep", Process = info }, buffer);
        table.Write(Exec(new ProcessInfo { Pid = 2, Name = "kthreadd", IsKernelThread = true }), buffer);
        string[] lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n');
        Assert.Matches(@"^\S+ exit +42 +dev +root pts/3 +exit 0 +1\.500s sleep 1$", lines[0]);
        Assert.EndsWith("sleep -> new\\ename", lines[1]);
        Assert.EndsWith("[kthreadd]", lines[2]);
    }

    [Fact]
    public void EnrichmentTableStaysWithinItsCapUnderAForkBurst()
    {
        var statistics = new WatcherStatistics();
        var stage = new EnrichmentStage(new EnrichmentOptions { TableCapacity = 64 }, statistics);
        var sink = new CountingSink();
        for (int i = 0; i < 5000; i++)
        {
            int pid = 10_000_000 + i; // beyond pid_max: /proc knows none of them
            stage.Process(Fork(pid, Environment.ProcessId), sink);
            Assert.True(stage.TableCount <= 64);
        }
        Assert.Equal(5000, sink.Count);
        Assert.True(statistics.TableEvictions >= 5000 - 64);
        Assert.Equal(stage.TableEvictions, statistics.TableEvictions);
    }

    private sealed class CountingSink : IEventSink
    {
        public int Count { get; private set; }
        public void Post(ProcessEvent processEvent) => Count++;
    }
}

public class PrefilledArgvTests
{
    private sealed class LastSink : IEventSink
    {
        public ProcessEvent? Last { get; private set; }
        public void Post(ProcessEvent processEvent) => Last = processEvent;
    }

    [Fact]
    public void ArgvCapturedByAnEarlierStageIsKeptAndTheRestIsFilled()
    {
        using var sleeper = System.Diagnostics.Process.Start("sleep", "5");
        try
        {
            var stage = new EnrichmentStage();
            var sink = new LastSink();
            string[] exact = ["sleep", "5", "\u001b[exact from the kernel"];
            stage.Process(new ExecEvent
            {
                KernelTimeNs = 1, Timestamp = DateTimeOffset.UtcNow, Pid = sleeper.Id, Tid = sleeper.Id,
                Process = new ProcessInfo { Pid = sleeper.Id, Args = exact, ArgvSource = ArgvSource.Ebpf, ArgsTruncated = true },
            }, sink);
            ProcessInfo info = Assert.IsType<ExecEvent>(sink.Last).Process!;
            Assert.Equal(exact, info.Args);
            Assert.Equal(ArgvSource.Ebpf, info.ArgvSource);
            Assert.True(info.ArgsTruncated);
            Assert.Equal("/usr/bin/sleep", info.Executable);
            Assert.Equal("sleep", info.Name);
            Assert.NotNull(info.User);
            Assert.NotNull(info.EntityId);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public void AnExecThatLostTheRaceCarriesNoOtherProcessData()
    {
        var stage = new EnrichmentStage();
        var sink = new LastSink();
        const int gone = 10_000_123; // beyond pid_max: never a live process
        stage.Process(new ExecEvent { KernelTimeNs = 1, Timestamp = DateTimeOffset.UtcNow, Pid = gone, Tid = gone }, sink);
        ProcessInfo info = Assert.IsType<ExecEvent>(sink.Last).Process!;
        Assert.Equal(gone, info.Pid);
        Assert.Null(info.Args);
        Assert.Equal(ArgvSource.None, info.ArgvSource);
        Assert.Null(info.Executable);
        Assert.Null(info.Name);
        Assert.Null(info.User);
    }
}

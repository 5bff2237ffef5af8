using System.Text;
using ProcWatch.Cli.Report;
using Xunit;
using static ProcWatch.Tests.Cli.Report.ReportFixtures;

namespace ProcWatch.Tests.Cli.Report;

/// <summary>From JSON lines (text fixtures) to the report's process model.</summary>
public class ReportReadingTests
{
    private static ReportModel Build(params string[] lines)
    {
        var builder = new ReportModelBuilder();
        var parser = new EcsLineParser();
        var record = new EcsRecord();
        int n = 0;
        foreach (string line in lines)
        {
            n++;
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            if (parser.TryParse(bytes, record, out string? error)) builder.Add(record);
            else builder.AddCorrupt("fixture", n, error!, bytes);
        }
        return builder.Build();
    }

    private static ReportProcess ByPid(ReportModel m, int pid) => Assert.Single(m.Processes, p => p.Pid == pid);

    [Fact]
    public void ForkExecExit_OneProcess_WithExecFacts_AndParentByEntity()
    {
        ReportModel m = Build(
            Exec(100, 1, T(0), T(0), "\"sh\",\"-c\",\"x\"", "/usr/bin/dash"),
            Fork(101, 100, T(0.010)),
            Exec(101, 100, T(0.011), T(0.010), "\"sleep\",\"1\""),
            Exit(101, 100, T(1.011), 0),
            Exit(100, 1, T(1.100), 3));

        Assert.Equal(2, m.Processes.Count);
        ReportProcess sleep = ByPid(m, 101);
        Assert.Equal(["sleep", "1"], sleep.Args);
        Assert.Equal("/usr/bin/sleep", sleep.Executable);
        Assert.Equal("/tmp", sleep.WorkingDirectory);
        Assert.Equal("root", sleep.User);
        Assert.Equal(Entity(101), sleep.EntityId);
        Assert.Same(ByPid(m, 100), sleep.Parent);
        Assert.Equal(1_001_000, sleep.EndUs!.Value - sleep.StartUs); // from the fork, not the exec
        Assert.Equal(ReportOutcome.Success, sleep.Outcome);
        Assert.Equal(ReportOutcome.Failure, ByPid(m, 100).Outcome);
        Assert.Null(ByPid(m, 100).Parent); // pid 1 was not recorded
        Assert.Equal(["h1"], m.Hosts);
    }

    [Fact]
    public void ExitCpuAndPeakRss_AsTheJsonFormatterWritesThem_ReachTheTable()
    {
        var exit = new ProcWatch.ExitEvent
        {
            KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(2), Pid = 101, Tid = 101, ParentPid = 100,
            Status = new ProcWatch.WaitStatus(0), UserCpu = TimeSpan.FromMilliseconds(30), SystemCpu = TimeSpan.FromMilliseconds(12),
            PeakRssBytes = 5_242_880,
        };
        var line = new System.Buffers.ArrayBufferWriter<byte>();
        new ProcWatch.Output.EcsJsonFormatter().Write(exit, line);
        ReportModel m = Build(
            Exec(101, 100, T(0.5), T(0.4), "\"sleep\",\"1\""),
            Encoding.UTF8.GetString(line.WrittenSpan).TrimEnd('\n'));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(42_000_000, p.CpuTimeNs); // user + system
        Assert.Equal(5_242_880, p.PeakRssBytes);
    }

    [Fact]
    public void EventsOutOfOrder_ExecStillWinsOverInheritedArgv()
    {
        ReportModel m = Build(
            Exit(101, 100, T(2), 0),
            Exec(101, 100, T(0.5), T(0.4), "\"sleep\",\"1\""),
            Fork(101, 100, T(0.4), "\"make\",\"-j2\""));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(["sleep", "1"], p.Args);
        Assert.Equal(1_600_000, p.EndUs!.Value - p.StartUs);
    }

    [Fact]
    public void ForkWithoutExec_KeepsTheParentsArgv_AndSaysSo()
    {
        ReportModel m = Build(Fork(102, 100, T(0), "\"sh\",\"-c\",\"(exit 4)\""), Exit(102, 100, T(0.001), 4));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(["sh", "-c", "(exit 4)"], p.Args);
        Assert.Null(p.ExecUs);
        Assert.Equal(ReportOutcome.Failure, p.Outcome);
    }

    [Theory]
    [InlineData("SIGSEGV", true, "CoreDumped")]
    [InlineData("SIGKILL", false, "Signal")]
    public void SignalExits_Classified(string signal, bool core, string expected)
    {
        ReportOutcome outcome = Enum.Parse<ReportOutcome>(expected);
        ReportModel m = Build(Fork(103, 100, T(0)), Exit(103, 100, T(1), 128 + 11, signal, core));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(outcome, p.Outcome);
        Assert.Equal(signal, p.SignalName);
    }

    [Fact]
    public void NoExit_IsRunning_AndUnknownWaitStatus_IsUnknown()
    {
        string unknown = "{\"@timestamp\":\"" + (T(1)) + "\",\"event\":{\"action\":\"exit\"},\"process\":{\"pid\":105,\"entity_id\":\"" + (Entity(105)) + "\"},\"procwatch\":{\"wait_status\":null}}";
        ReportModel m = Build(Fork(104, 100, T(0)), Fork(105, 100, T(0)), unknown);
        Assert.Equal(ReportOutcome.Running, ByPid(m, 104).Outcome);
        Assert.Equal(ReportOutcome.Unknown, ByPid(m, 105).Outcome);
    }

    [Fact]
    public void ThreadEvents_AreNotProcesses()
    {
        string threadFork = Fork(201, 100, T(0)).Replace("\"thread\":false", "\"thread\":true");
        ReportModel m = Build(Fork(100, 1, T(0)), threadFork, Exit(100, 1, T(1), 0, tid: 202));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.False(p.ExitSeen); // that exit was a thread's, not the leader's
    }

    [Fact]
    public void FlattenedEcs_ReadsTheSame()
    {
        ReportModel m = Build("""{"@timestamp":"2026-12-01T10:00:00.000001Z","event.action":"exec","process.pid":7,"process.args":["ls","-l"],"process.entity_id":"e7","process.parent.pid":1}""");
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(["ls", "-l"], p.Args);
        Assert.Equal("e7", p.EntityId);
        Assert.Equal(1, p.ParentPid);
    }

    [Fact]
    public void WithoutEntityIds_PidReuse_MakesTwoProcesses_EachWithTheRightParent()
    {
        static string L(string action, int pid, int ppid, double t, string extra = "") =>
            "{\"@timestamp\":\"" + (T(t)) + "\",\"event\":{\"action\":\"" + (action) + "\"},\"process\":{\"pid\":" + (pid) + ",\"parent\":{\"pid\":" + (ppid) + "}" + (extra) + "}}";
        ReportModel m = Build(
            L("fork", 50, 1, 0), L("fork", 60, 50, 0.1), L("exit", 60, 50, 0.2, ",\"exit_code\":0"), L("exit", 50, 1, 0.3, ",\"exit_code\":0"),
            L("fork", 50, 1, 1), L("fork", 61, 50, 1.1));
        Assert.Equal(4, m.Processes.Count);
        ReportProcess second61 = ByPid(m, 61);
        Assert.Equal(1_000_000, second61.Parent!.StartUs - m.Processes[0].StartUs); // the second pid 50
        Assert.Same(m.Processes[0], ByPid(m, 60).Parent);
    }

    [Fact]
    public void LostEvents_AndAlerts_AreKept()
    {
        ReportModel m = Build(Fork(300, 1, T(0)), Lost(T(0.5), 17), Alert(300, T(0.6), "Netcat reverse shell"), Lost(T(0.7), 3));
        Assert.Equal(20, m.TotalLost);
        Assert.Equal("kernel_buffer_overrun", m.Lost[0].Reason);
        ReportAlert alert = Assert.Single(m.Alerts);
        Assert.Equal("Netcat reverse shell", alert.RuleName);
        Assert.Equal("sigma", alert.Ruleset);
        Assert.Same(Assert.Single(m.Processes), alert.Process);
    }

    [Fact]
    public void CorruptLines_CountedWithLineNumbers_OthersStillRead()
    {
        ReportModel m = Build(Fork(400, 1, T(0)), "{\"@timestamp\":\"2026-12-01T1", "not json at all", "[1,2]", Exit(400, 1, T(1), 0));
        Assert.Equal(3, m.CorruptLines);
        Assert.Equal([2L, 3L, 4L], m.CorruptSamples.Select(c => c.Line));
        Assert.Equal("{\"@timestamp\":\"2026-12-01T1", m.CorruptSamples[0].Excerpt);
        Assert.True(Assert.Single(m.Processes).ExitSeen);
    }

    [Fact]
    public void InvalidUtf8Escapes_SurviveAsLoneSurrogates()
    {
        ReportModel m = Build(Exec(500, 1, T(0), T(0), "\"a\\udcff\\udcfe\",\"<script>\\u001b[31m\""));
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal("a\udcff\udcfe", p.Args![0]);
        Assert.Equal("<script>\u001b[31m", p.Args[1]);
    }

    [Fact]
    public void ParentLoops_InGarbledInput_AreBroken()
    {
        ReportModel m = Build(Fork(600, 601, T(0)), Fork(601, 600, T(0)));
        Assert.Contains(m.Processes, p => p.Parent is null);
    }

    [Theory]
    [InlineData("2026-12-01T09:51:14.733469Z", 1796118674733469L)]
    [InlineData("2026-12-01T09:51:14.733Z", 1796118674733000L)]
    [InlineData("2026-12-01T10:51:14.733469+01:00", 1796118674733469L)]
    public void Timestamps_Parsed(string text, long micros) =>
        Assert.Equal(micros, Timestamps.ParseMicroseconds(Encoding.ASCII.GetBytes(text)));
}

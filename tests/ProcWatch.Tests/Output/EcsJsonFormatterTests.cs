using System.Text.Json;
using CsCheck;
using ProcWatch.Events;
using ProcWatch.Text;
using Xunit;
using static ProcWatch.Tests.Output.JsonTestHelpers;

namespace ProcWatch.Tests.Output;

public class EcsJsonFormatterTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 22, 21, 58, 59, TimeSpan.Zero);

    private static JsonElement Json(ProcessEvent e)
    {
        string line = Format(e);
        Assert.EndsWith("\n", line);
        Assert.DoesNotContain('\n', line[..^1]);
        return Parse(line);
    }

    [Fact]
    public void Fork_ChildIsTheProcess_ParentIsParent()
    {
        JsonElement j = Json(new ForkEvent
        {
            KernelTimeNs = 5, Timestamp = When.AddTicks(1234567), Cpu = 1, Pid = 200, Tid = 200, ParentPid = 100, ParentTid = 101,
        });
        Assert.Equal("2026-11-22T21:58:59.123456Z", j.At("@timestamp").GetString());
        Assert.Equal("fork", j.At("event.action").GetString());
        Assert.Equal("event", j.At("event.kind").GetString());
        Assert.Equal("process", j.At("event.category")[0].GetString());
        Assert.Equal("start", j.At("event.type")[0].GetString());
        Assert.Equal(200, j.At("process.pid").GetInt32());
        Assert.Equal(200, j.At("process.thread.id").GetInt32());
        Assert.Equal(100, j.At("process.parent.pid").GetInt32());
        Assert.Equal(101, j.At("process.parent.thread.id").GetInt32());
        Assert.Equal("testhost", j.At("host.hostname").GetString());
        Assert.Equal("connector", j.At("procwatch.source").GetString());
        Assert.Equal(5, j.At("procwatch.kernel_time_ns").GetInt64());
        Assert.Equal(1, j.At("procwatch.cpu").GetInt32());
        Assert.False(j.At("procwatch.thread").GetBoolean());
        Assert.False(j.Has("procwatch.creator")); // the creator is the parent: not said
    }

    [Fact]
    public void Fork_ByAnotherThanTheParent_NamesTheCreator()
    {
        // clone(CLONE_PARENT): the child's parent is its creator's parent.
        JsonElement j = Json(new ForkEvent { KernelTimeNs = 5, Timestamp = When, Pid = 200, Tid = 200, ParentPid = 100, ParentTid = 100, CreatorPid = 150 });
        Assert.Equal(100, j.At("process.parent.pid").GetInt32());
        Assert.Equal(150, j.At("procwatch.creator.pid").GetInt32());
    }

    [Fact]
    public void Clone_IsMarkedAsThread()
    {
        JsonElement j = Json(new ForkEvent { KernelTimeNs = 0, Timestamp = When, Pid = 300, Tid = 301, ParentPid = 300, ParentTid = 300 });
        Assert.Equal("clone", j.At("event.action").GetString());
        Assert.Equal(301, j.At("process.thread.id").GetInt32());
        Assert.True(j.At("procwatch.thread").GetBoolean());
        Assert.False(j.Has("procwatch.cpu")); // unknown cpu is omitted
    }

    [Fact]
    public void Exit_WithCode()
    {
        JsonElement j = Json(new ExitEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 9, Tid = 9, Status = new WaitStatus(3 << 8), ExitSignal = 17, ParentPid = 8,
        });
        Assert.Equal("exit", j.At("event.action").GetString());
        Assert.Equal("end", j.At("event.type")[0].GetString());
        Assert.Equal("failure", j.At("event.outcome").GetString());
        Assert.Equal(3, j.At("process.exit_code").GetInt32());
        Assert.Equal(8, j.At("process.parent.pid").GetInt32());
        Assert.Equal(768, j.At("procwatch.wait_status").GetInt32());
        Assert.Equal(17, j.At("procwatch.exit_signal").GetInt32());
        Assert.False(j.Has("procwatch.signal"));
    }

    [Fact]
    public void Exit_BySignal_WithCore()
    {
        JsonElement j = Json(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 9, Tid = 9, Status = new WaitStatus(0x8b) });
        Assert.Equal(139, j.At("process.exit_code").GetInt32());
        Assert.Equal(11, j.At("procwatch.signal").GetInt32());
        Assert.Equal("SIGSEGV", j.At("procwatch.signal_name").GetString());
        Assert.True(j.At("procwatch.core_dumped").GetBoolean());
    }

    [Fact]
    public void Exit_Success_AndUnknownStatus()
    {
        Assert.Equal("success", Json(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Status = new WaitStatus(0) })
            .At("event.outcome").GetString());
        JsonElement unknown = Json(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Status = null });
        Assert.False(unknown.Has("process.exit_code"));
        Assert.Equal(JsonValueKind.Null, unknown.At("procwatch.wait_status").ValueKind);
    }

    [Fact]
    public void Uid_EcsUserIsEffective()
    {
        JsonElement j = Json(new UidEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, RealUid = 1000, EffectiveUid = 0 });
        Assert.Equal("uid", j.At("event.action").GetString());
        Assert.Equal("change", j.At("event.type")[0].GetString());
        Assert.Equal("0", j.At("process.user.id").GetString());
        Assert.Equal("1000", j.At("process.real_user.id").GetString());
        Assert.Equal(1000, j.At("procwatch.ruid").GetInt64());
    }

    [Fact]
    public void Gid_MaxId()
    {
        JsonElement j = Json(new GidEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, RealGid = uint.MaxValue, EffectiveGid = 65534 });
        Assert.Equal("65534", j.At("process.group.id").GetString());
        Assert.Equal("4294967295", j.At("process.real_group.id").GetString());
    }

    [Fact]
    public void Ptrace_Comm_Sid_Coredump_Unknown_Lost()
    {
        JsonElement p = Json(new PtraceEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5, Tid = 5, TracerPid = 4, TracerTid = 4 });
        Assert.Equal("attach", p.At("procwatch.ptrace").GetString());
        Assert.Equal(4, p.At("procwatch.tracer_pid").GetInt32());

        JsonElement c = Json(new CommEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5, Tid = 5, Comm = "new\"name", OldComm = "old" });
        Assert.Equal("new\"name", c.At("process.name").GetString());
        Assert.Equal("old", c.At("procwatch.old_name").GetString());

        Assert.Equal("sid", Json(new SidEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5, Tid = 5 }).At("event.action").GetString());

        JsonElement core = Json(new CoredumpEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5, Tid = 5, ParentPid = 4, ParentTid = 4 });
        Assert.Equal("coredump", core.At("event.action").GetString());
        Assert.Equal(4, core.At("process.parent.pid").GetInt32());

        JsonElement u = Json(new UnknownEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5, Tid = 5, What = 0x800 });
        Assert.Equal("unknown", u.At("event.action").GetString());
        Assert.Equal(0x800, u.At("procwatch.what").GetInt32());

        JsonElement lost = Json(new LostEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 0, Tid = 0, Origin = EventOrigin.Watcher, Reason = LossReason.QueueFull, Count = 12,
        });
        Assert.Equal("lost", lost.At("event.action").GetString());
        Assert.False(lost.Has("process"));
        Assert.Equal("queue_full", lost.At("procwatch.lost_reason").GetString());
        Assert.Equal(12, lost.At("procwatch.lost_count").GetInt64());
    }

    [Fact]
    public void Enriched_Exec_CarriesArgsAndCommandLine()
    {
        JsonElement j = Json(new ExecEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 7, Tid = 7,
            Process = new ProcessInfo
            {
                Pid = 7, Name = "sh", Executable = "/usr/bin/sh", Args = ["sh", "-c", "exit 3"], ArgvSource = ArgvSource.Procfs,
                User = new IdName(1000, "u"), Parent = new ParentInfo { Pid = 6, Name = "bash" },
            },
        });
        Assert.Equal("/usr/bin/sh", j.At("process.executable").GetString());
        Assert.Equal(3, j.At("process.args_count").GetInt32());
        Assert.Equal("exit 3", j.At("process.args")[2].GetString());
        Assert.Equal("sh -c 'exit 3'", j.At("process.command_line").GetString());
        Assert.Equal("1000", j.At("process.user.id").GetString());
        Assert.Equal("u", j.At("process.user.name").GetString());
        Assert.Equal(6, j.At("process.parent.pid").GetInt32());
        Assert.Equal("bash", j.At("process.parent.name").GetString());
        Assert.Equal("procfs", j.At("procwatch.argv_source").GetString());
    }

    [Fact]
    public void Exit_DoesNotRepeatTheArgv_ButKeepsNameExecutableCountAndEntity()
    {
        // H6: the exec wrote the argv; the exit joins it through process.entity_id.
        string big = new('x', 100_000);
        string line = Format(new ExitEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 7, Tid = 7, Status = new WaitStatus(0),
            Process = new ProcessInfo
            {
                Pid = 7, Name = "true", Executable = "/usr/bin/true", Args = ["/bin/true", big, big], ArgvSource = ArgvSource.Ebpf,
                EntityId = "b-7-1", Parent = new ParentInfo { Pid = 6, Name = "bash", Args = ["bash", big] },
            },
        });
        Assert.True(line.Length < 2000, $"the exit line is {line.Length} bytes");
        JsonElement j = Parse(line);
        Assert.False(j.Has("process.args"));
        Assert.False(j.Has("process.command_line"));
        Assert.False(j.Has("process.parent.args"));
        Assert.False(j.Has("procwatch.argv_source"));
        Assert.Equal(3, j.At("process.args_count").GetInt32());
        Assert.Equal("true", j.At("process.name").GetString());
        Assert.Equal("/usr/bin/true", j.At("process.executable").GetString());
        Assert.Equal("b-7-1", j.At("process.entity_id").GetString());
        Assert.Equal("bash", j.At("process.parent.name").GetString());
    }

    [Fact]
    public void Alert_CarriesTheKillResult_AndACutEventSaysHowMuchWasCut()
    {
        var e = new ExecEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 7, Tid = 7, FloodCutBytes = 4096,
            Process = new ProcessInfo { Pid = 7, Name = "x", Args = ["x"], ArgsTruncated = true, ArgsCount = 9 },
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        new ProcWatch.Output.EcsJsonFormatter("testhost").WriteAlert(e, new AlertInfo("r", "high", 73) { ActionResult = "not killed: identity not certain" }, buffer);
        JsonElement j = Parse(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal("not killed: identity not certain", j.At("procwatch.action.result").GetString());
        Assert.Equal(4096, j.At("procwatch.flood_cut_bytes").GetInt32());
        Assert.Equal(9, j.At("process.args_count").GetInt32());
        Assert.False(Json(e with { FloodCutBytes = 0 }).Has("procwatch.action"));
    }

    [Fact]
    public void InvalidBytes_AppearAsSurrogateEscapes_Lossless()
    {
        byte[] name = [0x41, 0xff, 0x1b, 0x22, 0x5c, 0xc3, 0x28, 0x0a];
        string line = Format(new CommEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Comm = ProcText.Decode(name) });
        Assert.Contains("\"name\":\"A\\udcff\\u001b\\\"\\\\\\udcc3(\\n\"", line);
        JsonElement j = Parse(line); // structurally valid JSON
        string decoded = UnescapeLenient(j.At("process.name").GetRawText());
        Assert.Equal(name, ProcText.Encode(decoded));
    }

    [Fact]
    public void RandomBytes_JsonIsValid_AndLossless() =>
        Gen.Byte.Array[0, 48].Array[1, 4].Sample(argv =>
        {
            var args = argv.Select(a => ProcText.Decode(a)).ToArray();
            string line = Format(new ExecEvent
            {
                KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1,
                Process = new ProcessInfo { Pid = 1, Name = args[0], Args = args },
            });
            Assert.Equal(line.Length - 1, line.IndexOf('\n'));
            Assert.True(System.Text.Unicode.Utf8.IsValid(System.Text.Encoding.UTF8.GetBytes(line)));
            JsonElement j = Parse(line);
            JsonElement jsonArgs = j.At("process.args");
            Assert.Equal(argv.Length, jsonArgs.GetArrayLength());
            for (int i = 0; i < argv.Length; i++)
                Assert.Equal(argv[i], ProcText.Encode(UnescapeLenient(jsonArgs[i].GetRawText())));
            // Where the bytes are valid UTF-8, System.Text.Json reads the same text back.
            if (System.Text.Unicode.Utf8.IsValid(argv[0]))
                Assert.Equal(args[0], j.At("process.name").GetString());
        }, iter: 10_000);
}

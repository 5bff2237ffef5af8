using System.Buffers;
using System.Text;
using System.Text.Json;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Output;
using Xunit;
using static ProcWatch.Tests.Output.JsonTestHelpers;

namespace ProcWatch.Tests.Output;

/// <summary>A failed exec in every output: ECS JSON, the table, the tree and the ClickHouse row; hostile text stays escaped.</summary>
public sealed class ExecFailureOutputTests
{
    private static readonly DateTimeOffset When = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static ExecFailedEvent Failure(string filename = "/tmp/\u001b[2Jx\"y") => new()
    {
        KernelTimeNs = 42, Timestamp = When, Pid = 500, Tid = 501, Origin = EventOrigin.Ebpf,
        Errno = 2, Syscall = "execve", Filename = filename, CallerExecutable = "/usr/bin/bash",
        Process = new ProcessInfo
        {
            Pid = 500, ParentPid = 400, Name = "bash", Executable = filename, Args = [filename, "-x", "\u001b]0;title\u0007"], ArgsCount = 3,
            ArgvSource = ArgvSource.Ebpf, WorkingDirectory = "/home/u", User = new IdName(1000, "u"), EffectiveUser = new IdName(1000, "u"),
            EntityId = "entity-500",
        },
    };

    [Fact]
    public void Json_IsAStartThatFailed_WithTheErrorAndTheAttempt()
    {
        JsonElement j = Parse(Format(Failure()));
        Assert.Equal("execfail", j.At("event.action").GetString());
        Assert.Equal("start", j.At("event.type")[0].GetString());
        Assert.Equal("failure", j.At("event.outcome").GetString());
        Assert.Equal("ENOENT", j.At("error.code").GetString());
        Assert.Equal("No such file or directory", j.At("error.message").GetString());
        Assert.Equal(500, j.At("process.pid").GetInt32());
        Assert.Equal(501, j.At("process.thread.id").GetInt32());
        Assert.Equal("bash", j.At("process.name").GetString());
        Assert.Equal("/tmp/\u001b[2Jx\"y", j.At("process.executable").GetString());
        Assert.Equal("\u001b]0;title\u0007", j.At("process.args")[2].GetString()); // JSON is lossless; escaping is the reader's
        Assert.Equal(3, j.At("process.args_count").GetInt32());
        Assert.Equal("/home/u", j.At("process.working_directory").GetString());
        Assert.Equal("entity-500", j.At("process.entity_id").GetString());
        Assert.Equal(400, j.At("process.parent.pid").GetInt32());
        Assert.Equal(2, j.At("procwatch.exec_failure.errno").GetInt32());
        Assert.Equal("execve", j.At("procwatch.exec_failure.syscall").GetString());
        Assert.Equal("/tmp/\u001b[2Jx\"y", j.At("procwatch.exec_failure.filename").GetString());
        Assert.Equal("/usr/bin/bash", j.At("procwatch.exec_failure.caller_executable").GetString());
        Assert.Equal("ebpf", j.At("procwatch.argv_source").GetString());
        Assert.False(j.Has("procwatch.exec_failure.dirfd"));
    }

    [Fact]
    public void Table_ShowsTheErrno_AndEscapesTheCommand()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new TableFormatter().Write(Failure(), buffer);
        string row = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Contains("execfail", row);
        Assert.Contains("ENOENT", row);
        Assert.DoesNotContain('\u001b', row);
        Assert.DoesNotContain('\u0007', row);
        Assert.Contains("\\e[2J", row);
    }

    [Fact]
    public void Tree_ShowsTheFailureAtTheCallersDepth_Escaped()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new TreeFormatter().Write(Failure(), buffer);
        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.StartsWith("500! ENOENT ", line);
        Assert.DoesNotContain('\u001b', line);
        Assert.EndsWith("\n", line);
    }

    [Fact]
    public void ClickHouseRow_HasTheErrorColumns_AndOnlySchemaColumns()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new ClickHouseRowWriter("h").Write(Failure(), null, buffer);
        JsonElement row = JsonDocument.Parse(buffer.WrittenMemory).RootElement;
        Assert.Equal("execfail", row.GetProperty("event.action").GetString());
        Assert.Equal("start", row.GetProperty("event.type").GetString());
        Assert.Equal("failure", row.GetProperty("event.outcome").GetString());
        Assert.Equal("ENOENT", row.GetProperty("error.code").GetString());
        Assert.Equal(2, row.GetProperty("procwatch.exec_failure.errno").GetInt32());
        Assert.Equal("execve", row.GetProperty("procwatch.exec_failure.syscall").GetString());
        Assert.Equal("/tmp/\u001b[2Jx\"y", row.GetProperty("procwatch.exec_failure.filename").GetString());
        Assert.Equal("/usr/bin/bash", row.GetProperty("procwatch.exec_failure.caller_executable").GetString());
        Assert.Equal("/tmp/\u001b[2Jx\"y", row.GetProperty("process.executable").GetString());
        HashSet<string> columns = ClickHouseSchema.Columns.Select(c => c.Name).ToHashSet();
        foreach (JsonProperty property in row.EnumerateObject())
            Assert.Contains(property.Name, columns);
    }

    [Fact]
    public void KindName_ParsesAsExecfail_AndAllLeavesItOut()
    {
        Assert.True(ProcessEventKindNames.TryParse("execfail", out ProcessEventKinds kinds));
        Assert.Equal(ProcessEventKinds.ExecFailed, kinds);
        Assert.Equal("execfail", ProcessEventKind.ExecFailed.Name());
        Assert.Equal(ProcessEventKinds.None, ProcessEventKinds.All & ProcessEventKinds.ExecFailed);
        ProcessEventKinds parsed = ProcessEventKinds.None;
        Assert.True(ProcWatch.Filtering.SettingValues.TryAddKinds("all,execfail", ref parsed, out _));
        Assert.True(parsed.HasFlag(ProcessEventKinds.ExecFailed));
    }
}

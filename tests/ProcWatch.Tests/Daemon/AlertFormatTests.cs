using System.Buffers;
using System.Text;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Tests.Daemon;

public sealed class AlertFormatTests
{
    [Fact]
    public void An_alert_is_the_event_with_kind_alert_severity_and_rule()
    {
        var e = new ExecEvent
        {
            KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = 7, Tid = 7,
            Process = new ProcessInfo { Pid = 7, Executable = "/bin/sh", Args = ["sh"] },
        };
        var buffer = new ArrayBufferWriter<byte>();
        new EcsJsonFormatter("h").WriteAlert(e, new AlertInfo("web \"shell\"", "high", 73), buffer);
        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n", line);
        var doc = EventFiles.Parse(line);
        Assert.Equal("alert", doc.Str("event.kind"));
        Assert.Equal("73", doc.Str("event.severity"));
        Assert.Equal("exec", doc.Str("event.action"));
        Assert.Equal("web \"shell\"", doc.Str("rule.name"));
        Assert.Equal("high", doc.Str("rule.severity"));
        Assert.Equal("/bin/sh", doc.Str("process.executable"));

        buffer.ResetWrittenCount();
        new EcsJsonFormatter("h").Write(e, buffer);
        var plain = EventFiles.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal("event", plain.Str("event.kind"));
        Assert.Null(plain.Str("rule.name"));
    }
}

using System.Buffers;
using System.Text;
using ProcWatch.Events;
using ProcWatch.Output;
using ProcWatch.Text;
using Xunit;

namespace ProcWatch.Tests.Output;

public class TableFormatterTests
{
    private static readonly DateTimeOffset When = new(2026, 11, 22, 21, 58, 59, 123, TimeSpan.Zero);

    private static string Header()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new TableFormatter().WriteHeader(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Row(ProcessEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new TableFormatter().Write(e, buffer);
        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n", line);
        Assert.Equal(line.Length - 1, line.IndexOf('\n'));
        return line[..^1];
    }

    private static string LocalTime => When.ToLocalTime().ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Columns_LineUpWithTheHeader()
    {
        string header = Header().TrimEnd('\n');
        string fork = Row(new ForkEvent { KernelTimeNs = 0, Timestamp = When, Pid = 5053, Tid = 5053, ParentPid = 4834, ParentTid = 4834 });
        Assert.StartsWith(LocalTime + " fork ", fork);
        Assert.Equal(header.IndexOf("Event", StringComparison.Ordinal), fork.IndexOf("fork", StringComparison.Ordinal));
        // The pid is right-aligned under the header's PID.
        int pidEnd = header.IndexOf("PID", StringComparison.Ordinal) + 3;
        Assert.Equal("5053", fork[(pidEnd - 4)..pidEnd]);
        Assert.Equal(header.IndexOf("Info", StringComparison.Ordinal), fork.IndexOf("parent 4834", StringComparison.Ordinal));
    }

    [Fact]
    public void Infos()
    {
        Assert.Contains(" parent 100 by 150 ", Row(new ForkEvent { KernelTimeNs = 0, Timestamp = When, Pid = 200, Tid = 200, ParentPid = 100, ParentTid = 100, CreatorPid = 150 }));
        Assert.Contains(" exit 3 ", Row(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Status = new WaitStatus(3 << 8) }));
        Assert.Contains(" SIGSEGV (core) ", Row(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Status = new WaitStatus(0x8b) }));
        Assert.Contains(" SIGKILL ", Row(new ExitEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Status = new WaitStatus(9) }));
        Assert.Contains(" thread of 300 ", Row(new ForkEvent { KernelTimeNs = 0, Timestamp = When, Pid = 300, Tid = 301, ParentPid = 300, ParentTid = 300 }));
        Assert.Contains(" uid 1000 euid 0 ", Row(new UidEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, RealUid = 1000, EffectiveUid = 0 }));
        Assert.Contains(" gid 5 egid 6 ", Row(new GidEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, RealGid = 5, EffectiveGid = 6 }));
        Assert.Contains(" tracer 7 ", Row(new PtraceEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, TracerPid = 7, TracerTid = 7 }));
        Assert.Contains(" detach ", Row(new PtraceEvent { KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, TracerPid = 0, TracerTid = 0 }));
        Assert.Contains(" lost 4 ", Row(new LostEvent { KernelTimeNs = 0, Timestamp = When, Pid = 0, Tid = 0, Reason = LossReason.QueueFull, Count = 4 }));
        // A thread's own id is in the PID column.
        Assert.Matches(@"clone +301 ", Row(new ForkEvent { KernelTimeNs = 0, Timestamp = When, Pid = 300, Tid = 301, ParentPid = 300, ParentTid = 300 }));
    }

    [Fact]
    public void Comm_HostileName_IsEscaped()
    {
        string row = Row(new CommEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1, Comm = ProcText.Decode([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b, 0xe2, 0x80, 0xae]),
        });
        Assert.EndsWith("\\e[2J\\x07\\x9b\\u{202e}", row);
        Assert.DoesNotContain('\u001b', row);
    }

    [Fact]
    public void Args_AreQuotedAndEscaped()
    {
        string row = Row(new ExecEvent
        {
            KernelTimeNs = 0, Timestamp = When, Pid = 1, Tid = 1,
            Process = new ProcessInfo { Pid = 1, Name = "sh", Args = ["sh", "-c", "exit 3\n\u001b[0m"] },
        });
        Assert.EndsWith("sh -c 'exit 3\\n\\e[0m'", row);
    }
}

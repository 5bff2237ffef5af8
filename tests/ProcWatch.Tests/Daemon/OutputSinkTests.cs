using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Output.Sinks;

namespace ProcWatch.Tests.Daemon;

public sealed class OutputSinkTests
{
    private static readonly ExecEvent Event = new()
    {
        KernelTimeNs = 1,
        Timestamp = new DateTimeOffset(2026, 11, 22, 21, 58, 59, TimeSpan.Zero),
        Pid = 4242,
        Tid = 4242,
        Process = new ProcessInfo { Pid = 4242, Executable = "/bin/sh", Args = ["sh", "-c", "echo a\nb"], User = new IdName(0, "root") },
    };

    private static byte[] Line(int n, int width = 100)
    {
        string body = $"{{\"n\":{n},\"pad\":\"";
        return Encoding.ASCII.GetBytes(body + new string('x', width - body.Length - 3) + "\"}\n");
    }

    [Fact]
    public void The_file_rotates_between_whole_lines_and_keeps_only_keep_files()
    {
        using var dir = new TempDir();
        string path = dir.File("events.json");
        var messages = new List<string>();
        using (var sink = new RotatingFileSink(path, maxBytes: 1000, keep: 3, messages.Add))
        {
            for (int i = 0; i < 100; i++)
            {
                sink.Write(Event, null, Line(i));
                if (i % 7 == 0) sink.Flush();
            }
        }
        Assert.Empty(messages);
        Assert.Equal(["events.json", "events.json.1", "events.json.2", "events.json.3"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        var numbers = new List<int>();
        foreach (string file in new[] { "events.json.3", "events.json.2", "events.json.1", "events.json" })
        {
            byte[] bytes = File.ReadAllBytes(dir.File(file));
            Assert.True(bytes.Length <= 1000);
            foreach (string line in Encoding.ASCII.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                numbers.Add(EventFiles.Parse(line).GetProperty("n").GetInt32());
        }
        // The newest 40 lines, in order, none missing (10 per 1000-byte file).
        Assert.Equal(Enumerable.Range(60, 40), numbers);
    }

    [Fact]
    public void Reopen_starts_a_new_file_after_it_was_moved_away()
    {
        using var dir = new TempDir();
        string path = dir.File("events.json");
        using var sink = new RotatingFileSink(path, 0, 0, _ => { });
        sink.Write(Event, null, Line(1));
        sink.Flush();
        File.Move(path, dir.File("old.json"));
        sink.Write(Event, null, Line(2));
        sink.Reopen();
        sink.Write(Event, null, Line(3));
        sink.Flush();
        Assert.Equal(2, File.ReadAllLines(dir.File("old.json")).Length); // what was buffered before the reopen went to the old file
        Assert.Single(File.ReadAllLines(path));
        Assert.Equal(3, sink.Counters.Written);
    }

    [Fact]
    public void Syslog_gets_one_rfc5424_datagram_per_event()
    {
        using var dir = new TempDir();
        using Socket receiver = Bind(dir.File("log"));
        using var sink = new SyslogSink(dir.File("log"), facility: 10, _ => { }, hostname: "host one");
        sink.Write(Event, null, "{\"a\":1}\n"u8);
        sink.Write(Event, new AlertInfo("r", "high", 73), "{\"b\":2}\n"u8);

        Assert.Equal("<86>1 2026-11-22T21:58:59.000000Z host_one procwatch " + Environment.ProcessId + " exec - {\"a\":1}", Receive(receiver));
        Assert.Equal("<83>1 2026-11-22T21:58:59.000000Z host_one procwatch " + Environment.ProcessId + " alert - {\"b\":2}", Receive(receiver));
        Assert.Equal(2, sink.Counters.Written);
    }

    [Fact]
    public void Journald_gets_structured_fields_with_newlines_length_prefixed()
    {
        using var dir = new TempDir();
        using Socket receiver = Bind(dir.File("journal"));
        using var sink = new JournaldSink(dir.File("journal"), _ => { });
        sink.Write(Event, new AlertInfo("shell", "critical", 99), "{\"c\":3}\n"u8);

        byte[] buffer = new byte[65536];
        int n = receiver.Receive(buffer);
        Dictionary<string, string> fields = ParseJournal(buffer.AsSpan(0, n));
        Assert.Equal("procwatch", fields["SYSLOG_IDENTIFIER"]);
        Assert.Equal("2", fields["PRIORITY"]);
        Assert.Equal("alert", fields["PROCWATCH_KIND"]);
        Assert.Equal("shell", fields["PROCWATCH_RULE"]);
        Assert.Equal("4242", fields["PROCWATCH_PID"]);
        Assert.Equal("/bin/sh", fields["PROCWATCH_EXECUTABLE"]);
        Assert.Equal("sh -c 'echo a\nb'", fields["PROCWATCH_COMMAND_LINE"]);
        Assert.Equal("{\"c\":3}", fields["PROCWATCH_JSON"]);
    }

    [Fact]
    public void An_absent_receiver_drops_counts_and_reports_once_then_recovers()
    {
        using var dir = new TempDir();
        var messages = new List<string>();
        using var sink = new SyslogSink(dir.File("log"), 3, messages.Add);
        for (int i = 0; i < 5; i++) sink.Write(Event, null, "{}\n"u8);
        Assert.Equal(5, sink.Counters.Dropped);
        Assert.Single(messages);

        using Socket receiver = Bind(dir.File("log"));
        sink.Write(Event, null, "{}\n"u8);
        Assert.Equal(1, sink.Counters.Written);
        Assert.Single(messages); // one success right after failures may be a flap: not yet "writing again"
        Thread.Sleep(FailureLatch.RecoverAfter + TimeSpan.FromMilliseconds(100));
        sink.Write(Event, null, "{}\n"u8);
        Assert.Equal(2, sink.Counters.Written);
        Assert.Equal(2, messages.Count);
        Assert.Contains("writing again after dropping 5 events", messages[1]);
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    private static string Receive(Socket socket)
    {
        byte[] buffer = new byte[65536];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static Dictionary<string, string> ParseJournal(ReadOnlySpan<byte> data)
    {
        var fields = new Dictionary<string, string>();
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = data[..nl];
            int eq = line.IndexOf((byte)'=');
            if (eq >= 0)
            {
                fields[Encoding.ASCII.GetString(line[..eq])] = Encoding.UTF8.GetString(line[(eq + 1)..]);
                data = data[(nl + 1)..];
            }
            else
            {
                string name = Encoding.ASCII.GetString(line);
                data = data[(nl + 1)..];
                int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(data);
                fields[name] = Encoding.UTF8.GetString(data.Slice(8, length));
                data = data[(8 + length + 1)..];
            }
        }
        return fields;
    }
}

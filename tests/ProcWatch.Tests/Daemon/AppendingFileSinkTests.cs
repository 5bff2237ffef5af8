using System.Text;
using Xunit;
using ProcWatch.Events;
using ProcWatch.Interop;
using ProcWatch.Output.Sinks;

namespace ProcWatch.Tests.Daemon;

/// <summary>The daemon's file output appends (O_APPEND): other writers and copytruncate rotation lose nothing.</summary>
public sealed class AppendingFileSinkTests
{
    private static readonly ExecEvent Event = new() { KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = 1, Tid = 1 };

    private static byte[] Line(string who, int n) => Encoding.ASCII.GetBytes($"{{\"who\":\"{who}\",\"n\":{n}}}\n");

    [Fact]
    public void A_second_writer_is_never_overwritten()
    {
        using var dir = new TempDir();
        string path = dir.File("events.json");
        using (var sink = new RotatingFileSink(path, maxBytes: 0, keep: 0, _ => { }))
        {
            // The other writer appends as a shell's >> does (O_APPEND, write(2)).
            int other = Libc.Open(path, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CLOEXEC, 0);
            Assert.True(other >= 0);
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    sink.Write(Event, null, Line("sink", i));
                    sink.Flush();
                    byte[] line = Line("other", i);
                    unsafe
                    {
                        fixed (byte* p = line)
                            Assert.Equal(line.Length, (int)Libc.Write(other, p, (nuint)line.Length));
                    }
                }
            }
            finally
            {
                Libc.Close(other);
            }
        }
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(400, lines.Length);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal($"{{\"who\":\"sink\",\"n\":{i}}}", lines[2 * i]);
            Assert.Equal($"{{\"who\":\"other\",\"n\":{i}}}", lines[2 * i + 1]);
        }
    }

    [Fact]
    public void After_copytruncate_writing_goes_on_at_the_start_with_no_hole()
    {
        using var dir = new TempDir();
        string path = dir.File("events.json");
        using var sink = new RotatingFileSink(path, maxBytes: 0, keep: 0, _ => { });
        for (int i = 0; i < 100; i++)
            sink.Write(Event, null, Line("before", i));
        sink.Flush();

        // logrotate's copytruncate: copy the file away, then truncate it in place.
        File.Copy(path, path + ".1");
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            truncate.SetLength(0);

        sink.Write(Event, null, Line("after", 0));
        sink.Flush();
        byte[] bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0, bytes); // pwrite at the old offset would leave a hole of NULs
        Assert.Equal(["{\"who\":\"after\",\"n\":0}"], File.ReadAllLines(path));
        Assert.Equal(100, File.ReadAllLines(path + ".1").Length);
    }

    [Fact]
    public void Size_rotation_still_works_on_top_of_appending()
    {
        using var dir = new TempDir();
        string path = dir.File("events.json");
        using (var sink = new RotatingFileSink(path, maxBytes: 250, keep: 2, _ => { }))
        {
            for (int i = 0; i < 30; i++)
            {
                sink.Write(Event, null, Line("sink", i));
                sink.Flush();
            }
        }
        Assert.True(new FileInfo(path).Length <= 250);
        Assert.True(File.Exists(path + ".1") && File.Exists(path + ".2") && !File.Exists(path + ".3"));
        Assert.Equal("{\"who\":\"sink\",\"n\":29}", File.ReadAllLines(path)[^1]);
    }
}

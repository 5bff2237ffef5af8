using System.Text;
using ProcWatch.Cli;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>The output's buffer: a pass longer than the buffer goes out in ~64 KiB writes of whole lines, and all of it.</summary>
public class EventOutputTests
{
    [Fact]
    public void AFullBuffer_IsWrittenBetweenEvents_InWholeLines_AndTheRestOnFlush()
    {
        using var dir = new Daemon.TempDir();
        string path = dir.File("events.json");
        var expected = new StringBuilder();
        using (EventOutput output = EventOutput.AppendTo(path))
        {
            for (int i = 0; i < 200; i++) // ~300 KB: several buffers' worth
            {
                byte[] line = Encoding.ASCII.GetBytes($"{{\"n\":{i:D3},\"pad\":\"{new string('x', 1500)}\"}}\n");
                line.CopyTo(output.Buffer.GetSpan(line.Length));
                output.Buffer.Advance(line.Length);
                expected.Append(Encoding.ASCII.GetString(line));
                output.FlushIfFull();
                // Written only between whole lines, and never more than a buffer and a line behind.
                long onDisk = new FileInfo(path).Length;
                Assert.Equal(0, onDisk % line.Length);
                Assert.InRange(expected.Length - onDisk, 0, EventOutput.FullBytes + line.Length);
            }
            Assert.True(new FileInfo(path).Length >= 3 * EventOutput.FullBytes); // written as it went, not at the end
            output.Flush();
        }
        Assert.Equal(expected.ToString(), File.ReadAllText(path));
    }
}

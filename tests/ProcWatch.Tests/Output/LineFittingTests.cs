using System.Buffers;
using System.Text;
using ProcWatch.Cli;
using ProcWatch.Output;
using Xunit;

namespace ProcWatch.Tests.Output;

/// <summary>Cutting a line to a terminal's width, and which outputs may be called "not being read".</summary>
public sealed class LineFittingTests
{
    [Theory]
    [InlineData("abcdef", 10, "abcdef")]
    [InlineData("abcdefghij", 10, "abcdefghij")]
    [InlineData("abcdefghijk", 10, "abcdefghi…")]
    [InlineData("ééééééééééé", 10, "ééééééééé…")] // columns, not bytes
    [InlineData("ab\\x1b[31mcd", 8, "ab\\x1b[…")] // escaped text is plain characters
    public void A_line_is_cut_to_the_width_with_an_ellipsis(string line, int width, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        LineFittingFormatter.Fit(Encoding.UTF8.GetBytes(line), width, output);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_regular_file_never_stalls_and_a_fifo_can()
    {
        using var dir = new Daemon.TempDir();
        using (EventOutput file = EventOutput.AppendTo(dir.File("events.json")))
            Assert.False(file.CanStall);
        string fifo = dir.File("fifo");
        Assert.Equal(0, Integration.Spawn.Run("/usr/bin/mkfifo", [fifo]).ExitCode);
        using var reader = new FileStream(fifo, FileMode.Open, FileAccess.ReadWrite); // O_RDWR: opening does not wait for a writer
        using (EventOutput pipe = EventOutput.AppendTo(fifo))
            Assert.True(pipe.CanStall);
    }
}

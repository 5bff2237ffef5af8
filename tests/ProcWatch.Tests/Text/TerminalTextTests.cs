using System.Text;
using CsCheck;
using ProcWatch.Text;
using Xunit;

namespace ProcWatch.Tests.Text;

public class TerminalTextTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("a\nb\tc\rd", "a\\nb\\tc\\rd")]
    [InlineData("\u001b[31mred", "\\e[31mred")]
    [InlineData("bell\u0007", "bell\\x07")]
    [InlineData("del\u007f", "del\\x7f")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("csi\u009b2J", "csi\\u{009b}2J")]
    [InlineData("rlo\u202eexe.txt", "rlo\\u{202e}exe.txt")]
    [InlineData("iso\u2066x\u2069", "iso\\u{2066}x\\u{2069}")]
    [InlineData("lrm\u200e", "lrm\\u{200e}")]
    [InlineData("alm\u061c", "alm\\u{061c}")]
    [InlineData("héllo 😀", "héllo 😀")]
    public void Escapes(string input, string expected) => Assert.Equal(expected, TerminalText.Escape(input));

    // Lone surrogates cannot go through [InlineData]: xunit replaces them with U+FFFD.
    [Fact]
    public void EscapedInvalidByte_IsHex() => Assert.Equal("bad\\xffbyte", TerminalText.Escape("bad\udcffbyte"));

    [Fact]
    public void LoneSurrogate_IsUnicodeEscaped() => Assert.Equal("lone\\u{d800}", TerminalText.Escape("lone\ud800"));

    [Fact]
    public void InvalidC1Byte_FromKernel_IsHexEscaped() =>
        Assert.Equal("\\x9b2J", TerminalText.Escape(ProcText.Decode([0x9b, 0x32, 0x4a])));

    private static bool IsDangerous(Rune r) =>
        r.Value < 0x20 || r.Value == 0x7f || (r.Value >= 0x80 && r.Value <= 0x9f)
        || r.Value is 0x200e or 0x200f or 0x061c || (r.Value >= 0x202a && r.Value <= 0x202e)
        || (r.Value >= 0x2066 && r.Value <= 0x2069);

    private static void AssertSafe(string input)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        TerminalText.Append(buffer, input);
        ReadOnlySpan<byte> bytes = buffer.WrittenSpan;
        Assert.True(System.Text.Unicode.Utf8.IsValid(bytes), "terminal output is not valid UTF-8");
        foreach (Rune r in Encoding.UTF8.GetString(bytes).EnumerateRunes())
            Assert.False(IsDangerous(r), $"raw U+{r.Value:X4} in output of {input}");
    }

    [Fact]
    public void RandomStrings_NeverPassControlsRaw() =>
        Gen.String[Gen.Char, 0, 40].Sample(AssertSafe, iter: 20_000);

    [Fact]
    public void RandomBytes_NeverPassControlsRaw() =>
        Gen.Byte.Array[0, 40].Sample(bytes => AssertSafe(ProcText.Decode(bytes)), iter: 20_000);

    [Fact]
    public void DangerousCharacters_EachEscaped()
    {
        var sb = new StringBuilder();
        for (int c = 0; c < 0xa0; c++) sb.Append((char)c);
        sb.Append("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c");
        AssertSafe(sb.ToString());
    }
}

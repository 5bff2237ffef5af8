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
        || (r.Value >= 0x2066 && r.Value <= 0x2069)
        || r.Value is 0x00ad or 0x180e or 0x2028 or 0x2029 or 0xfeff || (r.Value >= 0x200b && r.Value <= 0x200d)
        || (r.Value >= 0x2060 && r.Value <= 0x2065) || (r.Value >= 0x206a && r.Value <= 0x206f)
        || (r.Value >= 0xfff9 && r.Value <= 0xfffb) || (r.Value >= 0xe0000 && r.Value <= 0xe007f);

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

    // Issue 20, H12: `cu\u200brl` in argv read "curl" on a terminal. Input as the kernel gives
    // argv (UTF-8 bytes), output as the bytes written to the terminal.
    [Theory]
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8b, 0x72, 0x6c }, @"cu\u{200b}rl")] // zero-width space
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8c, 0x72, 0x6c }, @"cu\u{200c}rl")] // zero-width non-joiner
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8d, 0x72, 0x6c }, @"cu\u{200d}rl")] // zero-width joiner
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8e, 0x72, 0x6c }, @"cu\u{200e}rl")] // left-to-right mark
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8f, 0x72, 0x6c }, @"cu\u{200f}rl")] // right-to-left mark
    [InlineData(new byte[] { 0x63, 0x75, 0xef, 0xbb, 0xbf, 0x72, 0x6c }, @"cu\u{feff}rl")] // BOM / zero-width no-break space
    [InlineData(new byte[] { 0x63, 0x75, 0xc2, 0xad, 0x72, 0x6c }, @"cu\u{00ad}rl")] // soft hyphen
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0xa8, 0x72, 0x6c }, @"cu\u{2028}rl")] // line separator
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0xa9, 0x72, 0x6c }, @"cu\u{2029}rl")] // paragraph separator
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xa0, 0x72, 0x6c }, @"cu\u{2060}rl")] // word joiner
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xa1, 0x72, 0x6c }, @"cu\u{2061}rl")] // function application
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xa2, 0x72, 0x6c }, @"cu\u{2062}rl")] // invisible times
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xa3, 0x72, 0x6c }, @"cu\u{2063}rl")] // invisible separator
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xa4, 0x72, 0x6c }, @"cu\u{2064}rl")] // invisible plus
    [InlineData(new byte[] { 0x63, 0x75, 0xe1, 0xa0, 0x8e, 0x72, 0x6c }, @"cu\u{180e}rl")] // Mongolian vowel separator
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x81, 0xaa, 0x72, 0x6c }, @"cu\u{206a}rl")] // inhibit symmetric swapping
    [InlineData(new byte[] { 0x63, 0x75, 0xef, 0xbf, 0xb9, 0x72, 0x6c }, @"cu\u{fff9}rl")] // interlinear annotation anchor
    [InlineData(new byte[] { 0x63, 0x75, 0xf3, 0xa0, 0x81, 0xa1, 0x72, 0x6c }, @"cu\u{e0061}rl")] // tag latin small letter a
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0xae, 0x72, 0x6c }, @"cu\u{202e}rl")] // right-to-left override (as before)
    [InlineData(new byte[] { 0x63, 0x75, 0xe2, 0x80, 0x8a, 0x72, 0x6c }, "cu\u200arl")] // hair space: visible width, kept
    public void InvisibleCharacters_FromArgvBytes_AreShownEscaped(byte[] argv, string terminal)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        TerminalText.Append(buffer, ProcText.Decode(argv));
        Assert.Equal(Encoding.UTF8.GetBytes(terminal), buffer.WrittenSpan.ToArray());
    }
}

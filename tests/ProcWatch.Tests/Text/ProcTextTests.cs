using CsCheck;
using ProcWatch.Text;
using Xunit;

namespace ProcWatch.Tests.Text;

public class ProcTextTests
{
    [Fact]
    public void ValidUtf8_DecodesNormally()
    {
        Assert.Equal("héllo 😀", ProcText.Decode("héllo 😀"u8));
        Assert.Equal("", ProcText.Decode([]));
    }

    [Fact]
    public void InvalidBytes_BecomeLoneSurrogates()
    {
        Assert.Equal("a\udcffb", ProcText.Decode([0x61, 0xff, 0x62]));
        // A truncated 3-byte sequence: each byte escaped on its own.
        Assert.Equal("\udce2\udc82", ProcText.Decode([0xe2, 0x82]));
        // An encoded surrogate (CESU) is invalid UTF-8.
        Assert.Equal("\udced\udca0\udc80", ProcText.Decode([0xed, 0xa0, 0x80]));
    }

    [Fact]
    public void DecodeCString_StopsAtNul()
    {
        Assert.Equal("sh", ProcText.DecodeCString("sh\0\0junk"u8));
        Assert.Equal("abc", ProcText.DecodeCString("abc"u8));
    }

    [Fact]
    public void RandomBytes_RoundTrip_Lossless() =>
        Gen.Byte.Array[0, 64].Sample(bytes =>
            Assert.Equal(bytes, ProcText.Encode(ProcText.Decode(bytes))), iter: 50_000);

    [Fact]
    public void MostlyUtf8Bytes_RoundTrip_Lossless() =>
        Gen.Select(Gen.String, Gen.Byte.Array[0, 4], Gen.Int[0, 100]).Sample((text, junk, at) =>
        {
            byte[] utf8 = ProcText.Encode(text); // lone surrogates in random strings become U+FFFD
            int i = utf8.Length == 0 ? 0 : at % utf8.Length;
            byte[] bytes = [.. utf8[..i], .. junk, .. utf8[i..]];
            Assert.Equal(bytes, ProcText.Encode(ProcText.Decode(bytes)));
        }, iter: 20_000);
}

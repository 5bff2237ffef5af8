using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using ProcWatch.Output;
using Xunit;

namespace ProcWatch.Tests.Output;

public class JsonLineWriterTests
{
    private static string Write(Action<ArrayBufferWriter<byte>> build)
    {
        var buffer = new ArrayBufferWriter<byte>();
        build(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void NestedObjectsAndArrays()
    {
        string json = Write(b =>
        {
            var w = new JsonLineWriter(b);
            w.StartObject();
            w.Number("a"u8, -5);
            w.StartObject("o"u8);
            w.StartObject("inner"u8);
            w.EndObject();
            w.Boolean("t"u8, true);
            w.EndObject();
            w.StartArray("arr"u8);
            w.StringItem("x");
            w.StringItem("");
            w.EndArray();
            w.StartArray("empty"u8);
            w.EndArray();
            w.Null("n"u8);
            w.String("s"u8, null);
            w.Ascii("k"u8, "v"u8);
            w.EndObject();
            w.EndLine();
        });
        Assert.Equal("{\"a\":-5,\"o\":{\"inner\":{},\"t\":true},\"arr\":[\"x\",\"\"],\"empty\":[],\"n\":null,\"s\":null,\"k\":\"v\"}\n", json);
        using JsonDocument doc = JsonDocument.Parse(json);
    }

    [Fact]
    public void Strings_EscapedAsJsonRequires()
    {
        string json = Write(b =>
        {
            var w = new JsonLineWriter(b);
            w.StartObject();
            w.String("s"u8, "q\" b\\ \u0000\u0001\u001f\u007f \u2028 é 😀 \ud800 \udc80");
            w.EndObject();
        });
        Assert.Equal("{\"s\":\"q\\\" b\\\\ \\u0000\\u0001\\u001f\\u007f \u2028 é 😀 \\ud800 \\udc80\"}", json);
    }

    [Fact]
    public void RandomStrings_ValidJson_RoundTrip() =>
        Gen.String[Gen.Char, 0, 30].Sample(s =>
        {
            string json = Write(b =>
            {
                var w = new JsonLineWriter(b);
                w.StartObject();
                w.String("s"u8, s);
                w.EndObject();
            });
            using JsonDocument doc = JsonDocument.Parse(json);
            string raw = doc.RootElement.GetProperty("s").GetRawText();
            Assert.Equal(s, JsonTestHelpers.UnescapeLenient(raw));
        }, iter: 20_000);
}

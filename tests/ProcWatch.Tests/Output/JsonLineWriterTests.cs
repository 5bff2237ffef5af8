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

    /// <summary>The cached form of an argv (parents, ancestors, forks) is byte for byte the direct one, the first time and from the cache.</summary>
    [Fact]
    public void RepeatedArrays_SameBytesAsDirect_FirstAndCachedWrite() =>
        Gen.String[Gen.Char, 0, 12].Array[0, 6].Sample(items =>
        {
            string Direct() => Write(b =>
            {
                var w = new JsonLineWriter(b);
                w.StartObject();
                w.StringArray("args"u8, items);
                w.CommandLine("command_line"u8, items);
                w.EndObject();
            });
            string Repeated() => Write(b =>
            {
                var w = new JsonLineWriter(b);
                w.StartObject();
                w.RepeatedStringArray("args"u8, items);
                w.RepeatedCommandLine("command_line"u8, items);
                w.EndObject();
            });
            string direct = Direct();
            Assert.Equal(direct, Repeated());
            Assert.Equal(direct, Repeated());
        }, iter: 5_000);

    /// <summary>A list that may change under its reference is never served from the cache.</summary>
    [Fact]
    public void RepeatedArrays_MutableList_NotCached()
    {
        var items = new List<string> { "a", "b" };
        string Repeated() => Write(b =>
        {
            var w = new JsonLineWriter(b);
            w.StartObject();
            w.RepeatedStringArray("args"u8, items);
            w.EndObject();
        });
        Assert.Equal("{\"args\":[\"a\",\"b\"]}", Repeated());
        items[1] = "c";
        Assert.Equal("{\"args\":[\"a\",\"c\"]}", Repeated());
    }

    /// <summary>Values near and past the cache's byte cap, and a span that must grow mid-line, come out whole.</summary>
    [Fact]
    public void RepeatedArrays_LongValuesAndGrowth_Whole()
    {
        foreach (int length in new[] { 100, 600, 700, 5000 })
        {
            string[] items = [new string('x', length), "it's", new string('\u0001', length / 10)];
            string Line(bool repeated) => Write(b =>
            {
                var w = new JsonLineWriter(b);
                w.StartObject();
                w.String("pad"u8, new string('p', 4000)); // the next value needs a new span
                if (repeated) w.RepeatedStringArray("args"u8, items); else w.StringArray("args"u8, items);
                if (repeated) w.RepeatedCommandLine("cl"u8, items); else w.CommandLine("cl"u8, items);
                w.EndObject();
            });
            string direct = Line(false);
            Assert.Equal(direct, Line(true));
            Assert.Equal(direct, Line(true));
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Tests.Output;

internal static class JsonTestHelpers
{
    public static string Format(ProcessEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new EcsJsonFormatter("testhost").Write(e, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonElement Parse(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    public static JsonElement At(this JsonElement e, string dottedPath)
    {
        foreach (string part in dottedPath.Split('.'))
            e = e.GetProperty(part);
        return e;
    }

    public static bool Has(this JsonElement e, string dottedPath)
    {
        foreach (string part in dottedPath.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Decodes a JSON string token (raw text, quotes included) allowing lone surrogates, which
    /// System.Text.Json's GetString refuses: ProcWatch carries invalid bytes as \udcXX.
    /// </summary>
    public static string UnescapeLenient(string raw)
    {
        var sb = new StringBuilder();
        for (int i = 1; i < raw.Length - 1; i++)
        {
            char c = raw[i];
            if (c != '\\') { sb.Append(c); continue; }
            char k = raw[++i];
            switch (k)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    sb.Append((char)int.Parse(raw.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: sb.Append(k); break;
            }
        }
        return sb.ToString();
    }
}

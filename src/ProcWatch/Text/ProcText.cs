using System.Buffers;
using System.Text;

namespace ProcWatch.Text;

/// <summary>
/// Bytes from the kernel (argv, comm, paths) are not guaranteed to be UTF-8. Decoding maps
/// every byte of an invalid sequence to a lone surrogate U+DC80..U+DCFF ("surrogate
/// escape", as Python does), so the original bytes can always be recovered with
/// <see cref="Encode"/> and JSON output can carry them losslessly as <c>\udcXX</c>.
/// </summary>
internal static class ProcText
{
    public const char EscapeBase = '\uDC00';

    /// <summary>Decodes UTF-8, escaping invalid bytes as U+DC80..U+DCFF.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return string.Empty;
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);
        return DecodeWithEscapes(bytes);
    }

    /// <summary>Decodes up to the first NUL (C string in a fixed buffer such as comm).</summary>
    public static string DecodeCString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return Decode(nul >= 0 ? bytes[..nul] : bytes);
    }

    private static string DecodeWithEscapes(ReadOnlySpan<byte> bytes)
    {
        char[] rented = ArrayPool<char>.Shared.Rent(bytes.Length);
        try
        {
            int written = 0;
            while (!bytes.IsEmpty)
            {
                OperationStatus status = Rune.DecodeFromUtf8(bytes, out Rune rune, out int consumed);
                if (status == OperationStatus.Done)
                {
                    written += rune.EncodeToUtf16(rented.AsSpan(written));
                }
                else
                {
                    // Escape each byte of the invalid sequence on its own: lossless and simple.
                    consumed = 1;
                    rented[written++] = (char)(EscapeBase + bytes[0]);
                }
                bytes = bytes[consumed..];
            }
            return new string(rented, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>True when <paramref name="c"/> stands for an invalid byte (see <see cref="Decode"/>).</summary>
    public static bool IsEscapedByte(char c) => c >= '\uDC80' && c <= '\uDCFF';

    /// <summary>The original bytes of a string produced by <see cref="Decode"/>.</summary>
    public static byte[] Encode(string text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 8);
        Span<byte> scratch = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (IsEscapedByte(c))
            {
                buffer.Write([(byte)(c - EscapeBase)]);
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int n = new Rune(c, text[++i]).EncodeToUtf8(scratch);
                buffer.Write(scratch[..n]);
                continue;
            }
            int m = Rune.TryCreate(c, out Rune r) ? r.EncodeToUtf8(scratch) : Rune.ReplacementChar.EncodeToUtf8(scratch);
            buffer.Write(scratch[..m]);
        }
        return buffer.WrittenSpan.ToArray();
    }
}

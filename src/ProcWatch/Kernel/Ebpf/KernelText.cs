using System.Text;
using System.Text.Unicode;

namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// Lossless decoding of kernel strings, which are bytes, not necessarily UTF-8: each byte of
/// an invalid sequence becomes U+DC80..U+DCFF (surrogate escape), so the original bytes can
/// be recovered. Stand-in until the shared ProcWatch.Text.ProcText decoder exists.
/// </summary>
internal static class KernelText
{
    internal static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }
        if (Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }
        return DecodeEscaping(bytes);
    }

    private static string DecodeEscaping(ReadOnlySpan<byte> bytes)
    {
        // Never more UTF-16 units than bytes: ASCII 1:1, multi-byte shorter, escapes 1:1.
        char[] buffer = new char[bytes.Length];
        int written = 0;
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out Rune rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                written += rune.EncodeToUtf16(buffer.AsSpan(written));
            }
            else
            {
                for (int i = 0; i < consumed; i++)
                {
                    buffer[written++] = (char)(0xDC00 + bytes[i]);
                }
            }
            bytes = bytes[consumed..];
        }
        return new string(buffer, 0, written);
    }
}

using System.Text;

namespace ProcWatch.Containers;

/// <summary>
/// The few protobuf wire rules needed to read containerd's answers without generated code:
/// fields are (tag varint, value), wire type 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
/// Bounds-checked; a malformed message ends the walk (false), never throws.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> message)
{
    private ReadOnlySpan<byte> _rest = message;

    /// <summary>The next field; for wire type 2 its bytes are in <paramref name="bytes"/>. False at the end or on malformed input.</summary>
    public bool TryReadField(out int field, out int wireType, out ReadOnlySpan<byte> bytes)
    {
        field = 0;
        wireType = 0;
        bytes = default;
        if (_rest.IsEmpty || !TryReadVarint(ref _rest, out ulong tag))
            return false;
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        switch (wireType)
        {
            case 0:
                return TryReadVarint(ref _rest, out _);
            case 1:
                return Skip(8);
            case 5:
                return Skip(4);
            case 2:
                if (!TryReadVarint(ref _rest, out ulong length) || length > (ulong)_rest.Length)
                    return false;
                bytes = _rest[..(int)length];
                _rest = _rest[(int)length..];
                return true;
            default:
                return false;
        }
    }

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private bool Skip(int n)
    {
        if (_rest.Length < n)
            return false;
        _rest = _rest[n..];
        return true;
    }

    private static bool TryReadVarint(ref ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10 && i < s.Length; i++)
        {
            value |= (ulong)(s[i] & 0x7F) << (7 * i);
            if ((s[i] & 0x80) == 0)
            {
                s = s[(i + 1)..];
                return true;
            }
        }
        return false;
    }

    /// <summary>A message holding one string field (what GetContainerRequest is).</summary>
    public static byte[] StringField(int field, string value)
    {
        byte[] text = Encoding.UTF8.GetBytes(value);
        var message = new List<byte>(text.Length + 8) { (byte)((field << 3) | 2) };
        for (uint n = (uint)text.Length; ; n >>= 7)
        {
            message.Add(n < 0x80 ? (byte)n : (byte)(n | 0x80));
            if (n < 0x80)
                break;
        }
        message.AddRange(text);
        return [.. message];
    }
}

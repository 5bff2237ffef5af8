namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The variable-length fields that follow a ring record's fixed header (a filename, a path,
/// argv), taken in the order the BPF program wrote them. Lengths come from the record, so they
/// are checked: a field that runs past the record's end reads as empty and marks the tail
/// <see cref="Overrun"/>, and the parser drops the record as malformed.
/// </summary>
internal ref struct RecordTail(ReadOnlySpan<byte> rest)
{
    private ReadOnlySpan<byte> _rest = rest;

    /// <summary>A field's length ran past the end of the record.</summary>
    public bool Overrun { get; private set; }

    /// <summary>The next <paramref name="length"/> bytes.</summary>
    public ReadOnlySpan<byte> Take(int length)
    {
        if (Overrun || length > _rest.Length)
        {
            Overrun = true;
            return default;
        }
        ReadOnlySpan<byte> field = _rest[..length];
        _rest = _rest[length..];
        return field;
    }
}

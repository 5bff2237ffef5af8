namespace ProcWatch.Kernel.ProcFs;

/// <summary>
/// Reads /proc/self/smaps line by line for the mappings whose resident pages are all clean
/// file pages: private, read-only (<c>r-xp</c>, <c>r--p</c>), of a file, with no private copy
/// (<c>Anonymous: 0 kB</c>) and something resident. Dropping such a range's pages loses nothing while no thread writes or unmaps it: the
/// next touch maps the page cache's page again. A relocated RELRO segment is read-only too, but
/// its pages are private copies (Anonymous &gt; 0): it is never chosen.
/// </summary>
/// <param name="onlyPath">Only the mappings of this file (tests: a file of their own); empty: every file.</param>
internal ref struct CleanFileMappings(ReadOnlySpan<byte> onlyPath)
{
    private readonly ReadOnlySpan<byte> _onlyPath = onlyPath;
    private ulong _start, _end;
    private bool _candidate;
    private long _residentKb;

    /// <summary>One line (without its newline); true when it completes a clean mapping, given in <paramref name="start"/>..<paramref name="end"/>.</summary>
    public bool Line(scoped ReadOnlySpan<byte> line, out ulong start, out ulong end, out long residentKb)
    {
        start = end = 0;
        residentKb = 0;
        int space = line.IndexOf((byte)' ');
        if (space <= 0)
            return false;
        ReadOnlySpan<byte> first = line[..space];
        if (first[^1] == (byte)':')
        {
            if (!_candidate)
                return false;
            if (first.SequenceEqual("Rss:"u8))
            {
                _residentKb = Kilobytes(line[space..]);
                return false;
            }
            if (!first.SequenceEqual("Anonymous:"u8))
                return false;
            _candidate = false;
            if (_residentKb <= 0 || Kilobytes(line[space..]) != 0)
                return false;
            (start, end, residentKb) = (_start, _end, _residentKb);
            return true;
        }
        _candidate = IsReadOnlyFileMapping(line, first, space);
        _residentKb = 0;
        return false;
    }

    /// <summary>A header: <c>start-end perms offset dev inode path</c>.</summary>
    private bool IsReadOnlyFileMapping(scoped ReadOnlySpan<byte> line, scoped ReadOnlySpan<byte> range, int space)
    {
        int dash = range.IndexOf((byte)'-');
        if (dash <= 0 || !TryHex(range[..dash], out _start) || !TryHex(range[(dash + 1)..], out _end) || _end <= _start)
            return false;
        ReadOnlySpan<byte> rest = line[(space + 1)..];
        if (!rest.StartsWith("r-xp "u8) && !rest.StartsWith("r--p "u8))
            return false;
        // The path is the first field that starts with '/' ([heap], [stack], anon_inode:... are not files).
        int path = rest.IndexOf(" /"u8);
        return path > 0 && (_onlyPath.IsEmpty || rest[(path + 1)..].SequenceEqual(_onlyPath));
    }

    private static long Kilobytes(ReadOnlySpan<byte> value)
    {
        value = value.TrimStart((byte)' ');
        long kb = 0;
        int i = 0;
        for (; i < value.Length && value[i] is >= (byte)'0' and <= (byte)'9'; i++)
            kb = kb * 10 + (value[i] - '0');
        return i == 0 ? -1 : kb;
    }

    private static bool TryHex(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16)
            return false;
        foreach (byte b in text)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
                return false;
            value = (value << 4) | (uint)digit;
        }
        return true;
    }
}

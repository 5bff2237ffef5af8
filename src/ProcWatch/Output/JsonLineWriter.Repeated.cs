namespace ProcWatch.Output;

/// <summary>Values written again and again, copied from <see cref="RepeatedJson"/> (bench/README.md: ECS writer).</summary>
internal ref partial struct JsonLineWriter
{
    /// <summary>
    /// <see cref="StringArray"/> for a list that is written again and again (a parent's and the
    /// ancestors' argv on every child's event): its JSON is kept in <see cref="RepeatedJson.Arrays"/>,
    /// keyed by the list's identity (the process table shares one list per process), and copied.
    /// </summary>
    public void RepeatedStringArray(ReadOnlySpan<byte> name, IReadOnlyList<string> items)
    {
        Name(name);
        if (!TryRepeat(RepeatedJson.Arrays, items, out int start))
            return;
        int grows = _grows;
        WriteArrayBody(items);
        if (grows == _grows) RepeatedJson.Arrays.Add(items, _span[start.._pos].ToArray());
    }

    /// <summary><see cref="CommandLine"/> for a list written again and again (see <see cref="RepeatedStringArray"/>).</summary>
    public void RepeatedCommandLine(ReadOnlySpan<byte> name, IReadOnlyList<string> args)
    {
        Name(name);
        if (!TryRepeat(RepeatedJson.CommandLines, args, out int start))
            return;
        int grows = _grows;
        WriteCommandLineValue(args);
        if (grows == _grows) RepeatedJson.CommandLines.Add(args, _span[start.._pos].ToArray());
    }

    /// <summary>
    /// Copies the cached JSON of <paramref name="items"/> (false), or makes room for all of it in
    /// this span and says where it starts (true: write it, then cache <c>_span[start.._pos]</c>).
    /// Lists too long or not cacheable are written here and false is returned.
    /// </summary>
    private bool TryRepeat(RepeatedJson cache, IReadOnlyList<string> items, out int start)
    {
        start = 0;
        if (cache.TryGet(items, out byte[]? json))
        {
            Raw(json);
            return false;
        }
        int bound = 4; // brackets or quotes, and a shell-quoted argument's own pair
        for (int i = 0; i < items.Count && bound <= RepeatedJson.MaxBytes; i++)
            bound += items[i].Length * 6 + 4; // 6 bytes a char at most (\uXXXX), quotes and a separator
        if (bound > RepeatedJson.MaxBytes || !RepeatedJson.Cacheable(items))
        {
            if (ReferenceEquals(cache, RepeatedJson.Arrays)) WriteArrayBody(items); // the two caches hold the two forms
            else WriteCommandLineValue(items);
            return false;
        }
        Reserve(bound); // the whole value in this span, so it can be copied out after
        start = _pos;
        return true;
    }

    private void WriteArrayBody(IReadOnlyList<string> items)
    {
        Raw("["u8);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) Raw(","u8);
            WriteEscaped(items[i]);
        }
        Raw("]"u8);
    }
}

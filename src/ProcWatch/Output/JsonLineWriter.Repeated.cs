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
        if (TryRepeat(RepeatedJson.Arrays, items))
            return;
        RepeatCapture capture = BeginRepeat(items);
        WriteArrayBody(items);
        EndRepeat(RepeatedJson.Arrays, items, capture);
    }

    /// <summary><see cref="CommandLine"/> for a list written again and again (see <see cref="RepeatedStringArray"/>).</summary>
    public void RepeatedCommandLine(ReadOnlySpan<byte> name, IReadOnlyList<string> args)
    {
        Name(name);
        if (TryRepeat(RepeatedJson.CommandLines, args))
            return;
        RepeatCapture capture = BeginRepeat(args);
        WriteCommandLineValue(args);
        EndRepeat(RepeatedJson.CommandLines, args, capture);
    }

    /// <summary>Writes the JSON <paramref name="cache"/> keeps for <paramref name="key"/>, when it has it.</summary>
    public bool TryRepeat(RepeatedJson cache, object key)
    {
        if (!cache.TryGet(key, out byte[]? json))
            return false;
        Raw(json);
        return true;
    }

    /// <summary>
    /// Starts JSON that <see cref="EndRepeat"/> is to keep: room for <paramref name="bound"/>
    /// bytes in this span, so it can be copied out once written. The JSON must leave the writer
    /// as it found it (whole objects and arrays, or fields after the first of an object), so that
    /// <see cref="TryRepeat"/>'s copy writes exactly what writing it afresh would.
    /// </summary>
    public RepeatCapture BeginRepeat(int bound)
    {
        if (bound > RepeatedJson.MaxBytes)
            return new RepeatCapture(-1, _grows);
        Reserve(bound);
        return new RepeatCapture(_pos, _grows);
    }

    /// <summary>Keeps what was written since <paramref name="capture"/> as <paramref name="key"/>'s JSON (not when it straddles two spans).</summary>
    public void EndRepeat(RepeatedJson cache, object key, RepeatCapture capture)
    {
        if (capture.Start >= 0 && capture.Grows == _grows)
            cache.Add(key, _span[capture.Start.._pos].ToArray());
    }

    /// <summary>
    /// <see cref="BeginRepeat(int)"/> for the whole value of <paramref name="items"/>; not to be
    /// cached when too long, or a list that may change under its reference.
    /// </summary>
    private RepeatCapture BeginRepeat(IReadOnlyList<string> items) =>
        RepeatedJson.Cacheable(items) ? BeginRepeat(4 + ArgsBound(items)) : RepeatCapture.None; // 4: brackets or quotes, and a shell-quoted argument's own pair

    /// <summary>The most bytes <paramref name="items"/> take as JSON items (6 a char at most, \uXXXX; quotes and a separator), counted until past <see cref="RepeatedJson.MaxBytes"/>.</summary>
    internal static int ArgsBound(IReadOnlyList<string> items)
    {
        long bound = 0;
        for (int i = 0; i < items.Count && bound <= RepeatedJson.MaxBytes; i++)
            bound += items[i].Length * 6L + 4;
        return (int)Math.Min(bound, int.MaxValue);
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

/// <summary>Where JSON to be cached started (<see cref="JsonLineWriter.BeginRepeat(int)"/>); Start -1: not to be cached.</summary>
internal readonly record struct RepeatCapture(int Start, int Grows)
{
    public static RepeatCapture None => new(-1, 0);
}

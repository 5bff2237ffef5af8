using System.Text;

namespace ProcWatch.Sigma.Compiling;

/// <summary>The value-changing modifiers: each turns one value into one or more (which are then OR'ed).</summary>
internal static class ValueTransforms
{
    /// <summary>The characters <c>windash</c> tries for each dash or slash that starts an option.</summary>
    private static readonly char[] Dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];

    /// <summary>More variants than this from one value is almost surely a mistake: the rule is unsupported instead.</summary>
    private const int MaxVariants = 4096;

    /// <summary>A transformed value, and whether its characters are all literal (base64 output has no wildcards).</summary>
    public readonly record struct Variant(string Text, bool Literal);

    public static List<Variant> Apply(string transform, Variant value)
    {
        string[] parts = transform.Split(':');
        Encoding encoding = parts.Length > 1 ? EncodingOf(parts[1]) : new UTF8Encoding(false);
        byte[] bytes = parts.Length > 1 && parts[1] == "utf16"
            ? [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(value.Text)]
            : encoding.GetBytes(value.Text);
        return parts[0] switch
        {
            "base64" => [new Variant(Convert.ToBase64String(bytes), true)],
            "base64offset" => Base64Offsets(bytes),
            "windash" => WinDash(value),
            _ => throw new NotSupportedException($"unknown transformation '{transform}'"),
        };
    }

    /// <summary>
    /// The three base64 forms of <paramref name="bytes"/> as it could appear at any offset
    /// inside a longer encoded text: encoded after 0, 1, 2 leading bytes, with the characters
    /// that depend on the unknown neighbours cut off (as the Sigma reference implementation does).
    /// </summary>
    private static List<Variant> Base64Offsets(byte[] bytes)
    {
        int[] start = [0, 2, 3];
        int[] endCut = [0, 3, 2];
        var variants = new List<Variant>(3);
        for (int i = 0; i < 3; i++)
        {
            byte[] shifted = new byte[i + bytes.Length];
            bytes.CopyTo(shifted, i);
            string encoded = Convert.ToBase64String(shifted);
            int cut = endCut[(bytes.Length + i) % 3];
            int length = encoded.Length - start[i] - cut;
            if (length > 0)
                variants.Add(new Variant(encoded.Substring(start[i], length), true));
        }
        return variants;
    }

    /// <summary>
    /// Every combination of <see cref="Dashes"/> in place of each '-' or '/' that starts an
    /// option (not preceded by a word character, followed by one), as Sigma's windash does.
    /// </summary>
    private static List<Variant> WinDash(Variant value)
    {
        string text = value.Text;
        var positions = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is '-' or '/' && (i == 0 || !IsWord(text[i - 1])) && i + 1 < text.Length && IsWord(text[i + 1]))
                positions.Add(i);
        }
        if (Math.Pow(Dashes.Length, positions.Count) > MaxVariants)
            throw new NotSupportedException($"windash on '{text}' makes more than {MaxVariants} variants");
        var variants = new List<Variant> { value };
        foreach (int at in positions)
        {
            var next = new List<Variant>(variants.Count * Dashes.Length);
            foreach (Variant v in variants)
            {
                foreach (char dash in Dashes)
                {
                    char[] chars = v.Text.ToCharArray();
                    chars[at] = dash;
                    next.Add(v with { Text = new string(chars) });
                }
            }
            variants = next;
        }
        return variants;
    }

    private static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static Encoding EncodingOf(string name) => name switch
    {
        "utf16le" or "utf16" => Encoding.Unicode,
        "utf16be" => Encoding.BigEndianUnicode,
        _ => throw new NotSupportedException($"unknown encoding '{name}'"),
    };
}

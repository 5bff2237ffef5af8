using System.Text;
using ProcWatch.Sigma.Matching;

namespace ProcWatch.Sigma.Compiling;

/// <summary>
/// A Sigma string value as tokens: literal characters and the wildcards <c>*</c> and <c>?</c>.
/// Escapes per the specification: <c>\*</c>, <c>\?</c> and <c>\\</c> are literals; a backslash
/// before anything else is itself a literal (so Windows paths need no doubling).
/// </summary>
internal readonly record struct SigmaString(char[] Tokens, bool[] Wild)
{
    public static SigmaString Parse(string text)
    {
        var tokens = new List<char>(text.Length);
        var wild = new List<bool>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '*' or '?' or '\\')
            {
                tokens.Add(text[++i]);
                wild.Add(false);
            }
            else if (c is '*' or '?')
            {
                tokens.Add(c == '*' ? WildcardPattern.AnyRun : WildcardPattern.AnyOne);
                wild.Add(true);
            }
            else
            {
                tokens.Add(c);
                wild.Add(false);
            }
        }
        return new SigmaString([.. tokens], [.. wild]);
    }

    /// <summary>Every character literal (values made by <c>base64</c>, references by <c>fieldref</c>).</summary>
    public static SigmaString Literal(string text) => new(text.ToCharArray(), new bool[text.Length]);

    public bool IsAnyRun(int i) => Wild[i] && Tokens[i] == WildcardPattern.AnyRun;

    public SigmaString Surround(bool before, bool after)
    {
        int n = Tokens.Length + (before ? 1 : 0) + (after ? 1 : 0);
        var tokens = new char[n];
        var wild = new bool[n];
        int at = 0;
        if (before) { tokens[at] = WildcardPattern.AnyRun; wild[at++] = true; }
        Tokens.CopyTo(tokens, at);
        Wild.CopyTo(wild, at);
        if (after) { tokens[n - 1] = WildcardPattern.AnyRun; wild[n - 1] = true; }
        return new SigmaString(tokens, wild).CollapseRuns();
    }

    public SigmaString Lowered()
    {
        var tokens = (char[])Tokens.Clone();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!Wild[i]) tokens[i] = char.ToLowerInvariant(tokens[i]);
        }
        return new SigmaString(tokens, Wild);
    }

    /// <summary>The literal characters from <paramref name="start"/> to <paramref name="end"/> (exclusive).</summary>
    public string Text(int start, int end) => new(Tokens, start, end - start);

    /// <summary>The longest run of literals (to pre-filter a wildcard match with the shared automaton).</summary>
    public (int Start, int Length) LongestLiteralRun()
    {
        int best = 0, bestStart = 0, run = 0;
        for (int i = 0; i <= Tokens.Length; i++)
        {
            if (i < Tokens.Length && !Wild[i]) { run++; continue; }
            if (run > best) { best = run; bestStart = i - run; }
            run = 0;
        }
        return (bestStart, best);
    }

    public bool HasWildcardBetween(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            if (Wild[i]) return true;
        }
        return false;
    }

    private SigmaString CollapseRuns()
    {
        var tokens = new List<char>(Tokens.Length);
        var wild = new List<bool>(Tokens.Length);
        for (int i = 0; i < Tokens.Length; i++)
        {
            if (IsAnyRun(i) && tokens.Count > 0 && wild[^1] && tokens[^1] == WildcardPattern.AnyRun)
                continue;
            tokens.Add(Tokens[i]);
            wild.Add(Wild[i]);
        }
        return new SigmaString([.. tokens], [.. wild]);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Tokens.Length; i++)
            sb.Append(!Wild[i] ? Tokens[i] : Tokens[i] == WildcardPattern.AnyRun ? '*' : '?');
        return sb.ToString();
    }
}

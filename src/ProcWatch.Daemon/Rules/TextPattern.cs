using System.Text.RegularExpressions;

namespace ProcWatch.Rules;

/// <summary>
/// A string condition: <c>/regex/</c> or <c>/regex/i</c> is a regular expression (searched,
/// not anchored), anything else a plain substring (ordinal). Regexes run with the
/// non-backtracking engine, so attacker-chosen command lines cannot make matching slow.
/// </summary>
internal sealed class TextPattern
{
    private readonly Regex? _regex;
    private readonly string? _substring;

    private TextPattern(Regex? regex, string? substring)
    {
        _regex = regex;
        _substring = substring;
    }


    /// <exception cref="ArgumentException">The regex does not compile (message says why).</exception>
    public static TextPattern Parse(string text)
    {
        bool ignoreCase = text.Length >= 3 && text[0] == '/' && text.EndsWith("/i", StringComparison.Ordinal);
        if (text.Length >= 2 && text[0] == '/' && (text[^1] == '/' || ignoreCase))
        {
            string pattern = text[1..(ignoreCase ? ^2 : ^1)];
            RegexOptions options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;
            if (ignoreCase) options |= RegexOptions.IgnoreCase;
            return new TextPattern(new Regex(pattern, options), null);
        }
        return new TextPattern(null, text);
    }

    public bool IsMatch(string value) =>
        _regex?.IsMatch(value) ?? value.Contains(_substring!, StringComparison.Ordinal);
}

namespace ProcWatch.Sigma.Matching;

/// <summary>
/// A Sigma value with <c>*</c> (any run) and <c>?</c> (any one character), escapes already
/// resolved: matched greedily with a single backtrack point per star, O(text × pattern) worst.
/// </summary>
internal sealed class WildcardPattern
{
    public const char AnyRun = '\uE000';
    public const char AnyOne = '\uE001';

    private readonly char[] _tokens;
    private readonly bool[] _wild;

    /// <param name="tokens">Literal characters and wildcards.</param>
    /// <param name="wild">Per token: true when it is <see cref="AnyRun"/> or <see cref="AnyOne"/> (not a literal that happens to be that code point).</param>
    public WildcardPattern(char[] tokens, bool[] wild)
    {
        _tokens = tokens;
        _wild = wild;
    }

    public bool IsMatch(ReadOnlySpan<char> text)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < _tokens.Length && _wild[p] && _tokens[p] == AnyRun)
            {
                starP = p++;
                starT = t;
            }
            else if (p < _tokens.Length && ((_wild[p] && _tokens[p] == AnyOne) || (!_wild[p] && _tokens[p] == text[t])))
            {
                p++;
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < _tokens.Length && _wild[p] && _tokens[p] == AnyRun)
            p++;
        return p == _tokens.Length;
    }
}

namespace ProcWatch.Sigma.Matching;

/// <summary>
/// Which rules can fire for an exec, from the shared automaton pass alone. Most rules cannot
/// be true unless one of their literals is in the event (<c>Image|endswith: /curl</c>): such a
/// rule is tried only when one of those literals was found, so an ordinary exec touches a
/// handful of rules, not all of them. Rules without such a literal are always tried.
/// </summary>
internal sealed class RulePrefilter
{
    /// <summary>Per field, per automaton hit key: the rules that hit makes worth trying.</summary>
    private readonly int[][]?[] _triggers = new int[SigmaFields.Count][][];
    private readonly SigmaField[] _scannedFields;
    private readonly bool[] _always;
    private readonly int[] _candidate;
    private int _stamp;

    public RulePrefilter(MatchNode[] conditions, AhoCorasick?[] automata)
    {
        _always = new bool[conditions.Length];
        _candidate = new int[conditions.Length];
        var lists = new List<int>[SigmaFields.Count][];
        for (int f = 0; f < SigmaFields.Count; f++)
            lists[f] = automata[f] is { } ac ? new List<int>[ac.PatternCount * 2] : [];
        for (int rule = 0; rule < conditions.Length; rule++)
        {
            List<(SigmaField Field, int Key)>? need = Need(conditions[rule], automata);
            if (need is null)
            {
                _always[rule] = true;
                continue;
            }
            foreach ((SigmaField field, int key) in need)
                (lists[(int)field][key] ??= []).Add(rule);
        }
        var scanned = new List<SigmaField>();
        for (int f = 0; f < SigmaFields.Count; f++)
        {
            if (lists[f].Any(l => l is not null))
            {
                _triggers[f] = Array.ConvertAll(lists[f], l => l is null ? [] : l.Distinct().ToArray());
                scanned.Add((SigmaField)f);
            }
        }
        _scannedFields = [.. scanned];
        AlwaysTried = _always.Count(a => a);
    }

    /// <summary>Rules with no literal that must be present: tried on every exec.</summary>
    public int AlwaysTried { get; }

    /// <summary>Marks the rules worth trying for the event in <paramref name="e"/>; then ask <see cref="IsCandidate"/>.</summary>
    public void Select(SigmaEvent e)
    {
        if (++_stamp == int.MaxValue)
        {
            _stamp = 1;
            Array.Clear(_candidate);
        }
        foreach (SigmaField field in _scannedFields)
        {
            int[][] triggers = _triggers[(int)field]!;
            foreach (int key in e.Hits(field))
            {
                foreach (int rule in triggers[key])
                    _candidate[rule] = _stamp;
            }
        }
    }

    public bool IsCandidate(int rule) => _always[rule] || _candidate[rule] == _stamp;

    /// <summary>
    /// Literals at least one of which the event must contain for <paramref name="node"/> to be
    /// true; null when there is no such set (a negation, a regex, an equality...).
    /// </summary>
    private static List<(SigmaField, int)>? Need(MatchNode node, AhoCorasick?[] automata)
    {
        switch (node)
        {
            case ContainsNode c:
                return [(c.Field, c.Pattern)];
            case EndsWithNode s:
                return [(s.Field, automata[(int)s.Field]!.PatternCount + s.Pattern)];
            case AndNode and:
                List<(SigmaField, int)>? best = null;
                foreach (MatchNode child in and.Children)
                {
                    if (Need(child, automata) is { } need && (best is null || need.Count < best.Count))
                        best = need;
                }
                return best;
            case OrNode or:
                var all = new List<(SigmaField, int)>();
                foreach (MatchNode child in or.Children)
                {
                    if (Need(child, automata) is not { } need)
                        return null;
                    all.AddRange(need);
                }
                return all;
            default:
                return null; // AtLeast could be handled like Or; rare enough to try always
        }
    }
}

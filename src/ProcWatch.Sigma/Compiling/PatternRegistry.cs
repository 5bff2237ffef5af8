using ProcWatch.Sigma.Matching;

namespace ProcWatch.Sigma.Compiling;

/// <summary>
/// The lower-cased literals every rule asks about, per field, each once: all rules' contains
/// and endswith tests on a field are answered by one automaton pass over that field.
/// </summary>
internal sealed class PatternRegistry
{
    private readonly Dictionary<string, int>[] _ids = new Dictionary<string, int>[SigmaFields.Count];
    private readonly List<string>[] _patterns = new List<string>[SigmaFields.Count];

    public PatternRegistry()
    {
        for (int i = 0; i < SigmaFields.Count; i++)
        {
            _ids[i] = new Dictionary<string, int>(StringComparer.Ordinal);
            _patterns[i] = [];
        }
    }

    public int Intern(SigmaField field, string lowered)
    {
        Dictionary<string, int> ids = _ids[(int)field];
        if (!ids.TryGetValue(lowered, out int id))
        {
            id = ids.Count;
            ids.Add(lowered, id);
            _patterns[(int)field].Add(lowered);
        }
        return id;
    }

    public int Count
    {
        get
        {
            int n = 0;
            foreach (List<string> list in _patterns) n += list.Count;
            return n;
        }
    }

    public AhoCorasick?[] Build()
    {
        var automata = new AhoCorasick?[SigmaFields.Count];
        for (int i = 0; i < automata.Length; i++)
            automata[i] = _patterns[i].Count == 0 ? null : new AhoCorasick(_patterns[i]);
        return automata;
    }
}

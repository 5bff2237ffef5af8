namespace ProcWatch.Sigma.Matching;

/// <summary>
/// Many lower-cased literals found in one pass over a text (Aho–Corasick as a full DFA).
/// Characters that occur in no pattern share one class, so the table stays small. The
/// state after the last character tells every pattern the text ends with: that is what
/// <c>endswith</c> needs, and <c>contains</c> is every state's output along the way.
/// </summary>
internal sealed class AhoCorasick
{
    private readonly int[] _asciiClass = new int[128];
    private readonly Dictionary<char, int> _wideClass = [];
    private readonly int _classes;
    private readonly int[] _delta;
    private readonly int[][] _outputs;

    public AhoCorasick(IReadOnlyList<string> patterns)
    {
        PatternCount = patterns.Count;
        int next = 1;
        foreach (string p in patterns)
        {
            foreach (char c in p)
            {
                if (c < 128) { if (_asciiClass[c] == 0) _asciiClass[c] = next++; }
                else if (_wideClass.TryAdd(c, next)) next++;
            }
        }
        _classes = next;

        // The trie, then failure links in breadth-first order fill in every missing transition.
        var trie = new List<int[]> { NewRow() };
        var outputs = new List<List<int>?> { null };
        for (int id = 0; id < patterns.Count; id++)
        {
            int s = 0;
            foreach (char c in patterns[id])
            {
                int cls = ClassOf(c);
                if (trie[s][cls] <= 0)
                {
                    trie.Add(NewRow());
                    outputs.Add(null);
                    trie[s][cls] = trie.Count - 1;
                }
                s = trie[s][cls];
            }
            (outputs[s] ??= []).Add(id);
        }
        int states = trie.Count;
        var fail = new int[states];
        var queue = new Queue<int>();
        for (int cls = 0; cls < _classes; cls++)
        {
            int t = trie[0][cls];
            if (t > 0) { fail[t] = 0; queue.Enqueue(t); }
            else trie[0][cls] = 0;
        }
        while (queue.Count > 0)
        {
            int s = queue.Dequeue();
            if (outputs[fail[s]] is { } inherited)
                (outputs[s] ??= []).AddRange(inherited);
            for (int cls = 0; cls < _classes; cls++)
            {
                int t = trie[s][cls];
                if (t > 0)
                {
                    fail[t] = trie[fail[s]][cls];
                    queue.Enqueue(t);
                }
                else
                {
                    trie[s][cls] = trie[fail[s]][cls];
                }
            }
        }
        // Each entry is the next state's row offset (state × classes), negative when that state
        // reports patterns: the scan loop then needs no multiply and no output lookup per character.
        _delta = new int[states * _classes];
        _outputs = new int[states][];
        for (int s = 0; s < states; s++)
            _outputs[s] = outputs[s]?.Distinct().ToArray() ?? [];
        for (int s = 0; s < states; s++)
        {
            for (int cls = 0; cls < _classes; cls++)
            {
                int t = trie[s][cls];
                _delta[s * _classes + cls] = _outputs[t].Length > 0 ? ~(t * _classes) : t * _classes;
            }
        }
        StateCount = states;
    }

    public int PatternCount { get; }
    public int StateCount { get; }

    /// <summary>
    /// Runs <paramref name="text"/> through the automaton: every pattern it contains gets
    /// <paramref name="stamp"/> in <paramref name="found"/>, every pattern it ends with in
    /// <paramref name="suffix"/>. <paramref name="visited"/> (one per state) skips outputs already reported.
    /// </summary>
    /// <paramref name="hits"/> gets each pattern found once: its id for contains, <see cref="PatternCount"/> + id for ends-with.
    public void Scan(ReadOnlySpan<char> text, int stamp, int[] visited, int[] found, int[] suffix, List<int> hits)
    {
        int patterns = PatternCount;
        int row = 0;
        int[] delta = _delta;
        int classes = _classes;
        int[] ascii = _asciiClass;
        foreach (char c in text)
        {
            int cls = c < 128 ? ascii[c] : _wideClass.GetValueOrDefault(c);
            int next = delta[row + cls];
            if (next >= 0)
            {
                row = next;
                continue;
            }
            row = ~next;
            int s = row / classes;
            if (visited[s] != stamp)
            {
                visited[s] = stamp;
                foreach (int id in _outputs[s])
                {
                    if (found[id] != stamp)
                    {
                        found[id] = stamp;
                        hits.Add(id);
                    }
                }
            }
        }
        foreach (int id in _outputs[row / classes])
        {
            suffix[id] = stamp;
            hits.Add(patterns + id);
        }
    }

    private int ClassOf(char c) => c < 128 ? _asciiClass[c] : _wideClass[c];

    private int[] NewRow()
    {
        var row = new int[_classes];
        Array.Fill(row, -1);
        return row;
    }
}

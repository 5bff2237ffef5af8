using ProcWatch.Events;
using ProcWatch.Sigma.Matching;
using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma;

/// <summary>A loaded rule: what it says, its compiled condition, and the alert it raises.</summary>
internal sealed class SigmaCompiledRule
{
    public SigmaCompiledRule(SigmaRuleInfo info, MatchNode condition)
    {
        Info = info;
        Condition = condition;
        Alert = new AlertInfo(info.Title, info.Level, SigmaLevel.Score(info.Level))
        {
            RuleId = info.Id,
            Ruleset = "sigma",
            Description = info.Description,
            References = info.References,
            Techniques = info.Techniques,
        };
    }

    public SigmaRuleInfo Info { get; }

    /// <summary>The rule names Hashes or sha256: a hash follow-up event (the hash came after the exec) is judged by it too.</summary>
    public bool UsesHashes { get; init; }
    public MatchNode Condition { get; internal set; }
    public AlertInfo Alert { get; }
}

/// <summary>
/// The compiled rule set: every exec is turned into one shared <see cref="SigmaEvent"/> (each
/// field lowered once, each field's literals of all rules found in one automaton pass), then
/// each rule's condition is a few bit tests over it. Not thread-safe: one evaluating thread.
/// </summary>
internal sealed class SigmaEngine
{
    private readonly SigmaCompiledRule[] _rules;
    private readonly SigmaEvent _event;

    private readonly RulePrefilter _prefilter;

    public SigmaEngine(SigmaCompiledRule[] rules, AhoCorasick?[] automata)
    {
        _rules = rules;
        _event = new SigmaEvent(automata);
        PatternCount = automata.Sum(a => a?.PatternCount ?? 0);
        _prefilter = new RulePrefilter(Array.ConvertAll(rules, r => r.Condition), automata);
    }

    /// <summary>Rules tried on every exec (no literal the event must contain); the rest only when one of theirs is found.</summary>
    public int AlwaysTried => _prefilter.AlwaysTried;


    public IReadOnlyList<SigmaCompiledRule> Rules => _rules;

    /// <summary>Distinct literals the automata look for (shared by all rules).</summary>
    public int PatternCount { get; }

    /// <summary>The rules <paramref name="e"/> fires, into <paramref name="hits"/> (cleared first); only exec events match process_creation.</summary>
    public int Evaluate(ProcessEvent e, List<SigmaCompiledRule> hits)
    {
        hits.Clear();
        if (_rules.Length == 0 || e.Process is not { } process)
            return 0;
        if (e is HashEvent)
        {
            // The hash the exec could not carry: only rules on hashes judge it again (the
            // others already judged the exec).
            Evaluate(process, hits);
            hits.RemoveAll(static r => !r.UsesHashes);
            return hits.Count;
        }
        if (e is not ExecEvent)
            return 0;
        return Evaluate(process, hits);
    }

    /// <summary>
    /// The rules <paramref name="process"/> fires. A loader run or an interpreter with a script
    /// file is seen once more with that program as its Image (and Hashes): a rule on
    /// <c>Image</c> fires for <c>ld-linux-x86-64.so.2 /tmp/x</c> and for <c>bash /tmp/x.sh</c>.
    /// </summary>
    public int Evaluate(ProcessInfo process, List<SigmaCompiledRule> hits)
    {
        hits.Clear();
        EvaluateView(process, ImageView.Executable, hits);
        if (SigmaEvent.HasView(process, ImageView.LoadedProgram))
            EvaluateView(process, ImageView.LoadedProgram, hits);
        if (SigmaEvent.HasView(process, ImageView.Script))
            EvaluateView(process, ImageView.Script, hits);
        return hits.Count;
    }

    private void EvaluateView(ProcessInfo process, ImageView view, List<SigmaCompiledRule> hits)
    {
        _event.Reset(process, view);
        _prefilter.Select(_event);
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_prefilter.IsCandidate(i) && _rules[i].Condition.Evaluate(_event) && (view == ImageView.Executable || !hits.Contains(_rules[i])))
                hits.Add(_rules[i]);
        }
    }
}

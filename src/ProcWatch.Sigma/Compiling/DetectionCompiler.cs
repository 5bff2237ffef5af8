using System.IO.Enumeration;
using ProcWatch.Sigma.Matching;
using ProcWatch.Sigma.Parsing;
using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma.Compiling;

/// <summary>A detection (search identifiers + condition) compiled to one match node.</summary>
internal sealed class DetectionCompiler(PatternRegistry patterns)
{
    private readonly ItemCompiler _items = new(patterns);

    /// <summary>Whether the detection compiled last names Hashes or sha256 (it is then judged again on a hash follow-up event).</summary>
    public bool LastUsedHashes => _items.HashFieldSeen;

    /// <exception cref="SigmaRuleException">The detection is invalid, or uses what ProcWatch cannot evaluate.</exception>
    public MatchNode Compile(Detection detection, string file)
    {
        _items.HashFieldSeen = false;
        var searches = new Dictionary<string, MatchNode>(StringComparer.Ordinal);
        foreach (SearchIdentifier search in detection.Searches)
        {
            var alternatives = new MatchNode[search.Alternatives.Count];
            for (int a = 0; a < alternatives.Length; a++)
            {
                IReadOnlyList<DetectionItem> items = search.Alternatives[a];
                var all = new MatchNode[items.Count];
                for (int i = 0; i < all.Length; i++)
                {
                    try
                    {
                        all[i] = _items.Compile(items[i]);
                    }
                    catch (NotSupportedException ex)
                    {
                        throw new SigmaRuleException(file, items[i].Line, ex.Message, unsupported: true);
                    }
                }
                alternatives[a] = all.Length == 1 ? all[0] : new AndNode(all);
            }
            searches[search.Name] = alternatives.Length == 1 ? alternatives[0] : new OrNode(alternatives);
        }

        var conditions = new MatchNode[detection.Conditions.Count];
        for (int c = 0; c < conditions.Length; c++)
        {
            ConditionExpr expr;
            try
            {
                expr = ConditionParser.Parse(detection.Conditions[c]);
            }
            catch (FormatException ex)
            {
                throw new SigmaRuleException(file, detection.ConditionLine, ex.Message);
            }
            catch (NotSupportedException ex)
            {
                throw new SigmaRuleException(file, detection.ConditionLine, ex.Message, unsupported: true);
            }
            conditions[c] = Lower(expr, searches, file, detection.ConditionLine);
        }
        return conditions.Length == 1 ? conditions[0] : new OrNode(conditions);
    }

    private static MatchNode Lower(ConditionExpr expr, Dictionary<string, MatchNode> searches, string file, int line) => expr switch
    {
        AndExpr and => new AndNode([Lower(and.Left, searches, file, line), Lower(and.Right, searches, file, line)]),
        OrExpr or => new OrNode([Lower(or.Left, searches, file, line), Lower(or.Right, searches, file, line)]),
        NotExpr not => new NotNode(Lower(not.Operand, searches, file, line)),
        IdentifierExpr id => searches.TryGetValue(id.Name, out MatchNode? node)
            ? node
            : throw new SigmaRuleException(file, line, $"the condition names '{id.Name}', which the detection does not define"),
        OfExpr of => LowerOf(of, searches, file, line),
        _ => throw new SigmaRuleException(file, line, "unknown condition element"),
    };

    /// <summary><c>1 of X*</c> / <c>all of X*</c>; <c>them</c> is every identifier not starting with '_'.</summary>
    private static MatchNode LowerOf(OfExpr of, Dictionary<string, MatchNode> searches, string file, int line)
    {
        var matched = new List<MatchNode>();
        foreach ((string name, MatchNode node) in searches)
        {
            bool include = of.Pattern is null
                ? !name.StartsWith('_')
                : FileSystemName.MatchesSimpleExpression(of.Pattern, name, ignoreCase: false);
            if (include)
                matched.Add(node);
        }
        if (matched.Count == 0)
            throw new SigmaRuleException(file, line, $"'{of.Pattern ?? "them"}' names no search identifier");
        MatchNode[] children = [.. matched];
        return of.Count switch
        {
            null => new AndNode(children),
            1 => new OrNode(children),
            int n => new AtLeastNode(n, children),
        };
    }
}

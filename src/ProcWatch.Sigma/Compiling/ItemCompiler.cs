using System.Net;
using System.Text.RegularExpressions;
using ProcWatch.Sigma.Matching;
using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma.Compiling;

/// <summary>
/// Turns one detection item (<c>Field|modifiers: values</c>) into a match node. Case-insensitive
/// contains/endswith literals go into the shared <see cref="PatternRegistry"/>; anything
/// ProcWatch cannot evaluate throws <see cref="NotSupportedException"/> with the reason.
/// </summary>
internal sealed class ItemCompiler(PatternRegistry patterns)
{
    /// <summary>Set when an item names Hashes or sha256; the caller clears it per rule.</summary>
    public bool HashFieldSeen { get; set; }

    /// <exception cref="NotSupportedException">An unknown field or modifier, or values the modifiers cannot take.</exception>
    public MatchNode Compile(DetectionItem item)
    {
        string fieldName = item.Field ?? "keywords";
        Modifiers m = Modifiers.Parse(item.Modifiers, fieldName);
        if (item.Field is null)
        {
            // A keyword is looked for anywhere in the event: in each text field.
            var perField = new MatchNode[SigmaFields.Text.Length];
            for (int i = 0; i < perField.Length; i++)
                perField[i] = CompileValues(SigmaFields.Text[i], item, m, keyword: true);
            return new OrNode(perField);
        }
        if (!SigmaFields.TryResolve(item.Field, out SigmaField field, out string? reason))
            throw new NotSupportedException(reason);
        HashFieldSeen |= field is SigmaField.Hashes or SigmaField.Sha256;
        return CompileValues(field, item, m, keyword: false);
    }

    private MatchNode CompileValues(SigmaField field, DetectionItem item, Modifiers m, bool keyword)
    {
        var nodes = new List<MatchNode>();
        foreach (SigmaValue value in item.Values)
            nodes.AddRange(CompileValue(field, value, m, keyword));
        MatchNode combined = nodes.Count == 1 ? nodes[0] : m.All ? new AndNode([.. nodes]) : new OrNode([.. nodes]);
        return m.Negate ? new NotNode(combined) : combined;
    }

    private IEnumerable<MatchNode> CompileValue(SigmaField field, SigmaValue value, Modifiers m, bool keyword)
    {
        if (m.Exists)
        {
            if (value.Kind != SigmaValueKind.Boolean)
                throw new NotSupportedException($"exists on {field} takes true or false, not '{value.Text}'");
            return [new NullNode(field, isNull: value.Text == "false")];
        }
        if (value.Kind == SigmaValueKind.Null)
            return [new NullNode(field, isNull: true)];
        if (m.Compare is { } compare)
        {
            if (value.Kind != SigmaValueKind.Number || !SigmaNumber.TryParse(value.Text, out decimal limit))
                throw new NotSupportedException($"{compare} on {field} needs a number, not '{value.Text}'");
            return [new NumberNode(field, compare, limit)];
        }
        if (m.Regex)
            return [new RegexNode(field, BuildRegex(field, value.Text, m))];
        if (m.Cidr)
        {
            if (!IPNetwork.TryParse(value.Text, out IPNetwork network))
                throw new NotSupportedException($"cidr on {field}: '{value.Text}' is not a network");
            return [new CidrNode(field, network)];
        }
        if (m.FieldRef)
        {
            if (!SigmaFields.TryResolve(value.Text, out SigmaField other, out string? reason))
                throw new NotSupportedException("fieldref: " + reason);
            return [new FieldRefNode(field, other, m.Match, m.Cased)];
        }
        if (value.Kind == SigmaValueKind.Number && SigmaFields.IsNumeric(field) && m.Match == TextMatch.Equals && m.Transforms.Count == 0
            && SigmaNumber.TryParse(value.Text, out decimal number))
            return [new NumberNode(field, NumberComparison.Equal, number)];

        var variants = new List<ValueTransforms.Variant> { new(value.Text, false) };
        foreach (string transform in m.Transforms)
            variants = variants.SelectMany(v => ValueTransforms.Apply(transform, v)).ToList();
        TextMatch match = keyword && m.Match == TextMatch.Equals ? TextMatch.Contains : m.Match;
        return variants.Select(v => Text(field, v.Literal ? SigmaString.Literal(v.Text) : SigmaString.Parse(v.Text), match, m.Cased));
    }

    /// <summary>A string test, as cheap as its shape allows: shared automaton, direct comparison, or a wildcard matcher.</summary>
    private MatchNode Text(SigmaField field, SigmaString value, TextMatch match, bool cased)
    {
        SigmaString pattern = value.Surround(before: match is TextMatch.Contains or TextMatch.EndsWith,
                                              after: match is TextMatch.Contains or TextMatch.StartsWith);
        if (!cased)
            pattern = pattern.Lowered();
        int n = pattern.Tokens.Length;
        bool leading = n > 0 && pattern.IsAnyRun(0);
        bool trailing = n > (leading ? 1 : 0) && pattern.IsAnyRun(n - 1);
        int start = leading ? 1 : 0, end = trailing ? n - 1 : n;
        if (!pattern.HasWildcardBetween(start, end))
        {
            string literal = pattern.Text(start, end);
            if (literal.Length == 0)
                return leading || trailing ? new NullNode(field, isNull: false) : new TextNode(field, TextMatch.Equals, "", cased);
            TextMatch shape = (leading, trailing) switch
            {
                (true, true) => TextMatch.Contains,
                (true, false) => TextMatch.EndsWith,
                (false, true) => TextMatch.StartsWith,
                _ => TextMatch.Equals,
            };
            if (!cased && shape == TextMatch.Contains)
                return new ContainsNode(field, patterns.Intern(field, literal));
            if (!cased && shape == TextMatch.EndsWith)
                return new EndsWithNode(field, patterns.Intern(field, literal));
            return new TextNode(field, shape, literal, cased);
        }
        var wildcard = new WildcardNode(field, new WildcardPattern(pattern.Tokens, pattern.Wild), cased);
        (int runStart, int runLength) = pattern.LongestLiteralRun();
        if (cased || runLength < 3)
            return wildcard;
        // Most events lack the pattern's longest literal: the shared pass rules them out first.
        return new AndNode([new ContainsNode(field, patterns.Intern(field, pattern.Text(runStart, runStart + runLength))), wildcard]);
    }

    private static Regex BuildRegex(SigmaField field, string pattern, Modifiers m)
    {
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
        if (m.RegexIgnoreCase) options |= RegexOptions.IgnoreCase;
        if (m.RegexMultiline) options |= RegexOptions.Multiline;
        if (m.RegexSingleline) options |= RegexOptions.Singleline;
        try
        {
            return new Regex(pattern, options);
        }
        catch (NotSupportedException ex)
        {
            throw new NotSupportedException($"regex on {field} needs backtracking ({ex.Message}); ProcWatch runs only linear-time regexes", ex);
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"regex on {field} does not compile: {ex.Message}", ex);
        }
    }
}

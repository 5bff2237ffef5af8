using System.Net;
using System.Text.RegularExpressions;

namespace ProcWatch.Sigma.Matching;

/// <summary><c>Field: null</c> (true when the event does not know the field) and <c>|exists</c>.</summary>
internal sealed class NullNode(SigmaField field, bool isNull) : MatchNode
{
    public override bool Evaluate(SigmaEvent e) => e.IsNull(field) == isNull;
}

/// <summary>A case-insensitive literal the field contains, answered by the field's shared automaton pass.</summary>
internal sealed class ContainsNode(SigmaField field, int pattern) : MatchNode
{
    public SigmaField Field => @field;
    public int Pattern => pattern;

    public override bool Evaluate(SigmaEvent e) => e.Contains(field, pattern);
}

/// <summary>A case-insensitive literal the field ends with, answered by the same pass.</summary>
internal sealed class EndsWithNode(SigmaField field, int pattern) : MatchNode
{
    public SigmaField Field => @field;
    public int Pattern => pattern;

    public override bool Evaluate(SigmaEvent e) => e.EndsWith(field, pattern);
}

internal enum TextMatch : byte
{
    Equals,
    StartsWith,
    EndsWith,
    Contains,
}

internal static class TextMatches
{
    /// <summary>Whether <paramref name="text"/> equals, starts with, ends with or contains <paramref name="literal"/> (ordinal).</summary>
    public static bool Holds(this TextMatch match, ReadOnlySpan<char> text, ReadOnlySpan<char> literal) => match switch
    {
        TextMatch.Equals => text.SequenceEqual(literal),
        TextMatch.StartsWith => text.StartsWith(literal, StringComparison.Ordinal),
        TextMatch.EndsWith => text.EndsWith(literal, StringComparison.Ordinal),
        _ => text.Contains(literal, StringComparison.Ordinal),
    };
}

/// <summary>A literal compared directly: equality and prefixes (cheap), and cased (<c>|cased</c>) matches of any kind.</summary>
internal sealed class TextNode(SigmaField field, TextMatch match, string literal, bool cased) : MatchNode
{
    public override bool Evaluate(SigmaEvent e)
    {
        if (e.IsNull(field))
            return false;
        return match.Holds(e.Text(field, cased), literal);
    }
}

/// <summary>A value with wildcards inside it (<c>a*b?c</c>).</summary>
internal sealed class WildcardNode(SigmaField field, WildcardPattern pattern, bool cased) : MatchNode
{
    public override int Cost => 4;

    public override bool Evaluate(SigmaEvent e) =>
        !e.IsNull(field) && pattern.IsMatch(e.Text(field, cased));
}

/// <summary><c>|re</c>: a pre-built non-backtracking regex (linear time whatever the argv) on the field as it is.</summary>
internal sealed class RegexNode(SigmaField field, Regex regex) : MatchNode
{
    public override int Cost => 16;

    public override bool Evaluate(SigmaEvent e) => !e.IsNull(field) && regex.IsMatch(e.Raw(field));
}

/// <summary>A number: equality of a numeric value, and <c>|lt</c> <c>|lte</c> <c>|gt</c> <c>|gte</c>.</summary>
internal sealed class NumberNode(SigmaField field, NumberComparison comparison, decimal value) : MatchNode
{
    public override bool Evaluate(SigmaEvent e)
    {
        if (!e.TryNumber(field, out decimal actual))
        {
            if (e.IsNull(field) || !Rules.SigmaNumber.TryParse(e.Raw(field), out actual))
                return false;
        }
        return comparison switch
        {
            NumberComparison.Equal => actual == value,
            NumberComparison.Less => actual < value,
            NumberComparison.LessOrEqual => actual <= value,
            NumberComparison.Greater => actual > value,
            _ => actual >= value,
        };
    }
}

internal enum NumberComparison : byte
{
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary><c>|cidr</c>: the field is an IP address inside the network.</summary>
internal sealed class CidrNode(SigmaField field, IPNetwork network) : MatchNode
{
    public override int Cost => 4;

    public override bool Evaluate(SigmaEvent e) =>
        !e.IsNull(field) && IPAddress.TryParse(e.Raw(field), out IPAddress? address) && network.Contains(address);
}

/// <summary><c>|fieldref</c>: the field compared with another field of the same event.</summary>
internal sealed class FieldRefNode(SigmaField field, SigmaField other, TextMatch match, bool cased) : MatchNode
{
    public override int Cost => 4;

    public override bool Evaluate(SigmaEvent e)
    {
        if (e.IsNull(field) || e.IsNull(other))
            return false;
        return match.Holds(e.Text(field, cased), e.Text(other, cased));
    }
}

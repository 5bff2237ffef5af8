using System.Globalization;
using ProcWatch.Sigma.Rules;

namespace ProcWatch.Sigma.Parsing;

/// <summary>
/// Parses a Sigma condition. Precedence, tightest first, as the specification gives it:
/// parentheses, <c>x of</c>, <c>not</c>, <c>and</c>, <c>or</c>. Operators are case-insensitive.
/// <c>x</c> is <c>1</c>, <c>any</c> or <c>all</c> (a larger number means "at least that many").
/// </summary>
internal sealed class ConditionParser
{
    private readonly List<string> _tokens;
    private int _next;

    private ConditionParser(List<string> tokens) => _tokens = tokens;

    /// <exception cref="FormatException">The condition is not well formed (message says where).</exception>
    /// <exception cref="NotSupportedException">An aggregation (<c>| count() ...</c>).</exception>
    public static ConditionExpr Parse(string condition)
    {
        var parser = new ConditionParser(Tokenize(condition));
        if (parser._tokens.Count == 0)
            throw new FormatException("the condition is empty");
        ConditionExpr expr = parser.ParseOr();
        if (parser._next < parser._tokens.Count)
            throw new FormatException($"unexpected '{parser._tokens[parser._next]}' in condition '{condition}'");
        return expr;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '|')
                throw new NotSupportedException("aggregations in conditions ('| count() ...') are not supported");
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not '|')
                i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private ConditionExpr ParseOr()
    {
        ConditionExpr left = ParseAnd();
        while (Accept("or"))
            left = new OrExpr(left, ParseAnd());
        return left;
    }

    private ConditionExpr ParseAnd()
    {
        ConditionExpr left = ParseNot();
        while (Accept("and"))
            left = new AndExpr(left, ParseNot());
        return left;
    }

    private ConditionExpr ParseNot() => Accept("not") ? new NotExpr(ParseNot()) : ParsePrimary();

    private ConditionExpr ParsePrimary()
    {
        string token = Take("an identifier or '('");
        if (token == "(")
        {
            ConditionExpr inner = ParseOr();
            if (Take("')'") != ")")
                throw new FormatException($"expected ')' before '{_tokens[_next - 1]}'");
            return inner;
        }
        if (token == ")" || IsOperator(token))
            throw new FormatException($"unexpected '{token}'");
        if (Peek() is { } next && next.Equals("of", StringComparison.OrdinalIgnoreCase))
        {
            _next++;
            int? count = token.Equals("all", StringComparison.OrdinalIgnoreCase) ? null
                : token.Equals("any", StringComparison.OrdinalIgnoreCase) ? 1
                : int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
                : throw new FormatException($"'{token} of' must be '1 of' or 'all of'");
            string target = Take("a search identifier pattern or 'them' after 'of'");
            if (target is "(" or ")" || IsOperator(target))
                throw new FormatException($"expected a search identifier pattern or 'them' after 'of', not '{target}'");
            return new OfExpr(count, target.Equals("them", StringComparison.OrdinalIgnoreCase) ? null : target);
        }
        return new IdentifierExpr(token);
    }

    private static bool IsOperator(string token) =>
        token.Equals("and", StringComparison.OrdinalIgnoreCase) || token.Equals("or", StringComparison.OrdinalIgnoreCase)
        || token.Equals("not", StringComparison.OrdinalIgnoreCase) || token.Equals("of", StringComparison.OrdinalIgnoreCase);

    private bool Accept(string keyword)
    {
        if (Peek() is { } token && token.Equals(keyword, StringComparison.OrdinalIgnoreCase))
        {
            _next++;
            return true;
        }
        return false;
    }

    private string? Peek() => _next < _tokens.Count ? _tokens[_next] : null;

    private string Take(string expected) =>
        _next < _tokens.Count ? _tokens[_next++] : throw new FormatException($"the condition ends where {expected} was expected");
}

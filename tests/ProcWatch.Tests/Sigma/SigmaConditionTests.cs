using Xunit;
using ProcWatch.Events;
using ProcWatch.Sigma.Parsing;
using ProcWatch.Sigma.Rules;
using static ProcWatch.Tests.Sigma.SigmaTestRules;

namespace ProcWatch.Tests.Sigma;

public class SigmaConditionTests
{
    // a, b true; c, d false for this exec.
    private const string Searches = """
        sel_a:
            Image|endswith: /curl
        sel_b:
            CommandLine|contains: evil
        sel_c:
            User: root
        filter_d:
            CurrentDirectory: /tmp
        _private:
            Image|endswith: /wget
        """;

    private static readonly ProcessInfo Curl = Exec("/usr/bin/curl", "curl", "http://evil/");

    [Theory]
    [InlineData("sel_a", true)]
    [InlineData("sel_a and sel_b", true)]
    [InlineData("sel_a and sel_c", false)]
    [InlineData("sel_c or sel_b", true)]
    [InlineData("not sel_c", true)]
    [InlineData("not sel_a", false)]
    [InlineData("sel_a and not filter_d", true)]
    [InlineData("sel_c or sel_a and sel_b", true)]         // and binds tighter than or
    [InlineData("sel_a or sel_c and filter_d", true)]
    [InlineData("(sel_a or sel_c) and filter_d", false)]   // parentheses first
    [InlineData("not sel_a or sel_b", true)]               // not binds tighter than or: (not a) or b
    [InlineData("not (sel_a or sel_b)", false)]
    [InlineData("not sel_c and not filter_d", true)]
    [InlineData("1 of sel_*", true)]
    [InlineData("all of sel_*", false)]                    // sel_c fails
    [InlineData("all of sel_? and 1 of filter_*", false)]
    [InlineData("not 1 of filter_*", true)]                // x of binds tighter than not
    [InlineData("1 of them", true)]
    [InlineData("all of them", false)]
    [InlineData("any of sel_*", true)]
    [InlineData("2 of sel_*", true)]
    [InlineData("3 of sel_*", false)]
    [InlineData("SEL_A AND NOT sel_c", false)]             // identifiers are case-sensitive (SEL_A is unknown) — see below
    public void Condition_forms_and_precedence(string condition, bool fires)
    {
        if (condition.StartsWith("SEL_A", StringComparison.Ordinal))
        {
            SigmaLoadReportAssert.Invalid(Load(Rule(Searches + "\ncondition: " + condition)), "'SEL_A'");
            return;
        }
        Assert.Equal(fires, Fires(Searches + "\ncondition: " + condition, Curl));
    }

    [Fact]
    public void Them_excludes_underscore_identifiers()
    {
        const string searches = "sel:\n    Image|endswith: /curl\n_helper:\n    User: root";
        Assert.True(Fires(searches + "\ncondition: all of them", Curl));   // _helper (false) is not part of them
        Assert.False(Fires(searches + "\ncondition: sel and _helper", Curl));
    }

    [Fact]
    public void A_list_of_conditions_is_OR()
    {
        Assert.True(Fires(Searches + "\ncondition:\n    - sel_c\n    - sel_a", Curl));
        Assert.False(Fires(Searches + "\ncondition:\n    - sel_c\n    - filter_d", Curl));
    }

    [Fact]
    public void Operators_are_case_insensitive()
    {
        Assert.True(Fires(Searches + "\ncondition: sel_a AND NOT sel_c", Curl));
        Assert.True(Fires(Searches + "\ncondition: 1 OF sel_*", Curl));
    }

    [Theory]
    [InlineData("sel_a and", "ends")]
    [InlineData("(sel_a", "')'")]
    [InlineData("sel_a sel_b", "unexpected 'sel_b'")]
    [InlineData("and sel_a", "unexpected 'and'")]
    [InlineData("1 of", "ends")]
    [InlineData("two of sel_*", "'two of'")]
    [InlineData("1 of nothing_*", "names no search identifier")]
    [InlineData("sel_zz", "does not define")]
    public void Malformed_conditions_are_invalid_with_the_line(string condition, string reason)
    {
        var report = Load(Rule(Searches + "\ncondition: " + condition));
        SigmaLoadReportAssert.Invalid(report, reason);
        Assert.Equal(17, report.Rejected[0].Line); // "condition:" line in the file
    }

    [Fact]
    public void Aggregations_are_unsupported()
    {
        var report = Load(Rule(Searches + "\ncondition: sel_a | count() > 5"));
        Assert.True(Assert.Single(report.Rejected).Unsupported);
        Assert.Contains("aggregation", report.Rejected[0].Reason);
    }

    [Fact]
    public void Parser_builds_the_spec_precedence_tree()
    {
        ConditionExpr e = ConditionParser.Parse("a or not b and 1 of c*");
        Assert.Equal(new OrExpr(new IdentifierExpr("a"), new AndExpr(new NotExpr(new IdentifierExpr("b")), new OfExpr(1, "c*"))), e);
    }
}

internal static class SigmaLoadReportAssert
{
    public static void Invalid(ProcWatch.Sigma.Loading.SigmaLoadReport report, string reason)
    {
        var rejection = Assert.Single(report.Rejected);
        Assert.False(rejection.Unsupported, rejection.Reason);
        Assert.Contains(reason, rejection.Reason);
    }
}

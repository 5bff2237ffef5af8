using Xunit;
using ProcWatch.Sigma.Loading;
using static ProcWatch.Tests.Sigma.SigmaTestRules;

namespace ProcWatch.Tests.Sigma;

public class SigmaLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procwatch-sigma-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Yaml_errors_carry_file_and_line()
    {
        string path = Write("bad/broken.yml", "title: x\nlogsource:\n    product: linux\ndetection:\n    sel: [unclosed\n    condition: sel\n");
        SigmaLoadReport report = SigmaLoader.Load([_dir]);
        SigmaRejection r = Assert.Single(report.Rejected);
        Assert.Equal(path, r.File);
        Assert.True(r.Line >= 5, $"line {r.Line}");
        Assert.Contains("invalid YAML", r.Reason);
    }

    [Theory]
    [InlineData("logsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image: x\n    condition: sel", 1, "no title")]
    [InlineData("title: t\ndetection:\n    sel:\n        Image: x\n    condition: sel", 1, "no logsource")]
    [InlineData("title: t\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image: x", 6, "no condition")]
    [InlineData("title: t\nlevel: severe\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image: x\n    condition: sel", 2, "unknown level 'severe'")]
    [InlineData("title: t\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        Image:\n            nested: map\n    condition: sel", 8, "must have a value")]
    [InlineData("title: t\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel: []\n    condition: sel", 6, "empty list")]
    public void Invalid_rules_say_what_and_where(string text, int line, string reason)
    {
        SigmaLoadReport report = Load(text);
        SigmaRejection r = Assert.Single(report.Rejected);
        Assert.False(r.Unsupported);
        Assert.Equal(line, r.Line);
        Assert.Contains(reason, r.Reason);
        Assert.Equal("rule0.yml", r.File);
    }

    [Fact]
    public void A_malformed_directory_does_not_stop_the_good_rules()
    {
        Write("good/a.yml", Rule("sel:\n    Image|endswith: /curl\ncondition: sel", "Good A"));
        Write("good/deeper/b.yaml", Rule("sel:\n    Image|endswith: /wget\ncondition: sel", "Good B"));
        Write("bad/garbage.yml", "\u0000\u0001 not yaml: [: :");
        Write("bad/binary.yml", "{{{{");
        Write("bad/list.yml", "- just\n- a list\n");
        Write("bad/unknown-field.yml", Rule("sel:\n    TargetFilename: x\ncondition: sel", "Unsupported"));
        Write("other/windows.yml", Rule("sel:\n    Image: x\ncondition: sel").Replace("product: linux", "product: windows"));
        Write("other/network.yml", Rule("sel:\n    Image: x\ncondition: sel").Replace("category: process_creation", "category: network_connection"));
        Write("notes.txt", "not a rule");
        File.WriteAllBytes(Path.Combine(_dir, "bad/big.yml"), new byte[2 * 1024 * 1024]);

        SigmaLoadReport report = SigmaLoader.Load([_dir]);

        Assert.Equal(["Good A", "Good B"], report.Engine.Rules.Select(r => r.Info.Title).Order());
        Assert.Equal(2, report.Skipped.Count);
        Assert.Equal(1, report.UnsupportedCount);
        Assert.Equal(4, report.InvalidCount);
        Assert.Equal(10 - 1, report.Files); // notes.txt is not a rule file
    }

    [Fact]
    public void A_missing_path_is_one_clear_error()
    {
        var ex = Assert.Throws<SigmaPathException>(() => SigmaLoader.Load([Path.Combine(_dir, "nope")]));
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void Multi_document_files_load_each_document_and_collections_are_unsupported()
    {
        string two = Rule("sel:\n    Image: /a\ncondition: sel", "One") + "\n---\n" + Rule("sel:\n    Image: /b\ncondition: sel", "Two");
        Assert.Equal(2, Load(two).Engine.Rules.Count);
        SigmaLoadReport collection = Load("action: global\ntitle: g\nlogsource:\n    product: linux\n");
        Assert.True(Assert.Single(collection.Rejected).Unsupported);
    }

    [Fact]
    public void Alert_carries_sigma_metadata()
    {
        SigmaLoadReport report = Load("""
            title: Curl to evil
            id: 5f9a6d2c-1111-2222-3333-444455556666
            description: Curl fetched something evil
            references:
                - https://example.com/a
                - https://example.com/b
            tags:
                - attack.execution
                - attack.t1059.004
                - attack.t1105
                - attack.g0001
                - cve.2021-1234
            logsource:
                product: linux
                category: process_creation
            detection:
                sel:
                    Image|endswith: /curl
                condition: sel
            level: critical
            """);
        var alert = Assert.Single(report.Engine.Rules).Alert;
        Assert.Equal("Curl to evil", alert.RuleName);
        Assert.Equal("5f9a6d2c-1111-2222-3333-444455556666", alert.RuleId);
        Assert.Equal("sigma", alert.Ruleset);
        Assert.Equal("Curl fetched something evil", alert.Description);
        Assert.Equal(["https://example.com/a", "https://example.com/b"], alert.References);
        Assert.Equal(["T1059.004", "T1105"], alert.Techniques);
        Assert.Equal("critical", alert.Severity);
        Assert.Equal(99, alert.SeverityScore);
    }

    [Fact]
    public void Filters_remove_local_false_positives_from_the_rules_they_name()
    {
        string rule = Rule("sel:\n    Image|endswith: /curl\ncondition: sel", "Curl use");
        const string filter = """
            title: Our backup job uses curl
            logsource:
                product: linux
                category: process_creation
            filter:
                rules:
                    - 00000000-0000-0000-0000-000000000001
                    - Some rule that is not loaded
                selection:
                    CommandLine|contains: backup.example
                condition: not selection
            """;
        SigmaLoadReport report = Load(rule, filter);
        Assert.Empty(report.Rejected);
        SigmaFilterInfo info = Assert.Single(report.Filters);
        Assert.Equal(1, info.RulesFiltered);
        Assert.Equal(["Some rule that is not loaded"], info.UnmatchedRefs);
        Assert.False(Fires(report.Engine, Exec("/usr/bin/curl", "curl", "https://backup.example/put")));
        Assert.True(Fires(report.Engine, Exec("/usr/bin/curl", "curl", "https://evil.example/")));
    }

    [Fact]
    public void All_rules_share_one_pattern_per_literal()
    {
        SigmaLoadReport report = Load(
            Rule("sel:\n    Image|endswith: /curl\ncondition: sel", "A"),
            Rule("sel:\n    Image|endswith: /CURL\n    CommandLine|contains: x\ncondition: sel", "B"));
        Assert.Equal(2, report.Engine.PatternCount); // "/curl" once (lowered), "x"
        Assert.Equal(2, report.Engine.Evaluate(Exec("/usr/bin/curl", "curl", "x"), []));
    }

    [Fact]
    public void The_literal_prefilter_never_skips_a_rule_that_can_fire_without_its_literals()
    {
        SigmaLoadReport report = Load(
            Rule("sel:\n    - CommandLine|contains: needle\n    - CommandLine|re: 'hay[0-9]'\ncondition: sel", "Or with a regex"),
            Rule("sel:\n    Image|endswith: /curl\ncondition: not sel", "Only a negation"),
            Rule("sel:\n    Image|endswith: /curl\nflt:\n    CommandLine|contains: safe\ncondition: sel and not flt", "Literal and a negation"));
        Assert.Equal(2, report.Engine.AlwaysTried);
        string[] Fired(ProcWatch.ProcessInfo p) { var hits = new List<ProcWatch.Sigma.SigmaCompiledRule>(); report.Engine.Evaluate(p, hits); return hits.Select(h => h.Info.Title).ToArray(); }
        Assert.Equal(["Or with a regex", "Only a negation"], Fired(Exec("/bin/x", "x", "hay7")));
        Assert.Equal(["Or with a regex", "Only a negation"], Fired(Exec("/bin/x", "x", "NEEDLE")));
        Assert.Equal(["Literal and a negation"], Fired(Exec("/usr/bin/curl", "curl", "x")));
        Assert.Empty(Fired(Exec("/usr/bin/curl", "curl", "safe")));
    }

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}

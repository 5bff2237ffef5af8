using System.Text;
using System.Text.RegularExpressions;
using ProcWatch.Cli.Report;
using Xunit;
using static ProcWatch.Tests.Cli.Report.ReportFixtures;

namespace ProcWatch.Tests.Cli.Report;

/// <summary>Event files in, one HTML file out: rotated sets, stdin, truncation, and data that cannot become markup.</summary>
public sealed class ReportFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procwatch-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void RotatedSet_ReadOldestFirst_WhateverTheOrderGiven()
    {
        Assert.Equal(["e.json.10", "e.json.2", "e.json.1", "e.json", "other.json"],
            EventFileReader.OldestFirst(["e.json", "e.json.1", "e.json.10", "e.json.2", "other.json"]));
    }

    [Fact]
    public void RotatedSet_OneProcessAcrossFiles()
    {
        string older = File("events.json.1", Fork(10, 1, T(0)), Exec(10, 1, T(0.1), T(0), "\"make\""));
        string newer = File("events.json", Exit(10, 1, T(2), 2));
        ReportModel m = EventFileReader.Read([newer, older]);
        ReportProcess p = Assert.Single(m.Processes);
        Assert.Equal(["make"], p.Args);
        Assert.Equal(ReportOutcome.Failure, p.Outcome);
        Assert.Equal([older, newer], m.Files);
    }

    [Fact]
    public void Stdin_AndATruncatedLastLine()
    {
        string text = Fork(11, 1, T(0)) + "\n" + Exit(11, 1, T(1), 0)[..40];
        ReportModel m = EventFileReader.Read(["-"], () => new MemoryStream(Encoding.UTF8.GetBytes(text)));
        Assert.Single(m.Processes);
        Assert.Equal(1, m.CorruptLines);
        Assert.Equal(2, m.CorruptSamples[0].Line);
        Assert.Equal("standard input", m.CorruptSamples[0].File);
    }

    [Fact]
    public void MissingFile_IsOneLineError()
    {
        var ex = Assert.Throws<ReportInputException>(() => EventFileReader.Read([Path.Combine(_dir, "nope.json")]));
        Assert.StartsWith("cannot read ", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
    }

    [Fact]
    public void HostileStrings_NeverEndTheDataElement_AndRoundTrip()
    {
        string[] hostile = ["</script><script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "a&b<!--", "\u2028\u2029", "\udcff\udc80", "\u001b[31m"];
        string args = string.Join(",", hostile.Select(h => "\"" + h.Replace("\"", "\\\"").Replace("\u001b", "\\u001b").Replace("\udcff", "\\udcff").Replace("\udc80", "\\udc80") + "\""));
        string input = File("h.json", Exec(12, 1, T(0), T(0), args));
        string html = Path.Combine(_dir, "h.html");
        ReportModel m = EventFileReader.Read([input]);
        Assert.Equal(hostile, m.Processes[0].Args);
        HtmlReportWriter.WriteFile(m, html, DateTimeOffset.UnixEpoch);
        string page = System.IO.File.ReadAllText(html);

        Match data = Regex.Match(page, "<script type=\"application/json\" id=\"procwatch-data\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(data.Success);
        Assert.DoesNotContain("<", data.Groups[1].Value);
        Assert.DoesNotContain(">", data.Groups[1].Value);
        Assert.DoesNotContain("&", data.Groups[1].Value);
        Assert.DoesNotContain("\u2028", data.Groups[1].Value);
        Assert.Contains("\\u003c/script\\u003e", data.Groups[1].Value);
        Assert.Contains("\\udcff\\udc80", data.Groups[1].Value);
        // Exactly two script elements: the data and our own (the CSP's hash is of ours).
        Assert.Equal(2, Regex.Matches(page, "<script").Count);
        Assert.Equal(1, Regex.Matches(page, "onerror").Count == 0 ? 1 : Regex.Matches(page, "\\\\\"\\\\u003e\\\\u003cimg").Count);
    }

    [Fact]
    public void CspHash_IsOfTheEmbeddedScript_AndNoNetworkIsAllowed()
    {
        string html = Path.Combine(_dir, "c.html");
        HtmlReportWriter.WriteFile(EventFileReader.Read([File("c.json", Fork(13, 1, T(0)))]), html, DateTimeOffset.UnixEpoch);
        string page = System.IO.File.ReadAllText(html);
        string csp = Regex.Match(page, "Content-Security-Policy\" content=\"([^\"]*)\"").Groups[1].Value;
        Assert.StartsWith("default-src 'none'; script-src 'sha256-", csp);
        string script = Regex.Match(page, "<script>(.*)</script>", RegexOptions.Singleline).Groups[1].Value;
        string hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        Assert.Contains($"'sha256-{hash}'", csp);
        Assert.DoesNotMatch("(src|href)=\"https?:", page);
    }
}

using System.Text.Json;
using ProcWatch.Cli.Report;
using ProcWatch.Tests.Cli;
using Xunit;

namespace ProcWatch.Tests.Cli.Report;

/// <summary>
/// Real workloads traced by the real binary, their report opened in headless chromium: what
/// a person sees is checked row by row (data-pid, data-entity-id, parent, colour class).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReportBrowserTests(BrowserFixture browser) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procwatch-report-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<JsonElement> Rows(JsonElement inspected, string view) => [.. inspected.GetProperty(view).EnumerateArray()];

    private static JsonElement RowWith(List<JsonElement> rows, string text) =>
        Assert.Single(rows, r => r.GetProperty("text").GetString()!.EndsWith(text, StringComparison.Ordinal));

    private static int Pid(JsonElement row) => row.GetProperty("pid").GetInt32();

    private static int? ParentPid(JsonElement row) =>
        row.GetProperty("parentPid").ValueKind == JsonValueKind.Null ? null : row.GetProperty("parentPid").GetInt32();

    private static void NoScriptTrouble(JsonElement inspected)
    {
        Assert.Empty(inspected.GetProperty("pageErrors").EnumerateArray());
        Assert.Empty(inspected.GetProperty("consoleErrors").EnumerateArray());
        Assert.Empty(inspected.GetProperty("requests").EnumerateArray()); // no network, ever
        Assert.Empty(inspected.GetProperty("dialogs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, inspected.GetProperty("pwned").ValueKind);
        Assert.Equal(0, inspected.GetProperty("injected").GetInt32());
    }

    [Fact]
    public void TracedShellTree_EveryProcessWithItsParent_DurationOrder_AndColour()
    {
        string events = Path.Combine(_dir, "events.json"), html = Path.Combine(_dir, "tree.html");
        const string script = "sh -c 'sleep 0.6; exit 0' alpha & sh -c 'sleep 0.3; exit 3' beta & sh -c 'sleep 0.1; kill -TERM $$' gamma & wait; exit 0";
        var (code, _, stderr) = CliRunner.Run("-f", "json", "-o", events, "--report", html, "--", "sh", "-c", script);
        Assert.True(code == 0, stderr);
        Assert.Contains($"report written to {html}", stderr);

        ReportModel recorded = EventFileReader.Read([events]);
        ReportProcess betaRecorded = Assert.Single(recorded.Processes, p => p.Args is [.., "beta"]);
        JsonElement seen = browser.Inspect(html, "--screenshots", browser.ScreenshotDir, "--click", betaRecorded.Pid.ToString(), "--search", "exit 3' beta");
        NoScriptTrouble(seen);
        List<JsonElement> timeline = Rows(seen, "timeline");

        // Every recorded process is a row, once, under its recorded parent.
        Assert.Equal(recorded.Processes.Select(p => p.EntityId).Order(), timeline.Select(r => r.GetProperty("entityId").GetString()).Order());
        foreach (ReportProcess p in recorded.Processes)
            Assert.Equal(p.Parent?.Pid, ParentPid(Assert.Single(timeline, r => r.GetProperty("entityId").GetString() == p.EntityId)));

        JsonElement root = RowWith(timeline, "wait; exit 0'");
        JsonElement alpha = RowWith(timeline, "alpha"), beta = RowWith(timeline, "beta"), gamma = RowWith(timeline, "gamma");
        Assert.Null(ParentPid(root)); // procwatch itself is not part of the trace
        foreach (JsonElement shell in new[] { alpha, beta, gamma })
            Assert.Equal(Pid(root), ParentPid(shell));
        Assert.Equal(Pid(alpha), ParentPid(RowWith(timeline, "sleep 0.6")));
        Assert.Equal(Pid(beta), ParentPid(RowWith(timeline, "sleep 0.3")));
        Assert.Equal(Pid(gamma), ParentPid(RowWith(timeline, "sleep 0.1")));

        Assert.Contains("outcome-ok", root.GetProperty("cls").GetString());
        Assert.Contains("outcome-ok", alpha.GetProperty("cls").GetString());
        Assert.Contains("outcome-fail", beta.GetProperty("cls").GetString());
        Assert.Contains("outcome-signal", gamma.GetProperty("cls").GetString());
        Assert.Contains("critical", alpha.GetProperty("cls").GetString()); // the one the root waited for
        double W(JsonElement r) => r.GetProperty("barWidth").GetDouble();
        Assert.True(W(root) >= W(alpha) && W(alpha) > W(beta) && W(beta) > W(gamma), $"bar widths {W(root)} {W(alpha)} {W(beta)} {W(gamma)}");

        // The tree shows the same processes with the same parents.
        List<JsonElement> tree = Rows(seen, "tree");
        Assert.Equal(timeline.Select(r => (Pid(r), ParentPid(r))).Order(), tree.Select(r => (Pid(r), ParentPid(r))).Order());
        Assert.Equal(2, seen.GetProperty("summary").GetProperty("failed").GetInt32()); // beta's exit 3, gamma's SIGTERM
        Assert.Equal(timeline.Count, seen.GetProperty("summary").GetProperty("total").GetInt32());

        // Click: the exact argv, the exit, the parent chain.
        JsonElement details = seen.GetProperty("details");
        Assert.Equal(Pid(beta), details.GetProperty("pid").GetInt32());
        Assert.Equal(betaRecorded.EntityId, details.GetProperty("entityId").GetString());
        Assert.Equal(["sh", "-c", "sleep 0.3; exit 3", "beta"], details.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("exited 3", details.GetProperty("exit").GetString());
        Assert.StartsWith($"{Pid(root)} dash", details.GetProperty("chain").GetString());

        // Search: only beta's own command line has this (the root's quotes it differently); the table shows just it.
        Assert.Equal(1, seen.GetProperty("search").GetProperty("count").GetInt32());
        Assert.Equal([Pid(beta)], seen.GetProperty("search").GetProperty("rows").EnumerateArray().Select(r => r.GetInt32()));
        Assert.True(File.Exists(Path.Combine(browser.ScreenshotDir, "timeline.png")));
        Assert.True(File.Exists(Path.Combine(browser.ScreenshotDir, "tree.png")));
    }

    [Fact]
    public void RegexAndFailedOnly_Count()
    {
        string html = Path.Combine(_dir, "r.html");
        var (code, _, stderr) = CliRunner.Run("-f", "json", "-o", Path.Combine(_dir, "r.json"), "--report", html, "--",
            "sh", "-c", "sleep 0.2; sleep 0.25; sh -c 'sleep 0.2; exit 7'; exit 0");
        Assert.True(code == 0, stderr);
        JsonElement regex = browser.Inspect(html, "--search", "^sleep 0\\.2", "--regex");
        Assert.Equal(3, regex.GetProperty("search").GetProperty("count").GetInt32()); // 0.2, 0.25 and the inner 0.2
        JsonElement failed = browser.Inspect(html, "--failed-only");
        Assert.Equal(1, failed.GetProperty("search").GetProperty("count").GetInt32());
        JsonElement bad = browser.Inspect(html, "--search", "(", "--regex");
        Assert.Equal("invalid regular expression", bad.GetProperty("search").GetProperty("error").GetString());
        Assert.Equal(0, bad.GetProperty("search").GetProperty("count").GetInt32());
    }

    [Fact]
    public void HostileArgv_RunsNoScript_AndShowsTheBytesEscaped()
    {
        string events = Path.Combine(_dir, "hostile.json"), html = Path.Combine(_dir, "hostile.html");
        // Raw bytes in argv (invalid UTF-8 too): python's execv passes them as they are.
        const string exec = "import os; os.execv('/bin/sh', [b'sh', b'-c', b'sleep 0.3', b'<script>window.__pwned=1</script>', "
            + "b'\"><img src=x onerror=\"window.__pwned=2\">', b'</script><script>window.__pwned=3</script>', b'\\xff\\xfe-bytes', b'\\x1b[31mred\\x1b[0m', b'a&amp;b'])";
        var (code, _, stderr) = CliRunner.Run("-f", "json", "-o", events, "--", "python3", "-c", exec);
        Assert.True(code == 0, stderr);
        var (reportCode, stdout, reportErr) = CliRunner.Run("report", events, "-o", html);
        Assert.True(reportCode == 0, reportErr);
        Assert.Contains($"report written to {html}", stdout);

        ReportProcess sh = Assert.Single(EventFileReader.Read([events]).Processes, p => p.Args is [_, _, "sleep 0.3", ..]);
        JsonElement seen = browser.Inspect(html, "--screenshots", Path.Combine(browser.ScreenshotDir, "hostile"), "--click", sh.Pid.ToString());
        NoScriptTrouble(seen);
        JsonElement details = seen.GetProperty("details");
        Assert.Equal(
            ["sh", "-c", "sleep 0.3", "<script>window.__pwned=1</script>", "\"><img src=x onerror=\"window.__pwned=2\">",
             "</script><script>window.__pwned=3</script>", "\\xff\\xfe-bytes", "\\e[31mred\\e[0m", "a&amp;b"],
            details.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["\\xff", "\\xfe", "\\e", "\\e"], details.GetProperty("escapes").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void CorruptAndLostLines_ShownProminently_TheRestStillDrawn()
    {
        string events = Path.Combine(_dir, "c.json"), html = Path.Combine(_dir, "c.html");
        var (code, _, stderr) = CliRunner.Run("-f", "json", "-o", events, "--", "sh", "-c", "sleep 0.2; exit 0");
        Assert.True(code == 0, stderr);
        string[] lines = File.ReadAllLines(events);
        var damaged = new List<string> { lines[0], "{\"@timestamp\":\"2026-12-01T10:00:00.000000Z\",\"event\":{\"action\":\"lo" };
        damaged.Add(ReportFixtures.Lost(ReportFixtures.T(0), 17));
        damaged.Add(ReportFixtures.Alert(424242, ReportFixtures.T(0), "Netcat reverse shell"));
        damaged.AddRange(lines[1..]);
        damaged.Add(lines[^1][..(lines[^1].Length / 2)]); // a crash mid-write: the last line cut short
        File.WriteAllText(events, string.Join("\n", damaged));

        // The recording itself can say it lost something (a loaded host): the report adds it to the 17.
        long recordedLost = lines.Where(l => l.Contains("\"action\":\"lost\"", StringComparison.Ordinal))
            .Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("procwatch").GetProperty("lost_count").GetInt64());
        string lost = $"{17 + recordedLost} lost events";
        var (reportCode, stdout, reportErr) = CliRunner.Run("report", events, "-o", html);
        Assert.True(reportCode == 0, reportErr);
        Assert.Contains(lost, stdout);
        Assert.Contains("2 unreadable lines", stdout);
        JsonElement seen = browser.Inspect(html);
        NoScriptTrouble(seen);
        Assert.Contains(lost, seen.GetProperty("banner").GetString());
        Assert.Contains("2 unreadable lines", seen.GetProperty("banner").GetString());
        JsonElement summary = seen.GetProperty("summary");
        Assert.Equal(["2", (damaged.Count).ToString()], summary.GetProperty("corrupt").EnumerateArray().Select(r => r[1].GetString()));
        Assert.Contains(summary.GetProperty("lost").EnumerateArray(), r => r[2].GetString() == "17");
        if (recordedLost == 0)
            Assert.Single(summary.GetProperty("lost").EnumerateArray());
        Assert.NotEmpty(Rows(seen, "timeline"));
        JsonElement alert = Assert.Single(summary.GetProperty("alerts").EnumerateArray());
        Assert.Equal("Netcat reverse shell", alert[1].GetString());
        Assert.Equal("sigma", alert[2].GetString());
        Assert.Equal("424242 nc -e /bin/sh", alert[4].GetString());
    }

    /// <summary>
    /// A process that was running long before the work (no exec seen) must not squeeze the work
    /// into a sliver: the timeline opens on the traced work. Its label says `cc`, as argv does
    /// in the tree and the table, not the executable's file name.
    /// </summary>
    [Fact]
    public void The_timeline_opens_on_the_traced_work_and_labels_by_argv()
    {
        string events = Path.Combine(_dir, "zoom.json"), html = Path.Combine(_dir, "zoom.html");
        File.WriteAllLines(events,
        [
            ReportFixtures.Fork(500, 1, ReportFixtures.T(0)),
            ReportFixtures.Fork(600, 500, ReportFixtures.T(999)),
            ReportFixtures.Exec(600, 500, ReportFixtures.T(999.001), ReportFixtures.T(999), "\"cc\",\"-c\",\"x.c\"", exe: "/usr/bin/x86_64-linux-gnu-gcc-12"),
            ReportFixtures.Exit(600, 500, ReportFixtures.T(999.5), 0),
            ReportFixtures.Exit(500, 1, ReportFixtures.T(1000), 0),
        ]);
        var (code, _, stderr) = CliRunner.Run("report", events, "-o", html);
        Assert.True(code == 0, stderr);

        JsonElement seen = browser.Inspect(html);
        NoScriptTrouble(seen);
        List<JsonElement> timeline = Rows(seen, "timeline");
        JsonElement work = Assert.Single(timeline, r => Pid(r) == 600), old = Assert.Single(timeline, r => Pid(r) == 500);
        Assert.Equal("600 cc -c x.c", work.GetProperty("text").GetString());
        // Half a second of work in a 1000-second recording: a 2-pixel sliver unless zoomed.
        Assert.True(work.GetProperty("barWidth").GetDouble() > 0.5 * old.GetProperty("barWidth").GetDouble(),
            $"work bar {work.GetProperty("barWidth")} px beside {old.GetProperty("barWidth")} px");
    }
}

/// <summary>
/// Issue 20, H11: crafted recordings (a process whose parent is itself and that ends before it
/// starts, two processes each the other's parent) and a hand-edited page whose own data has a
/// parent cycle: the page still finishes rendering (data-ready) in real chromium, every process
/// shown once, cycles cut.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReportCraftedInputBrowserTests(BrowserFixture browser) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procwatch-report-crafted-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Exit(int pid, int parent, string time) => ReportFixtures.Exit(pid, parent, time, 0);

    private string Recording()
    {
        string events = Path.Combine(_dir, "crafted.json");
        File.WriteAllLines(events,
        [
            ReportFixtures.Fork(500, 500, ReportFixtures.T(5)), // its own parent...
            Exit(500, 500, ReportFixtures.T(1)),                // ...and gone before it started
            ReportFixtures.Fork(600, 700, ReportFixtures.T(2)), // 600's parent is 700,
            ReportFixtures.Fork(700, 600, ReportFixtures.T(2)), // and 700's is 600
            ReportFixtures.Fork(800, 1, ReportFixtures.T(3)),
            Exit(800, 1, ReportFixtures.T(4)),
        ]);
        return events;
    }

    private static void RenderedOnceEach(System.Text.Json.JsonElement seen, int[] pids)
    {
        Assert.Empty(seen.GetProperty("pageErrors").EnumerateArray());
        foreach (string view in new[] { "timeline", "tree", "table" })
        {
            List<System.Text.Json.JsonElement> rows = [.. seen.GetProperty(view).EnumerateArray()];
            Assert.Equal(pids, rows.Select(r => r.GetProperty("pid").GetInt32()).Order().ToArray());
        }
    }

    /// <summary>The issue's reproduction as it was: one line whose parent is itself (and which ends before it starts) hung the page.</summary>
    [Fact]
    public void H11_a_process_that_is_its_own_parent_is_drawn_and_the_page_finishes()
    {
        string events = Path.Combine(_dir, "self.json"), html = Path.Combine(_dir, "self.html");
        File.WriteAllLines(events, [ReportFixtures.Fork(500, 500, ReportFixtures.T(5)), Exit(500, 500, ReportFixtures.T(1))]);
        var (code, _, stderr) = CliRunner.Run("report", events, "-o", html);
        Assert.True(code == 0, stderr);

        System.Text.Json.JsonElement seen = browser.Inspect(html);
        RenderedOnceEach(seen, [500]);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, seen.GetProperty("timeline")[0].GetProperty("parentPid").ValueKind);
    }

    [Fact]
    public void H11_parent_cycles_and_an_end_before_the_start_are_drawn_and_the_page_finishes()
    {
        string html = Path.Combine(_dir, "crafted.html");
        var (code, _, stderr) = CliRunner.Run("report", Recording(), "-o", html);
        Assert.True(code == 0, stderr);

        System.Text.Json.JsonElement seen = browser.Inspect(html); // waits for html[data-ready="true"], 10 s at most
        RenderedOnceEach(seen, [500, 600, 700, 800]);
        List<System.Text.Json.JsonElement> timeline = [.. seen.GetProperty("timeline").EnumerateArray()];
        int? ParentOf(int pid) => timeline.Single(r => r.GetProperty("pid").GetInt32() == pid).GetProperty("parentPid") is { ValueKind: System.Text.Json.JsonValueKind.Number } p ? p.GetInt32() : null;
        Assert.Null(ParentOf(500));
        Assert.True(ParentOf(600) is null || ParentOf(700) is null, "600 and 700 are still each other's parent");
    }

    /// <summary>The page's own guard: its embedded data edited so that parents form cycles (self, and 0→1→0).</summary>
    [Fact]
    public void H11_a_hand_edited_page_with_parent_cycles_in_its_data_still_finishes()
    {
        string html = Path.Combine(_dir, "edited.html");
        var (code, _, stderr) = CliRunner.Run("report", Recording(), "-o", html);
        Assert.True(code == 0, stderr);
        string page = File.ReadAllText(html);
        // Rows are [pid, parent index, ...], sorted by start: 600 and 700 first (t=2), then 800, then 500.
        var row = new System.Text.RegularExpressions.Regex("\\[(500|600|700|800),(-?\\d+),");
        int index = 0;
        var indexOf = new Dictionary<int, int>();
        foreach (System.Text.RegularExpressions.Match m in row.Matches(page)) indexOf[int.Parse(m.Groups[1].Value)] = index++;
        Assert.Equal(4, indexOf.Count);
        page = row.Replace(page, m => int.Parse(m.Groups[1].Value) switch
        {
            600 => $"[600,{indexOf[700]},",
            700 => $"[700,{indexOf[600]},",
            800 => $"[800,{indexOf[800]},",
            _ => m.Value,
        });
        File.WriteAllText(html, page);

        System.Text.Json.JsonElement seen = browser.Inspect(html);
        RenderedOnceEach(seen, [500, 600, 700, 800]);
    }
}

using System.Diagnostics;
using System.Text.Json;
using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>
/// -u and -p give exactly the events they give without the kernel filter (-p's tree, which
/// leaves outsiders' execs out; -u stays in user space): two procwatch processes watch the same
/// real processes, one with the kernel filter, one with PROCWATCH_EBPF_PREFILTER=0 (user space
/// only), and their events are compared field by field, what the table knew of the parent and
/// the ancestors included.
/// </summary>
[Collection(ProcWatch.Tests.Kernel.Ebpf.EbpfCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KernelPrefilterCliTests
{
    private const string AsNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";

    [KernelFact]
    public void UserFilter_SameEventsWithAndWithoutTheKernelFilter()
    {
        string t = EventCollector.NewToken();
        // Root's processes, nobody's (forks, execs, exit codes), nobody by effective uid only,
        // a setuid-root program run by nobody, and a root process that becomes nobody.
        string workload =
            $"/bin/true {t}-root; sh -c '(/bin/true {t}-rootchild); exit 2' {t}-rootsh; " +
            $"{AsNobody} sh -c '/bin/true {t}-n1; (/bin/true {t}-n2; exit 4); sh -c \"exit 5\" {t}-n3' {t}-nsh; " +
            $"setpriv --euid=65534 /bin/true {t}-effective; " +
            $"{AsNobody} /usr/bin/passwd -S {t}-setuid >/dev/null 2>&1; " +
            $"sh -c '{AsNobody} /bin/true {t}-became' {t}-becomes; " +
            // A root process that becomes nobody without an exec (a daemon dropping
            // privileges): its fork and exec were root's, yet its child's exec names it as the
            // parent, with its argv.
            $"perl -e '$< = $> = 65534; system(\"/bin/true\", \"{t}-perlchild\"); exit 3' {t}-perl; " +
            $"{AsNobody} /bin/true {t}-end";
        (List<string> before, List<string> after) = RunBoth(["-u", "nobody"], workload, t, lines => HasExitOf(lines, $"{t}-end"));

        AssertSame(before, after);
        Assert.True(after.Exists(l => l.StartsWith($"exec|", StringComparison.Ordinal) && l.Contains($"{t}-n2", StringComparison.Ordinal)), Dump(after));
        Assert.True(after.Exists(l => l.StartsWith($"exec|", StringComparison.Ordinal) && l.Contains($"{t}-effective", StringComparison.Ordinal)), Dump(after));
        Assert.True(after.Exists(l => l.StartsWith($"exit|", StringComparison.Ordinal) && l.Split('|')[3] == "4"), Dump(after));
        Assert.True(after.Exists(l => l.StartsWith($"exec|", StringComparison.Ordinal) && l.Contains($"{t}-perlchild", StringComparison.Ordinal) && l.Contains($"{t}-perl:", StringComparison.Ordinal)), Dump(after));
        // No event of root's own processes (their argv may show as a nobody process's parent's).
        Assert.DoesNotContain(after, l => l.Split('|')[8].Contains($"{t}-root", StringComparison.Ordinal));
    }

    [KernelFact]
    public void PidFilter_SameEventsWithAndWithoutTheKernelFilter()
    {
        string t = EventCollector.NewToken();
        string dir = Directory.CreateTempSubdirectory("procwatch-ptree-").FullName;
        try
        {
            string rootGo = Path.Combine(dir, "root"), childGo = Path.Combine(dir, "child"), outsideGo = Path.Combine(dir, "outside");
            foreach (string fifo in (string[])[rootGo, childGo, outsideGo])
                Assert.Equal(0, ProcWatch.Tests.Kernel.Ebpf.Programs.Run("mkfifo", fifo));
            // Started before procwatch: the root and a child it forked (a process that existed
            // before start, in the tree), and a process outside the tree doing the same.
            using Process root = Process.Start("/bin/sh", ["-c",
                $"(read x < {childGo}; /bin/true {t}-child; sh -c 'exit 6' {t}-childsh) & read x < {rootGo}; " +
                $"/bin/true {t}-a; (/bin/true {t}-b; exit 3); sh -c '(sh -c \"/bin/true {t}-deep\") ; exit 7' {t}-c; " +
                $"{AsNobody} /bin/true {t}-asnobody; wait; /bin/true {t}-end", $"{t}-root"])!;
            using Process outside = Process.Start("/bin/sh", ["-c", $"read x < {outsideGo}; /bin/true {t}-out; (/bin/true {t}-outchild)", $"{t}-outsh"])!;
            Assert.True(SpinWait.SpinUntil(() => File.ReadAllText($"/proc/{root.Id}/task/{root.Id}/children").Trim().Length > 0, TimeSpan.FromSeconds(30)));

            string release = $"echo go > {outsideGo}; echo go > {childGo}; echo go > {rootGo}";
            var seeded = new HashSet<int> { root.Id };
            foreach (string child in File.ReadAllText($"/proc/{root.Id}/task/{root.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                seeded.Add(int.Parse(child, System.Globalization.CultureInfo.InvariantCulture));
            (List<string> before, List<string> after) = RunBoth(["-p", root.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], release, t,
                lines => lines.Exists(l => l.Contains("\"action\":\"exit\"", StringComparison.Ordinal) && PidOf(l) == root.Id), seeded);
            Assert.True(root.WaitForExit(TimeSpan.FromSeconds(30)) && outside.WaitForExit(TimeSpan.FromSeconds(30)));

            AssertSame(before, after);
            foreach (string name in (string[])["child", "a", "b", "deep", "asnobody", "end"])
                Assert.True(after.Exists(l => l.StartsWith("exec|", StringComparison.Ordinal) && l.Contains($"{t}-{name}|", StringComparison.Ordinal)), $"no exec of {name}:\n" + string.Join('\n', after));
            // The pre-existing child's end: it exec'd `sh -c 'exit 6'`.
            Assert.True(after.Exists(l => l.StartsWith("exit|", StringComparison.Ordinal) && l.Split('|')[3] == "6"), Dump(after));
            Assert.DoesNotContain(after, l => l.Contains($"{t}-out", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [KernelFact]
    public void TreeFilter_FilteredExecsAreNoCrossCheckLoss()
    {
        // The kernel leaves the outsider's 300 execs out of the ring, but the connector counts
        // every one of them: without the filter's markers the completeness cross-check would
        // report them all as lost.
        string t = EventCollector.NewToken();
        using Process root = Process.Start("/bin/sleep", ["600"])!;
        try
        {
            using CliProcess watcher = new(["-f", "json", "-e", "fork,exec,exit", "-v", "-p", root.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            watcher.WaitForReady();
            Assert.Equal(0, ProcwatchBinary.RunShell($"for i in $(seq 300); do /bin/true {t}-out; done", TimeSpan.FromSeconds(120)));
            root.Kill();
            Assert.True(watcher.WaitUntil(() => watcher.StdoutLines().Exists(l => l.Contains("\"action\":\"exit\"", StringComparison.Ordinal) && PidOf(l) == root.Id), TimeSpan.FromSeconds(60)), watcher.Stderr);
            // A window is judged 3 s after it ends (LifecycleCrossCheck.SettleNs): let the storm's settle.
            Thread.Sleep(TimeSpan.FromMilliseconds(ProcWatch.Kernel.LifecycleCrossCheck.SettleNs / 1_000_000 + 2_000));
            watcher.Signal(CliRunner.SIGINT);
            Assert.Equal(0, watcher.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain(watcher.StdoutLines(), l => l.Contains("cross_check", StringComparison.Ordinal));
            Assert.DoesNotContain(watcher.StdoutLines(), l => l.Contains($"{t}-out", StringComparison.Ordinal));
        }
        finally
        {
            if (!root.HasExited)
                root.Kill();
            root.WaitForExit();
        }
    }

    /// <summary>
    /// Runs <paramref name="workload"/> under two procwatch processes with the same filter,
    /// without and with the kernel filter, until each has seen the workload's end
    /// (<paramref name="done"/>); returns each one's events of the processes whose
    /// argv holds <paramref name="token"/> (an exit names no argv: matched by pid), projected
    /// to the fields an event reports, sorted.
    /// </summary>
    private static (List<string> Before, List<string> After) RunBoth(string[] filter, string workload, string token, Func<List<string>, bool> done, IReadOnlySet<int>? seeded = null)
    {
        string[] args = ["-f", "json", "-e", "fork,exec,exit", "-v", .. filter];
        using CliProcess before = new(args, environment: new Dictionary<string, string> { ["PROCWATCH_EBPF_PREFILTER"] = "0" });
        using CliProcess after = new(args);
        before.WaitForReady();
        after.WaitForReady();
        Assert.Equal(0, ProcwatchBinary.RunShell(workload, TimeSpan.FromSeconds(60)));
        // Done when each has the exit of the last process.
        foreach (CliProcess p in (CliProcess[])[before, after])
        {
            Assert.True(p.WaitUntil(() => done(p.StdoutLines()), TimeSpan.FromSeconds(30)), $"the workload's last exit did not come; stderr:\n{p.Stderr}");
            p.Signal(CliRunner.SIGINT);
            Assert.Equal(0, p.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        seeded ??= new HashSet<int>();
        return (Project(before.StdoutLines(), token, seeded), Project(after.StdoutLines(), token, seeded));
    }

    private static string Dump(List<string> events) => "events:\n" + string.Join('\n', events);

    /// <summary>Equal lists; a difference is shown whole (the default message cuts lines short).</summary>
    private static void AssertSame(List<string> before, List<string> after)
    {
        var missing = before.Except(after).ToList();
        var extra = after.Except(before).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && before.Count == after.Count,
            $"without the kernel filter only:\n{string.Join('\n', missing)}\nwith it only:\n{string.Join('\n', extra)}\n({before.Count} vs {after.Count} events)\nwithout, {Dump(before)}\nwith, {Dump(after)}");
        Assert.Equal(before, after);
    }

    private static bool HasExitOf(List<string> lines, string lastExec)
    {
        int? pid = null;
        foreach (string line in lines)
        {
            if (pid is null && line.Contains("\"action\":\"exec\"", StringComparison.Ordinal) && line.Contains(lastExec, StringComparison.Ordinal))
                pid = PidOf(line);
            else if (pid is { } p && line.Contains("\"action\":\"exit\"", StringComparison.Ordinal) && PidOf(line) == p)
                return true;
        }
        return false;
    }

    private static int? ParentPidOf(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("process").TryGetProperty("parent", out JsonElement parent) && parent.TryGetProperty("pid", out JsonElement pid) ? pid.GetInt32() : null;
    }

    private static int PidOf(string line)
    {
        using JsonDocument doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("process").GetProperty("pid").GetInt32();
    }

    private static List<string> Project(List<string> lines, string token, IReadOnlySet<int> seeded)
    {
        var pids = new HashSet<int>();
        foreach (string line in lines)
        {
            if (line.Contains(token, StringComparison.Ordinal))
            {
                pids.Add(PidOf(line));
                // Its parent too: a process whose own exec was not reported (it ran as another
                // user) but whose exit is.
                if (ParentPidOf(line) is { } parent)
                    pids.Add(parent);
            }
        }
        HashSet<int> readFromProc = WithForksThatNeverExeced(lines, seeded);
        var projected = new List<string>();
        foreach (string line in lines)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement e = doc.RootElement;
            JsonElement process = e.GetProperty("process");
            // A hash follow-up comes when the hasher is done, whenever that is: not an event of the kernel's.
            if (!pids.Contains(process.GetProperty("pid").GetInt32()) || e.GetProperty("event").GetProperty("action").GetString() == "hash")
                continue;
            JsonElement pw = e.GetProperty("procwatch");
            string action = e.GetProperty("event").GetProperty("action").GetString()!;
            // A fork or exit repeats what the table knows of the process, and for a process
            // older than procwatch that is read from /proc when first needed, which can lose a
            // race with the process in either run: those copied fields are left out there
            // (the entity id is the kernel's, exact in both).
            // Left out too: the kernel time, CPU and duration: each procwatch's own BPF
            // programs stamp their records, nanoseconds apart.
            JsonElement p = action == "exec" ? process : default;
            projected.Add(string.Join('|',
                action,
                process.GetProperty("pid").GetInt32(),
                Text(process, "parent", "pid"),
                Text(process, "exit_code"),
                // A process older than procwatch keeps the id its seeded entry had (from /proc's
                // ticks) unless that entry was lost meanwhile (a resync after a loss, under
                // load): user space's race with /proc, either run, not the kernel filter's.
                seeded.Contains(process.GetProperty("pid").GetInt32()) ? "seeded" : Text(process, "entity_id"),
                Text(p, "thread", "id"),
                Text(p, "name"),
                Text(p, "executable"),
                Args(p),
                Text(p, "args_count"),
                Text(p, "working_directory"),
                "user=" + Text(p, "user", "id"),
                "real=" + Text(p, "real_user", "id"),
                "group=" + Text(p, "group", "id"),
                // What the table knew of the parent and the ancestors at the exec: built from
                // their own fork and exec records, whoever's they were (-u).
                "parent=" + (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("parent", out JsonElement parent) ? Summary(parent, readFromProc) : ""),
                "ancestors=" + (action == "exec" && pw.TryGetProperty("ancestors", out JsonElement chain) ? string.Join(';', chain.EnumerateArray().Select(a => Summary(a, readFromProc))) : ""),
                action == "exec" ? Text(pw, "argv_source") : "",
                Text(pw, "wait_status")));
        }
        // Each procwatch's kernel times are its own programs' stamps: the order of two events
        // nanoseconds apart on two CPUs may differ, so the lists are compared sorted.
        projected.Sort(StringComparer.Ordinal);
        return projected;
    }

    /// <summary>
    /// <paramref name="seeded"/> and the children forked from them that never exec'd (a
    /// subshell): such a child carries its parent's /proc-read facts, with the same race.
    /// </summary>
    private static HashSet<int> WithForksThatNeverExeced(List<string> lines, IReadOnlySet<int> seeded)
    {
        var result = new HashSet<int>(seeded);
        var execed = new HashSet<int>();
        var forked = new List<int>();
        foreach (string line in lines)
        {
            if (line.Contains("\"action\":\"exec\"", StringComparison.Ordinal))
                execed.Add(PidOf(line));
            else if (line.Contains("\"action\":\"fork\"", StringComparison.Ordinal) && ParentPidOf(line) is { } parent && seeded.Contains(parent))
                forked.Add(PidOf(line));
        }
        foreach (int child in forked)
        {
            if (!execed.Contains(child))
                result.Add(child);
        }
        return result;
    }

    private static string Args(JsonElement p) =>
        p.ValueKind == JsonValueKind.Object && p.TryGetProperty("args", out JsonElement argv) ? string.Join(' ', argv.EnumerateArray().Select(a => a.GetString())) : "";

    /// <summary>
    /// A parent or ancestor as the table knew it. For a process older than procwatch
    /// (<paramref name="seeded"/>) the table reads the executable and argv from /proc when
    /// first needed, which can lose a race with the process's end in either run: only its pid
    /// and entity id are compared.
    /// </summary>
    private static string Summary(JsonElement summary, IReadOnlySet<int> seeded)
    {
        string pid = Text(summary, "pid");
        string entity = Text(summary, "entity_id");
        if (int.TryParse(pid, out int p) && seeded.Contains(p))
            return pid + ":" + entity;
        return pid + ":" + Text(summary, "name") + ":" + Text(summary, "executable") + ":" + Args(summary) + ":" + entity;
    }

    private static string Text(JsonElement e, params string[] path)
    {
        foreach (string name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
                return "";
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
    }
}

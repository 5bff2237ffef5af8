using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>The CLI's process-tree features end to end: `-- COMMAND`, `-p`, `-u`, `--match`.</summary>
public partial class CliTreeTests
{
    /// <summary>PROCWATCH_BIN when set (./test.sh), else the built ProcWatch.Cli.dll of the tests' configuration.</summary>
    private static ProcessStartInfo Cli(params string[] args)
    {
        ProcessStartInfo psi;
        string? bin = Environment.GetEnvironmentVariable("PROCWATCH_BIN");
        if (!string.IsNullOrEmpty(bin))
        {
            psi = new ProcessStartInfo(bin);
        }
        else
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            string configuration = dir.Parent!.Name;
            DirectoryInfo root = dir;
            while (!File.Exists(Path.Combine(root.FullName, "ProcWatch.slnx")))
                root = root.Parent!;
            psi = new ProcessStartInfo("dotnet");
            psi.ArgumentList.Add(Path.Combine(root.FullName, "src", "ProcWatch.Cli", "bin", configuration, "net10.0", "ProcWatch.Cli.dll"));
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        return psi;
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using Process p = Process.Start(Cli(args))!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("procwatch did not finish: " + stderr.Result);
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"^( *)(\d+)([+-]) (.*)$")]
    private static partial Regex TreeLine();

    [KernelFact]
    public void CommandTreeExitsWithItsStatusAndShowsOnlyItsTree()
    {
        string token = EventCollector.NewToken();
        (int code, string stdout, string stderr) = Run("-f", "tree", "--",
            "sh", "-c", $"sh -c 'sleep 0.3; sleep 0.2' {token}; sleep 0.2; exit 7");
        Assert.True(code == 7, $"exit code {code}; stderr: {stderr}; stdout:\n{stdout}");

        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var depthOf = new Dictionary<string, int>();
        foreach (string line in lines)
        {
            Match m = TreeLine().Match(line);
            Assert.True(m.Success, $"not a tree line: {line}\n{stdout}");
            int depth = m.Groups[1].Length / 2;
            if (m.Groups[3].Value == "+")
            {
                depthOf[m.Groups[2].Value] = depth;
                Assert.Matches(@"(^|\s)(sh|sleep)\b|<unknown>", m.Groups[4].Value); // nothing but this tree
            }
            else
            {
                Assert.Equal(depthOf[m.Groups[2].Value], depth); // exit lines line up with their exec
            }
        }
        // The root at depth 0 (it lives the whole run: its exec is always read), the inner sh
        // one level in, its sleeps two levels in. On a loaded machine a short-lived child may
        // lose the /proc race and show as <unknown>, but never as anything else.
        Assert.Matches(@"^\d+\+ <\w+> \S.* % sh -c ", lines[0]);
        Assert.Contains(lines, l => Regex.IsMatch(l, $@"^  \d+\+ (.*sh -c 'sleep 0\.3; sleep 0\.2' {token}|<unknown>)$"));
        Assert.True(lines.Count(l => Regex.IsMatch(l, @"^    \d+\+ (.*% sleep 0\.[23]|<unknown>)$")) == 2, stdout);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^  \d+\+ (.*% sleep 0\.2|<unknown>)$"));
        Assert.Equal(5, lines.Count(l => l.Contains("+ ", StringComparison.Ordinal)));
        Assert.Matches(@"^\d+- sh exited status=7 time=\d+\.\d{3}s$", lines[^1]);
    }

    [KernelFact]
    public void CommandKilledBySignalExitsWith128PlusSignal()
    {
        (int code, _, string stderr) = Run("-f", "json", "--", "sh", "-c", "sleep 0.1; kill -TERM $$");
        Assert.True(code == 128 + 15, $"exit code {code}; {stderr}");
    }

    [KernelFact]
    public void MissingCommandIs127()
    {
        (int code, _, string stderr) = Run("--", "/nonexistent/pw-no-such-command");
        Assert.Equal(127, code);
        Assert.Equal("procwatch: cannot run /nonexistent/pw-no-such-command: command not found", stderr.Trim());
    }

    [KernelFact]
    public void PidSelectsAPreExistingParentAndItsDescendantsOnly()
    {
        string token = EventCollector.NewToken();
        // The parent waits for a line on stdin, sent once procwatch is ready (a 3 s sleep and a 6 s
        // --duration did not hold on a loaded host, where start-up alone can take seconds).
        using Process parent = Process.Start(new ProcessStartInfo("sh", ["-c", $"read x; sh -c 'sleep 0.3' {token}; sleep 0.3"]) { RedirectStandardInput = true })!;
        int code;
        string stdout, stderr;
        try
        {
            using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-p", parent.Id.ToString());
            watch.WaitForReady();
            parent.StandardInput.WriteLine("go");
            parent.StandardInput.Flush();
            Assert.True(parent.WaitForExit(60_000), "the parent did not end");
            // Its exit is the tree's last event.
            watch.WaitUntil(() => watch.StdoutLines().Exists(l => l.Contains("\"action\":\"exit\"", StringComparison.Ordinal)
                && l.Contains($"\"process\":{{\"pid\":{parent.Id},", StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
            watch.Signal(CliRunner.SIGINT);
            code = watch.WaitForExit(TimeSpan.FromSeconds(60));
            (stdout, stderr) = (watch.Stdout, watch.Stderr);
        }
        finally
        {
            if (!parent.HasExited)
                parent.Kill(entireProcessTree: true);
        }
        Assert.True(code == 0, stderr);

        var tree = new HashSet<int> { parent.Id };
        bool sawToken = false;
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement process = doc.RootElement.GetProperty("process");
            int pid = process.GetProperty("pid").GetInt32();
            int? ppid = process.TryGetProperty("parent", out JsonElement p) ? p.GetProperty("pid").GetInt32() : null;
            Assert.True(tree.Contains(pid) || (ppid is { } pp && tree.Contains(pp)), $"event outside the tree: {line}");
            tree.Add(pid);
            if (line.Contains(token) && doc.RootElement.GetProperty("event").GetProperty("action").GetString() == "exec")
                sawToken = true;
        }
        Assert.True(sawToken, "the descendant's exec was not reported:\n" + stdout);
        parent.WaitForExit();
    }

    [KernelFact]
    public void UserAndMatchFilterProcesses()
    {
        string token = EventCollector.NewToken();
        (int code, string stdout, string stderr) = Run("-f", "json", "-u", "nobody", "--match", token, "--",
            "sh", "-c", $"sh -c 'sleep 0.3' root-{token}; setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'sleep 0.3' nobody-{token}; sh -c 'sleep 0.3' other");
        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        // An exec or fork names its argv; an exit does not repeat it (its exec has it): same pids.
        string[] withArgs = lines.Where(l => !l.Contains("\"action\":\"exit\"", StringComparison.Ordinal)).ToArray();
        Assert.Contains(withArgs, l => l.Contains("\"action\":\"exec\"", StringComparison.Ordinal));
        Assert.All(withArgs, l => Assert.Contains($"nobody-{token}", l));
        static int PidOf(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("process").GetProperty("pid").GetInt32();
        HashSet<int> pids = [.. withArgs.Select(PidOf)];
        Assert.All(lines, l => Assert.Contains(PidOf(l), pids));
    }

    [KernelFact]
    public void BadFilterArgumentsAreUsageErrors()
    {
        Assert.Equal(2, Run("--match", "(unclosed").Code);
        Assert.Equal(2, Run("-u", "pw-no-such-user").Code);
        Assert.Equal(2, Run("-p", "99999999").Code);
        Assert.Equal(2, Run("-f", "bogus").Code);
    }
}

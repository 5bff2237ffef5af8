using ProcWatch.Tests.Helpers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProcWatch.Tests.Integration;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>The `procwatch` executable as a user runs it: output, exit codes, signals, pipes.</summary>
public class CliTests
{
    private static readonly int Self = Environment.ProcessId;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static List<JsonElement> JsonLines(CliProcess p)
    {
        var result = new List<JsonElement>();
        foreach (string line in p.StdoutLines())
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            result.Add(doc.RootElement.Clone());
        }
        return result;
    }

    private static bool Is(JsonElement e, string action, int pid) =>
        e.GetProperty("event").GetProperty("action").GetString() == action
        && e.TryGetProperty("process", out JsonElement p) && p.GetProperty("pid").GetInt32() == pid;

    private static JsonElement WaitForLine(CliProcess p, string action, int pid)
    {
        JsonElement found = default;
        bool ok = p.WaitUntil(() =>
        {
            foreach (JsonElement e in JsonLines(p))
            {
                if (Is(e, action, pid)) { found = e; return true; }
            }
            return false;
        }, Wait);
        Assert.True(ok, $"no {action} line for pid {pid}; stdout:\n{p.Stdout}\nstderr:\n{p.Stderr}");
        return found;
    }

    [KernelFact]
    public void Json_KnownCommand_FieldsRight()
    {
        using CliProcess watch = CliRunner.Start("-f", "json", "-v");
        watch.WaitForReady();
        int pid = Spawn.Sh("exit 5");

        JsonElement fork = WaitForLine(watch, "fork", pid);
        Assert.Equal(Self, fork.GetProperty("process").GetProperty("parent").GetProperty("pid").GetInt32());
        Assert.Equal(pid, fork.GetProperty("process").GetProperty("thread").GetProperty("id").GetInt32());
        Assert.Equal("process", fork.GetProperty("event").GetProperty("category")[0].GetString());
        Assert.True(DateTimeOffset.TryParse(fork.GetProperty("@timestamp").GetString(), CultureInfo.InvariantCulture, out DateTimeOffset when));
        Assert.InRange(when, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        WaitForLine(watch, "exec", pid);

        JsonElement exit = WaitForLine(watch, "exit", pid);
        Assert.Equal(5, exit.GetProperty("process").GetProperty("exit_code").GetInt32());
        Assert.Equal("failure", exit.GetProperty("event").GetProperty("outcome").GetString());
        Assert.Equal(5 << 8, exit.GetProperty("procwatch").GetProperty("wait_status").GetInt32());
        Assert.Equal(Self, exit.GetProperty("process").GetProperty("parent").GetProperty("pid").GetInt32());

        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(Wait));
        Assert.Equal("", watch.Stderr.Replace(watch.Stderr.Split('\n')[0] + "\n", "", StringComparison.Ordinal)); // only the ready line
    }

    [KernelFact]
    public void Sigterm_ExitsZero_AndFlushesWhatHappenedBefore()
    {
        using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-e", "exit");
        watch.WaitForReady();
        int pid = Spawn.Sh("exit 7");
        // No waiting for the line: everything that happened before the signal must come out.
        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(Wait));
        Assert.Contains(JsonLines(watch), e => Is(e, "exit", pid) && e.GetProperty("process").GetProperty("exit_code").GetInt32() == 7);
        Assert.DoesNotContain("xception", watch.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// `-o FILE` appends at the file's end on every write (O_APPEND): a line someone else
    /// appends meanwhile (here COMMAND itself) is never overwritten, and the file's earlier
    /// content stays. A private offset (pwrite) would write over both.
    /// </summary>
    [KernelFact]
    public void OutputFile_IsAppendedTo_AndNeverOverwritesAnotherWriter()
    {
        using var dir = new Daemon.TempDir();
        string file = dir.File("events.json");
        File.WriteAllText(file, "earlier line\n");
        string token = "pw-append-" + Guid.NewGuid().ToString("N")[..8];
        (int code, _, string stderr) = CliRunner.Run("-f", "json", "-e", "exec", "-o", file, "--",
            "/bin/sh", "-c", $"echo marker-{token} >> {file}; /bin/true {token}; echo marker2-{token} >> {file}");
        Assert.True(code == 0, stderr);
        string[] lines = File.ReadAllLines(file);
        Assert.Equal("earlier line", lines[0]);
        Assert.Contains($"marker-{token}", lines);
        Assert.Contains($"marker2-{token}", lines);
        int execs = 0;
        foreach (string line in lines.Skip(1).Where(l => !l.StartsWith("marker", StringComparison.Ordinal)))
        {
            using JsonDocument doc = JsonDocument.Parse(line); // every other line is a whole event
            if (line.Contains($"\"{token}\"", StringComparison.Ordinal))
                execs++;
        }
        Assert.Equal(1, execs); // /bin/true TOKEN (sh's own argv holds the token only inside its script)
    }

    /// <summary>
    /// Back-pressure: stdout is a pipe nobody reads until the test opens a gate. The output thread
    /// blocks once the pipe is full, the receive thread goes on, the 16-event queue overflows: the
    /// drops are counted (-S) and, once the reader is back, reported in the stream as a `lost`
    /// event, and every exec that was not dropped is printed whole. The gate (not a 4 s sleep and
    /// a 9 s --duration) holds at any speed: on a loaded host 400 execs can take longer than that.
    /// </summary>
    [KernelFact]
    public async Task SlowOutput_QueueOverflow_IsCountedAndReportedAsLost()
    {
        string token = "pw-slow-" + Guid.NewGuid().ToString("N")[..8];
        using var dir = new Daemon.TempDir();
        string gate = dir.File("gate");
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{CliRunner.ShellCommand} -f json -e exec --queue-size 16 -S -v | (while [ ! -e {gate} ]; do sleep 0.05; done; cat)");
        using var shell = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var stderr = new System.Text.StringBuilder();
            var stdout = new System.Text.StringBuilder();
            Task pump = Task.WhenAll(PumpLines(shell.StandardError, stderr), PumpLines(shell.StandardOutput, stdout));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Snapshot(stderr).Contains("procwatch: ready", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Contains("procwatch: ready", Snapshot(stderr));

            Spawn.Sh($"i=0; while [ $i -lt 400 ]; do /bin/true {token}-$i; i=$((i+1)); done"); // ~400 KB of JSON: the pipe holds 64 KB
            File.WriteAllText(gate, ""); // the reader is back
            // The next event after the drops carries the loss report ahead of it: make events
            // until the report and one of them are printed.
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(Snapshot(stdout).Contains("\"lost\"", StringComparison.Ordinal) && Snapshot(stdout).Contains(token + "-after", StringComparison.Ordinal))
                && DateTime.UtcNow < deadline)
            {
                Spawn.Run("/bin/true", [token + "-after"]);
                await Task.Delay(100);
            }
            Assert.Equal(0, CliRunner.Kill(ChildRunning(shell.Id, "--queue-size"), CliRunner.SIGINT)); // stops, printing -S
            Assert.True(shell.WaitForExit(60_000));
            await pump;

            long reported = 0;
            int execs = 0;
            foreach (string line in Snapshot(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument doc = JsonDocument.Parse(line); // whole lines only
                JsonElement root = doc.RootElement;
                if (root.GetProperty("event").GetProperty("action").GetString() == "lost")
                {
                    Assert.Equal("queue_full", root.GetProperty("procwatch").GetProperty("lost_reason").GetString());
                    reported += root.GetProperty("procwatch").GetProperty("lost_count").GetInt64();
                }
                else if (line.Contains(token, StringComparison.Ordinal) && !line.Contains(token + "-after", StringComparison.Ordinal))
                {
                    execs++;
                }
            }
            string stats = Snapshot(stderr);
            var drops = System.Text.RegularExpressions.Regex.Match(stats, @"queue drops (\d+)");
            Assert.True(drops.Success, stats);
            long counted = long.Parse(drops.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(counted > 0, "nothing was dropped: " + stats);
            Assert.True(reported > 0, "no lost event in the stream");
            Assert.True(reported <= counted, $"reported {reported} > counted {counted}");
            Assert.True(execs + counted >= 400, $"{execs} execs printed + {counted} dropped < 400: something vanished silently");
        }
        finally
        {
            if (!shell.HasExited)
                shell.Kill(entireProcessTree: true);
        }
    }

    private static async Task PumpLines(StreamReader reader, System.Text.StringBuilder into)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
            lock (into) into.Append(line).Append('\n');
    }

    /// <summary>The child of <paramref name="parent"/> whose command line holds <paramref name="argument"/> (a pipeline's procwatch).</summary>
    private static int ChildRunning(int parent, string argument)
    {
        foreach (string child in File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                if (File.ReadAllText($"/proc/{child}/cmdline").Split('\0').Contains(argument))
                    return int.Parse(child, CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }
        throw new InvalidOperationException($"no child of {parent} runs with {argument}");
    }

    /// <summary>True when a thread of <paramref name="pid"/> sleeps in a pipe write (wchan: pipe_write, anon_pipe_write on 6.18).</summary>
    private static bool BlockedWritingAPipe(int pid)
    {
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "wchan")).Contains("pipe_write", StringComparison.Ordinal))
                    return true;
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        return false;
    }

    private static string Snapshot(System.Text.StringBuilder sb)
    {
        lock (sb) return sb.ToString();
    }

    /// <summary>
    /// An output nobody reads (a FIFO whose reader never reads, like a pager left waiting):
    /// SIGTERM still ends procwatch within seconds, with one line saying what was not written.
    /// </summary>
    [KernelFact]
    public void StalledOutput_Sigterm_StopsAnywayAndSaysWhatWasNotWritten()
    {
        using var dir = new Daemon.TempDir();
        string fifo = dir.File("events.fifo");
        Assert.Equal(0, Spawn.Run("/usr/bin/mkfifo", [fifo]).ExitCode);
        using Process holder = Spawn.Start("/bin/sh", ["-c", $"exec sleep 60 <>{fifo}"]); // open, never read
        try
        {
            using CliProcess watch = CliRunner.Start("-f", "json", "-v", "-S", "-o", fifo);
            watch.WaitForReady();
            // Execs until procwatch's output is blocked on the full FIFO (a thread's wchan, rather
            // than hoping 300 execs and 300 ms got there on a loaded host).
            Assert.True(watch.WaitUntil(() =>
            {
                Spawn.Sh("i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done");
                return BlockedWritingAPipe(watch.Pid);
            }, TimeSpan.FromSeconds(120)), "procwatch never blocked on the full FIFO");
            var clock = Stopwatch.StartNew();
            watch.Signal(CliRunner.SIGTERM);
            Assert.Equal(5, watch.WaitForExit(TimeSpan.FromSeconds(60)));
            // Stops anyway: it gives the output a few seconds, not forever (generous for a loaded host).
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(45));
            Assert.Matches($"procwatch: {Regex.Escape(fifo)} is not being read; stopped without writing \\d+ queued event\\(s\\)", watch.Stderr);
            Assert.Contains("lost: kernel overruns ", watch.Stderr, StringComparison.Ordinal); // -S is printed all the same
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    [KernelFact]
    public void OutputFile_ThatCannotBeOpened_IsOneLineAndExitFive()
    {
        (int code, string stdout, string stderr) = CliRunner.Run("-o", "/nonexistent-dir/events.json");
        Assert.Equal(5, code);
        Assert.Equal("", stdout);
        Assert.Equal("procwatch: cannot open output file /nonexistent-dir/events.json: No such file or directory\n", stderr);
    }

    [KernelFact]
    public void Sigint_ExitsZero()
    {
        using CliProcess watch = CliRunner.Start("-f", "json", "-v");
        watch.WaitForReady();
        watch.Signal(CliRunner.SIGINT);
        Assert.Equal(0, watch.WaitForExit(Wait));
    }

    [KernelFact]
    public async Task PipeToHead_ExitsZeroQuietly()
    {
        // bash's PIPESTATUS gives procwatch's own status, not head's.
        string script = CliRunner.ShellCommand + " -f json | head -1; echo \"status=${PIPESTATUS[0]}\"";
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using Process shell = Process.Start(psi)!;
        Task<string> stdout = shell.StandardOutput.ReadToEndAsync();
        Task<string> stderr = shell.StandardError.ReadToEndAsync();
        // Keep events coming until procwatch notices the closed pipe on its next write.
        var clock = Stopwatch.StartNew();
        while (!shell.HasExited && clock.Elapsed < Wait)
            Spawn.Run("/bin/true", []);
        Assert.True(shell.WaitForExit(5_000), "procwatch | head -1 did not end");
        string[] lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using (JsonDocument.Parse(lines[0])) { }
        Assert.Equal("status=0", lines[1]);
        Assert.Equal("", await stderr);
    }

    [KernelTheory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    [InlineData("--duration", "soon")]
    [InlineData("-f", "xml")]
    [InlineData("--duration", "-1")]
    [InlineData("--buffer-size", "0")]
    public void BadCommandLine_ExitTwo_OneLine(params string[] args)
    {
        (int code, string stdout, string stderr) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("procwatch: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
    }

    [KernelTheory]
    [InlineData("fork,bogus", "bogus")]
    [InlineData("", "--events names no event")]
    [InlineData(",,", "--events names no event")]
    public void BadEvents_ExitTwo_OneLine(string events, string mention)
    {
        (int code, string stdout, string stderr) = CliRunner.Run("-e", events);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mention, stderr);
    }

    /// <summary>The ready line reports the receive buffer as asked (the kernel's SO_RCVBUF reads back doubled).</summary>
    [KernelFact]
    public void Verbose_ReadyLine_ShowsTheReceiveBufferAsRequested()
    {
        (int code, _, string stderr) = CliRunner.Run("-D", "0.3", "-v", "--buffer-size", "8", "-o", "/dev/null");
        Assert.Equal(0, code);
        Assert.Contains("receive buffer 8192 KiB", stderr);
    }

    /// <summary>
    /// The ready line says where the cross-check counts the connector's forks, execs and exits:
    /// by the socket filter in the kernel, or received and counted here, and why.
    /// </summary>
    [KernelFact]
    public void Verbose_ReadyLine_SaysWhereTheCrossCheckCounts()
    {
        (int code, _, string stderr) = CliRunner.Run("-D", "0.3", "-v", "-o", "/dev/null");
        Assert.Equal(0, code);
        Assert.Contains("cross-check counted in kernel", stderr);

        using var user = new CliProcess(["-D", "0.3", "-v", "-o", "/dev/null"], environment: new Dictionary<string, string> { ["PROCWATCH_CONNECTOR_COUNT"] = "user" });
        Assert.Equal(0, user.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("cross-check counted here (PROCWATCH_CONNECTOR_COUNT=user)", user.Stderr);
    }

    [KernelFact]
    public void Duration_StopsByItself_StatsCounted()
    {
        using CliProcess watch = CliRunner.Start("-D", "2", "-S", "-v", "-e", "all", "-f", "json");
        watch.WaitForReady();
        int pid = Spawn.Sh("exit 0");
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(JsonLines(watch), e => Is(e, "exit", pid));
        string stats = watch.Stderr;
        Assert.Matches(@"(?m)^Event\s+Count\s+Per sec$", stats);
        Assert.Matches(@"(?m)^fork\s+[1-9]\d*\s", stats);
        Assert.Matches(@"(?m)^exec\s+[1-9]\d*\s", stats);
        Assert.Matches(@"(?m)^exit\s+[1-9]\d*\s", stats);
        Assert.Matches(@"(?m)^total\s+[1-9]\d*\s", stats);
        Assert.Matches(@"(?m)^lost: kernel overruns \d+, queue drops \d+", stats);
        // The total is at least what was printed.
        long total = long.Parse(System.Text.RegularExpressions.Regex.Match(stats, @"(?m)^total\s+(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(total >= watch.StdoutLines().Count, $"total {total} < {watch.StdoutLines().Count} lines");
    }

    [KernelFact]
    public void Table_IsSane()
    {
        using CliProcess watch = CliRunner.Start("-f", "table", "-v");
        watch.WaitForReady();
        int pid = Spawn.Sh("exit 3");
        string p = pid.ToString(CultureInfo.InvariantCulture);
        Assert.True(watch.WaitUntil(() => watch.StdoutLines().Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+ exit +" + p + @" .* exit 3 ")), Wait),
            $"no exit row for {pid}:\n{watch.Stdout}");
        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(Wait));
        List<string> lines = watch.StdoutLines();
        Assert.Equal("Time         Event         PID      UID     EUID TTY    Info             Duration Process", lines[0]);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} fork +" + p + " .* parent " + Self + @"\b", lines.First(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+ fork +" + p + " ")));
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} exec +" + p + @"\b", lines.First(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S+ exec +" + p + " ")));
        Assert.All(lines, l => Assert.DoesNotContain('\u001b', l));
    }

    [KernelFact]
    public void Version_And_Help()
    {
        (int code, string stdout, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        // The version from git and the commit (Directory.Build.targets): a pre-release names its commit.
        System.Text.RegularExpressions.Match version = System.Text.RegularExpressions.Regex.Match(stdout.Trim(),
            @"^procwatch (?<v>[0-9]+\.[0-9]+\.[0-9]+(?<pre>-[0-9A-Za-z.]+)?) \(commit (?<c>[0-9a-f]{40})\)$");
        Assert.True(version.Success, stdout);
        if (version.Groups["pre"].Success)
            Assert.EndsWith(".g" + version.Groups["c"].Value[..10], version.Groups["v"].Value);
        (code, stdout, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("--events", stdout);
        Assert.Contains("--format", stdout);
    }

    [KernelFact]
    public void Sigterm_Unsubscribes_McastIgnoreSent()
    {
        string trace = Path.Combine(Path.GetTempPath(), $"procwatch-strace-{Guid.NewGuid():N}.txt");
        try
        {
            var psi = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-f", "-e", "trace=sendto,sendmsg", "-e", "signal=none", "-o", trace })
                psi.ArgumentList.Add(a);
            foreach (string a in CliRunner.Command) psi.ArgumentList.Add(a);
            foreach (string a in new[] { "-v", "-f", "json", "-o", "/dev/null" }) psi.ArgumentList.Add(a);
            using Process strace = Process.Start(psi)!;
            Task<string> stderr = strace.StandardError.ReadToEndAsync();
            Task<string> stdout = strace.StandardOutput.ReadToEndAsync();
            // procwatch is strace's child; its ready line arrives on the shared stderr pipe.
            var clock = Stopwatch.StartNew();
            int child = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(30) && child == 0)
            {
                string children = File.Exists($"/proc/{strace.Id}/task/{strace.Id}/children") ? File.ReadAllText($"/proc/{strace.Id}/task/{strace.Id}/children").Trim() : "";
                if (children.Length > 0 && File.Exists(trace) && File.ReadAllText(trace).Contains("sendto(", StringComparison.Ordinal))
                    child = int.Parse(children.Split(' ')[0], CultureInfo.InvariantCulture);
                Thread.Sleep(50);
            }
            Assert.NotEqual(0, child);
            Thread.Sleep(200);
            CliRunner.Kill(child, CliRunner.SIGTERM);
            Assert.True(strace.WaitForExit(30_000));
            Assert.Equal(0, strace.ExitCode); // strace exits with its tracee's status
            string[] sends = File.ReadAllLines(trace).Where(l => l.Contains("sendto(", StringComparison.Ordinal) && l.Contains("NLMSG_DONE", StringComparison.Ordinal)).ToArray();
            // LISTEN (1) first, with the 8-byte proc_input on Linux 6.6+; IGNORE (2) at the end: cn_msg.len 4, op 2.
            Assert.Contains(@"\x01\x00\x00\x00", sends[0]);
            // strace splits a call another thread's exit interrupts: "... <unfinished ...>", later "<... sendto resumed>) = 40".
            Assert.Contains(@"\x04\x00\x00\x00\x02\x00\x00\x00""], 40, 0, NULL, 0", sends[^1]);
            string[] all = File.ReadAllLines(trace);
            bool completed = sends[^1].EndsWith(") = 40", StringComparison.Ordinal)
                || all.Any(l => l.Contains("<... sendto resumed>", StringComparison.Ordinal) && Regex.IsMatch(l, @"\)\s*= 40$"));
            Assert.True(completed, "the IGNORE message was not sent whole:\n" + string.Join('\n', all));
        }
        finally
        {
            File.Delete(trace);
        }
    }
}

using ProcWatch.Tests.Helpers;
using System.Globalization;
using System.Text.RegularExpressions;
using ProcWatch.Cli;
using ProcWatch.Events;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>`-S`: each exec counted once, each program under one name.</summary>
public partial class StatsTests
{
    private static ExecEvent Exec(int pid, string? executable, string name = "prog") => new()
    {
        KernelTimeNs = 1, Timestamp = DateTimeOffset.UnixEpoch, Pid = pid, Tid = pid,
        Process = new ProcessInfo { Pid = pid, Name = name, Executable = executable },
    };

    [KernelFact]
    public void TopExecutables_OneProgramReachedThroughASymlinkedDirectory_IsOneKey()
    {
        string dir = Directory.CreateTempSubdirectory("procwatch-tally-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "usr", "bin"));
            File.WriteAllText(Path.Combine(dir, "usr", "bin", "prog"), "");
            Directory.CreateSymbolicLink(Path.Combine(dir, "bin"), "usr/bin"); // merged /usr, as on Debian
            var tally = new ExecTally();
            tally.Add(Exec(1, Path.Combine(dir, "bin", "prog")));      // as eBPF reports it (execve's path)
            tally.Add(Exec(2, Path.Combine(dir, "usr", "bin", "prog"))); // as /proc/PID/exe reports it
            tally.Add(Exec(3, Path.Combine(dir, "bin", "prog")));
            tally.Add(Exec(4, null));                                    // never read: its name, marked
            List<KeyValuePair<string, long>> top = tally.Top(10);
            Assert.Equal([new(Path.Combine(dir, "usr", "bin", "prog"), 3), new("[prog]", 1)], top);
            Assert.Equal(4, tally.Shown(ProcessEventKind.Exec));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// B10: procwatch stopped (SIGSTOP) while 300 programs run, then continued: the eBPF
    /// records are overdue by then and go out on their own; the connector's execs that follow
    /// are the same execs. `-S` must count each once: as many execs as exec lines written.
    /// </summary>
    [KernelFact]
    public void StoppedAndContinued_EachExecCountedOnce()
    {
        string output = Path.Combine(Path.GetTempPath(), $"procwatch-stats-{Guid.NewGuid():N}.json");
        try
        {
            using CliProcess watch = CliRunner.Start("-S", "-v", "-f", "json", "-o", output);
            watch.WaitForReady();
            watch.Signal(19); // SIGSTOP
            Integration.Spawn.Sh("i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done");
            Thread.Sleep(2500); // past the join's orphan timeout (2 s)
            watch.Signal(18); // SIGCONT
            // Until the 300 are written (one second was not always enough on a loaded host).
            watch.WaitUntil(() => ExecLines(output) >= 300, TimeSpan.FromSeconds(60));
            watch.Signal(CliRunner.SIGTERM);
            Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(60)));
            int lines = ExecLines(output);
            Assert.InRange(lines, 300, int.MaxValue);
            Match counted = ExecCountLine().Match(watch.Stderr);
            Assert.True(counted.Success, watch.Stderr);
            Assert.Equal(lines, long.Parse(counted.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static int ExecLines(string output) =>
        File.Exists(output) ? File.ReadLines(output).Count(l => l.Contains("\"action\":\"exec\"", StringComparison.Ordinal)) : 0;

    [GeneratedRegex(@"^exec\s+(\d+)\s", RegexOptions.Multiline)]
    private static partial Regex ExecCountLine();
}

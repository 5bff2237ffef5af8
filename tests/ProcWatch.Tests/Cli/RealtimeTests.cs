using ProcWatch.Tests.Helpers;
using Xunit;

namespace ProcWatch.Tests.Cli;

/// <summary>--realtime: only the threads that take events from the kernel run SCHED_FIFO.</summary>
public class RealtimeTests
{
    private const int SCHED_FIFO = 1;

    /// <summary>Scheduling policy of each thread: field 41 of /proc/PID/task/TID/stat (counted after the comm's last ')').</summary>
    private static Dictionary<string, List<int>> PoliciesByThreadName(int pid)
    {
        var result = new Dictionary<string, List<int>>();
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            string stat;
            try { stat = File.ReadAllText(Path.Combine(task, "stat")); }
            catch (IOException) { continue; }
            string comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
            string[] afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int policy = int.Parse(afterComm[41 - 3], System.Globalization.CultureInfo.InvariantCulture); // fields start at 3 after pid and comm
            if (!result.TryGetValue(comm, out List<int>? list))
                result[comm] = list = [];
            list.Add(policy);
        }
        return result;
    }

    [KernelFact]
    public void ReceiveThreadsAreFifo_OthersAreNot()
    {
        using CliProcess watch = CliRunner.Start("--realtime", "-v", "-f", "json", "-o", "/dev/null");
        watch.WaitForReady();
        Dictionary<string, List<int>> policies = PoliciesByThreadName(watch.Pid);
        Assert.True(policies.ContainsKey("procwatch-conne"), string.Join(", ", policies.Keys));
        Assert.All(policies["procwatch-conne"], p => Assert.Equal(SCHED_FIFO, p));
        foreach ((string name, List<int> list) in policies)
        {
            if (!name.StartsWith("procwatch-", StringComparison.Ordinal))
                Assert.All(list, p => Assert.NotEqual(SCHED_FIFO, p));
        }
        watch.Signal(CliRunner.SIGTERM);
        Assert.Equal(0, watch.WaitForExit(TimeSpan.FromSeconds(20)));
    }
}

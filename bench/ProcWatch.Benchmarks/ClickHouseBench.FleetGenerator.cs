using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;

namespace ProcWatch.Benchmarks;

/// <summary>
/// One generator of the replicated fleet benchmark (bench/clickhouse-replicated.sh): a share
/// of the simulated hosts, each a <see cref="ClickHouseSink"/> of its own (own spool, own
/// HTTP client, distinct host.hostname), in one process. The script starts several, so no
/// process holds 1000 sinks' threads. Each records off the kernel, builds its sinks, says
/// "ready" and waits for the GO file, so all start generating together; then every host
/// writes RATE events/s in 10 slices a second. A generator that falls behind its schedule
/// catches up as fast as it can (never skips): the events are all sent, and the results say
/// how long it took. Results go to OUT_DIR as key=value lines (result), one insert latency
/// per line (latencies), and the outputs' log lines counted by kind (messages); fleet-check
/// adds them up.
///   clickhouse fleet-generator INSERT_URL FIRST_HOST HOSTS RATE SECONDS STORM_EXECS BATCH_SECONDS DRAIN_CAP_SECONDS OUT_DIR GO_FILE
/// </summary>
internal static partial class ClickHouseBench
{
    private static int FleetGenerator(string[] args)
    {
        var url = new Uri(args[1]);
        int firstHost = Int(args[2]), hosts = Int(args[3]), rate = Int(args[4]), seconds = Int(args[5]), storm = Int(args[6]);
        var batchInterval = TimeSpan.FromSeconds(Int(args[7]));
        var drainCap = TimeSpan.FromSeconds(Int(args[8]));
        string outDir = args[9], goFile = args[10];

        List<ProcessEvent> recorded = Record(storm);
        var messages = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var sinks = new ClickHouseSink[hosts];
        var latencies = new List<double>[hosts];
        for (int h = 0; h < hosts; h++)
        {
            var settings = new ClickHouseSettings
            {
                Url = url, Table = "bench_fleet", SpoolDirectory = Path.Combine(outDir, "spool", h.ToString(CultureInfo.InvariantCulture)),
                BatchInterval = batchInterval, CreateTable = false, HeartbeatInterval = TimeSpan.Zero,
            };
            // 1000 hosts' outage lines would drown the result: counted by kind instead.
            sinks[h] = new ClickHouseSink(settings, line => messages.AddOrUpdate(Kind(line), 1, (_, n) => n + 1), $"fleet-{firstHost + h:D4}");
            sinks[h].InsertLatencies = latencies[h] = [];
        }
        File.WriteAllText(Path.Combine(outDir, "ready"), $"{recorded.Count}\n");
        while (!File.Exists(goFile))
            Thread.Sleep(10);

        double cpuBefore = Cpu(Environment.ProcessId);
        long started = UnixMs(), sent = 0, worstLateMs = 0;
        var clock = Stopwatch.StartNew();
        for (int tick = 0; tick < seconds * 10; tick++)
        {
            for (int h = 0; h < hosts; h++)
            {
                for (int k = 0; k < rate / 10; k++)
                    sinks[h].Write(recorded[(int)(sent++ % recorded.Count)], null, default);
                sinks[h].Flush();
            }
            TimeSpan due = TimeSpan.FromMilliseconds(100 * (tick + 1));
            TimeSpan now = clock.Elapsed;
            if (now < due) Thread.Sleep(due - now);
            else worstLateMs = Math.Max(worstLateMs, (long)(now - due).TotalMilliseconds);
        }
        long generated = UnixMs();
        long drained = -1;
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < drainCap)
        {
            if (Sum(sinks, s => s.Counters.Written + s.Counters.Dropped) >= sent)
            {
                drained = UnixMs();
                break;
            }
            Thread.Sleep(50);
        }
        double cpu = Cpu(Environment.ProcessId) - cpuBefore;
        long accepted = Sum(sinks, s => s.Counters.Written), lost = Sum(sinks, s => s.Counters.Dropped), pending = Sum(sinks, s => s.PendingRows);

        var result = new StringBuilder();
        result.Append(CultureInfo.InvariantCulture, $"hosts={hosts}\nsent={sent}\naccepted={accepted}\nlost={lost}\npending={pending}\n");
        result.Append(CultureInfo.InvariantCulture, $"started_ms={started}\ngenerated_ms={generated}\ndrained_ms={drained}\nworst_late_ms={worstLateMs}\n");
        result.Append(CultureInfo.InvariantCulture, $"cpu_s={cpu:0.00}\nrss_peak_kb={PeakRssKb()}\nrecorded={recorded.Count}\n");
        // Disposed first: past the drain cap, delivery loops would still be adding latencies. In parallel: one by one,
        // each spool's 2 s grace would add up.
        Parallel.ForEach(sinks, s => s.Dispose());
        File.WriteAllText(Path.Combine(outDir, "latencies"),
            string.Join('\n', latencies.SelectMany(l => l).Select(ms => ms.ToString("0.0", CultureInfo.InvariantCulture))));
        File.WriteAllText(Path.Combine(outDir, "messages"), string.Concat(messages.Select(m => $"{m.Value}\t{m.Key}\n")));
        File.WriteAllText(Path.Combine(outDir, "result"), result.ToString()); // last: its presence means the rest is written
        return 0;
    }

    /// <summary>An output's log line without its host and the numbers (but the error code), so that 1000 hosts' same problem is one line.</summary>
    private static string Kind(string line)
    {
        int at = line.IndexOf(": ", StringComparison.Ordinal);
        string what = at < 0 ? line : line[(at + 2)..];
        what = Regex.Replace(what, @": Insertion status:.*?(; keeping|$)", "$1"); // which shard took how many rows: differs per insert
        return Regex.Replace(what, @"(?<!code |\d)\d+", "N").ReplaceLineEndings(" ");
    }

    private static long Sum(ClickHouseSink[] sinks, Func<ClickHouseSink, long> value)
    {
        long sum = 0;
        foreach (ClickHouseSink s in sinks) sum += value(s);
        return sum;
    }

    private static long PeakRssKb()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }

    private static long UnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
}

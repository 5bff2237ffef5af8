using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;
using ProcWatch.Watching;

namespace ProcWatch.Benchmarks;

/// <summary>
/// The daemon's ClickHouse output (ClickHouseSink: rows, batches, spool with fsync, HTTP
/// inserts) driven from events recorded off the real kernel (an exec storm watched for a
/// few seconds), against a local server started by bench/clickhouse.sh.
///   clickhouse throughput URL SERVER_PID EVENTS
///   clickhouse fleet URL SERVER_PID HOSTS RATE SECONDS
/// and the replicated fleet's generators and tally (ClickHouseBench.FleetGenerator.cs, .FleetCheck.cs).
/// </summary>
internal static partial class ClickHouseBench
{
    private static readonly HttpClient Http = new();

    public static int Run(string[] args)
    {
        if (args[0] == "fleet-generator")
            return FleetGenerator(args);
        if (args[0] == "fleet-check")
            return FleetCheck(args);
        var url = new Uri(args[1]);
        int serverPid = int.Parse(args[2], CultureInfo.InvariantCulture);
        List<ProcessEvent> recorded = Record(2000);
        Console.WriteLine($"recorded {recorded.Count} events from the kernel");
        return args[0] == "throughput"
            ? Throughput(url, serverPid, recorded, long.Parse(args[3], CultureInfo.InvariantCulture))
            : Fleet(url, serverPid, recorded, int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture));
    }

    private static int Throughput(Uri url, int serverPid, List<ProcessEvent> recorded, long events)
    {
        string spool = Directory.CreateTempSubdirectory("pw-ch-bench-").FullName;
        var settings = new ClickHouseSettings { Url = url, Table = "bench_one", SpoolDirectory = spool, BatchRows = 20_000, QueueMaxBytes = 512L << 20 };
        Query(url, "DROP TABLE IF EXISTS procwatch.bench_one");
        var sink = new ClickHouseSink(settings, Console.Error.WriteLine, "bench-host");
        sink.InsertLatencies = [];
        (double userBefore, double serverBefore) = (Cpu(Environment.ProcessId), Cpu(serverPid));
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < events; i++)
        {
            sink.Write(recorded[(int)(i % recorded.Count)], null, default);
            if ((i & 1023) == 0) sink.Flush(); // the daemon flushes after each drain pass
        }
        double writeSeconds = clock.Elapsed.TotalSeconds;
        while (sink.Counters.Written + sink.Counters.Dropped < events) Thread.Sleep(5);
        double seconds = clock.Elapsed.TotalSeconds;
        (double user, double server) = (Cpu(Environment.ProcessId) - userBefore, Cpu(serverPid) - serverBefore);
        long stored = long.Parse(Query(url, "SELECT count() FROM procwatch.bench_one FINAL"), CultureInfo.InvariantCulture);
        Console.WriteLine($"throughput: {events} events; written by the sensor side in {writeSeconds:0.00} s ({events / writeSeconds:N0}/s); " +
                          $"all accepted after {seconds:0.00} s ({events / seconds:N0} events/s end to end)");
        Console.WriteLine($"  stored {stored} (FINAL), lost {sink.Counters.Dropped}; CPU per event: output {user / events * 1e6:0.00} µs, server {server / events * 1e6:0.00} µs");
        Latency(sink.InsertLatencies);
        DiskBytes(url, "bench_one", stored);
        sink.Dispose();
        Directory.Delete(spool, true);
        return stored == events && sink.Counters.Dropped == 0 ? 0 : 1;
    }

    private static int Fleet(Uri url, int serverPid, List<ProcessEvent> recorded, int hosts, int rate, int seconds)
    {
        Query(url, "DROP TABLE IF EXISTS procwatch.bench_fleet");
        string root = Directory.CreateTempSubdirectory("pw-ch-fleet-").FullName;
        var sinks = new ClickHouseSink[hosts];
        var latencies = new List<double>[hosts];
        for (int h = 0; h < hosts; h++)
        {
            var settings = new ClickHouseSettings
            {
                Url = url, Table = "bench_fleet", SpoolDirectory = Path.Combine(root, h.ToString(CultureInfo.InvariantCulture)),
                BatchInterval = TimeSpan.FromSeconds(10), // many hosts: fewer, larger inserts (MergeTree parts)
            };
            sinks[h] = new ClickHouseSink(settings, Console.Error.WriteLine, $"fleet-{h:D4}");
            sinks[h].InsertLatencies = latencies[h] = [];
        }
        (double userBefore, double serverBefore) = (Cpu(Environment.ProcessId), Cpu(serverPid));
        long sent = 0;
        var clock = Stopwatch.StartNew();
        // Every host writes rate events per second, in 10 slices a second, from the recording.
        for (int tick = 0; tick < seconds * 10; tick++)
        {
            for (int h = 0; h < hosts; h++)
            {
                for (int k = 0; k < rate / 10; k++)
                    sinks[h].Write(recorded[(int)(sent++ % recorded.Count)], null, default);
                sinks[h].Flush();
            }
            TimeSpan due = TimeSpan.FromMilliseconds(100 * (tick + 1));
            if (clock.Elapsed < due) Thread.Sleep(due - clock.Elapsed);
        }
        double late = clock.Elapsed.TotalSeconds - seconds;
        var drain = Stopwatch.StartNew();
        while (sinks.Sum(s => s.Counters.Written + s.Counters.Dropped) < sent && drain.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(50);
        (double user, double server) = (Cpu(Environment.ProcessId) - userBefore, Cpu(serverPid) - serverBefore);
        long stored = long.Parse(Query(url, "SELECT count() FROM procwatch.bench_fleet FINAL"), CultureInfo.InvariantCulture);
        long storedHosts = long.Parse(Query(url, "SELECT uniqExact(`host.hostname`) FROM procwatch.bench_fleet"), CultureInfo.InvariantCulture);
        long lost = sinks.Sum(s => s.Counters.Dropped);
        Console.WriteLine($"fleet: {hosts} hosts x {rate} ev/s x {seconds} s: sent {sent}, stored {stored} ({100.0 * stored / sent:0.000} %) from {storedHosts} hosts, lost {lost}; " +
                          $"generator {late:0.0} s behind schedule; drained {drain.Elapsed.TotalSeconds:0.0} s after the last event");
        Console.WriteLine($"  CPU per event: outputs {user / sent * 1e6:0.00} µs, server {server / sent * 1e6:0.00} µs");
        Latency(latencies.SelectMany(l => l).ToList());
        DiskBytes(url, "bench_fleet", stored);
        foreach (ClickHouseSink s in sinks) s.Dispose();
        Directory.Delete(root, true);
        return stored == sent ? 0 : 1;
    }

    /// <summary>An exec storm of <paramref name="execs"/> runs watched through the connector: the events as the daemon receives them, enriched.</summary>
    private static List<ProcessEvent> Record(int execs)
    {
        var options = new WatchOptions { Kinds = ProcessEventKinds.Exec | ProcessEventKinds.Exit | ProcessEventKinds.Fork };
        BackendSelection backend = BackendSelector.Select(Backend.Connector, options);
        using var watcher = new ProcessWatcher(options with { Sources = backend.Sources });
        EventQueue queue = watcher.StartQueue();
        using (Process storm = Process.Start("/bin/sh", ["-c", $"for i in $(seq 1 {execs}); do /bin/true --fleet-bench-arg \"$i\"; done"])!)
            storm.WaitForExit();
        Thread.Sleep(500);
        var events = new List<ProcessEvent>();
        var batch = new ProcessEvent[1024];
        int n;
        while ((n = queue.ReadBatch(batch)) > 0)
            events.AddRange(batch.AsSpan(0, n).ToArray());
        return events;
    }

    private static void Latency(List<double> ms)
    {
        ms.Sort();
        if (ms.Count == 0) return;
        Console.WriteLine($"  inserts {ms.Count}: latency p50 {ms[ms.Count / 2]:0.0} ms, p99 {ms[(int)(ms.Count * 0.99)]:0.0} ms, max {ms[^1]:0.0} ms");
    }

    private static void DiskBytes(Uri url, string table, long rows)
    {
        Query(url, $"OPTIMIZE TABLE procwatch.{table} FINAL");
        long bytes = long.Parse(Query(url, $"SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'procwatch' AND table = '{table}' AND active"), CultureInfo.InvariantCulture);
        Console.WriteLine($"  disk: {bytes} bytes for {rows} rows = {(double)bytes / rows:0.0} bytes per event (after OPTIMIZE FINAL)");
    }

    /// <summary>utime + stime of a process, in seconds.</summary>
    private static double Cpu(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static string Query(Uri url, string sql) =>
        Http.PostAsync(url, new StringContent(sql)).Result.EnsureSuccessStatusCode().Content.ReadAsStringAsync().Result.Trim();
}

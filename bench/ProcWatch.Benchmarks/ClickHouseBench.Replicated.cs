using System.Diagnostics;
using System.Globalization;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Events;

namespace ProcWatch.Benchmarks;

/// <summary>
/// The fleet on a replicated cluster (bench/clickhouse-replicated.sh): HOSTS simulated daemons
/// insert through the Distributed table of the first node (insert_distributed_sync=1) while
/// the script kills a replica and restarts it. Then every node's local table is counted
/// (FINAL and distinct event ids): both replicas of a shard must hold the same rows, and the
/// shards together every event sent, once.
///   clickhouse fleet-replicated INSERT_URL NODE_URL,NODE_URL,... HOSTS RATE SECONDS STARTED_FILE
/// </summary>
internal static partial class ClickHouseBench
{
    private static int FleetReplicated(Uri url, string[] nodes, List<ProcessEvent> recorded, int hosts, int rate, int seconds, string startedFile)
    {
        string root = Directory.CreateTempSubdirectory("pw-ch-fleet-repl-").FullName;
        var sinks = new ClickHouseSink[hosts];
        var latencies = new List<double>[hosts];
        for (int h = 0; h < hosts; h++)
        {
            var settings = new ClickHouseSettings
            {
                Url = url, Table = "bench_fleet", SpoolDirectory = Path.Combine(root, h.ToString(CultureInfo.InvariantCulture)),
                BatchInterval = TimeSpan.FromSeconds(10), CreateTable = false, HeartbeatInterval = TimeSpan.Zero,
            };
            sinks[h] = new ClickHouseSink(settings, _ => { }, $"fleet-{h:D4}"); // 1000 hosts' outage lines would drown the result
            sinks[h].InsertLatencies = latencies[h] = [];
        }
        double cpuBefore = Cpu(Environment.ProcessId);
        long sent = 0;
        File.WriteAllText(startedFile, "");
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
            if (clock.Elapsed < due) Thread.Sleep(due - clock.Elapsed);
        }
        double late = clock.Elapsed.TotalSeconds - seconds;
        var drain = Stopwatch.StartNew();
        while (sinks.Sum(s => s.Counters.Written + s.Counters.Dropped) < sent && drain.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(100);
        double drained = drain.Elapsed.TotalSeconds;
        double outputs = Cpu(Environment.ProcessId) - cpuBefore;
        long lost = sinks.Sum(s => s.Counters.Dropped), accepted = sinks.Sum(s => s.Counters.Written);
        Console.WriteLine($"fleet-replicated: {hosts} hosts x {rate} ev/s x {seconds} s: sent {sent}, accepted {accepted}, lost {lost}; " +
                          $"generator {late:0.0} s behind schedule; drained {drained:0.0} s after the last event");
        Console.WriteLine($"  CPU of the outputs: {outputs:0.0} s = {outputs / sent * 1e6:0.00} µs per event");
        Latency(latencies.SelectMany(l => l).ToList());

        // Replicas catch up in the background (the killed one fetches what it missed): wait until both replicas of each shard agree.
        string sql = "SELECT count(), uniqExact(`event.id`) FROM procwatch.bench_fleet_local FINAL";
        string[] counts = new string[nodes.Length];
        var converge = Stopwatch.StartNew();
        do
        {
            for (int i = 0; i < nodes.Length; i++) counts[i] = Query(new Uri(nodes[i]), sql);
        }
        while ((counts[0] != counts[1] || counts[2] != counts[3]) && converge.Elapsed < TimeSpan.FromMinutes(3) && Sleep());
        long stored = 0, distinct = 0;
        for (int shard = 0; shard < nodes.Length / 2; shard++)
        {
            string[] f = counts[2 * shard].Split('\t');
            stored += long.Parse(f[0], CultureInfo.InvariantCulture);
            distinct += long.Parse(f[1], CultureInfo.InvariantCulture);
        }
        Console.WriteLine($"  replicas (rows FINAL, distinct event.id): {string.Join("; ", counts.Select(c => c.Replace('\t', '/')))}; agreed {converge.Elapsed.TotalSeconds:0.0} s after the drain");
        Console.WriteLine($"  stored {stored} ({100.0 * stored / sent:0.000} %), distinct {distinct}: " +
                          (stored == sent && distinct == sent && counts[0] == counts[1] && counts[2] == counts[3] ? "every event exactly once on both replicas" : "NOT exactly once"));
        Console.WriteLine($"SENT={sent}");
        foreach (ClickHouseSink s in sinks) s.Dispose();
        Directory.Delete(root, true);
        return stored == sent && distinct == sent && lost == 0 ? 0 : 1;
    }

    private static bool Sleep()
    {
        Thread.Sleep(1000);
        return true;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace ProcWatch.Benchmarks;

/// <summary>
/// The replicated fleet benchmark's tally (bench/clickhouse-replicated.sh), once every
/// generator has exited: their results added up (sent, accepted, lost, offered rate against
/// the target, drain time from the last event generated to the last accepted, CPU per event,
/// insert latencies, the outputs' log lines by kind); then the replicas are waited for until
/// they have converged (below), which is where the servers' CPU (4 servers + ZooKeeper, the
/// killed replica's share included) is read; then the exact check, on every replica's local
/// table: rows with FINAL, distinct event ids and a sum of their hashes (the two replicas of a
/// shard must agree on all three), rows without FINAL (a duplicate that got in and is not
/// merged yet shows there), and distinct ids across the cluster through the Distributed table.
///   clickhouse fleet-check GEN_ROOT NODE_URL,... SERVER_PID,... CPU_TICKS_BEFORE KILLED_TICKS TARGET_EVENTS_PER_S CONVERGE_CAP_SECONDS
/// </summary>
internal static partial class ClickHouseBench
{
    private static int FleetCheck(string[] args)
    {
        string[] generators = Directory.GetDirectories(args[1]);
        Uri[] nodes = args[2].Split(',').Select(n => new Uri(n)).ToArray();
        int[] serverPids = args[3].Split(',').Select(Int).ToArray();
        long ticksBefore = long.Parse(args[4], CultureInfo.InvariantCulture), killedTicks = long.Parse(args[5], CultureInfo.InvariantCulture);
        double target = double.Parse(args[6], CultureInfo.InvariantCulture);
        var convergeCap = TimeSpan.FromSeconds(Int(args[7]));

        long sent = 0, accepted = 0, lost = 0, pending = 0, rssKb = 0, started = long.MaxValue, generated = 0, drained = 0, worstLate = 0;
        double cpu = 0;
        bool allDrained = true;
        var latencies = new List<double>();
        var messages = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string dir in generators)
        {
            Dictionary<string, string> r = File.ReadAllLines(Path.Combine(dir, "result")).Select(l => l.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
            long L(string key) => long.Parse(r[key], CultureInfo.InvariantCulture);
            sent += L("sent"); accepted += L("accepted"); lost += L("lost"); pending += L("pending"); rssKb += L("rss_peak_kb");
            started = Math.Min(started, L("started_ms"));
            generated = Math.Max(generated, L("generated_ms"));
            worstLate = Math.Max(worstLate, L("worst_late_ms"));
            if (L("drained_ms") < 0) allDrained = false;
            drained = Math.Max(drained, L("drained_ms"));
            cpu += double.Parse(r["cpu_s"], CultureInfo.InvariantCulture);
            latencies.AddRange(File.ReadAllLines(Path.Combine(dir, "latencies")).Where(l => l.Length > 0).Select(l => double.Parse(l, CultureInfo.InvariantCulture)));
            foreach (string line in File.ReadAllLines(Path.Combine(dir, "messages")))
            {
                string[] f = line.Split('\t', 2);
                messages[f[1]] = messages.GetValueOrDefault(f[1]) + Int(f[0]);
            }
        }
        double generation = (generated - started) / 1000.0;
        Console.WriteLine($"generators: {generators.Length}; sent {sent:N0}, accepted {accepted:N0}, lost {lost}, still pending {pending}");
        Console.WriteLine($"  generation took {generation:0.0} s: offered {sent / generation:N0} events/s against a target of {target:N0} " +
                          $"({100 * sent / generation / target:0.0} %); worst slice {worstLate / 1000.0:0.0} s behind schedule");
        Console.WriteLine(allDrained
            ? $"  drained {(drained - generated) / 1000.0:0.0} s after the last event was generated (every batch accepted by the cluster)"
            : $"  NOT drained: some generator still had events pending at its drain cap");
        Console.WriteLine($"  CPU of the generators (the outputs' work: rows, gzip, spool, HTTP): {cpu:0.0} s = {cpu / sent * 1e6:0.00} µs per event; peak RSS of all generators {rssKb / 1024} MiB");
        Latency(latencies);
        foreach ((string what, int n) in messages.OrderByDescending(m => m.Value))
            Console.WriteLine($"  outputs' log, {n}×: {what}");

        // The killed replica fetches what it missed in the background. Converged: no replica has replication work queued
        // (cheap to ask) and then the two replicas of each shard agree on rows with FINAL, distinct ids and the ids' hash sum
        // (an empty queue alone is not enough: a replica just restarted shows one before it has read the log). Rows without
        // FINAL are not compared: a part a replica wrote while its ZooKeeper session expired stays local to it (its retried
        // batch went in elsewhere), so the two may differ there and still hold the same events.
        const string Sql = "SELECT count(), uniqExact(`event.id`), sum(cityHash64(`event.id`)) FROM procwatch.bench_fleet_local FINAL";
        string[] final = new string[nodes.Length];
        var converge = Stopwatch.StartNew();
        while (true)
        {
            bool quiet = true;
            foreach (Uri node in nodes)
                quiet &= Query(node, "SELECT sum(queue_size) + sum(is_readonly) + sum(is_session_expired) FROM system.replicas " +
                                     "WHERE database = 'procwatch' AND table = 'bench_fleet_local'") == "0";
            bool agree = quiet;
            if (quiet)
            {
                for (int i = 0; i < nodes.Length; i++) final[i] = Query(nodes[i], Sql);
                for (int s = 0; s < nodes.Length; s += 2) agree &= final[s] == final[s + 1];
            }
            if (agree || converge.Elapsed > convergeCap) break;
            Thread.Sleep(1000);
        }
        long ticks = killedTicks - ticksBefore;
        foreach (int pid in serverPids) ticks += CpuTicks(pid);
        Console.WriteLine($"replicas converged {converge.Elapsed.TotalSeconds:0.0} s after the last generator finished (cap {convergeCap.TotalSeconds:0} s)");
        Console.WriteLine($"  CPU of the 4 servers + ZooKeeper: {ticks / 100.0:0.0} s = {ticks / 100.0 / sent * 1e6:0.00} µs per event");

        // The exact check.
        bool exactlyOnce = true;
        long storedFinal = 0, storedDistinct = 0;
        for (int s = 0; s < nodes.Length; s += 2)
        {
            (string a, string b) = (final[s] ?? Query(nodes[s], Sql), final[s + 1] ?? Query(nodes[s + 1], Sql));
            long rawA = long.Parse(Query(nodes[s], "SELECT count() FROM procwatch.bench_fleet_local"), CultureInfo.InvariantCulture);
            long rawB = long.Parse(Query(nodes[s + 1], "SELECT count() FROM procwatch.bench_fleet_local"), CultureInfo.InvariantCulture);
            string[] f = a.Split('\t');
            long rows = long.Parse(f[0], CultureInfo.InvariantCulture), distinct = long.Parse(f[1], CultureInfo.InvariantCulture);
            storedFinal += rows;
            storedDistinct += distinct;
            bool same = a == b && rows == distinct;
            exactlyOnce &= same;
            Console.WriteLine($"  shard {s / 2 + 1}: replica 1 rows FINAL/distinct ids/id-hash sum {a.Replace('\t', '/')}, rows without FINAL {rawA}; " +
                              $"replica 2 {b.Replace('\t', '/')}, without FINAL {rawB}: {(same ? "identical" : "DIFFERENT")}");
        }
        long global = long.Parse(Query(nodes[0], "SELECT uniqExact(`event.id`) FROM procwatch.bench_fleet"), CultureInfo.InvariantCulture);
        exactlyOnce &= storedFinal == sent && storedDistinct == sent && global == sent && lost == 0;
        Console.WriteLine($"  stored {storedFinal:N0} of {sent:N0} ({100.0 * storedFinal / sent:0.000} %), distinct ids per shard {storedDistinct:N0}, across the cluster {global:N0}: " +
                          (exactlyOnce ? "every event exactly once on both replicas of its shard, 0 lost" : "NOT exactly once"));
        return exactlyOnce ? 0 : 1;
    }

    private static long CpuTicks(int pid)
    {
        try
        {
            return (long)Math.Round(Cpu(pid) * 100);
        }
        catch (IOException)
        {
            return 0; // gone
        }
    }
}

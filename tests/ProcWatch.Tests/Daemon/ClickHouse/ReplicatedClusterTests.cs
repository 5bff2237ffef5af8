using System.Collections.Concurrent;
using System.Diagnostics;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Tests.Daemon;
using Xunit;
using static ProcWatch.Tests.Daemon.ClickHouse.ClickHouseTestEvents;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// The ClickHouse output against a real replicated cluster (ZooKeeper + 2 shards × 2 replicas,
/// <see cref="ReplicatedClusterFixture"/>) while part of it fails in the middle of a burst. Two
/// simulated hosts, one per shard, insert through the Distributed table with
/// insert_distributed_sync=1. Afterwards every event is on both replicas of its host's shard
/// exactly once: as many rows with FINAL as events, as many distinct event.ids, and the ids
/// are exactly the sequence 1..N that the host's writer gave out (nothing lost, nothing extra).
/// </summary>
[Collection("clickhouse-replicated")]
public sealed class ReplicatedClusterTests(ReplicatedClusterFixture cluster)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_replica_killed_mid_burst_and_restarted_ends_with_every_event_once_on_both_replicas()
    {
        ClickHouseServer victim = cluster.Shard(1)[1];
        BurstThrough(sinks =>
        {
            long before = sinks[1].Counters.Written;
            victim.Kill(); // SIGKILL: inserts in flight to it are cut
            // The shard's other replica takes the Distributed table's inserts meanwhile.
            Poll.Until(() => sinks[1].Counters.Written > before + 2000, Deadline, () => $"shard 2 took nothing with one replica down: written {sinks[1].Counters.Written}");
            victim.Start(); // it fetches what it missed from its replica
        });
    }

    [Fact]
    public void ZooKeeper_stopped_for_10_s_mid_burst_spools_retries_and_loses_or_doubles_nothing()
    {
        BurstThrough(sinks =>
        {
            cluster.ZooKeeper.Stop();
            Thread.Sleep(Outage); // the outage itself, not a wait for a condition
            Assert.True(sinks[0].SpoolBytes + sinks[1].SpoolBytes > 0, "nothing waited in the spool while ZooKeeper was down");
            cluster.ZooKeeper.Start();
        }, expectFailures: true);
    }

    [Fact]
    public void A_whole_shard_down_for_10_s_mid_burst_spools_retries_and_loses_or_doubles_nothing()
    {
        BurstThrough(sinks =>
        {
            ClickHouseServer[] shard = cluster.Shard(1);
            Parallel.ForEach(shard, n => n.Kill());
            Thread.Sleep(Outage);
            Assert.True(sinks[1].SpoolBytes > 0, "nothing waited in the spool while the shard was down");
            Parallel.ForEach(shard, n => n.Start());
        }, expectFailures: true);
    }

    /// <summary>
    /// Two hosts (one per shard) write ~1000 events/s each; once both deliver, <paramref name="outage"/>
    /// runs; once both deliver again, the burst stops, the spools drain, and both replicas of each
    /// shard are checked.
    /// </summary>
    private void BurstThrough(Action<ClickHouseSink[]> outage, bool expectFailures = false)
    {
        cluster.Restore();
        string database = cluster.CreateDatabase();
        string[] hosts = cluster.HostsOnShards("replica-host-" + database);
        var log = new ConcurrentQueue<string>();
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        TempDir[] dirs = [dirA, dirB];
        var sinks = new ClickHouseSink[2];
        long[] sent = new long[2];
        try
        {
            for (int s = 0; s < 2; s++)
                sinks[s] = new ClickHouseSink(Settings(cluster.InsertUrl, dirs[s], "events") with
                {
                    Database = database, CreateTable = false, User = null, PasswordFile = null, BatchRows = 500, HeartbeatInterval = TimeSpan.Zero,
                }, line => log.Enqueue(line), hosts[s]);
            using var stop = new CancellationTokenSource();
            var writer = new Thread(() =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    for (int s = 0; s < 2; s++)
                    {
                        sinks[s].Write(Exec(i, hosts[s]), null, default);
                        sent[s]++;
                    }
                    if (i % 10 == 9) Thread.Sleep(10);
                }
            }) { IsBackground = true };
            writer.Start();
            try
            {
                Poll.Until(() => sinks[0].Counters.Written > 0 && sinks[1].Counters.Written > 0, Deadline, () => "nothing delivered before the outage: " + string.Join(" | ", log));
                outage(sinks);
                long[] resumed = [sinks[0].Counters.Written, sinks[1].Counters.Written];
                Poll.Until(() => sinks[0].Counters.Written > resumed[0] && sinks[1].Counters.Written > resumed[1], Deadline,
                    () => "delivery did not resume: " + string.Join(" | ", log));
            }
            finally
            {
                stop.Cancel();
                writer.Join();
            }
            for (int s = 0; s < 2; s++)
            {
                ClickHouseSink sink = sinks[s];
                long expected = sent[s];
                // Written is counted just after a batch leaves the spool: wait for both, not for one. On a loaded machine
                // the spool that built up during the outage drains slowly: wait as long as it drains, and fail only once
                // a whole Deadline passed without a batch delivered.
                long seen = sink.Counters.Written;
                while (!Poll.Until(() => sink.PendingRows == 0 && sink.Counters.Written + sink.Counters.Dropped == expected, Deadline))
                {
                    Assert.True(sink.Counters.Written > seen,
                        $"host {s}: delivery stalled: pending {sink.PendingRows}, written {sink.Counters.Written} of {expected}; log: {string.Join(" | ", log)}");
                    seen = sink.Counters.Written;
                }
                Assert.Equal(0, sink.Counters.Dropped);
                Assert.Equal(sent[s], sink.Counters.Written);
            }
        }
        finally
        {
            foreach (ClickHouseSink? sink in sinks) sink?.Dispose();
            cluster.Restore();
        }
        if (expectFailures)
        {
            // The inserts failed (one line when it started), were kept and retried, and got through.
            Assert.Contains(log, l => l.Contains("keeping events in the spool", StringComparison.Ordinal));
            Assert.Contains(log, l => l.Contains("delivering again", StringComparison.Ordinal));
        }
        for (int s = 0; s < 2; s++)
        {
            foreach (ClickHouseServer replica in cluster.Shard(s))
            {
                string sql = $"SELECT count(), uniqExact(`event.id`), min(toUInt64(substring(`event.id`, 18))), max(toUInt64(substring(`event.id`, 18))) " +
                             $"FROM {database}.events_local FINAL WHERE `host.hostname` = '{hosts[s]}'";
                string expected = $"{sent[s]}\t{sent[s]}\t1\t{sent[s]}";
                // A replica that was down catches up from its twin in the background.
                Poll.Until(() => replica.Query(sql) == expected, Deadline, () => $"shard {s + 1} replica {replica.HttpPort}: {replica.Query(sql)} != {expected}");
                // The other shard holds none of this host's rows.
                foreach (ClickHouseServer other in cluster.Shard(1 - s))
                    Assert.Equal(0, other.Count($"SELECT count() FROM {database}.events_local WHERE `host.hostname` = '{hosts[s]}'"));
            }
        }
        Assert.DoesNotContain(log, l => l.Contains("lost", StringComparison.Ordinal));
    }
}

using System.Collections.Concurrent;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Tests.Daemon;
using Xunit;
using static ProcWatch.Tests.Daemon.ClickHouse.ClickHouseTestEvents;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// Two clickhouse-servers on loopback form the cluster "pw" (one shard each, no replica).
/// The DDL of <c>procwatch fleet schema --cluster pw --no-replication</c> is applied to both;
/// two simulated hosts send through the Distributed table. This proves the sharding and
/// the Distributed read path with plain ReplacingMergeTree shards; replication
/// (ReplicatedReplacingMergeTree, which needs ZooKeeper) is not exercised here.
/// </summary>
[Collection("clickhouse")]
public sealed class ClickHouseClusterTests
{
    [Fact]
    public void Events_of_two_hosts_land_on_their_shards_and_the_distributed_table_sees_all()
    {
        int tcp1 = ClickHouseServer.FreePort(), tcp2 = ClickHouseServer.FreePort();
        string cluster = $"""
            <pw>
              <shard><replica><host>127.0.0.1</host><port>{tcp1}</port></replica></shard>
              <shard><replica><host>127.0.0.1</host><port>{tcp2}</port></replica></shard>
            </pw>
            """;
        using var one = new ClickHouseServer(cluster, tcp1);
        using var two = new ClickHouseServer(cluster, tcp2);
        one.Start();
        two.Start();
        (int code, string ddl, string stderr) = ProcWatch.Tests.Daemon.Cli.Run("fleet", "schema", "--cluster", "pw", "--no-replication", "--server-version", "18.16");
        Assert.True(code == 0, stderr);
        one.Apply(ddl);
        two.Apply(ddl);

        // Host names the sharding key sends to shard 1 (remainder 0) and shard 2 (remainder 1).
        string[] hosts = new string[2];
        for (int i = 0; hosts[0] is null || hosts[1] is null; i++)
        {
            string name = "fleet-host-" + i;
            hosts[one.Count($"SELECT cityHash64('{name}') % 2")] ??= name;
        }

        const int N = 3000;
        var log = new ConcurrentQueue<string>();
        var url = new Uri(one.Url, "?insert_distributed_sync=1");
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        using (var a = new ClickHouseSink(Settings(url, dirA, "events") with { CreateTable = false }, log.Enqueue, hosts[0]))
        using (var b = new ClickHouseSink(Settings(url, dirB, "events") with { CreateTable = false }, log.Enqueue, hosts[1]))
        {
            for (int i = 0; i < N; i++)
            {
                a.Write(Exec(i, "a"), null, default);
                b.Write(Exec(i, "b"), null, default);
            }
            Poll.Until(() => a.Counters.Written == N && b.Counters.Written == N, TimeSpan.FromSeconds(60),
                () => $"written {a.Counters.Written}/{b.Counters.Written}: {string.Join(" | ", log)}");
        }
        Assert.Equal($"{hosts[0]}\t{N}", one.Query("SELECT `host.hostname`, count() FROM procwatch.events_local FINAL GROUP BY `host.hostname`"));
        Assert.Equal($"{hosts[1]}\t{N}", two.Query("SELECT `host.hostname`, count() FROM procwatch.events_local FINAL GROUP BY `host.hostname`"));
        string all = $"{hosts[0]}\t{N}\n{hosts[1]}\t{N}";
        Assert.Equal(all, two.Query("SELECT `host.hostname`, count() FROM procwatch.events GROUP BY `host.hostname` ORDER BY `host.hostname`"));
        Assert.Equal(all, one.Query("SELECT `host.hostname`, count() FROM procwatch.events GROUP BY `host.hostname` ORDER BY `host.hostname`"));
    }
}

using ProcWatch.Daemon.Outputs.ClickHouse;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary>
/// A replicated ClickHouse cluster on loopback: one ZooKeeper and four clickhouse-servers,
/// 2 shards × 2 replicas (cluster "pw", internal_replication: the Distributed table writes one
/// replica per shard and replication copies it to the other), each server with its own
/// ports, data directory and {shard}/{replica} macros. Everything it started is stopped at
/// the end, also when starting failed half-way.
/// </summary>
public sealed class ReplicatedClusterFixture : IDisposable
{
    public const string Name = "pw";

    public ReplicatedClusterFixture()
    {
        ZooKeeper = new ZooKeeperServer();
        try
        {
            ZooKeeper.Start();
            int[] tcp = [ClickHouseServer.FreePort(), ClickHouseServer.FreePort(), ClickHouseServer.FreePort(), ClickHouseServer.FreePort()];
            string shards = "";
            for (int s = 0; s < 2; s++)
            {
                shards += "<shard><internal_replication>true</internal_replication>";
                for (int r = 0; r < 2; r++)
                    shards += $"<replica><host>127.0.0.1</host><port>{tcp[2 * s + r]}</port></replica>";
                shards += "</shard>";
            }
            string cluster = $"<{Name}>{shards}</{Name}>";
            for (int i = 0; i < 4; i++)
            {
                string extra = ZooKeeper.ClickHouseXml
                    + $"<macros><shard>{i / 2 + 1:00}</shard><replica>r{i % 2 + 1}</replica></macros>"
                    + "<distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>";
                Nodes[i] = new ClickHouseServer(cluster, tcp[i], extra);
            }
            Parallel.ForEach(Nodes, n => n.Start());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal ZooKeeperServer ZooKeeper { get; }

    /// <summary>Shard-major: [shard 1 replica 1, shard 1 replica 2, shard 2 replica 1, shard 2 replica 2].</summary>
    internal ClickHouseServer[] Nodes { get; } = new ClickHouseServer[4];

    /// <summary>Where the daemons insert: the Distributed table on the first node, synchronously (the 200 means the shard has the rows).</summary>
    internal Uri InsertUrl => new(Nodes[0].Url, "?insert_distributed_sync=1");

    /// <summary>The two replicas of shard <paramref name="shard"/> (0 or 1).</summary>
    internal ClickHouseServer[] Shard(int shard) => [Nodes[2 * shard], Nodes[2 * shard + 1]];

    /// <summary>A host name that the sharding key sends to shard 0 and one for shard 1.</summary>
    internal string[] HostsOnShards(string prefix)
    {
        string[] hosts = new string[2];
        for (int i = 0; hosts[0] is null || hosts[1] is null; i++)
        {
            string name = $"{prefix}-{i}";
            hosts[Nodes[0].Count($"SELECT cityHash64('{name}') % 2")] ??= name;
        }
        return hosts;
    }

    /// <summary>A new database with the replicated schema (what fleet schema --cluster pw prints for 18.16), made once ON CLUSTER.</summary>
    internal string CreateDatabase()
    {
        string database = "db_" + Guid.NewGuid().ToString("N")[..10];
        Nodes[0].Apply(ClickHouseSchema.Script(ClickHouseSchema.Cluster(Name, database, "events", ClickHouseDialect.Legacy, 0, replicated: true)));
        return database;
    }

    /// <summary>Starts whichever node or ZooKeeper a failed test left stopped (the next test's ON CLUSTER DDL needs them all).</summary>
    internal void Restore()
    {
        if (ZooKeeper.Srvr().Length == 0)
        {
            ZooKeeper.Stop();
            ZooKeeper.Start();
        }
        Parallel.ForEach(Nodes, n =>
        {
            if (!n.Running)
            {
                n.Stop();
                n.Start();
            }
        });
    }

    public void Dispose()
    {
        foreach (ClickHouseServer? node in Nodes)
            node?.Dispose();
        ZooKeeper.Dispose();
    }
}

[CollectionDefinition("clickhouse-replicated")]
public sealed class ReplicatedClusterCollection : ICollectionFixture<ReplicatedClusterFixture>;

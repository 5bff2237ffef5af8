using ProcWatch.Daemon.Outputs.ClickHouse;
using Xunit;

namespace ProcWatch.Tests.Daemon.ClickHouse;

/// <summary><c>procwatch fleet hosts|search|tree|report|alerts</c> (<see cref="FleetScenario"/>) against the replicated cluster.</summary>
[Collection("clickhouse-replicated")]
public sealed class FleetCommandClusterTests(ReplicatedClusterFixture cluster)
{
    [Fact]
    public void Fleet_commands_answer_from_the_replicated_cluster()
    {
        cluster.Restore();
        string database = cluster.CreateDatabase();
        FleetScenario.Run(cluster.Nodes[0], cluster.InsertUrl, database);
        // Each replica of A's shard has A's rows: the answers above did not depend on one replica.
        foreach (ClickHouseServer node in cluster.Nodes)
            Assert.Equal(1, node.Count($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'heartbeats_local'"));
    }
}

/// <summary>The same commands against a single server (the table the daemon creates itself).</summary>
[Collection("clickhouse")]
public sealed class FleetCommandSingleServerTests(ClickHouseFixture fixture)
{
    [Fact]
    public void Fleet_commands_answer_from_a_single_server()
    {
        string database = "fleet_" + Guid.NewGuid().ToString("N")[..10];
        fixture.Server.Apply(ClickHouseSchema.Script(ClickHouseSchema.SingleNode(database, "events", ClickHouseDialect.Legacy, 0)));
        FleetScenario.Run(fixture.Server, fixture.Server.Url, database);
    }

    [Fact]
    public void Fleet_commands_without_a_store_or_with_a_bad_duration_say_so_in_one_line()
    {
        (int code, _, string stderr) = ProcWatch.Tests.Daemon.Cli.Run("fleet", "hosts");
        Assert.Equal(2, code);
        Assert.Contains("--config FILE", stderr, StringComparison.Ordinal);
        (code, _, stderr) = ProcWatch.Tests.Daemon.Cli.Run("fleet", "search", "--since", "yesterday", "--url", fixture.Server.Url.ToString(), "x");
        Assert.Equal(2, code);
        Assert.Contains("--since 'yesterday' is not a duration", stderr, StringComparison.Ordinal);
        (code, _, stderr) = ProcWatch.Tests.Daemon.Cli.Run("fleet", "alerts", "--url", $"http://127.0.0.1:{ClickHouseServer.FreePort()}/");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach ClickHouse", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

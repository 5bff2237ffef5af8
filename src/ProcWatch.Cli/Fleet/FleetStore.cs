using System.Text.Json;
using ProcWatch.Daemon.Outputs.ClickHouse;
using ProcWatch.Watching;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// The fleet store as the responder's commands read it: the events and heartbeats tables
/// (Distributed ones on a cluster) of one ClickHouse server, over its HTTP interface.
/// Results come back as JSONEachRow with 64-bit integers as numbers; a failure is one line
/// (<see cref="ProcWatchException"/>, exit code 1), never a stack trace.
/// </summary>
internal sealed class FleetStore : IDisposable
{
    /// <summary>Rows any one query may return (every table we print or build is bounded).</summary>
    public const int MaxRows = 200_000;

    private const string JsonSettings = "output_format_json_quote_64bit_integers=0&output_format_json_quote_denormals=0&";
    private readonly ClickHouseClient _client;

    public FleetStore(ClickHouseSettings settings, string? user, string? password)
    {
        Settings = settings;
        _client = new ClickHouseClient(settings, user, password);
    }

    public ClickHouseSettings Settings { get; }

    public string Events => FleetSql.Table(Settings.Database, Settings.Table);

    public string Heartbeats => FleetSql.Table(Settings.Database, Settings.HeartbeatTable);

    /// <summary>The rows of <paramref name="sql"/> (without FORMAT), each a JSON object.</summary>
    public List<JsonElement> Rows(string sql)
    {
        var rows = new List<JsonElement>();
        foreach (string line in Lines(sql))
        {
            using var doc = JsonDocument.Parse(line);
            rows.Add(doc.RootElement.Clone());
        }
        return rows;
    }

    /// <summary>The JSONEachRow lines of <paramref name="sql"/> (without FORMAT).</summary>
    public IEnumerable<string> Lines(string sql)
    {
        ClickHouseReply reply = _client.SelectAsync(sql + "\nFORMAT JSONEachRow", JsonSettings, CancellationToken.None).GetAwaiter().GetResult();
        if (reply.Outcome != ClickHouseOutcome.Accepted)
        {
            string where = Settings.Url.GetLeftPart(UriPartial.Path);
            throw new ProcWatchException(FailureKind.SystemError, reply.Outcome switch
            {
                ClickHouseOutcome.Unreachable => $"fleet: cannot reach ClickHouse at {where}: {reply.Message}",
                ClickHouseOutcome.AuthenticationFailed => $"fleet: ClickHouse at {where} refused the credentials: {reply.Message}",
                ClickHouseOutcome.MissingTable => $"fleet: {reply.Message} (is --database/--table right? procwatch fleet schema prints the DDL)",
                _ => $"fleet: ClickHouse at {where} answered code {reply.Code}: {reply.Message}",
            });
        }
        return reply.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose() => _client.Dispose();
}

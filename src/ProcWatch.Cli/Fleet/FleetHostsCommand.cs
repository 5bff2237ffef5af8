using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// <c>procwatch fleet hosts</c>: every host that ever sent a heartbeat, its last one, version,
/// backend, counters, and whether it went quiet (no heartbeat for 3 of its intervals) or lost
/// events within <c>--since</c>: what a stopped or blinded sensor looks like from the store.
/// </summary>
internal static class FleetHostsCommand
{
    /// <summary>A host is quiet after this many of its heartbeat intervals without one.</summary>
    public const int QuietIntervals = 3;

    private static readonly Option<string> Since = new("--since")
    {
        Description = "Window for the loss counters' growth",
        DefaultValueFactory = _ => "1h",
        HelpName = "DURATION",
    };

    private static readonly Option<bool> Json = new("--json") { Description = "One JSON object per host" };

    private static readonly Option<bool> QuietOnly = new("--quiet") { Description = "Only the hosts that went quiet" };

    public static Command Build() => FleetConnection.WithStore(
        new Command("hosts", "Every host's last heartbeat; the quiet ones marked") { Since, Json, QuietOnly },
        result => (Since: FleetConnection.Since(result, Since), Json: result.GetValue(Json), QuietOnly: result.GetValue(QuietOnly)),
        (store, a) => Run(store, a.Since, a.Json, a.QuietOnly, Console.Out));

    public static int Run(FleetStore store, TimeSpan since, bool json, bool quietOnly, TextWriter output)
    {
        // Counters are totals since the daemon started: growth within the window is the newest
        // value minus the oldest (a restart in between shows as no growth, not a negative one).
        string window = FleetSql.Since(since);
        string sql = $"""
            SELECT `host.hostname` AS host,
                   toString(max(`@timestamp`)) AS last_heartbeat,
                   toInt64(toUInt32(now())) - toInt64(toUInt32(max(`@timestamp`))) AS age_s,
                   argMax(`procwatch.heartbeat_interval_ms`, `@timestamp`) AS interval_ms,
                   argMax(`procwatch.version`, `@timestamp`) AS version,
                   argMax(`procwatch.backend`, `@timestamp`) AS backend,
                   argMax(`procwatch.enforcement`, `@timestamp`) AS enforcement,
                   argMax(`procwatch.uptime_s`, `@timestamp`) AS uptime_s,
                   argMax(`procwatch.events`, `@timestamp`) AS events,
                   argMax(`procwatch.losses`, `@timestamp`) AS losses,
                   argMax(`procwatch.drops`, `@timestamp`) AS drops,
                   argMax(`procwatch.alerts`, `@timestamp`) AS alerts,
                   argMax(`procwatch.pending`, `@timestamp`) AS pending,
                   toInt64(argMaxIf(`procwatch.losses` + `procwatch.drops`, `@timestamp`, {window}))
                     - toInt64(argMinIf(`procwatch.losses` + `procwatch.drops`, `@timestamp`, {window})) AS lost_in_window
            FROM {store.Heartbeats}
            GROUP BY host
            ORDER BY host
            LIMIT {FleetStore.MaxRows}
            """;
        List<JsonElement> rows = store.Rows(sql);
        var shown = new List<JsonElement>();
        var table = new List<string[]>();
        int quiet = 0;
        foreach (JsonElement row in rows)
        {
            long age = FleetTable.Long(row, "age_s"), interval = Math.Max(1, FleetTable.Long(row, "interval_ms"));
            bool isQuiet = age * 1000 > QuietIntervals * interval;
            long lost = Math.Max(0, FleetTable.Long(row, "lost_in_window"));
            if (isQuiet) quiet++;
            if (quietOnly && !isQuiet) continue;
            string status = isQuiet ? "QUIET" : lost > 0 ? "LOSING" : "ok";
            if (json)
            {
                shown.Add(WithStatus(row, status));
                continue;
            }
            table.Add([
                status, FleetTable.Cell(FleetTable.Str(row, "host")), FleetTable.Str(row, "last_heartbeat"), Age(age),
                FleetTable.Cell(FleetTable.Str(row, "version")), FleetTable.Cell(FleetTable.Str(row, "backend")),
                FleetTable.Cell(FleetTable.Str(row, "enforcement")), FleetTable.Str(row, "events"), FleetTable.Str(row, "losses"),
                FleetTable.Str(row, "drops"), lost.ToString(CultureInfo.InvariantCulture), FleetTable.Str(row, "alerts"), FleetTable.Str(row, "pending"),
            ]);
        }
        if (json)
        {
            FleetTable.WriteJson(output, shown);
            return ExitCodes.Success;
        }
        FleetTable.Write(output, ["STATUS", "HOST", "LAST HEARTBEAT (UTC)", "AGO", "VERSION", "BACKEND", "ENFORCE", "EVENTS", "LOSSES", "DROPS",
            "LOST/" + FormatWindow(since), "ALERTS", "PENDING"], table);
        output.WriteLine($"{rows.Count} hosts, {quiet} quiet (no heartbeat for {QuietIntervals} intervals)");
        return ExitCodes.Success;
    }

    private static JsonElement WithStatus(JsonElement row, string status)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", status);
            foreach (JsonProperty p in row.EnumerateObject()) p.WriteTo(w);
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static string Age(long seconds) => seconds switch
    {
        < 0 => "0s",
        < 120 => $"{seconds}s",
        < 7200 => $"{seconds / 60}m",
        < 172800 => $"{seconds / 3600}h",
        _ => $"{seconds / 86400}d",
    };

    private static string FormatWindow(TimeSpan t) =>
        t.TotalSeconds % 86400 == 0 ? $"{t.TotalDays:0}d" : t.TotalSeconds % 3600 == 0 ? $"{t.TotalHours:0}h" : t.TotalSeconds % 60 == 0 ? $"{t.TotalMinutes:0}m" : $"{t.TotalSeconds:0}s";
}

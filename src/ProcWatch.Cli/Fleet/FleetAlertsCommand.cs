using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProcWatch.Cli.Fleet;

/// <summary><c>procwatch fleet alerts [--since 1h] [--host H]</c>: alerts counted by rule and host, most first (each stored alert once).</summary>
internal static class FleetAlertsCommand
{
    private static readonly Option<string> Since = new("--since") { Description = "How far back", DefaultValueFactory = _ => "1h", HelpName = "DURATION" };

    private static readonly Option<string?> Host = new("--host") { Description = "Only this host", HelpName = "HOST" };

    private static readonly Option<bool> Json = new("--json") { Description = "One JSON object per rule and host" };

    public static Command Build() => FleetConnection.WithStore(
        new Command("alerts", "Alerts by rule and host") { Since, Host, Json },
        result => (Since: FleetConnection.Since(result, Since), Host: result.GetValue(Host), Json: result.GetValue(Json)),
        (store, a) => Run(store, a.Since, a.Host, a.Json, Console.Out));

    public static int Run(FleetStore store, TimeSpan since, string? host, bool json, TextWriter output)
    {
        var where = new StringBuilder("`event.kind` = 'alert' AND ").Append(FleetSql.Since(since));
        if (host is not null) where.Append(" AND `host.hostname` = ").Append(FleetSql.Text(host));
        string sql = $"""
            SELECT `rule.name` AS rule, `rule.id` AS rule_id, any(`rule.severity`) AS severity, `host.hostname` AS host,
                   uniqExact(`event.id`) AS alerts, toString(min(`@timestamp`)) AS first, toString(max(`@timestamp`)) AS last,
                   argMax(`process.command_line`, `event.time_us`) AS last_command_line
            FROM {store.Events}
            WHERE {where}
            GROUP BY rule, rule_id, host
            ORDER BY alerts DESC, rule, host
            LIMIT {FleetStore.MaxRows.ToString(CultureInfo.InvariantCulture)}
            """;
        List<JsonElement> rows = store.Rows(sql);
        if (json)
        {
            FleetTable.WriteJson(output, rows);
            return ExitCodes.Success;
        }
        var table = new List<string[]>(rows.Count);
        long total = 0;
        foreach (JsonElement r in rows)
        {
            total += FleetTable.Long(r, "alerts");
            table.Add([
                FleetTable.Str(r, "alerts"), FleetTable.Cell(FleetTable.Str(r, "rule")), FleetTable.Cell(FleetTable.Str(r, "severity")),
                FleetTable.Cell(FleetTable.Str(r, "host")), FleetTable.Str(r, "first"), FleetTable.Str(r, "last"), FleetTable.Cell(FleetTable.Str(r, "last_command_line")),
            ]);
        }
        FleetTable.Write(output, ["ALERTS", "RULE", "SEVERITY", "HOST", "FIRST (UTC)", "LAST (UTC)", "LAST COMMAND LINE"], table);
        output.WriteLine($"{total} alerts, {rows.Count} rule/host pairs");
        return ExitCodes.Success;
    }
}

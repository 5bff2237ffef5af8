using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// <c>procwatch fleet search [--since 1h] [--host H] [--user U] PATTERN</c>: the execs whose
/// executable or command line contains PATTERN (bytes, case-sensitive), or whose SHA-256 is
/// PATTERN, newest first; each stored event once (a resent batch's duplicate is not shown).
/// </summary>
internal static class FleetSearchCommand
{
    private static readonly Argument<string> Pattern = new("PATTERN") { Description = "Text in the executable or command line, or an executable's SHA-256" };

    private static readonly Option<string> Since = new("--since") { Description = "How far back", DefaultValueFactory = _ => "1h", HelpName = "DURATION" };

    private static readonly Option<string?> Host = new("--host") { Description = "Only this host", HelpName = "HOST" };

    private static readonly Option<string?> User = new("--user", "-u") { Description = "Only processes of this user (name or uid)", HelpName = "USER" };

    private static readonly Option<int> Limit = new("--limit") { Description = "At most this many execs", DefaultValueFactory = _ => 100, HelpName = "N" };

    private static readonly Option<bool> Json = new("--json") { Description = "One JSON object per exec (the stored columns)" };

    public static Command Build() => FleetConnection.WithStore(
        new Command("search", "Execs across the fleet whose executable, command line or hash match") { Pattern, Since, Host, User, Limit, Json },
        result => (Query: QueryOf(result), Json: result.GetValue(Json)),
        (store, a) => Run(store, a.Query, a.Json, Console.Out));

    private static Query QueryOf(ParseResult result)
    {
        TimeSpan since = FleetConnection.Since(result, Since);
        int limit = result.GetValue(Limit);
        if (limit is < 1 or > FleetStore.MaxRows)
            throw new UsageException($"--limit must be 1..{FleetStore.MaxRows}");
        return new Query(result.GetValue(Pattern)!, since, result.GetValue(Host), result.GetValue(User), limit);
    }

    public sealed record Query(string Pattern, TimeSpan Since, string? Host, string? User, int Limit);

    public static int Run(FleetStore store, Query q, bool json, TextWriter output)
    {
        if (q.Pattern.Length == 0)
            throw new UsageException("fleet search: PATTERN is empty");
        string p = FleetSql.Text(q.Pattern);
        var where = new StringBuilder();
        where.Append("`event.kind` = 'event' AND `event.action` = 'exec' AND ").Append(FleetSql.Since(q.Since));
        if (q.Host is not null) where.Append(" AND `host.hostname` = ").Append(FleetSql.Text(q.Host));
        if (q.User is not null) where.Append(" AND (`user.name` = ").Append(FleetSql.Text(q.User)).Append(" OR `user.id` = ").Append(FleetSql.Text(q.User)).Append(')');
        where.Append(" AND (position(`process.executable`, ").Append(p).Append(") > 0 OR position(`process.command_line`, ").Append(p)
             .Append(") > 0 OR `process.hash.sha256` = lower(").Append(p).Append("))");
        string sql = $"""
            SELECT toString(`@timestamp`) AS time, `event.time_us` AS time_us, `host.hostname` AS host, `user.name` AS user, `user.id` AS uid,
                   `process.pid` AS pid, `process.entity_id` AS entity_id, `process.executable` AS executable, `process.command_line` AS command_line,
                   `process.working_directory` AS cwd, `process.hash.sha256` AS sha256, `process.parent.pid` AS ppid,
                   `process.parent.executable` AS parent_executable, `process.parent.entity_id` AS parent_entity_id, `event.id` AS event_id
            FROM {store.Events}
            WHERE {where}
            ORDER BY time_us DESC
            LIMIT 1 BY event_id
            LIMIT {q.Limit.ToString(CultureInfo.InvariantCulture)}
            """;
        List<JsonElement> rows = store.Rows(sql);
        if (json)
        {
            FleetTable.WriteJson(output, rows);
            return ExitCodes.Success;
        }
        var table = new List<string[]>(rows.Count);
        foreach (JsonElement r in rows)
        {
            string user = FleetTable.Str(r, "user");
            table.Add([
                FleetTable.Str(r, "time"), FleetTable.Cell(FleetTable.Str(r, "host")), FleetTable.Cell(user.Length > 0 ? user : FleetTable.Str(r, "uid")),
                FleetTable.Str(r, "pid"), FleetTable.Cell(FleetTable.Str(r, "command_line")), FleetTable.Cell(FleetTable.Str(r, "entity_id")),
            ]);
        }
        FleetTable.Write(output, ["TIME (UTC)", "HOST", "USER", "PID", "COMMAND LINE", "ENTITY ID"], table);
        output.WriteLine(rows.Count == q.Limit ? $"{rows.Count} execs (the newest; --limit for more)" : $"{rows.Count} execs");
        return ExitCodes.Success;
    }
}

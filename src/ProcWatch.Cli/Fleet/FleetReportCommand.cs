using System.CommandLine;
using System.Globalization;
using System.Text;
using ProcWatch.Cli.Report;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// <c>procwatch fleet report --host H --since 1h -o report.html</c>: the HTML report of
/// <c>procwatch report</c>, built from one host's stored events instead of a file. The rows
/// come back as flattened ECS (the columns are named after the fields), so the report's
/// own reader takes them as it takes a recorded file; each event once.
/// </summary>
internal static class FleetReportCommand
{
    private static readonly Option<string> Host = new("--host") { Description = "The host", Required = true, HelpName = "HOST" };

    private static readonly Option<string> Since = new("--since") { Description = "How far back", DefaultValueFactory = _ => "1h", HelpName = "DURATION" };

    private static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "Write the report to FILE",
        HelpName = "FILE",
        DefaultValueFactory = _ => ReportCommand.DefaultOutput,
    };

    public static Command Build() => FleetConnection.WithStore(
        new Command("report", "The HTML report of one host's stored events") { Host, Since, Output },
        result => (Host: result.GetValue(Host)!, Since: FleetConnection.Since(result, Since), Output: result.GetValue(Output)!),
        (store, a) => Run(store, a.Host, a.Since, a.Output, Console.Out));

    public static int Run(FleetStore store, string host, TimeSpan since, string output, TextWriter where)
    {
        // Aliases give the report's reader the ECS names it knows (empty = absent); event.time_us carries the microseconds.
        string sql = $"""
            SELECT `event.time_us`, `event.kind`, `event.action`, `process.pid`, `process.thread.id`,
                   nullIf(`process.name`, '') AS `process.name`, nullIf(`process.executable`, '') AS `process.executable`,
                   `process.args`, nullIf(`process.working_directory`, '') AS `process.working_directory`,
                   nullIf(`process.entity_id`, '') AS `process.entity_id`, `process.exit_code`,
                   nullIf(`user.name`, '') AS `process.user.name`, nullIf(`user.id`, '') AS `process.user.id`, `process.parent.pid`,
                   nullIf(`process.parent.entity_id`, '') AS `process.parent.entity_id`,
                   nullIf(`rule.id`, '') AS `rule.id`, nullIf(`rule.name`, '') AS `rule.name`, nullIf(`rule.severity`, '') AS `rule.severity`,
                   `host.hostname`, nullIf(`procwatch.lost_reason`, '') AS `procwatch.lost_reason`, `procwatch.lost_count`
            FROM {store.Events}
            WHERE `host.hostname` = {FleetSql.Text(host)} AND {FleetSql.Since(since)}
            ORDER BY `event.time_us`
            LIMIT 1 BY `event.id`
            LIMIT {FleetStore.MaxRows.ToString(CultureInfo.InvariantCulture)}
            """;
        var builder = new ReportModelBuilder();
        var parser = new EcsLineParser();
        var record = new EcsRecord();
        string source = $"clickhouse {store.Settings.Database}.{store.Settings.Table}, host {host}, last {since}";
        builder.AddFile(source);
        long rows = 0, number = 0;
        foreach (string line in store.Lines(sql))
        {
            number++;
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            if (parser.TryParse(bytes, record, out string? error))
            {
                builder.Add(record);
                rows++;
            }
            else
            {
                builder.AddCorrupt(source, number, error ?? "unreadable", bytes);
            }
        }
        if (rows == 0)
            where.WriteLine(ErrorLine.Format($"warning: no stored events of host {host} in the last {since}"));
        if (rows == FleetStore.MaxRows)
            where.WriteLine(ErrorLine.Format($"warning: the report holds the first {FleetStore.MaxRows} events only; a shorter --since shows the rest"));
        ReportCommand.Write(builder.Build(), output, where);
        return ExitCodes.Success;
    }
}

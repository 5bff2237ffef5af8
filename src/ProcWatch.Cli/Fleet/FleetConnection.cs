using System.CommandLine;
using ProcWatch.Daemon.Configuration;
using ProcWatch.Daemon.Outputs.ClickHouse;

namespace ProcWatch.Cli.Fleet;

/// <summary>
/// Where the fleet store is: the first clickhouse output of a daemon configuration
/// (<c>--config</c>), or <c>--url</c> with <c>--user</c> and <c>--password-file</c>. The password never
/// comes from argv (every user could read it there): a file, or PROCWATCH_CLICKHOUSE_PASSWORD.
/// </summary>
internal static class FleetConnection
{
    public static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "Read the server, database, tables and credentials from this daemon configuration's clickhouse output",
        HelpName = "FILE",
    };

    public static readonly Option<string?> Url = new("--url")
    {
        Description = "ClickHouse HTTP interface, e.g. http://127.0.0.1:8123/ (instead of --config)",
        HelpName = "URL",
    };

    public static readonly Option<string?> User = new("--db-user")
    {
        // Not --user: that is the process user, as in procwatch -u and fleet search --user.
        Description = "ClickHouse user (default: the configuration's, else PROCWATCH_CLICKHOUSE_USER, else default)",
        HelpName = "USER",
    };

    public static readonly Option<string?> PasswordFile = new("--password-file")
    {
        Description = "File whose first line is the password (default: PROCWATCH_CLICKHOUSE_PASSWORD)",
        HelpName = "FILE",
    };

    public static readonly Option<string?> Database = new("--database") { Description = "Database (default: the configuration's, else procwatch)", HelpName = "DB" };

    public static readonly Option<string?> Table = new("--table") { Description = "Events table (default: the configuration's, else events)", HelpName = "TABLE" };

    public static readonly Option<string?> HeartbeatTable = new("--heartbeat-table")
    {
        Description = "Heartbeats table (default: the configuration's, else heartbeats)",
        HelpName = "TABLE",
    };

    /// <summary>
    /// <paramref name="command"/> with the store's options, and its action: <paramref name="parse"/>
    /// reads and checks the command's own values first (a bad one is a usage error before any
    /// connection), then the store is opened for <paramref name="run"/> and closed after it.
    /// </summary>
    public static Command WithStore<TArgs>(Command command, Func<ParseResult, TArgs> parse, Func<FleetStore, TArgs, int> run)
    {
        AddTo(command);
        command.SetAction(result =>
        {
            TArgs args = parse(result);
            using FleetStore store = Open(result);
            return run(store, args);
        });
        return command;
    }

    private static void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Url);
        command.Options.Add(User);
        command.Options.Add(PasswordFile);
        command.Options.Add(Database);
        command.Options.Add(Table);
        command.Options.Add(HeartbeatTable);
    }

    /// <exception cref="UsageException">Neither --config nor --url, or both, or a bad url.</exception>
    /// <exception cref="ConfigException">The configuration is invalid or has no clickhouse output.</exception>
    public static FleetStore Open(ParseResult result)
    {
        string? config = result.GetValue(Config), url = result.GetValue(Url);
        if ((config is null) == (url is null))
            throw new UsageException("fleet: say where the store is: --config FILE (a daemon configuration with a clickhouse output) or --url URL");
        ClickHouseSettings settings;
        if (config is not null)
        {
            DaemonConfig daemon = ConfigLoader.Load(config);
            settings = daemon.Outputs.FirstOrDefault(o => o.Type == OutputType.ClickHouse)?.ClickHouse
                ?? throw new ConfigException($"{config}: no clickhouse output to read the fleet store from");
        }
        else
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0)
                throw new UsageException($"--url '{url}' is not an http:// or https:// address without credentials, e.g. http://127.0.0.1:8123/");
            settings = new ClickHouseSettings { Url = uri };
        }
        settings = settings with
        {
            User = result.GetValue(User) ?? settings.User,
            PasswordFile = result.GetValue(PasswordFile) ?? settings.PasswordFile,
            Database = result.GetValue(Database) ?? settings.Database,
            Table = result.GetValue(Table) ?? settings.Table,
            HeartbeatTable = result.GetValue(HeartbeatTable) ?? settings.HeartbeatTable,
            Timeout = TimeSpan.FromSeconds(60),
        };
        (string? user, string? password) = ClickHouseCredentials.Resolve(settings, line => ErrorLine.Write(line));
        return new FleetStore(settings, user, password);
    }

    /// <summary>A --since value, or the usage error that names it.</summary>
    public static TimeSpan Since(ParseResult result, Option<string> option)
    {
        string text = result.GetValue(option)!;
        return FleetSql.TryParseDuration(text, out TimeSpan since) ? since : throw new UsageException($"{option.Name} '{text}' is not a duration, e.g. 30m, 1h, 7d");
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Kernel.Accounts;
using ProcWatch.Kernel.ProcFs;
using ProcWatch.Output;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>Turns the parsed command line into <see cref="WatchArgs"/>, rejecting bad values with one line.</summary>
internal static class WatchArgsParser
{
    public static WatchArgs Parse(ParseResult result, bool stdoutIsTerminal)
    {
        string? outputPath = result.GetValue(CliOptions.Output);
        if (outputPath is { Length: 0 })
            throw new UsageException("-o needs a file name (got an empty one)");
        ProcessEventKinds kinds = ParseKinds(result.GetValue(CliOptions.Events) ?? "fork,exec,exit");
        string[] command = result.GetValue(CliOptions.Command) ?? [];
        int[] pids = result.GetValue(CliOptions.Pid) ?? [];
        if (command.Length > 0 && pids.Length > 0)
            throw new UsageException("-p and -- COMMAND cannot be combined (COMMAND selects its own tree)");
        string? report = result.GetValue(CliOptions.Report);
        if (report is not null && command.Length == 0)
            throw new UsageException("--report needs -- COMMAND (for a recording, use procwatch report EVENTS.json)");
        return new WatchArgs
        {
            Kinds = kinds,
            Format = ParseFormat(result.GetValue(CliOptions.Format), stdoutIsTerminal && outputPath is null),
            ShowEvents = report is null || outputPath is not null || result.GetResult(CliOptions.Format) is not null,
            Wide = result.GetValue(CliOptions.Wide),
            OutputPath = outputPath,
            Duration = ParseDuration(result.GetValue(CliOptions.Duration)),
            Stats = result.GetValue(CliOptions.Stats),
            BufferBytes = ParseBuffer(result.GetValue(CliOptions.BufferSize)),
            QueueCapacity = ParseQueue(result.GetValue(CliOptions.QueueSize)),
            Verbose = result.GetValue(CliOptions.Verbose),
            Realtime = result.GetValue(CliOptions.Realtime),
            Pids = ParsePids(pids),
            UserId = ParseUser(result.GetValue(CliOptions.User)),
            Match = ParseMatch(result.GetValue(CliOptions.Match)),
            Containers = ContainerArguments.ParseSelector(result.GetValue(CliOptions.Container) ?? [], result.GetValue(CliOptions.Pod) ?? []),
            ContainerRuntimes = ContainerArguments.ParseRuntimes(result.GetValue(CliOptions.ContainerRuntime) ?? []),
            Threads = result.GetValue(CliOptions.Threads) || (kinds & ProcessEventKinds.Clone) != 0,
            Environment = result.GetValue(CliOptions.Env),
            Tree = new TreeOptions { FullPath = result.GetValue(CliOptions.FullPath), HideArgs = result.GetValue(CliOptions.NoArgs) },
            Command = command.Length > 0 ? command : null,
            ReportPath = report,
            Backend = ParseBackend(result.GetValue(CliOptions.Backend)),
            ScanInterval = ParseScanInterval(result.GetValue(CliOptions.ScanInterval)),
            UseInotify = !result.GetValue(CliOptions.NoInotify),
            Hash = new Tracking.HashOptions { Enabled = !result.GetValue(CliOptions.NoHash), MaxBytes = ParseHashMaxSize(result.GetValue(CliOptions.HashMaxSize)) },
            AncestorDepth = ParseAncestors(result.GetValue(CliOptions.Ancestors)),
            SigmaPaths = result.GetValue(CliOptions.Sigma) ?? [],
        };
    }

    private static int[] ParsePids(int[] pids)
    {
        foreach (int pid in pids)
        {
            if (pid <= 0)
                throw new UsageException($"-p {pid}: not a process id");
            if (!ProcStat.TryRead(pid, out _))
                throw new UsageException($"-p {pid}: no such process");
        }
        return pids;
    }

    public static uint? ParseUser(string? user)
    {
        if (user is null)
            return null;
        return SettingValues.TryParseUser(user, out uint uid, out string? error) ? uid : throw new UsageException($"-u: {error}");
    }

    public static Regex? ParseMatch(string? pattern)
    {
        if (pattern is null)
            return null;
        try
        {
            // Linear time whatever the input: attacker-controlled command lines cannot make it backtrack.
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--match: invalid regular expression: {ex.Message}");
        }
    }

    public static ProcessEventKinds ParseKinds(string list)
    {
        ProcessEventKinds kinds = ProcessEventKinds.None;
        if (!SettingValues.TryAddKinds(list, ref kinds, out string? error))
            throw new UsageException($"--events: {error}");
        if (kinds == ProcessEventKinds.None)
            throw new UsageException($"--events {SettingValues.NoKinds}");
        return kinds;
    }

    private static OutputFormat ParseFormat(string? format, bool terminal) => format switch
    {
        null => terminal ? OutputFormat.Table : OutputFormat.Json,
        "table" => OutputFormat.Table,
        "tree" => OutputFormat.Tree,
        "json" => OutputFormat.Json,
        _ => throw new UsageException($"unknown format '{format}' (expected table, tree or json)"),
    };

    /// <summary>The longest timer .NET can arm (uint.MaxValue - 1 ms), in whole seconds: about 49.7 days.</summary>
    internal const int MaxDurationSeconds = 4_294_967;

    private static TimeSpan? ParseDuration(double? seconds) => seconds switch
    {
        null => null,
        > 0 and <= MaxDurationSeconds => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new UsageException(string.Create(CultureInfo.InvariantCulture,
            $"--duration {seconds}: must be more than 0 and at most {MaxDurationSeconds} seconds (about 49 days)")),
    };

    private static Backend ParseBackend(string? backend) => backend switch
    {
        null => Backend.Auto,
        _ => SettingValues.TryParseBackend(backend, out Backend parsed, out string? error) ? parsed : throw new UsageException(error!),
    };

    private static long ParseHashMaxSize(int mebibytes) => mebibytes is >= 1 and <= 4096
        ? mebibytes * 1024L * 1024
        : throw new UsageException($"--hash-max-size {mebibytes}: must be 1..4096 (MiB)");

    private static int ParseAncestors(int depth) => depth is >= 0 and <= 64
        ? depth
        : throw new UsageException($"--ancestors {depth}: must be 0..64");

    private static TimeSpan ParseScanInterval(int milliseconds) => milliseconds is >= 1 and <= 60_000
        ? TimeSpan.FromMilliseconds(milliseconds)
        : throw new UsageException("--scan-interval must be between 1 and 60000 milliseconds");

    private static int ParseQueue(int events) => events is >= 16 and <= 16 * 1024 * 1024
        ? events
        : throw new UsageException("--queue-size must be between 16 and 16777216 events");

    private static int ParseBuffer(int mebibytes) => mebibytes is >= 1 and <= 2047
        ? mebibytes * 1024 * 1024
        : throw new UsageException("--buffer-size must be between 1 and 2047 MiB");
}

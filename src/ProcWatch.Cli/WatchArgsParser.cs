using System.CommandLine;
using ProcWatch.Events;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

/// <summary>Turns the parsed command line into <see cref="WatchArgs"/>, rejecting bad values with one line.</summary>
internal static class WatchArgsParser
{
    public static WatchArgs Parse(ParseResult result, bool stdoutIsTerminal)
    {
        string? outputPath = result.GetValue(CliOptions.Output);
        return new WatchArgs
        {
            Kinds = ParseKinds(result.GetValue(CliOptions.Events) ?? "fork,exec,exit"),
            Format = ParseFormat(result.GetValue(CliOptions.Format), stdoutIsTerminal && outputPath is null),
            OutputPath = outputPath,
            Duration = ParseDuration(result.GetValue(CliOptions.Duration)),
            Stats = result.GetValue(CliOptions.Stats),
            BufferBytes = ParseBuffer(result.GetValue(CliOptions.BufferSize)),
            Verbose = result.GetValue(CliOptions.Verbose),
            Backend = ParseBackend(result.GetValue(CliOptions.Backend)),
            ScanInterval = ParseScanInterval(result.GetValue(CliOptions.ScanInterval)),
            UseInotify = !result.GetValue(CliOptions.NoInotify),
        };
    }

    public static ProcessEventKinds ParseKinds(string list)
    {
        ProcessEventKinds kinds = ProcessEventKinds.None;
        foreach (Range range in list.AsSpan().Split(','))
        {
            ReadOnlySpan<char> name = list.AsSpan()[range].Trim();
            if (name.IsEmpty)
                continue;
            if (!ProcessEventKindNames.TryParse(name, out ProcessEventKinds one))
                throw new UsageException($"unknown event kind '{name}' in --events (expected fork,exec,exit,clone,comm,uid,gid,sid,ptrace,core,all)");
            kinds |= one;
        }
        if (kinds == ProcessEventKinds.None)
            throw new UsageException("--events needs at least one event kind");
        return kinds;
    }

    private static OutputFormat ParseFormat(string? format, bool terminal) => format switch
    {
        null => terminal ? OutputFormat.Table : OutputFormat.Json,
        "table" => OutputFormat.Table,
        "json" => OutputFormat.Json,
        _ => throw new UsageException($"unknown format '{format}' (expected table or json)"),
    };

    private static TimeSpan? ParseDuration(double? seconds) => seconds switch
    {
        null => null,
        > 0 and < 1e9 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new UsageException("--duration must be a positive number of seconds"),
    };

    private static Backend ParseBackend(string? backend) => backend switch
    {
        null or "auto" => Backend.Auto,
        "connector" => Backend.Connector,
        "ebpf" => Backend.Ebpf,
        "procfs" => Backend.Procfs,
        _ => throw new UsageException($"unknown backend '{backend}' (expected auto, connector, ebpf or procfs)"),
    };

    private static TimeSpan ParseScanInterval(int milliseconds) => milliseconds is >= 1 and <= 60_000
        ? TimeSpan.FromMilliseconds(milliseconds)
        : throw new UsageException("--scan-interval must be between 1 and 60000 milliseconds");

    private static int ParseBuffer(int mebibytes) => mebibytes is >= 1 and <= 2047
        ? mebibytes * 1024 * 1024
        : throw new UsageException("--buffer-size must be between 1 and 2047 MiB");
}

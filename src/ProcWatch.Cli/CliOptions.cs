using System.CommandLine;

namespace ProcWatch.Cli;

/// <summary>The options of the watch command (the root command), declared once.</summary>
internal static class CliOptions
{
    public static readonly Option<string> Events = new("--events", "-e")
    {
        Description = "Event kinds: fork,exec,exit,clone,comm,uid,gid,sid,ptrace,core,all",
        DefaultValueFactory = _ => "fork,exec,exit",
    };

    public static readonly Option<string?> Format = new("--format", "-f")
    {
        Description = "Output format: table | json (default: table on a terminal, json otherwise)",
    };

    public static readonly Option<string?> Output = new("--output", "-o")
    {
        Description = "Append events to FILE instead of standard output",
        HelpName = "FILE",
    };

    public static readonly Option<double?> Duration = new("--duration", "-D")
    {
        Description = "Stop after S seconds",
        HelpName = "S",
    };

    public static readonly Option<bool> Stats = new("--stats", "-S")
    {
        Description = "Print per-event-type counts and losses at exit (on standard error)",
    };

    public static readonly Option<int> BufferSize = new("--buffer-size")
    {
        Description = "Kernel socket receive buffer in MiB",
        DefaultValueFactory = _ => 16,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Say on standard error which source is in use once ready",
    };

    public static readonly Option<string> Backend = new("--backend")
    {
        Description = "Event source: auto | connector | ebpf | procfs (auto: the proc connector if it works here, else procfs)",
        DefaultValueFactory = _ => "auto",
    };

    public static readonly Option<int> ScanInterval = new("--scan-interval")
    {
        Description = "procfs backend: rescan /proc at least every MS milliseconds",
        HelpName = "MS",
        DefaultValueFactory = _ => 100,
    };

    public static readonly Option<bool> NoInotify = new("--no-inotify")
    {
        Description = "procfs backend: scan on the timer only (no inotify wake-ups)",
    };
}

using System.CommandLine;

namespace ProcWatch.Cli;

/// <summary>The options of the watch command (the root command), declared once.</summary>
internal static class CliOptions
{
    public static readonly Option<string> Events = new("--events", "-e")
    {
        Description = "Event kinds: fork,exec,exit,clone,comm,uid,gid,sid,ptrace,core,all; execfail (failed execs, opt-in: not in all)",
        DefaultValueFactory = _ => "fork,exec,exit",
    };

    public static readonly Option<string?> Format = new("--format", "-f")
    {
        Description = "Output format: table | tree | json (default: table on a terminal, json otherwise)",
        CompletionSources = { { "table", "tree", "json" } },
    };

    public static readonly Option<bool> Wide = new("--wide", "-w")
    {
        Description = "On a terminal, print whole lines (by default a line is cut to the terminal's width, ending in …)",
    };

    public static readonly Option<string?> Output = new("--output", "-o")
    {
        Description = "Append events to FILE instead of standard output",
        HelpName = "FILE",
    };

    public static readonly Option<double?> Duration = new("--duration", "-D")
    {
        Description = "Stop after S seconds (up to 4294967, about 49 days)",
        HelpName = "S",
        CustomParser = NumberArguments.Seconds,
    };

    public static readonly Option<bool> Stats = new("--stats", "-S")
    {
        Description = "Print per-event-type counts and losses at exit (on standard error)",
    };

    public static readonly Option<int> BufferSize = new("--buffer-size")
    {
        Description = "Kernel socket receive buffer in MiB",
        DefaultValueFactory = _ => 16,
        CustomParser = NumberArguments.WholeNumber,
    };

    public static readonly Option<int> QueueSize = new("--queue-size")
    {
        Description = "Events held while the output is slow; beyond, dropped, counted and reported as 'lost'",
        DefaultValueFactory = _ => 256 * 1024,
        CustomParser = NumberArguments.WholeNumber,
    };

    public static readonly Option<bool> Realtime = new("--realtime", "-r")
    {
        Description = "Run the receive threads with real-time scheduling (SCHED_FIFO; needs root or CAP_SYS_NICE)",
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Say on standard error which source is in use once ready",
    };

    public static readonly Option<int[]> Pid = new("--pid", "-p")
    {
        Description = "Only PID and its descendants (repeatable)",
        HelpName = "PID",
        CustomParser = NumberArguments.WholeNumbers,
    };

    public static readonly Option<string[]> Sigma = new("--sigma")
    {
        Description = "Sigma rules (file, or directory searched recursively; repeatable): alerts in the stream",
        HelpName = "PATH",
    };

    public static readonly Option<string?> User = new("--user", "-u")
    {
        Description = "Only processes of USER (name or uid; real or effective)",
        HelpName = "USER",
    };

    public static readonly Option<string?> Match = new("--match")
    {
        Description = "Only processes whose executable or command line matches REGEX",
        HelpName = "REGEX",
    };

    public static readonly Option<string[]> Container = new("--container")
    {
        Description = "Only processes in container NAME or ID (an id prefix of 12+ characters; repeatable)",
        HelpName = "NAME|ID",
    };

    public static readonly Option<string[]> Pod = new("--pod")
    {
        Description = "Only processes in the Kubernetes pod NAMESPACE/NAME (repeatable)",
        HelpName = "NAMESPACE/NAME",
    };

    public static readonly Option<string[]> ContainerRuntime = new("--container-runtime")
    {
        Description = "Where a runtime keeps its state: docker=DATA_ROOT, podman=GRAPHROOT, containerd=STATE_DIR, containerd-socket=PATH, crio=RUNROOT, or off (repeatable)",
        HelpName = "KIND=PATH",
    };

    public static readonly Option<bool> Threads = new("--threads")
    {
        Description = "Show thread events (thread exits and renames; on when -e includes clone)",
    };

    public static readonly Option<bool> Env = new("--env")
    {
        Description = "Include each process's environment (JSON process.env_vars)",
    };

    public static readonly Option<bool> FullPath = new("--full-path")
    {
        Description = "Tree view: show the executable's full path instead of argv[0]",
    };

    public static readonly Option<bool> NoArgs = new("--no-args")
    {
        Description = "Tree view: show programs without their arguments",
    };

    public static readonly Option<string?> Report = new("--report")
    {
        Description = "With -- COMMAND: write an HTML report of what ran to FILE at the end (only the report, unless -f or -o asks for events too)",
        HelpName = "FILE",
    };

    public static readonly Argument<string[]> Command = new("COMMAND")
    {
        Description = "Run COMMAND [ARGS...] (after --), trace it and its descendants, exit with its status. When events go to a pipe or file on standard output, COMMAND's standard output goes to standard error",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static readonly Option<string> Backend = new("--backend")
    {
        Description = "Event source: auto | connector | ebpf | procfs (auto: the proc connector with eBPF exact argv when it loads, else argv from /proc; procfs when the connector is unusable)",
        DefaultValueFactory = _ => "auto",
        CompletionSources = { { "auto", "connector", "ebpf", "procfs" } },
    };

    public static readonly Option<int> ScanInterval = new("--scan-interval")
    {
        Description = "procfs backend: rescan /proc at least every MS milliseconds",
        HelpName = "MS",
        DefaultValueFactory = _ => 100,
        CustomParser = NumberArguments.WholeNumber,
    };

    public static readonly Option<bool> NoInotify = new("--no-inotify")
    {
        Description = "procfs backend: scan on the timer only (no inotify wake-ups)",
    };

    public static readonly Option<bool> NoHash = new("--no-hash")
    {
        Description = "Do not hash executables (process.hash.sha256)",
    };

    public static readonly Option<int> HashMaxSize = new("--hash-max-size")
    {
        Description = "Hash executables up to MIB mebibytes; larger ones say procwatch.hash_status \"too_large\"",
        HelpName = "MIB",
        DefaultValueFactory = _ => 64,
        CustomParser = NumberArguments.WholeNumber,
    };

    public static readonly Option<int> Ancestors = new("--ancestors")
    {
        Description = "Ancestors an exec lists in procwatch.ancestors, the parent first (0: none)",
        HelpName = "N",
        DefaultValueFactory = _ => 4,
        CustomParser = NumberArguments.WholeNumber,
    };
}

using System.Text.RegularExpressions;
using ProcWatch.Events;
using ProcWatch.Filtering;
using ProcWatch.Output;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

internal enum OutputFormat
{
    Table,
    Tree,
    Json,
}

/// <summary>The watch command's validated arguments.</summary>
internal sealed record WatchArgs
{
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;
    public OutputFormat Format { get; init; }

    /// <summary>False for a <c>--report</c> run that asked for no events (no -f, no -o): only the report is written.</summary>
    public bool ShowEvents { get; init; } = true;

    /// <summary>-w: whole lines on a terminal.</summary>
    public bool Wide { get; init; }
    public string? OutputPath { get; init; }
    public TimeSpan? Duration { get; init; }
    public bool Stats { get; init; }
    public int BufferBytes { get; init; }
    public int QueueCapacity { get; init; } = 256 * 1024;
    public bool Verbose { get; init; }

    /// <summary>--realtime: receive threads run SCHED_FIFO (like forkstat -r).</summary>
    public bool Realtime { get; init; }

    /// <summary>-p: these processes and their descendants.</summary>
    public IReadOnlyList<int> Pids { get; init; } = [];
    public uint? UserId { get; init; }
    public Regex? Match { get; init; }

    /// <summary><c>--container</c>, <c>--pod</c>; null: any process.</summary>
    public ContainerSelector? Containers { get; init; }

    /// <summary><c>--container-runtime</c>: where the runtimes keep their state.</summary>
    public Containers.ContainerOptions ContainerRuntimes { get; init; } = new();
    public bool Threads { get; init; }
    public bool Environment { get; init; }
    public TreeOptions Tree { get; init; } = new();

    /// <summary>-- COMMAND ARGS: run it and trace only its tree; null when watching the system.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>--report FILE: the HTML report written when COMMAND's trace ends.</summary>
    public string? ReportPath { get; init; }
    public Backend Backend { get; init; }
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Executable hashing (<c>--no-hash</c>, <c>--hash-max-size</c>).</summary>
    public Tracking.HashOptions Hash { get; init; } = new();

    /// <summary><c>--ancestors N</c>.</summary>
    public int AncestorDepth { get; init; } = 4;
    public bool UseInotify { get; init; } = true;

    /// <summary>--sigma: rule files and directories; empty when none.</summary>
    public IReadOnlyList<string> SigmaPaths { get; init; } = [];
}

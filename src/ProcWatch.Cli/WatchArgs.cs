using ProcWatch.Events;
using ProcWatch.Watching;

namespace ProcWatch.Cli;

internal enum OutputFormat
{
    Table,
    Json,
}

/// <summary>The watch command's validated arguments.</summary>
internal sealed record WatchArgs
{
    public ProcessEventKinds Kinds { get; init; } = ProcessEventKinds.Default;
    public OutputFormat Format { get; init; }
    public string? OutputPath { get; init; }
    public TimeSpan? Duration { get; init; }
    public bool Stats { get; init; }
    public int BufferBytes { get; init; }
    public bool Verbose { get; init; }
    public Backend Backend { get; init; }
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    public bool UseInotify { get; init; } = true;
}

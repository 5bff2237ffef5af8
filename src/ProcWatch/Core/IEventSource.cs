namespace ProcWatch.Core;

/// <summary>
/// A producer of events (the proc connector, eBPF, a /proc scanner). <see cref="Start"/>
/// throws <see cref="ProcWatchException"/> when the mechanism is unusable and returns once
/// the source is ready to receive: events after that moment are not missed.
/// </summary>
internal interface IEventSource : IDisposable
{
    string Name { get; }

    void Start(IEventSink sink, WatcherStatistics statistics);
}

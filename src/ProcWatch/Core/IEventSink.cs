using ProcWatch.Events;

namespace ProcWatch.Core;

/// <summary>Where a source delivers events. Called from the source's own thread.</summary>
internal interface IEventSink
{
    void Post(ProcessEvent processEvent);

    /// <summary>
    /// The source cannot go on (its socket failed, a bug threw): end the stream with this
    /// error so the consumer reports it, instead of waiting forever. Stages ignore it.
    /// </summary>
    void Fault(ProcWatchException error) { }
}

using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>Where a source delivers events. Called from the source's own thread.</summary>
public interface IEventSink
{
    void Post(ProcessEvent processEvent);
}

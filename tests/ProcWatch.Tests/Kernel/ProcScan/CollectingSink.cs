using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Watching;

namespace ProcWatch.Tests.Kernel.ProcScan;

/// <summary>Collects events from a source's thread; tests wait for the ones they expect (with a deadline).</summary>
internal sealed class CollectingSink : IEventSink
{
    private readonly List<ProcessEvent> _events = [];
    private readonly Lock _lock = new();

    public void Post(ProcessEvent processEvent)
    {
        lock (_lock)
            _events.Add(processEvent);
    }

    public ProcessEvent? Find(Func<ProcessEvent, bool> match)
    {
        lock (_lock)
            return _events.FirstOrDefault(match);
    }

    public ProcessEvent? WaitFor(Func<ProcessEvent, bool> match, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            ProcessEvent? found = Find(match);
            if (found is not null || DateTime.UtcNow > deadline)
                return found;
            Thread.Sleep(20);
        }
    }
}

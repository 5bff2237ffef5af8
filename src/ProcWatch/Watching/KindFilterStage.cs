using ProcWatch.Core;
using ProcWatch.Events;

namespace ProcWatch.Watching;

/// <summary>Drops events of kinds the caller did not ask for (subscribed only to keep the process table right). Losses and denials always pass.</summary>
internal sealed class KindFilterStage(ProcessEventKinds kinds) : IEventStage
{
    public void Process(ProcessEvent processEvent, IEventSink next)
    {
        if (processEvent.Kind is ProcessEventKind.Lost or ProcessEventKind.Denied || kinds.Contains(processEvent.Kind)
            || (processEvent.Kind == ProcessEventKind.Hash && kinds.Contains(ProcessEventKind.Exec))) // an exec's follow-up
            next.Post(processEvent);
    }
}

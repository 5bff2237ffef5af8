using ProcWatch.Events;

namespace ProcWatch.Core;

/// <summary>
/// One step between the sources and the consumer (joining eBPF argv, the process table,
/// filters). A stage passes on zero, one or several events to <paramref name="next"/>.
/// Stages run one event at a time (the pipeline serialises them), on a source's thread:
/// they must be quick and must not block.
/// </summary>
internal interface IEventStage
{
    void Process(ProcessEvent processEvent, IEventSink next);
}

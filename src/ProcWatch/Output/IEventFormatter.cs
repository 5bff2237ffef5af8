using System.Buffers;
using ProcWatch.Events;

namespace ProcWatch.Output;

/// <summary>Renders one event as UTF-8 text (one or more complete lines, each ending in '\n').</summary>
internal interface IEventFormatter
{
    /// <summary>Written once before the first event (a table header); may write nothing.</summary>
    void WriteHeader(IBufferWriter<byte> output);

    void Write(ProcessEvent processEvent, IBufferWriter<byte> output);
}

namespace ProcWatch.Events;

/// <summary>
/// What a source read for one event, as it read it (an eBPF ring record), before anything is
/// merged: the one assembler builds the event's <see cref="ProcessInfo"/> from it, once.
/// Sources below the model derive from it; the model knows the concrete kinds.
/// </summary>
internal abstract class SourceRecord
{
}

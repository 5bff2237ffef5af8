using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// A file output's alerts file: only alert lines, in their own rotation set. Events come in
/// volumes an unprivileged user controls (a flood of execs with long arguments rotates the
/// events file in seconds); alerts come only when a rule fires, so their own size budget keeps
/// them on the host long after the events around them have been rotated away.
/// </summary>
internal sealed class AlertsOnlySink(RotatingFileSink file) : IOutputSink
{
    public string Name => file.Name;

    public OutputCounters Counters => file.Counters;

    public void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine)
    {
        if (alert is not null)
            file.Write(e, alert, jsonLine);
    }

    public void Flush() => file.Flush();

    public void Reopen() => file.Reopen();

    public void Dispose() => file.Dispose();
}

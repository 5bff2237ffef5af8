using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// A destination for the daemon's events and alerts. Writes are buffered until
/// <see cref="Flush"/>; a sink that cannot write drops (and counts) instead of throwing,
/// and resumes by itself. Called from one thread at a time (the caller serialises
/// <see cref="Reopen"/> with writes).
/// </summary>
public interface IOutputSink : IDisposable
{
    /// <summary>For logs and metrics, e.g. <c>file:/var/log/procwatch/events.json</c>.</summary>
    string Name { get; }

    OutputCounters Counters { get; }

    /// <param name="jsonLine">The ECS JSON line of <paramref name="e"/> (with <paramref name="alert"/>), ending in '\n'.</param>
    void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine);

    void Flush();

    /// <summary>Closes and opens again (SIGHUP: a log rotator moved the file away).</summary>
    void Reopen();
}

/// <summary>Lines written and lines dropped by one output.</summary>
public sealed class OutputCounters
{
    private long _written;
    private long _dropped;

    public long Written => Volatile.Read(ref _written);
    public long Dropped => Volatile.Read(ref _dropped);

    public void OnWritten(long lines) => Interlocked.Add(ref _written, lines);
    public void OnDropped(long lines) => Interlocked.Add(ref _dropped, lines);
}

/// <summary>
/// Tells once that an output stopped working and once that it works again, so a full disk
/// gives two log lines, not one per event. A nearly full disk flaps (a small batch fits, the
/// next does not): a new failure within a minute of the last report is counted, not told,
/// and so is the matching recovery; the next report carries the whole count.
/// </summary>
public sealed class FailureLatch(string name, Action<string> report)
{
    private static readonly long QuietTicks = System.Diagnostics.Stopwatch.Frequency * 60;
    private bool _failing;
    private bool _told;
    private long _lastToldTicks;
    private long _droppedWhileFailing;

    public bool IsFailing => _failing;

    public void Failed(string why, long droppedLines)
    {
        _droppedWhileFailing += droppedLines;
        if (_failing)
            return;
        _failing = true;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        _told = _lastToldTicks == 0 || now - _lastToldTicks >= QuietTicks;
        if (!_told)
            return;
        _lastToldTicks = now;
        report($"{name}: {why}; dropping events (counted) until it works again");
    }

    public void Succeeded()
    {
        if (!_failing)
            return;
        _failing = false;
        if (!_told)
            return;
        report($"{name}: writing again after dropping {_droppedWhileFailing} events");
        _droppedWhileFailing = 0;
    }
}

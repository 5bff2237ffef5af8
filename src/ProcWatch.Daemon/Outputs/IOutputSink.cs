using ProcWatch.Events;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// A destination for the daemon's events and alerts. Writes are buffered until
/// <see cref="Flush"/>; a sink that cannot write drops (and counts) instead of throwing,
/// and resumes by itself. Called from one thread at a time (the caller serialises
/// <see cref="Reopen"/> with writes).
/// </summary>
internal interface IOutputSink : IDisposable
{
    /// <summary>For logs and metrics, e.g. <c>file:/var/log/procwatch/events.json</c>.</summary>
    string Name { get; }

    OutputCounters Counters { get; }

    /// <summary>Whether <see cref="Write"/> reads its JSON line: when no output does, the line is not formatted (empty).</summary>
    bool TakesJsonLine => true;

    /// <param name="jsonLine">The ECS JSON line of <paramref name="e"/> (with <paramref name="alert"/>), ending in '\n'; empty when no output <see cref="TakesJsonLine"/>.</param>
    void Write(ProcessEvent e, AlertInfo? alert, ReadOnlySpan<byte> jsonLine);

    void Flush();

    /// <summary>Closes and opens again (SIGHUP: a log rotator moved the file away).</summary>
    void Reopen();
}

/// <summary>Lines written and lines dropped by one output.</summary>
internal sealed class OutputCounters
{
    private long _written;
    private long _dropped;

    public long Written => Volatile.Read(ref _written);
    public long Dropped => Volatile.Read(ref _dropped);

    public void OnWritten(long lines) => Interlocked.Add(ref _written, lines);
    public void OnDropped(long lines) => Interlocked.Add(ref _dropped, lines);
}

/// <summary>
/// Tells when an output stops working, keeps telling while it drops, and tells when it works
/// again — a full disk gives a "dropping" line, a "still dropping N" line every
/// <see cref="RepeatEvery"/> while events are being dropped, and one "writing again" line.
/// A nearly full disk flaps (a small batch fits into what a cut-back failed write freed, the
/// next does not): so "writing again" is said only once writes have succeeded with no failure
/// for <see cref="RecoverAfter"/>; until then the output still counts as failing (what does
/// get written is counted as written, not dropped). Never silent while lines are dropped.
/// </summary>
internal sealed class FailureLatch
{
    public static readonly TimeSpan RepeatEvery = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RecoverAfter = TimeSpan.FromSeconds(1);
    private readonly string _name;
    private readonly Action<string> _report;
    private readonly Func<long> _now;
    private readonly long _repeatTicks;
    private readonly long _recoverTicks;
    private bool _failing;
    private long _lastFailureTicks;
    private long _lastToldTicks;
    private long _droppedWhileFailing;

    public FailureLatch(string name, Action<string> report)
        : this(name, report, System.Diagnostics.Stopwatch.GetTimestamp, System.Diagnostics.Stopwatch.Frequency)
    {
    }

    /// <param name="now">A monotonic clock in ticks of <paramref name="ticksPerSecond"/> (tests pass their own).</param>
    internal FailureLatch(string name, Action<string> report, Func<long> now, long ticksPerSecond)
    {
        _name = name;
        _report = report;
        _now = now;
        _repeatTicks = (long)(RepeatEvery.TotalSeconds * ticksPerSecond);
        _recoverTicks = (long)(RecoverAfter.TotalSeconds * ticksPerSecond);
    }

    public bool IsFailing => _failing;

    public void Failed(string why, long droppedLines)
    {
        long now = _now();
        _droppedWhileFailing += droppedLines;
        _lastFailureTicks = now;
        if (!_failing)
        {
            _failing = true;
            _lastToldTicks = now;
            _report($"{_name}: {why}; dropping events (counted) until it works again");
        }
        else if (now - _lastToldTicks >= _repeatTicks)
        {
            _lastToldTicks = now;
            _report($"{_name}: still dropping events: {_droppedWhileFailing} dropped so far ({why})");
        }
    }

    public void Succeeded()
    {
        if (!_failing || _now() - _lastFailureTicks < _recoverTicks)
            return;
        _failing = false;
        _report($"{_name}: writing again after dropping {_droppedWhileFailing} events");
        _droppedWhileFailing = 0;
    }
}

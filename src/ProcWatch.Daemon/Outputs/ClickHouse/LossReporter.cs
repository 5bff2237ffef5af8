using System.Diagnostics;

namespace ProcWatch.Daemon.Outputs.ClickHouse;

/// <summary>
/// Losses in the log without flooding it: the first loss of a run of losses is told at
/// once with its reason, further ones at most once a minute with the running count, and
/// the end of the run once. Thread-safe (the event loop and the spool thread both lose).
/// </summary>
internal sealed class LossReporter(string name, Action<string> report)
{
    private static readonly long QuietTicks = Stopwatch.Frequency * 60;
    private readonly Lock _gate = new();
    private long _total;
    private long _sinceTold;
    private long _lastTold;
    private bool _losing;
    private string? _kind;

    public long Total { get { lock (_gate) return _total; } }

    /// <param name="kind">What kind of loss (a new kind is told at once); <paramref name="reason"/> may vary within a kind (paths, errno text).</param>
    public void Lost(long events, string kind, string reason)
    {
        string? line = null;
        lock (_gate)
        {
            _total += events;
            _sinceTold += events;
            long now = Stopwatch.GetTimestamp();
            if (!_losing || kind != _kind || now - _lastTold >= QuietTicks)
            {
                line = $"{name}: lost {_sinceTold} events ({reason}); {_total} lost in all (counted as dropped)";
                _losing = true;
                _kind = kind;
                _lastTold = now;
                _sinceTold = 0;
            }
        }
        if (line is not null)
            report(line);
    }

    public void Recovered()
    {
        string? line = null;
        lock (_gate)
        {
            if (!_losing)
                return;
            _losing = false;
            line = $"{name}: spooling again; {_sinceTold} more events were lost since the last report, {_total} in all";
            _sinceTold = 0;
        }
        report(line);
    }
}

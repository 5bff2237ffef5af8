namespace ProcWatch.Rules;

/// <summary>
/// A rate limit: up to <c>capacity</c> takes at once, refilled evenly over <c>period</c>.
/// Time is passed in (Stopwatch ticks) so tests control it. Thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly Lock _gate = new();
    private readonly double _capacity;
    private readonly double _perTick;
    private double _tokens;
    private long _lastTicks = long.MinValue;

    public TokenBucket(int capacity, TimeSpan period)
    {
        _capacity = Math.Max(0, capacity);
        _tokens = _capacity;
        _perTick = _capacity / (period.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public bool TryTake(long nowTicks)
    {
        lock (_gate)
        {
            if (_lastTicks != long.MinValue && nowTicks > _lastTicks)
                _tokens = Math.Min(_capacity, _tokens + (nowTicks - _lastTicks) * _perTick);
            _lastTicks = nowTicks;
            if (_tokens < 1)
                return false;
            _tokens -= 1;
            return true;
        }
    }
}

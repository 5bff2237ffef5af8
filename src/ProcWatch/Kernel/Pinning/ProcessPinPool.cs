namespace ProcWatch.Kernel.Pinning;

/// <summary>
/// The pins a source holds open, bounded: a fork bomb must not exhaust the daemon's
/// descriptors. When full, the oldest pin is released (an action that reaches it later finds
/// it released and does not act: "identity not certain") and counted. Used by one thread
/// (the scanner); pins themselves are safe to use from the consumer.
/// </summary>
internal sealed class ProcessPinPool : IDisposable
{
    /// <summary>Pins released to make room, by every pool of this process (a metric).</summary>
    private static long s_evicted;

    private readonly ProcessPin?[] _ring;
    private int _next;

    public ProcessPinPool(int capacity = DefaultCapacity) => _ring = new ProcessPin?[Math.Max(1, capacity)];

    /// <summary>Pins held at most: a few seconds of events at a busy host's exec rate, a quarter of the default 1024-descriptor limit.</summary>
    public const int DefaultCapacity = 256;

    public static long EvictedTotal => Interlocked.Read(ref s_evicted);

    /// <summary>Keeps <paramref name="pin"/> open, releasing the oldest one when the pool is full.</summary>
    public void Hold(ProcessPin pin)
    {
        if (_ring[_next] is { } oldest && oldest.IsHeld)
        {
            oldest.Release();
            Interlocked.Increment(ref s_evicted);
        }
        _ring[_next] = pin;
        _next = (_next + 1) % _ring.Length;
    }

    public void Dispose()
    {
        for (int i = 0; i < _ring.Length; i++)
        {
            _ring[i]?.Release();
            _ring[i] = null;
        }
    }
}

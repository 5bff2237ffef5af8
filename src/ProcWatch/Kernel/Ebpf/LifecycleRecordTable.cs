namespace ProcWatch.Kernel.Ebpf;

/// <summary>
/// The fork or exit records waiting for their connector event, by tgid (<see cref="ExecArgvJoin"/>,
/// under its lock). Bounded: when full, the oldest record goes, as does one superseded by a
/// newer record of the same tgid or found more than a second from its event. Each of those is
/// counted (<see cref="Unmatched"/>): its connector event, if it came, was reported without
/// the kernel's start time, CPU time and peak RSS.
/// </summary>
internal sealed class LifecycleRecordTable<T>(int capacity, long matchWindowNs, Action? onUnmatched = null) where T : KernelRecord
{
    /// <summary>Taken records the arrival order may still hold beyond twice the waiting ones (they are garbage kept alive).</summary>
    private const int CompactSlack = 256;

    private readonly Dictionary<int, T> _records = [];
    private readonly Queue<T> _order = new(); // arrival order; holds records already taken, skipped at eviction

    public int Count => _records.Count;

    /// <summary>Records that never met their connector event.</summary>
    public long Unmatched { get; private set; }

    /// <summary>Records met (for the tests and diagnostics).</summary>
    public long Matched { get; private set; }

    public bool Contains(int tgid) => _records.ContainsKey(tgid);

    public void Keep(T record)
    {
        if (_records.ContainsKey(record.Tgid))
            CountUnmatched(); // superseded: the older one's event never came
        else if (_records.Count >= capacity)
            EvictOldest();
        _records[record.Tgid] = record;
        _order.Enqueue(record);
        if (_order.Count > 2 * _records.Count + CompactSlack)
            Compact(); // amortized O(1): at least CompactSlack keeps between two compactions
    }

    /// <summary>The record of <paramref name="tgid"/> if it is about this event (within the match window of it).</summary>
    public T? Take(int tgid, long eventNs)
    {
        if (!_records.Remove(tgid, out T? record))
            return null;
        if (Math.Abs((long)record.KernelTimeNs - eventNs) > matchWindowNs)
        {
            CountUnmatched();
            return null;
        }
        Matched++;
        return record;
    }

    private void CountUnmatched()
    {
        Unmatched++;
        onUnmatched?.Invoke();
    }

    private void EvictOldest()
    {
        while (_order.TryDequeue(out T? oldest))
        {
            if (_records.TryGetValue(oldest.Tgid, out T? current) && ReferenceEquals(current, oldest))
            {
                _records.Remove(oldest.Tgid);
                CountUnmatched();
                return;
            }
        }
    }

    /// <summary>Drops the taken and superseded records from the arrival order (it holds at most twice the waiting ones, plus the slack).</summary>
    private void Compact()
    {
        int n = _order.Count;
        for (int i = 0; i < n; i++)
        {
            T record = _order.Dequeue();
            if (_records.TryGetValue(record.Tgid, out T? current) && ReferenceEquals(current, record))
                _order.Enqueue(record);
        }
    }
}

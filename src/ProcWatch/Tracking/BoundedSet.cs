namespace ProcWatch.Tracking;

/// <summary>A set that forgets its oldest members beyond a capacity (a storm cannot grow it). Single-threaded.</summary>
internal sealed class BoundedSet<T>(int capacity) where T : notnull
{
    private readonly HashSet<T> _members = [];
    private readonly Queue<T> _order = new();

    public void Add(T item)
    {
        if (!_members.Add(item))
            return;
        _order.Enqueue(item);
        while (_members.Count > capacity && _order.TryDequeue(out T? oldest))
            _members.Remove(oldest);
        if (_order.Count > 2 * capacity)
        {
            // Removed members leave stale entries in the order: keep the live ones.
            T[] live = [.. _order];
            _order.Clear();
            foreach (T member in live)
            {
                if (_members.Contains(member))
                    _order.Enqueue(member);
            }
        }
    }

    public bool Contains(T item) => _members.Contains(item);
}

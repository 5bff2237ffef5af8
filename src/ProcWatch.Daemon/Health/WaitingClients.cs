using System.Net.Sockets;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// The connections that have not sent their request yet, oldest first, bounded: adding one
/// past the bound closes the oldest (its read fails and its task ends), so holding connections
/// open only ever evicts the holder's own older ones from a legitimate client's point of view.
/// </summary>
internal sealed class WaitingClients(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Socket> _order = new();
    private long _evicted;

    /// <summary>Connections closed to make room.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    public void Add(Socket client)
    {
        Socket? oldest = null;
        lock (_gate)
        {
            _order.AddLast(client);
            if (_order.Count > capacity)
            {
                oldest = _order.First!.Value;
                _order.RemoveFirst();
            }
        }
        if (oldest is null)
            return;
        Interlocked.Increment(ref _evicted);
        try
        {
            oldest.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closing.
        }
        oldest.Dispose();
    }

    public void Remove(Socket client)
    {
        lock (_gate)
            _order.Remove(client);
    }
}

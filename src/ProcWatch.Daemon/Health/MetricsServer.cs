using System.Net;
using System.Net.Sockets;
using System.Text;
using ProcWatch.Files;

namespace ProcWatch.Daemon.Health;

/// <summary>
/// Serves the counters without a web framework (NativeAOT-small; Kestrel was measured, see
/// docs/metrics-access.md): on the status unix socket (0660) a client connects and reads the
/// full Prometheus text to the end (what <c>procwatch status</c> does); on the optional
/// loopback TCP port it answers HTTP/1.0 <c>GET /metrics</c> with what <see cref="MetricsAccess"/>
/// lets that client see. Clients are served concurrently, each within a deadline; at most
/// <see cref="MaxWaiting"/> wait to send their request, and past that the one waiting longest is
/// closed, so idle connections cannot starve a scrape.
/// </summary>
internal sealed class MetricsServer : IDisposable
{
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(2);

    /// <summary>Connections that have not sent their request yet, at most; a scrape sends it at once.</summary>
    public const int MaxWaiting = 32;
    private readonly Func<MetricsView, string> _render;
    private readonly MetricsAccess _access;
    private readonly WaitingClients _pending = new(MaxWaiting);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _listeners = [];
    private string? _socketPath;
    private SocketLock? _lock;

    public MetricsServer(Func<MetricsView, string> render, MetricsAccess access)
    {
        _render = render;
        _access = access;
    }

    /// <summary>
    /// Listens on a unix socket (replacing a stale one), mode 0660. Two daemons must not share
    /// one: the first holds <c>PATH.lock</c> (an flock held while it runs, with its pid) and a
    /// second one is refused before it touches the socket — and a socket some other process
    /// still answers on is never replaced — so a second daemon can neither take over the
    /// first's socket nor delete it when it stops.
    /// </summary>
    /// <exception cref="SocketException">Cannot bind.</exception>
    /// <exception cref="ProcWatch.ProcWatchException">Another daemon serves this socket.</exception>
    /// <remarks>
    /// The directory must be root's (or ours) and not writable by others unless sticky (like
    /// /tmp), so nobody else can swap the socket or its lock once made; the lock is opened
    /// without following a link and the socket's mode is set through a descriptor of the socket
    /// itself, never through a name that could have become a link.
    /// </remarks>
    /// <exception cref="ProcWatch.Files.UnsafeFileException">The directory or the lock file is not safe.</exception>
    public void ListenUnix(string path)
    {
        path = Path.GetFullPath(path);
        (string directoryPath, string name) = PrivateFile.Split(path);
        using SafeDirectory directory = SafeDirectory.Open(directoryPath, DirectoryTrust.RootOrOurs, create: true, forPath: path);
        _lock = TakeLock(directory, path, name + ".lock");
        if (Answers(path))
        {
            ReleaseLock();
            throw InUse(path, "another process is listening on it");
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            directory.Delete(name); // a stale socket, or whatever was planted there (a link is removed, not followed)
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(16);
            SocketFileMode.Set(directory, name, 0b110_110_000); // 0660: root and the group procwatch status runs as
        }
        catch
        {
            socket.Dispose();
            ReleaseLock();
            throw;
        }
        _socketPath = path;
        _listeners.Add(socket);
        _ = Task.Run(() => AcceptLoopAsync(socket, http: false));
    }

    private static SocketLock TakeLock(SafeDirectory directory, string socketPath, string lockName)
    {
        string lockPath = directory.Combine(lockName);
        return SocketLock.TryTake(directory, lockName, out int holder)
            ?? throw InUse(socketPath, holder > 0 ? $"the daemon with pid {holder} holds {lockPath}" : $"another daemon holds {lockPath}");
    }

    /// <summary>True when something accepts connections on <paramref name="path"/> (a live socket, not a stale file).</summary>
    private static bool Answers(string path)
    {
        if (!File.Exists(path))
            return false;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false; // refused or not a socket: stale, safe to replace
        }
    }

    private static ProcWatch.ProcWatchException InUse(string path, string why) =>
        new(ProcWatch.FailureKind.SystemError,
            $"health.socket {path} is in use ({why}); stop that daemon or give this one its own health.socket");

    private void ReleaseLock()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <exception cref="SocketException">Cannot bind (port in use).</exception>
    public void ListenHttp(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(endpoint);
        socket.Listen(16);
        _listeners.Add(socket);
        _ = Task.Run(() => AcceptLoopAsync(socket, http: true));
    }

    /// <summary>Stops listening and removes the socket file; a request being served ends within its deadline.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        foreach (Socket listener in _listeners)
            listener.Dispose();
        _listeners.Clear();
        if (_socketPath is not null)
        {
            // Ours to delete: we hold the lock, so no other daemon can have bound this path since.
            try { File.Delete(_socketPath); }
            catch (IOException) { }
            _socketPath = null;
        }
        ReleaseLock();
    }

    private async Task AcceptLoopAsync(Socket listener, bool http)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            // Each client on its own task: one that sends nothing holds only its own slot, for at
            // most its deadline, and is the first closed when the slots run out.
            _pending.Add(client);
            _ = Task.Run(() => ServeAsync(client, http, stop), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket client, bool http, CancellationToken stop)
    {
        using (client)
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            deadline.CancelAfter(ClientDeadline);
            try
            {
                if (http)
                {
                    await ServeHttpAsync(client, deadline.Token).ConfigureAwait(false);
                }
                else
                {
                    _pending.Remove(client); // the status socket asks nothing: it is answered at once
                    await SendAsync(client, Encoding.UTF8.GetBytes(_render(MetricsView.Full)), deadline.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client went away, was too slow, or was closed to make room.
            }
            finally
            {
                _pending.Remove(client);
            }
        }
    }

    private async Task ServeHttpAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] request = new byte[MaxRequestBytes];
        int received = 0;
        while (received < request.Length)
        {
            int n = await client.ReceiveAsync(request.AsMemory(received), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            received += n;
            if (request.AsSpan(0, received).IndexOf("\r\n\r\n"u8) >= 0 || request.AsSpan(0, received).IndexOf("\n\n"u8) >= 0)
                break;
        }
        _pending.Remove(client); // it asked: no longer a candidate for closing
        ReadOnlySpan<byte> head = request.AsSpan(0, received);
        int lineEnd = head.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line = lineEnd >= 0 ? head[..lineEnd] : head;
        string response;
        if (line.StartsWith("GET /metrics "u8) || line.StartsWith("GET / "u8))
        {
            string body = _render(_access.ViewFor(head));
            response = $"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        }
        else if (line.StartsWith("GET "u8))
        {
            response = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n";
        }
        else
        {
            response = "HTTP/1.0 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nmethod not allowed\n";
        }
        await SendAsync(client, Encoding.UTF8.GetBytes(response), cancellationToken).ConfigureAwait(false);
    }

    private static async Task SendAsync(Socket client, byte[] data, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < data.Length)
            sent += await client.SendAsync(data.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Send);
    }
}

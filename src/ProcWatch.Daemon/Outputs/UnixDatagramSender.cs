using System.Net.Sockets;

namespace ProcWatch.Output.Sinks;

/// <summary>
/// Sends datagrams to a local socket (/dev/log, journald's socket) without ever blocking:
/// a busy or absent receiver means the message is dropped (the caller counts it). The
/// socket is reconnected on the next send after a failure, so a restarted receiver is
/// picked up.
/// </summary>
internal sealed class UnixDatagramSender(string path) : IDisposable
{
    private Socket? _socket;

    public string Path => path;

    /// <summary>Returns null when sent, else why not.</summary>
    public string? TrySend(ReadOnlySpan<byte> datagram)
    {
        try
        {
            if (_socket is null)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                _socket = socket;
            }
            _socket.Send(datagram);
            return null;
        }
        catch (SocketException ex)
        {
            if (ex.SocketErrorCode is not (SocketError.WouldBlock or SocketError.MessageSize or SocketError.NoBufferSpaceAvailable))
            {
                _socket?.Dispose();
                _socket = null;
            }
            return $"cannot send to {path}: {ex.Message}";
        }
    }

    /// <summary>Sends one message and accounts for it: written, or dropped with the reason latched (logged once).</summary>
    public void SendCounted(ReadOnlySpan<byte> datagram, OutputCounters counters, FailureLatch latch)
    {
        if (TrySend(datagram) is { } why)
        {
            counters.OnDropped(1);
            latch.Failed(why, 1);
        }
        else
        {
            counters.OnWritten(1);
            latch.Succeeded();
        }
    }

    public void Reset()
    {
        _socket?.Dispose();
        _socket = null;
    }

    public void Dispose() => Reset();
}

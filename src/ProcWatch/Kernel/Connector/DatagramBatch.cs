using System.Runtime.InteropServices;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Native buffers for recvmmsg: <see cref="Capacity"/> datagram slots and their headers,
/// allocated once per receive thread. A datagram is valid until the next <see cref="Receive"/>.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    /// <summary>Datagrams per call: a storm's backlog drains 64 at a time.</summary>
    public const int Capacity = 64;

    /// <summary>Bytes per datagram: a proc connector message is under 128 bytes; larger is reported truncated.</summary>
    public const int SlotBytes = 1024;

    private byte* _buffers;
    private Libc.iovec* _iov;
    private Libc.mmsghdr* _messages;

    public DatagramBatch()
    {
        _buffers = (byte*)NativeMemory.Alloc(Capacity * SlotBytes);
        _iov = (Libc.iovec*)NativeMemory.Alloc((nuint)(Capacity * sizeof(Libc.iovec)));
        _messages = (Libc.mmsghdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(Libc.mmsghdr)));
        for (int i = 0; i < Capacity; i++)
        {
            _iov[i] = new Libc.iovec { iov_base = _buffers + (i * SlotBytes), iov_len = SlotBytes };
            _messages[i].msg_hdr.msg_iov = &_iov[i];
            _messages[i].msg_hdr.msg_iovlen = 1;
        }
    }

    /// <summary>recvmmsg without blocking: the number of datagrams received, or -1 with errno set.</summary>
    public int Receive(int fd) => Libc.RecvMmsg(fd, _messages, Capacity, Libc.MSG_DONTWAIT, null);

    /// <summary>The <paramref name="index"/>th datagram of the last <see cref="Receive"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int index) =>
        new(_buffers + (index * SlotBytes), (int)Math.Min(_messages[index].msg_len, SlotBytes));

    /// <summary>True when the datagram was longer than its slot (the kernel cut it).</summary>
    public bool Truncated(int index) => (_messages[index].msg_hdr.msg_flags & Libc.MSG_TRUNC) != 0;

    public void Dispose()
    {
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_buffers);
        _messages = null;
        _iov = null;
        _buffers = null;
    }
}

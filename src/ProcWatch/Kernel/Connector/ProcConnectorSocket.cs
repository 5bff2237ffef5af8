using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Interop;

namespace ProcWatch.Kernel.Connector;

/// <summary>
/// The netlink socket subscribed to the proc connector's multicast group. .NET's Socket has
/// no AF_NETLINK, so the fd is created natively and owned here. Disposing unsubscribes
/// (PROC_CN_MCAST_IGNORE) before closing.
/// </summary>
internal sealed class ProcConnectorSocket : SafeHandle
{
    private bool _subscribed;
    private uint _sequence;

    private ProcConnectorSocket() : base(-1, ownsHandle: true) { }

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    /// <summary>True when the kernel filters events by type for us (8-byte proc_input, Linux 6.6+).</summary>
    public bool KernelFiltered { get; private set; }

    /// <summary>The receive buffer the kernel granted, in bytes as requested (SO_RCVBUF reports twice this).</summary>
    public int ReceiveBufferBytes { get; private set; }

    public static ProcConnectorSocket Open(int receiveBufferBytes)
    {
        if (!OperatingSystem.IsLinux())
            throw new ProcWatchException(new Failure(FailureKind.PlatformNotSupported, 0, FailureStep.NotLinux, "the proc connector is a Linux kernel interface"));

        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, CnProc.NETLINK_CONNECTOR);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            FailureKind kind = errno is Libc.EPROTONOSUPPORT or Libc.EAFNOSUPPORT ? FailureKind.KernelUnsupported : FailureKind.SystemError;
            throw new ProcWatchException(new Failure(kind, errno, FailureStep.CreateConnectorSocket));
        }

        var socket = new ProcConnectorSocket();
        socket.SetHandle(fd);
        try
        {
            socket.SetReceiveBuffer(receiveBufferBytes);
            var address = new Libc.sockaddr_nl
            {
                nl_family = Libc.AF_NETLINK,
                nl_pid = 0, // let the kernel pick a unique port id
                nl_groups = CnProc.CN_IDX_PROC,
            };
            if (Libc.Bind(fd, address, Marshal.SizeOf<Libc.sockaddr_nl>()) != 0)
            {
                throw Refused(FailureStep.BindConnector, Marshal.GetLastPInvokeError());
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return socket;
    }

    /// <summary>
    /// netlink_bind() lets a socket join the connector's group only with CAP_NET_ADMIN over the
    /// network namespace's owning user namespace, and cn_proc serves only subscribers in the
    /// initial user and pid namespaces: an unprivileged user and a user namespace's "root" are
    /// both refused with EPERM (measured on 6.18). The namespaces go with the failure, so the
    /// line can say which.
    /// </summary>
    private static ProcWatchException Refused(FailureStep step, int errno) =>
        new(errno is Libc.EPERM or Libc.EACCES
            ? new Failure(FailureKind.NoPrivilege, errno, step, Namespaces.DescribeNonInitial())
            : new Failure(FailureKind.SystemError, errno, step));

    private void SetReceiveBuffer(int bytes)
    {
        // SO_RCVBUFFORCE ignores rmem_max but needs CAP_NET_ADMIN; fall back to the capped one.
        if (Libc.SetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, bytes, sizeof(int)) != 0)
            Libc.SetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, bytes, sizeof(int));
        int granted = 0, size = sizeof(int);
        Libc.GetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, out granted, ref size);
        // The kernel doubles the value set (the other half is for its bookkeeping, socket(7))
        // and reports the doubled one: halved, it is the size that was asked for and granted.
        ReceiveBufferBytes = granted / 2;
    }

    /// <summary>
    /// Attaches a BPF socket filter program (SO_ATTACH_BPF): netlink_broadcast runs it per
    /// datagram for this socket only, and drops what it returns 0 for. 0, or the errno.
    /// </summary>
    public int AttachFilter(int programFd) =>
        Libc.SetSockOpt(Fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_BPF, programFd, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Subscribes. With <paramref name="useKernelFilter"/> the 8-byte proc_input asks the
    /// kernel (6.6+) to send only <paramref name="kinds"/>; older kernels drop a message of
    /// that size silently, so callers pass false there and filter themselves.
    /// </summary>
    public void Subscribe(ProcessEventKinds kinds, bool useKernelFilter)
    {
        uint mask = useKernelFilter ? ProcEventKindMap.ToKernelMask(kinds) : CnProc.PROC_EVENT_ALL;
        // An all-events filter is the same as no filter; the 4-byte form works everywhere.
        KernelFiltered = useKernelFilter && mask != CnProc.PROC_EVENT_ALL;
        SendControl(CnProc.PROC_CN_MCAST_LISTEN, KernelFiltered ? mask : null);
        _subscribed = true;
    }

    private unsafe void SendControl(uint op, uint? eventMask)
    {
        int payload = eventMask.HasValue ? CnProc.PROC_INPUT_SIZE : sizeof(uint);
        int total = CnProc.NLMSG_HDRLEN + CnProc.CN_MSG_SIZE + payload;
        byte* buf = stackalloc byte[total];
        var span = new Span<byte>(buf, total);
        span.Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[CnProc.nlmsg_len..], (uint)total);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(span[CnProc.nlmsg_type..], CnProc.NLMSG_DONE);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[CnProc.nlmsg_seq..], _sequence++);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(span[CnProc.nlmsg_pid..], (uint)Environment.ProcessId);
        Span<byte> cn = span[CnProc.NLMSG_HDRLEN..];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(cn[CnProc.cn_msg_idx..], CnProc.CN_IDX_PROC);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(cn[CnProc.cn_msg_val..], CnProc.CN_VAL_PROC);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(cn[CnProc.cn_msg_len..], (ushort)payload);
        Span<byte> data = cn[CnProc.CN_MSG_SIZE..];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(data, op);
        if (eventMask.HasValue)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(data[4..], eventMask.Value);

        if (Libc.Send(Fd, buf, (nuint)total, 0) < 0)
        {
            throw Refused(FailureStep.SubscribeConnector, Marshal.GetLastPInvokeError());
        }
    }

    protected override bool ReleaseHandle()
    {
        if (_subscribed)
        {
            try { SendControl(CnProc.PROC_CN_MCAST_IGNORE, null); }
            catch (ProcWatchException) { /* closing anyway: the kernel drops the subscription with the socket */ }
        }
        return Libc.Close((int)handle) == 0;
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ProcWatch.Interop;
using ProcWatch.Kernel.ProcFs;

namespace ProcWatch.Kernel;

/// <summary>
/// When the process now holding a pid started, as a CLOCK_MONOTONIC interval. /proc/PID/stat
/// gives only 10 ms ticks, too coarse to tell a process from one that took its pid a
/// millisecond later; the taskstats netlink family (TASKSTATS_CMD_GET, CAP_NET_ADMIN) gives
/// the elapsed time in microseconds (ac_etime = now − task->start_time), so the start is
/// known to a few microseconds. Without taskstats the interval is /proc's tick.
/// </summary>
internal sealed class TaskStartTime : IDisposable
{
    private const ushort GENL_ID_CTRL = 0x10, NLMSG_ERROR = 2, NLM_F_REQUEST = 1;
    private const byte CTRL_CMD_GETFAMILY = 3, TASKSTATS_CMD_GET = 1;
    private const ushort CTRL_ATTR_FAMILY_ID = 1, CTRL_ATTR_FAMILY_NAME = 2;
    private const ushort TASKSTATS_CMD_ATTR_PID = 1, TASKSTATS_TYPE_AGGR_PID = 4, TASKSTATS_TYPE_STATS = 3;
    // struct taskstats (linux/taskstats.h; fields are only ever appended): ac_pid and ac_etime.
    private const int AcPidOffset = 128, AcEtimeOffset = 144;
    private readonly Lock _gate = new();
    private readonly byte[] _buffer = new byte[4096];
    private int _fd = -1;
    private ushort _family;
    private uint _seq;

    /// <summary>True when taskstats answers (microsecond precision); else only /proc ticks.</summary>
    public bool Precise { get; }

    public TaskStartTime()
    {
        int fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_GENERIC);
        if (fd < 0)
            return;
        _fd = fd;
        if (ResolveFamily() is ushort family)
        {
            _family = family;
            Precise = TryQuery(Environment.ProcessId, out _) == 0;
        }
        if (!Precise)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>
    /// The earliest and latest CLOCK_MONOTONIC time at which the process now holding
    /// <paramref name="pid"/> can have started. False when no process holds it.
    /// </summary>
    public bool TryGet(int pid, out long earliestNs, out long latestNs)
    {
        earliestNs = latestNs = 0;
        if (Precise)
        {
            lock (_gate)
            {
                long before = KernelClock.MonotonicNs();
                int error = TryQuery(pid, out long elapsedUs);
                long after = KernelClock.MonotonicNs();
                if (error == Libc.ESRCH)
                    return false;
                if (error == 0)
                {
                    // The kernel read its clock between before and after, and truncated to whole microseconds.
                    earliestNs = before - (elapsedUs + 1) * 1000;
                    latestNs = after - elapsedUs * 1000;
                    return true;
                }
            }
        }
        if (!ProcStat.TryRead(pid, out ProcStat stat))
            return false;
        SystemBoot boot = SystemBoot.Shared;
        earliestNs = boot.StartTicksToMonotonicNs(stat.StartTimeTicks);
        latestNs = boot.StartTicksToMonotonicNs(stat.StartTimeTicks + 1);
        return true;
    }

    public void Dispose()
    {
        if (_fd >= 0)
            Libc.Close(_fd);
        _fd = -1;
    }

    private ushort? ResolveFamily()
    {
        ReadOnlySpan<byte> name = "TASKSTATS\0"u8;
        int length = Request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, name);
        if (length <= 0)
            return null;
        foreach ((ushort type, int offset, int size) in Attributes(20, length))
        {
            if (type == CTRL_ATTR_FAMILY_ID && size >= 2)
                return BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(offset));
        }
        return null;
    }

    /// <summary>0 and the task's elapsed microseconds, or the errno.</summary>
    private int TryQuery(int pid, out long elapsedUs)
    {
        elapsedUs = 0;
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, pid);
        int length = Request(_family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_PID, value);
        if (length < 0)
            return -length;
        foreach ((ushort type, int offset, int size) in Attributes(20, length))
        {
            if (type != TASKSTATS_TYPE_AGGR_PID)
                continue;
            foreach ((ushort inner, int at, int innerSize) in Attributes(offset, offset + size))
            {
                if (inner != TASKSTATS_TYPE_STATS || innerSize < AcEtimeOffset + 8)
                    continue;
                if (BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(at + AcPidOffset)) != pid)
                    return Libc.ESRCH;
                elapsedUs = (long)BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(at + AcEtimeOffset));
                return 0;
            }
        }
        return Libc.EINVAL;
    }

    /// <summary>Sends one generic-netlink request with one attribute; the reply's length, or −errno.</summary>
    private unsafe int Request(ushort family, byte command, ushort attribute, ReadOnlySpan<byte> value)
    {
        int attrLength = 4 + value.Length;
        int total = 16 + 4 + ((attrLength + 3) & ~3);
        Span<byte> message = _buffer.AsSpan(0, total);
        message.Clear();
        uint seq = ++_seq;
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt16LittleEndian(message[4..], family);
        BinaryPrimitives.WriteUInt16LittleEndian(message[6..], NLM_F_REQUEST);
        BinaryPrimitives.WriteUInt32LittleEndian(message[8..], seq);
        message[16] = command;
        message[17] = 1; // version
        BinaryPrimitives.WriteUInt16LittleEndian(message[20..], (ushort)attrLength);
        BinaryPrimitives.WriteUInt16LittleEndian(message[22..], attribute);
        value.CopyTo(message[24..]);
        fixed (byte* p = _buffer)
        {
            if (Libc.Send(_fd, p, (nuint)total, 0) < 0)
                return -Marshal.GetLastPInvokeError();
            while (true)
            {
                nint n = Libc.Recv(_fd, p, (nuint)_buffer.Length, 0);
                if (n < 0)
                    return -Marshal.GetLastPInvokeError();
                if (n < 20 || BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(8)) != seq)
                    continue; // a stale reply to an earlier request
                if (BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(4)) == NLMSG_ERROR)
                {
                    int error = -BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(16));
                    return error == 0 ? -Libc.EINVAL : -error;
                }
                return (int)Math.Min(n, BinaryPrimitives.ReadUInt32LittleEndian(_buffer));
            }
        }
    }

    private List<(ushort Type, int Offset, int Size)> Attributes(int start, int end)
    {
        var list = new List<(ushort, int, int)>(4);
        int at = start;
        while (at + 4 <= end)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(at));
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(at + 2)) & 0x3fff);
            if (length < 4 || at + length > end)
                break;
            list.Add((type, at + 4, length - 4));
            at += (length + 3) & ~3;
        }
        return list;
    }
}

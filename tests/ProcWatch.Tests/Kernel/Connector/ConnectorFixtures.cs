using System.Buffers.Binary;
using ProcWatch.Kernel.Connector;

namespace ProcWatch.Tests.Kernel.Connector;

/// <summary>
/// Builds datagrams exactly as the kernel lays them out (linux/netlink.h, connector.h,
/// cn_proc.h), written out field by field with literal offsets so that a wrong constant in
/// <see cref="CnProc"/> makes the tests fail rather than agree with itself.
/// </summary>
internal static class ConnectorFixtures
{
    public const ulong Timestamp = 123_456_789_012UL;
    public const uint Cpu = 1;

    /// <summary>One netlink message carrying one cn_msg carrying <paramref name="procEvent"/>.</summary>
    public static byte[] Message(byte[] procEvent, ushort nlmsgType = 3 /* NLMSG_DONE */, uint idx = 1, uint val = 1, uint seq = 7)
    {
        int length = 16 + 20 + procEvent.Length;
        var msg = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(0), (uint)length);   // nlmsg_len
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(4), nlmsgType);      // nlmsg_type
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(8), seq);            // nlmsg_seq
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(16), idx);           // cn_msg.id.idx
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(20), val);           // cn_msg.id.val
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(24), seq);           // cn_msg.seq
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(28), 0);             // cn_msg.ack
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(32), (ushort)procEvent.Length); // cn_msg.len
        procEvent.CopyTo(msg, 36);
        return msg;
    }

    /// <summary>A bare netlink message of <paramref name="type"/> with a raw payload (NOOP, ERROR, OVERRUN).</summary>
    public static byte[] Netlink(ushort type, byte[] payload)
    {
        var msg = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(msg, (uint)msg.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(4), type);
        payload.CopyTo(msg, 16);
        return msg;
    }

    /// <summary>Concatenates messages into one datagram, padding each to NLMSG_ALIGNTO (4).</summary>
    public static byte[] Datagram(params byte[][] messages)
    {
        var bytes = new List<byte>();
        foreach (byte[] m in messages)
        {
            bytes.AddRange(m);
            while (bytes.Count % 4 != 0) bytes.Add(0);
        }
        return [.. bytes];
    }

    /// <summary>struct proc_event: what, cpu, timestamp_ns, then the union member's fields.</summary>
    public static byte[] Event(uint what, params int[] fields) => Event(what, Cpu, fields);

    public static byte[] Event(uint what, uint cpu, int[] fields)
    {
        var e = new byte[16 + fields.Length * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(e, what);
        BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(4), cpu);
        BinaryPrimitives.WriteUInt64LittleEndian(e.AsSpan(8), Timestamp);
        for (int i = 0; i < fields.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(16 + i * 4), fields[i]);
        return e;
    }

    public static byte[] Ack(int err = 0) => Event(0x0, 0xffffffff, [err]);
    public static byte[] Fork(int parentPid, int parentTgid, int childPid, int childTgid) => Event(0x1, parentPid, parentTgid, childPid, childTgid);
    public static byte[] Exec(int pid, int tgid) => Event(0x2, pid, tgid);
    public static byte[] Uid(int pid, int tgid, uint ruid, uint euid) => Event(0x4, pid, tgid, (int)ruid, (int)euid);
    public static byte[] Gid(int pid, int tgid, uint rgid, uint egid) => Event(0x40, pid, tgid, (int)rgid, (int)egid);
    public static byte[] Sid(int pid, int tgid) => Event(0x80, pid, tgid);
    public static byte[] Ptrace(int pid, int tgid, int tracerPid, int tracerTgid) => Event(0x100, pid, tgid, tracerPid, tracerTgid);
    public static byte[] Coredump(int pid, int tgid, int parentPid, int parentTgid) => Event(0x40000000, pid, tgid, parentPid, parentTgid);

    public static byte[] Exit(int pid, int tgid, uint exitCode, uint exitSignal, int parentPid, int parentTgid) =>
        Event(0x80000000, pid, tgid, (int)exitCode, (int)exitSignal, parentPid, parentTgid);

    public static byte[] Comm(int pid, int tgid, byte[] name)
    {
        byte[] head = Event(0x200, pid, tgid);
        var e = new byte[head.Length + 16];
        head.CopyTo(e, 0);
        name.AsSpan(0, Math.Min(name.Length, 16)).CopyTo(e.AsSpan(head.Length));
        return e;
    }
}

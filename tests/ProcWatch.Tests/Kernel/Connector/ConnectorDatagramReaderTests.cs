using System.Buffers.Binary;
using ProcWatch.Kernel.Connector;
using Xunit;
using static ProcWatch.Tests.Kernel.Connector.ConnectorFixtures;

namespace ProcWatch.Tests.Kernel.Connector;

public class ConnectorDatagramReaderTests
{
    private static (ConnectorReadResult Result, ProcEventRecord Record) ReadOne(byte[] datagram)
    {
        var reader = new ConnectorDatagramReader(datagram);
        ConnectorReadResult result = reader.Read(out ProcEventRecord record);
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
        return (result, record);
    }

    private static ProcEventRecord ReadEvent(byte[] procEvent)
    {
        (ConnectorReadResult result, ProcEventRecord record) = ReadOne(Message(procEvent));
        Assert.Equal(ConnectorReadResult.Event, result);
        Assert.Equal(Cpu, record.Cpu);
        Assert.Equal(Timestamp, record.TimestampNs);
        Assert.Equal(7u, record.Seq);
        return record;
    }

    /// <summary>The kernel always sends sizeof(struct proc_event) = 40 bytes, whatever the kind.</summary>
    private static byte[] PadToKernelSize(byte[] procEvent)
    {
        var padded = new byte[Math.Max(40, procEvent.Length)];
        procEvent.CopyTo(padded, 0);
        return padded;
    }

    [Fact]
    public void Ack_IsNotAnEvent()
    {
        (ConnectorReadResult result, ProcEventRecord record) = ReadOne(Message(Ack(0)));
        Assert.Equal(ConnectorReadResult.Ack, result);
        Assert.Equal(0u, record.What);
        Assert.Equal(0xffffffffu, record.Cpu);
        Assert.Equal(0u, record.Real);
    }

    [Fact]
    public void Ack_CarriesError()
    {
        (ConnectorReadResult result, ProcEventRecord record) = ReadOne(Message(Ack(22)));
        Assert.Equal(ConnectorReadResult.Ack, result);
        Assert.Equal(22u, record.Real);
    }

    [Fact]
    public void Fork_ChildIsTheProcess()
    {
        ProcEventRecord r = ReadEvent(Fork(parentPid: 100, parentTgid: 99, childPid: 200, childTgid: 200));
        Assert.Equal(CnProc.PROC_EVENT_FORK, r.What);
        Assert.Equal(200, r.ProcessPid);
        Assert.Equal(200, r.ProcessTgid);
        Assert.Equal(100, r.OtherPid);
        Assert.Equal(99, r.OtherTgid);
    }

    [Fact]
    public void Clone_ThreadOfExistingProcess()
    {
        ProcEventRecord r = ReadEvent(Fork(parentPid: 300, parentTgid: 300, childPid: 301, childTgid: 300));
        Assert.Equal(301, r.ProcessPid);
        Assert.Equal(300, r.ProcessTgid);
    }

    [Fact]
    public void Exec()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Exec(4242, 4241));
        Assert.Equal(CnProc.PROC_EVENT_EXEC, r.What);
        Assert.Equal(4242, r.ProcessPid);
        Assert.Equal(4241, r.ProcessTgid);
    }

    [Fact]
    public void Uid()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Uid(10, 10, ruid: 1000, euid: 0));
        Assert.Equal(CnProc.PROC_EVENT_UID, r.What);
        Assert.Equal(10, r.ProcessTgid);
        Assert.Equal(1000u, r.Real);
        Assert.Equal(0u, r.Effective);
    }

    [Fact]
    public void Gid_HighIdsAreUnsigned()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Gid(11, 11, rgid: 65534, egid: 0xfffffffe));
        Assert.Equal(CnProc.PROC_EVENT_GID, r.What);
        Assert.Equal(65534u, r.Real);
        Assert.Equal(0xfffffffeu, r.Effective);
    }

    [Fact]
    public void Sid()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Sid(12, 12));
        Assert.Equal(CnProc.PROC_EVENT_SID, r.What);
        Assert.Equal(12, r.ProcessPid);
    }

    [Fact]
    public void Ptrace_Attach()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Ptrace(13, 13, tracerPid: 14, tracerTgid: 14));
        Assert.Equal(CnProc.PROC_EVENT_PTRACE, r.What);
        Assert.Equal(13, r.ProcessTgid);
        Assert.Equal(14, r.OtherPid);
        Assert.Equal(14, r.OtherTgid);
    }

    [Fact]
    public void Ptrace_Detach_HasNoTracer()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Ptrace(13, 13, 0, 0));
        Assert.Equal(0, r.OtherTgid);
    }

    [Fact]
    public void Comm_SixteenBytes()
    {
        byte[] name = "0123456789abcde\0"u8.ToArray();
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Comm(15, 16, name));
        Assert.Equal(CnProc.PROC_EVENT_COMM, r.What);
        Assert.Equal(15, r.ProcessPid);
        Assert.Equal(16, r.ProcessTgid);
        Assert.Equal(name, ((ReadOnlySpan<byte>)r.Comm).ToArray());
    }

    [Fact]
    public void Coredump_CarriesParent()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Coredump(20, 20, parentPid: 19, parentTgid: 18));
        Assert.Equal(CnProc.PROC_EVENT_COREDUMP, r.What);
        Assert.Equal(20, r.ProcessTgid);
        Assert.Equal(19, r.OtherPid);
        Assert.Equal(18, r.OtherTgid);
    }

    [Fact]
    public void Exit_WithCode()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Exit(30, 30, exitCode: 3 << 8, exitSignal: 17, parentPid: 29, parentTgid: 28));
        Assert.Equal(CnProc.PROC_EVENT_EXIT, r.What);
        Assert.Equal(30, r.ProcessTgid);
        Assert.Equal(3u << 8, r.Real);
        Assert.Equal(17u, r.Effective);
        Assert.Equal(29, r.OtherPid);
        Assert.Equal(28, r.OtherTgid);
    }

    [Fact]
    public void Exit_BySignalWithCore()
    {
        ProcEventRecord r = ReadEvent(ConnectorFixtures.Exit(31, 31, exitCode: 0x80 | 11, exitSignal: 17, parentPid: 1, parentTgid: 1));
        Assert.Equal(0x8bu, r.Real);
    }

    [Fact]
    public void Unknown_KindIsKeptWithItsIds()
    {
        ProcEventRecord r = ReadEvent(Event(0x00000800, 55, 56));
        Assert.Equal(0x800u, r.What);
        Assert.Equal(55, r.ProcessPid);
        Assert.Equal(56, r.ProcessTgid);
    }

    [Fact]
    public void Unknown_KindWithoutBody_IsKept()
    {
        ProcEventRecord r = ReadEvent(Event(0x00001000));
        Assert.Equal(0x1000u, r.What);
        Assert.Equal(0, r.ProcessPid);
    }

    [Theory]
    [InlineData(0x1u)]
    [InlineData(0x2u)]
    [InlineData(0x4u)]
    [InlineData(0x40u)]
    [InlineData(0x80u)]
    [InlineData(0x100u)]
    [InlineData(0x200u)]
    [InlineData(0x40000000u)]
    [InlineData(0x80000000u)]
    public void KernelSizedEvents_Parse(uint what)
    {
        byte[] e = PadToKernelSize(Event(what, 1, 2, 3, 4, 5, 6));
        Assert.Equal(40, e.Length);
        ProcEventRecord r = ReadEvent(e);
        Assert.Equal(what, r.What);
    }

    [Fact]
    public void Datagram_SeveralMessages_InOrder()
    {
        byte[] datagram = Datagram(
            Message(Fork(1, 1, 2, 2)),
            Message(ConnectorFixtures.Comm(2, 2, "odd\0"u8.ToArray())), // 16 + 20 + 32 = 68: already aligned
            Message(ConnectorFixtures.Exec(2, 2)),
            Message(ConnectorFixtures.Exit(2, 2, 0, 17, 1, 1)));
        var reader = new ConnectorDatagramReader(datagram);
        var whats = new List<uint>();
        while (reader.Read(out ProcEventRecord r) == ConnectorReadResult.Event)
            whats.Add(r.What);
        Assert.Equal([CnProc.PROC_EVENT_FORK, CnProc.PROC_EVENT_COMM, CnProc.PROC_EVENT_EXEC, CnProc.PROC_EVENT_EXIT], whats);
    }

    [Fact]
    public void Datagram_UnalignedMessageLengths_ArePadded()
    {
        // A proc_event of 18 bytes makes a 54-byte message: the next one starts at 56.
        byte[] odd = Event(0x00002000, 1);
        Array.Resize(ref odd, 18);
        byte[] first = Message(odd);
        Assert.Equal(54, first.Length);
        byte[] datagram = Datagram(first, Message(ConnectorFixtures.Exec(9, 9)));
        Assert.Equal(56 + 16 + 20 + 24, datagram.Length);

        var reader = new ConnectorDatagramReader(datagram);
        Assert.Equal(ConnectorReadResult.Event, reader.Read(out ProcEventRecord a));
        Assert.Equal(0x2000u, a.What);
        Assert.Equal(ConnectorReadResult.Event, reader.Read(out ProcEventRecord b));
        Assert.Equal(CnProc.PROC_EVENT_EXEC, b.What);
        Assert.Equal(9, b.ProcessPid);
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }

    [Fact]
    public void Datagram_LastMessageWithoutPadding_IsRead()
    {
        byte[] odd = Event(0x00002000, 1);
        Array.Resize(ref odd, 18);
        byte[] datagram = Message(odd); // 54 bytes, not a multiple of 4, nothing after it
        var reader = new ConnectorDatagramReader(datagram);
        Assert.Equal(ConnectorReadResult.Event, reader.Read(out _));
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }

    [Fact]
    public void NetlinkError_IsSkipped_AndItsErrnoKept()
    {
        var payload = new byte[20]; // struct nlmsgerr: int error; struct nlmsghdr msg
        BinaryPrimitives.WriteInt32LittleEndian(payload, -1); // -EPERM
        byte[] datagram = Datagram(Netlink(2, payload), Message(ConnectorFixtures.Exec(5, 5)));
        var reader = new ConnectorDatagramReader(datagram);
        Assert.Equal(ConnectorReadResult.Skipped, reader.Read(out _));
        Assert.Equal(1, reader.LastNetlinkError);
        Assert.Equal(ConnectorReadResult.Event, reader.Read(out ProcEventRecord r));
        Assert.Equal(5, r.ProcessPid);
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }

    [Fact]
    public void NetlinkError_WithoutPayload_IsSkipped()
    {
        var reader = new ConnectorDatagramReader(Netlink(2, []));
        Assert.Equal(ConnectorReadResult.Skipped, reader.Read(out _));
        Assert.Equal(0, reader.LastNetlinkError);
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }

    [Theory]
    [InlineData(1)] // NLMSG_NOOP
    [InlineData(4)] // NLMSG_OVERRUN
    public void NoopAndOverrun_AreSkipped(ushort type)
    {
        byte[] datagram = Datagram(Netlink(type, [1, 2, 3, 4]), Message(ConnectorFixtures.Sid(6, 6)));
        var reader = new ConnectorDatagramReader(datagram);
        Assert.Equal(ConnectorReadResult.Skipped, reader.Read(out _));
        Assert.Equal(ConnectorReadResult.Event, reader.Read(out ProcEventRecord r));
        Assert.Equal(CnProc.PROC_EVENT_SID, r.What);
    }

    [Fact]
    public void OtherConnector_IsSkipped()
    {
        (ConnectorReadResult result, _) = ReadOne(Message(ConnectorFixtures.Exec(1, 1), idx: 2, val: 1));
        Assert.Equal(ConnectorReadResult.Skipped, result);
    }

    [Fact]
    public void Empty_IsEnd()
    {
        var reader = new ConnectorDatagramReader([]);
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }

    [Fact]
    public void Truncated_AtEveryLength_IsMalformedNeverAnEvent()
    {
        byte[][] events =
        [
            Ack(), Fork(1, 1, 2, 2), ConnectorFixtures.Exec(1, 1), ConnectorFixtures.Uid(1, 1, 2, 3),
            ConnectorFixtures.Gid(1, 1, 2, 3), ConnectorFixtures.Sid(1, 1), ConnectorFixtures.Ptrace(1, 1, 2, 2),
            ConnectorFixtures.Comm(1, 1, "x"u8.ToArray()), ConnectorFixtures.Coredump(1, 1, 2, 2),
            ConnectorFixtures.Exit(1, 1, 0, 17, 2, 2),
        ];
        foreach (byte[] e in events)
        {
            byte[] full = Message(e);
            for (int cut = 1; cut < full.Length; cut++)
            {
                // The bytes simply end early: nlmsg_len claims more than there is.
                var reader = new ConnectorDatagramReader(full.AsSpan(0, cut));
                Assert.Equal(ConnectorReadResult.Malformed, reader.Read(out _));
                Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
            }
        }
    }

    [Fact]
    public void Truncated_ConsistentLengths_ShortPayload_IsMalformed()
    {
        // The kernel-side lengths agree with each other but the union member is cut short.
        byte[][] events =
        [
            Fork(1, 1, 2, 2), ConnectorFixtures.Exec(1, 1), ConnectorFixtures.Uid(1, 1, 2, 3),
            ConnectorFixtures.Gid(1, 1, 2, 3), ConnectorFixtures.Sid(1, 1), ConnectorFixtures.Ptrace(1, 1, 2, 2),
            ConnectorFixtures.Comm(1, 1, "x"u8.ToArray()), ConnectorFixtures.Coredump(1, 1, 2, 2),
            ConnectorFixtures.Exit(1, 1, 0, 17, 2, 2), Ack(),
        ];
        foreach (byte[] e in events)
        {
            for (int cut = 0; cut < e.Length; cut++)
            {
                (ConnectorReadResult result, _) = ReadOne(Message(e[..cut]));
                Assert.Equal(ConnectorReadResult.Malformed, result);
            }
        }
    }

    [Fact]
    public void CnMsgLength_LongerThanMessage_IsMalformed()
    {
        byte[] msg = Message(ConnectorFixtures.Exec(1, 1));
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(32), 200);
        (ConnectorReadResult result, _) = ReadOne(msg);
        Assert.Equal(ConnectorReadResult.Malformed, result);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(15u)]
    [InlineData(0xffffffffu)]
    public void NlmsgLength_Impossible_IsMalformed(uint length)
    {
        byte[] msg = Message(ConnectorFixtures.Exec(1, 1));
        BinaryPrimitives.WriteUInt32LittleEndian(msg, length);
        (ConnectorReadResult result, _) = ReadOne(msg);
        Assert.Equal(ConnectorReadResult.Malformed, result);
    }

    [Fact]
    public void Malformed_AbandonsTheRestOfTheDatagram()
    {
        byte[] bad = Message(ConnectorFixtures.Exec(1, 1)[..10]);
        byte[] datagram = Datagram(bad, Message(ConnectorFixtures.Exec(2, 2)));
        var reader = new ConnectorDatagramReader(datagram);
        Assert.Equal(ConnectorReadResult.Malformed, reader.Read(out _));
        Assert.Equal(ConnectorReadResult.End, reader.Read(out _));
    }
}

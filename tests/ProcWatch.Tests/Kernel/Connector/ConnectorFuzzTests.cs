using ProcWatch.Events;
using CsCheck;
using ProcWatch.Kernel.Connector;
using ProcWatch.Watching;
using Xunit;
using static ProcWatch.Tests.Kernel.Connector.ConnectorFixtures;

namespace ProcWatch.Tests.Kernel.Connector;

/// <summary>
/// Random and mutated datagrams: the parser never throws, always terminates, and what
/// <see cref="ConnectorEventSource.Dispatch"/> posts and counts agrees with what the reader saw.
/// </summary>
public class ConnectorFuzzTests
{
    private readonly record struct Walk(int Events, int Acks, int Skipped, int Malformed, int Steps);

    private static Walk WalkDatagram(ReadOnlySpan<byte> datagram)
    {
        var reader = new ConnectorDatagramReader(datagram);
        int events = 0, acks = 0, skipped = 0, malformed = 0, steps = 0;
        while (true)
        {
            ConnectorReadResult result = reader.Read(out _);
            steps++;
            // Every message is at least a 16-byte header: more steps than that is a loop.
            Assert.True(steps <= datagram.Length / 16 + 2, "the reader does not advance");
            switch (result)
            {
                case ConnectorReadResult.Event: events++; break;
                case ConnectorReadResult.Ack: acks++; break;
                case ConnectorReadResult.Skipped: skipped++; break;
                case ConnectorReadResult.Malformed: malformed++; break;
                case ConnectorReadResult.End: return new Walk(events, acks, skipped, malformed, steps);
            }
        }
    }

    /// <summary>Reader and Dispatch agree: every event read is posted and counted, a malformed datagram is counted once.</summary>
    private static void CheckConsistent(byte[] datagram)
    {
        Walk walk = WalkDatagram(datagram);
        Assert.InRange(walk.Malformed, 0, 1);
        Assert.Equal(walk.Steps, walk.Events + walk.Acks + walk.Skipped + walk.Malformed + 1);

        (ConnectorEventSource source, CollectingSink sink, WatcherStatistics stats) = ConnectorDispatchTests.NewSource();
        source.Dispatch(datagram);
        // Mutated cn_msg.seq numbers also produce sequence-gap reports (LostEvent), on top of the events.
        Assert.Equal(walk.Events, sink.Events.Count(e => e is not LostEvent { Reason: LossReason.SequenceGap }));
        Assert.Equal(walk.Events, stats.Total - stats.Count(ProcessEventKind.Lost));
        Assert.Equal(walk.Malformed, stats.Malformed);
    }

    private static readonly Gen<byte[]> GenMessage = Gen.OneOf(
        Gen.Int[-1, 5].Select(err => Message(Ack(err))),
        Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Int, (a, b, c, d) => Message(Fork(a, b, c, d))),
        Gen.Select(Gen.Int, Gen.Int, (a, b) => Message(ConnectorFixtures.Exec(a, b))),
        Gen.Select(Gen.Int, Gen.UInt, Gen.UInt, (a, r, e) => Message(ConnectorFixtures.Uid(a, a, r, e))),
        Gen.Select(Gen.Int, Gen.UInt, Gen.UInt, (a, r, e) => Message(ConnectorFixtures.Gid(a, a, r, e))),
        Gen.Int.Select(a => Message(ConnectorFixtures.Sid(a, a))),
        Gen.Select(Gen.Int, Gen.Int, (a, t) => Message(ConnectorFixtures.Ptrace(a, a, t, t))),
        Gen.Select(Gen.Int, Gen.Byte.Array[0, 16], (a, name) => Message(ConnectorFixtures.Comm(a, a, name))),
        Gen.Select(Gen.Int, Gen.Int, (a, p) => Message(ConnectorFixtures.Coredump(a, a, p, p))),
        Gen.Select(Gen.Int, Gen.UInt, Gen.UInt, (a, code, sig) => Message(ConnectorFixtures.Exit(a, a, code, sig, 1, 1))),
        Gen.Select(Gen.UInt, Gen.Int.Array[0, 8], (what, fields) => Message(Event(what | 0x00010000, fields))),
        Gen.Byte.Array[0, 24].Select(payload => Netlink(2, payload)),
        Gen.Byte.Array[0, 8].Select(payload => Netlink(1, payload)),
        Gen.Byte.Array[0, 8].Select(payload => Netlink(4, payload)),
        Gen.Select(Gen.Int, Gen.Int, (a, b) => Message(ConnectorFixtures.Exec(a, b), idx: 2)));

    private static readonly Gen<byte[][]> GenMessages = GenMessage.Array[0, 6];

    [Fact]
    public void RandomBytes_NeverThrow_AndCountsAgree() =>
        Gen.Byte.Array[0, 600].Sample(CheckConsistent, iter: 20_000);

    [Fact]
    public void WellFormedDatagrams_CountsAddUp() =>
        GenMessages.Sample(messages =>
        {
            byte[] datagram = Datagram(messages);
            Walk walk = WalkDatagram(datagram);
            int acks = 0, skipped = 0;
            foreach (byte[] m in messages)
            {
                ushort type = (ushort)(m[4] | m[5] << 8);
                bool proc = type == 3 && m[16] == 1 && m[20] == 1;
                if (!proc) skipped++;
                else if (m[36] == 0 && m[37] == 0 && m[38] == 0 && m[39] == 0) acks++;
            }
            Assert.Equal(0, walk.Malformed);
            Assert.Equal(acks, walk.Acks);
            Assert.Equal(skipped, walk.Skipped);
            Assert.Equal(messages.Length - acks - skipped, walk.Events);
            CheckConsistent(datagram);
        }, iter: 5_000);

    [Fact]
    public void MutatedDatagrams_NeverThrow_AndCountsAgree() =>
        Gen.Select(GenMessages, Gen.Select(Gen.Int[0, 4096], Gen.Byte).Array[1, 8], Gen.Int[0, 4096])
            .Sample((messages, mutations, cut) =>
            {
                byte[] datagram = Datagram(messages);
                if (datagram.Length == 0) return;
                foreach ((int at, byte value) in mutations)
                    datagram[at % datagram.Length] = value;
                CheckConsistent(datagram);
                CheckConsistent(datagram[..(cut % (datagram.Length + 1))]);
            }, iter: 20_000);

    [Fact]
    public void MutatedLengthFields_NeverThrow() =>
        Gen.Select(GenMessages, Gen.UShort, Gen.UInt).Sample((messages, cnLen, nlLen) =>
        {
            byte[] datagram = Datagram(messages);
            if (datagram.Length < 36) return;
            BitConverter.TryWriteBytes(datagram.AsSpan(32), cnLen);
            CheckConsistent(datagram);
            BitConverter.TryWriteBytes(datagram.AsSpan(0), nlLen);
            CheckConsistent(datagram);
        }, iter: 10_000);
}

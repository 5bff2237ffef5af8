using System.Runtime.InteropServices;
using ProcWatch.Core;
using ProcWatch.Events;
using ProcWatch.Kernel;
using ProcWatch.Kernel.Connector;
using ProcWatch.Kernel.Ebpf;
using ProcWatch.Tests.Helpers;
using ProcWatch.Tests.Kernel.Connector;
using Xunit;

namespace ProcWatch.Tests.Kernel.Ebpf;

/// <summary>
/// The connector counting filter (bpf/hook_connector.c) run by the real kernel on byte
/// fixtures (BPF_PROG_TEST_RUN): which datagrams it counts and drops, which it passes whole,
/// and what its per-CPU map then holds. The rule must be the one user space applies when it
/// counts (ConnectorEventSource.Dispatch): a counted kind, process level only.
/// </summary>
[Collection(EbpfCollection.Name)]
public sealed unsafe partial class ConnectorCountFilterTests
{
    private const uint ForkBit = 0x1, ExecBit = 0x2, ExitBit = 0x80000000;
    private static readonly long Window = (long)(ConnectorFixtures.Timestamp / LifecycleCrossCheck.WindowNs);

    /// <summary>libbpf's struct bpf_test_run_opts (libbpf 1.x, 80 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct bpf_test_run_opts
    {
        public nuint sz;
        public void* data_in;
        public void* data_out;
        public uint data_size_in;
        public uint data_size_out;
        public void* ctx_in;
        public void* ctx_out;
        public uint ctx_size_in;
        public uint ctx_size_out;
        public uint retval;
        public int repeat;
        public uint duration;
        public uint flags;
        public uint cpu;
        public uint batch_size;
    }

    [LibraryImport("libbpf.so.1")]
    private static partial int bpf_prog_test_run_opts(int progFd, bpf_test_run_opts* opts);

    /// <summary>
    /// Runs the filter once on <paramref name="datagram"/> (behind the 14-byte Ethernet header
    /// the skb test run strips for a socket filter) and returns its verdict: 0 drops, else the
    /// bytes kept.
    /// </summary>
    private static uint Run(int programFd, byte[] datagram)
    {
        byte[] frame = new byte[14 + datagram.Length];
        datagram.CopyTo(frame, 14);
        fixed (byte* data = frame)
        {
            var opts = new bpf_test_run_opts { sz = (nuint)sizeof(bpf_test_run_opts), data_in = data, data_size_in = (uint)frame.Length, repeat = 1 };
            int rc = bpf_prog_test_run_opts(programFd, &opts);
            Assert.True(rc == 0, $"BPF_PROG_TEST_RUN failed: {rc}");
            return opts.retval;
        }
    }

    private static long[] Counts(IKernelLifecycleCounter counter, long window)
    {
        var counts = new long[3];
        Assert.True(counter.ReadWindow(window, counts));
        return counts;
    }

    private static ExecCapture LoadCapture()
    {
        Assert.True(ExecCapture.TryStartCore(_ => { }, ExecCaptureOptions.Default, startThread: false, out ExecCapture? capture, out Failure why), FailureText.OneLine(why));
        Assert.NotNull(capture.ConnectorCount);
        return capture;
    }

    [KernelFact]
    public void CountsAndDropsProcessForksExecsExits_PassesEverythingElseWhole()
    {
        using ExecCapture capture = LoadCapture();
        IKernelLifecycleCounter counter = capture.ConnectorCount!;
        int fd = counter.ProgramFd;
        byte[] processFork = ConnectorFixtures.Message(ConnectorFixtures.Fork(100, 100, 200, 200));
        byte[] threadClone = ConnectorFixtures.Message(ConnectorFixtures.Fork(100, 100, 201, 100));
        byte[] exec = ConnectorFixtures.Message(ConnectorFixtures.Exec(200, 200));
        byte[] processExit = ConnectorFixtures.Message(ConnectorFixtures.Exit(200, 200, 0, 17, 100, 100));
        byte[] threadExit = ConnectorFixtures.Message(ConnectorFixtures.Exit(201, 100, 0, 0, 100, 100));
        byte[] uid = ConnectorFixtures.Message(ConnectorFixtures.Uid(200, 200, 0, 1000));
        byte[] comm = ConnectorFixtures.Message(ConnectorFixtures.Comm(200, 200, "name"u8.ToArray()));
        byte[] ack = ConnectorFixtures.Message(ConnectorFixtures.Ack());

        // Not begun: everything passes, nothing counts.
        Assert.Equal((uint)exec.Length, Run(fd, exec));
        Assert.Equal([0, 0, 0], Counts(counter, Window));

        Assert.True(counter.Begin(1, ForkBit | ExecBit | ExitBit));
        Assert.Equal(0u, Run(fd, processFork));
        Assert.Equal(0u, Run(fd, exec));
        Assert.Equal(0u, Run(fd, exec));
        Assert.Equal(0u, Run(fd, processExit));
        foreach (byte[] passed in (byte[][])[threadClone, threadExit, uid, comm, ack])
            Assert.Equal((uint)passed.Length, Run(fd, passed));
        Assert.Equal([1, 2, 1], Counts(counter, Window)); // fork, exec, exit (Lifecycle's order)
        Assert.Equal([0, 0, 0], Counts(counter, Window + 16)); // the same slot, another window
    }

    /// <summary>Kinds the connector must post (their ring program did not attach) pass; so does what happened before the check began.</summary>
    [KernelFact]
    public void KindsNotCounted_AndEventsBeforeTheStart_PassUncounted()
    {
        using ExecCapture capture = LoadCapture();
        IKernelLifecycleCounter counter = capture.ConnectorCount!;
        int fd = counter.ProgramFd;
        byte[] processFork = ConnectorFixtures.Message(ConnectorFixtures.Fork(100, 100, 200, 200));
        byte[] exec = ConnectorFixtures.Message(ConnectorFixtures.Exec(200, 200));

        Assert.True(counter.Begin(1, ExecBit)); // forks must be posted
        Assert.Equal((uint)processFork.Length, Run(fd, processFork));
        Assert.Equal(0u, Run(fd, exec));
        Assert.Equal([0, 1, 0], Counts(counter, Window));

        Assert.True(counter.Begin((long)ConnectorFixtures.Timestamp + 1, ForkBit | ExecBit | ExitBit));
        Assert.Equal((uint)exec.Length, Run(fd, exec)); // stamped before the start
        Assert.Equal([0, 1, 0], Counts(counter, Window));
        Assert.True(counter.Begin((long)ConnectorFixtures.Timestamp, ForkBit | ExecBit | ExitBit));
        Assert.Equal(0u, Run(fd, exec)); // stamped at the start
        Assert.Equal([0, 2, 0], Counts(counter, Window));
    }

    /// <summary>
    /// The filter on a real connector socket: a storm's execs never reach user space, and the
    /// kernel's per-window counts equal the ring's records of the same windows (every exec on
    /// the machine, ours among them), give or take the edge rule at the two ends and what the
    /// ring reported it could not hold.
    /// </summary>
    [KernelFact]
    public void OnARealSocket_CountsEqualTheRingsRecords_AndNoneAreReceived()
    {
        const int Count = 200;
        string token = ExecCollector.NewToken();
        using var recorder = OneRecordTests.Recorder.Ebpf();
        ConnectorEventSource connector = recorder.Connector;
        EbpfExecSource ebpf = recorder.EbpfSource;
        Assert.True(connector.KernelCounted, connector.KernelCountFallback);
        long receivedBefore = connector.CountedHere;
        // From a fresh window on: the filter counts only from its start, the ring from before it.
        long fresh = (KernelClock.MonotonicNs() / LifecycleCrossCheck.WindowNs + 1) * LifecycleCrossCheck.WindowNs;
        while (KernelClock.MonotonicNs() < fresh)
            Thread.Sleep(20);

        Assert.Equal(0, Programs.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {Count} ]; do /bin/true {token}-$i; i=$((i+1)); done"));
        List<ProcessEvent> events = recorder.WaitUntil(all => all.Count(e => e is ExecEvent { Process.Args: [_, var a, ..] } && a.StartsWith(token, StringComparison.Ordinal)) == Count);
        List<ExecEvent> mine = events.OfType<ExecEvent>().Where(e => e.Process?.Args is [_, var a, ..] && a.StartsWith(token, StringComparison.Ordinal)).ToList();
        Assert.Equal(Count, mine.Count);
        long first = mine.Min(e => e.KernelTimeNs) / LifecycleCrossCheck.WindowNs;
        long last = mine.Max(e => e.KernelTimeNs) / LifecycleCrossCheck.WindowNs;
        // Every exec of those windows is in the ring by now; wait for its records to be delivered.
        long settled = (last + 2) * LifecycleCrossCheck.WindowNs;
        while (KernelClock.MonotonicNs() < settled)
            Thread.Sleep(100);
        string after = ExecCollector.NewToken();
        Assert.Equal(0, Programs.Run("/bin/true", after)); // its record follows all of theirs
        events = recorder.WaitUntil(all => all.Exists(e => e is ExecEvent { Process.Args: [_, var a, ..] } && a == after));

        long kernel = 0;
        for (long w = first; w <= last; w++)
            kernel += Counts(ebpf.ConnectorCounter!, w)[(int)Lifecycle.Exec];
        long ring = events.Count(e => e is ExecEvent x && x.KernelTimeNs / LifecycleCrossCheck.WindowNs is var w && w >= first && w <= last);
        long ringLost = events.OfType<LostEvent>().Where(l => l.Reason == LossReason.RingBufferFull).Sum(l => l.Count);
        Assert.True(kernel >= Count, $"the kernel counted {kernel} execs in windows {first}..{last}, {Count} were ours");
        Assert.True(Math.Abs(kernel - ring) <= 2 * LifecycleCrossCheck.EdgeAllowance + ringLost,
            $"the kernel counted {kernel} execs in windows {first}..{last}, the ring delivered {ring} (ring losses {ringLost})");
        Assert.Equal(receivedBefore, connector.CountedHere);
        Assert.DoesNotContain(events, e => e is LostEvent { Reason: LossReason.CrossCheck or LossReason.SequenceGap });
    }
}

using System.Diagnostics;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Bench;

/// <summary>
/// Which BPF ring consumer costs less per exec: libbpf's ring_buffer__poll with an
/// [UnmanagedCallersOnly] callback, or the ring mapped and walked in managed code. Each round
/// runs the same exec storm under each consumer (interleaved) and divides the capture
/// thread's CPU time by the records it delivered (parsing included, the handler does nothing).
/// </summary>
internal static class EbpfConsumerBench
{
    internal static int Run(string[] args)
    {
        int execs = 10_000;
        int rounds = 3;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--execs": execs = int.Parse(args[i + 1]); break;
                case "--rounds": rounds = int.Parse(args[i + 1]); break;
                default: Console.Error.WriteLine("unknown option " + args[i]); return 2;
            }
        }

        // Warm up both (JIT, page cache) before measuring.
        Measure(RingReaderKind.Libbpf, 500);
        Measure(RingReaderKind.Mmap, 500);

        Console.WriteLine($"# {execs} execs of /bin/true per run, {rounds} rounds, ns of capture-thread CPU per record");
        Console.WriteLine("round\tconsumer\trecords\tthread_cpu_ms\tns_per_record\tdrops");
        var totals = new Dictionary<RingReaderKind, (double Ns, long Records)>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var kind in round % 2 == 1 ? new[] { RingReaderKind.Libbpf, RingReaderKind.Mmap } : new[] { RingReaderKind.Mmap, RingReaderKind.Libbpf })
            {
                var (records, cpu, drops) = Measure(kind, execs);
                double ns = cpu.TotalNanoseconds / Math.Max(1, records);
                Console.WriteLine($"{round}\t{kind}\t{records}\t{cpu.TotalMilliseconds:F1}\t{ns:F0}\t{drops}");
                var t = totals.GetValueOrDefault(kind);
                totals[kind] = (t.Ns + cpu.TotalNanoseconds, t.Records + records);
            }
        }
        foreach (var (kind, t) in totals)
        {
            Console.WriteLine($"mean\t{kind}\t{t.Records}\t\t{t.Ns / t.Records:F0}");
        }
        return 0;
    }

    private static (long Records, TimeSpan ThreadCpu, ulong Drops) Measure(RingReaderKind kind, int execs)
    {
        long mine = 0;
        if (!ExecCapture.TryStart(r => { if (r.Comm == "true") { Interlocked.Increment(ref mine); } }, ExecCapture.DefaultRingBufferBytes, kind, out ExecCapture? capture, out string? reason))
        {
            throw new InvalidOperationException("eBPF unavailable: " + reason);
        }
        using var p = Process.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {execs} ]; do /bin/true x; i=$((i+1)); done"]);
        p.WaitForExit();
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref mine) < execs && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }
        long records = capture.Received;
        ulong drops = capture.Drops;
        capture.Dispose();
        return (records, capture.ThreadCpuTime, drops);
    }
}

using System.Diagnostics;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Bench;

/// <summary>
/// What the eBPF capture thread costs per exec, for each ring consumer (libbpf's
/// ring_buffer__poll with an [UnmanagedCallersOnly] callback, or the ring mapped and walked
/// in managed code) and each wakeup policy (a wakeup per record, or batched). Each round runs
/// the same exec storm under every configuration, interleaved; the capture thread's CPU time
/// (parsing included, the handler does nothing) is divided by the records it delivered.
/// </summary>
internal static class EbpfConsumerBench
{
    internal static int Run(string[] args)
    {
        int execs = 10_000;
        int rounds = 3;
        string readers = "libbpf,mmap";
        string wakeups = "0,5";
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--execs": execs = int.Parse(args[i + 1]); break;
                case "--rounds": rounds = int.Parse(args[i + 1]); break;
                case "--readers": readers = args[i + 1]; break;
                case "--wakeup-ms": wakeups = args[i + 1]; break;
                default: Console.Error.WriteLine("unknown option " + args[i]); return 2;
            }
        }

        var configs = (
            from w in wakeups.Split(',')
            from r in readers.Split(',')
            select (Reader: Enum.Parse<RingReaderKind>(r, ignoreCase: true), Wakeup: TimeSpan.FromMilliseconds(double.Parse(w)))).ToArray();
        foreach (var config in configs)
        {
            Measure(config, 300); // JIT, page cache
        }

        Console.WriteLine($"# {execs} execs of /bin/true per run, {rounds} rounds; per record: capture-thread CPU ns and wakeups");
        Console.WriteLine("round\treader\twakeup_ms\trecords\tcpu_ms\tns_per_rec\twakeups_per_rec\texecs_per_s\tdrops");
        var perConfig = configs.ToDictionary(c => c, _ => new List<double>());
        for (int round = 1; round <= rounds; round++)
        {
            // Rotate the order so no configuration always runs first or last.
            for (int k = 0; k < configs.Length; k++)
            {
                var config = configs[(k + round) % configs.Length];
                var m = Measure(config, execs);
                double ns = m.ThreadCpu.TotalNanoseconds / Math.Max(1, m.Records);
                perConfig[config].Add(ns);
                Console.WriteLine($"{round}\t{config.Reader}\t{config.Wakeup.TotalMilliseconds}\t{m.Records}\t{m.ThreadCpu.TotalMilliseconds:F1}\t{ns:F0}\t{(double)m.Wakeups / m.Records:F2}\t{m.ExecsPerSecond:F0}\t{m.Drops}");
            }
        }
        foreach (var (config, values) in perConfig)
        {
            values.Sort();
            Console.WriteLine($"median\t{config.Reader}\t{config.Wakeup.TotalMilliseconds}\t\t\t{values[values.Count / 2]:F0}");
        }
        return 0;
    }

    /// <summary>
    /// The reader's own cost per record, without wakeups: the storm fills the ring while no
    /// thread reads it, then one drain on this thread consumes everything.
    /// </summary>
    internal static int RunDrain(string[] args)
    {
        int execs = args.Length > 1 && args[0] == "--execs" ? int.Parse(args[1]) : 5000;
        int rounds = args.Length > 3 && args[2] == "--rounds" ? int.Parse(args[3]) : 5;
        RingReaderKind[] kinds = [RingReaderKind.Libbpf, RingReaderKind.Mmap];
        foreach (var kind in kinds)
        {
            Drain(kind, 300);
        }
        Console.WriteLine($"# {execs} execs of /bin/true buffered, then drained in one go; {rounds} rounds");
        Console.WriteLine("round	reader	records	cpu_ms	ns_per_rec");
        var perKind = kinds.ToDictionary(k => k, _ => new List<double>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var kind in round % 2 == 1 ? kinds : kinds.Reverse().ToArray())
            {
                var (records, cpu) = Drain(kind, execs);
                double ns = cpu.TotalNanoseconds / Math.Max(1, records);
                perKind[kind].Add(ns);
                Console.WriteLine($"{round}	{kind}	{records}	{cpu.TotalMilliseconds:F2}	{ns:F0}");
            }
        }
        foreach (var (kind, values) in perKind)
        {
            values.Sort();
            Console.WriteLine($"median	{kind}			{values[values.Count / 2]:F0}");
        }
        return 0;
    }

    private static (long Records, TimeSpan Cpu) Drain(RingReaderKind kind, int execs)
    {
        // Never woken: a wakeup interval longer than the run, and wakeup_bytes of a quarter ring.
        if (!ExecCapture.TryStart(_ => { }, 16 * 1024 * 1024, kind, TimeSpan.FromMinutes(10), startThread: false, out ExecCapture? capture, out string? reason))
        {
            throw new InvalidOperationException("eBPF unavailable: " + reason);
        }
        using (var p = Process.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {execs} ]; do /bin/true x; i=$((i+1)); done"]))
        {
            p.WaitForExit();
        }
        Thread.Sleep(50);
        TimeSpan before = ThreadCpu();
        int n;
        do
        {
            n = capture.DrainOnce();
        }
        while (n > 0);
        TimeSpan cpu = ThreadCpu() - before;
        long records = capture.Received;
        capture.Dispose();
        return (records, cpu);
    }

    private static TimeSpan ThreadCpu()
    {
        var t = ProcWatch.Kernel.Ebpf.Interop.Libc.CurrentThreadCpuTime();
        return t;
    }

    private static (long Records, TimeSpan ThreadCpu, long Wakeups, double ExecsPerSecond, ulong Drops) Measure((RingReaderKind Reader, TimeSpan Wakeup) config, int execs)
    {
        long mine = 0;
        if (!ExecCapture.TryStart(r => { if (r.Comm == "true") { Interlocked.Increment(ref mine); } }, ExecCapture.DefaultRingBufferBytes, config.Reader, config.Wakeup, startThread: true, out ExecCapture? capture, out string? reason))
        {
            throw new InvalidOperationException("eBPF unavailable: " + reason);
        }
        var storm = Stopwatch.StartNew();
        using (var p = Process.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {execs} ]; do /bin/true x; i=$((i+1)); done"]))
        {
            p.WaitForExit();
        }
        double rate = execs / storm.Elapsed.TotalSeconds;
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref mine) < execs && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(10);
        }
        long records = capture.Received;
        ulong drops = capture.Drops;
        capture.Dispose();
        return (records, capture.ThreadCpuTime, capture.ThreadWakeups, rate, drops);
    }
}

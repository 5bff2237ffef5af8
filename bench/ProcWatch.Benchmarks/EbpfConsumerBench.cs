using System.Diagnostics;
using ProcWatch.Kernel.Ebpf;

namespace ProcWatch.Benchmarks;

/// <summary>
/// What the eBPF capture thread costs per exec.
/// <c>ebpf-consumer</c>: for each wakeup interval (interleaved, rounds rotated), one exec storm;
/// the capture thread's CPU time (parsing included, the handler does nothing) divided by the
/// records it delivered, and its wakeups per record.
/// <c>ebpf-drain</c>: the reader alone, without wakeups: the storm fills the ring while no
/// thread reads it, then one drain on this thread consumes everything.
/// (Commit d2c2249 ran both with libbpf's ring_buffer__poll reader too; see docs/notes/NOTES-issue4.md.)
/// </summary>
internal static class EbpfConsumerBench
{
    internal static int Run(string[] args)
    {
        var o = BenchArgs.Parse(args, execs: 10_000, rounds: 3, wakeups: "0,5,10,20");
        TimeSpan[] configs = [.. o.Wakeups.Select(ms => TimeSpan.FromMilliseconds(ms))];
        foreach (var config in configs)
        {
            Measure(config, 300); // JIT, page cache
        }

        Console.WriteLine($"# {o.Execs} execs of /bin/true per run, {o.Rounds} rounds; per record: capture-thread CPU ns and wakeups");
        Console.WriteLine("round\twakeup_ms\trecords\tcpu_ms\tns_per_rec\twakeups_per_rec\texecs_per_s\tdrops");
        var perConfig = configs.ToDictionary(c => c, _ => new List<double>());
        for (int round = 1; round <= o.Rounds; round++)
        {
            for (int k = 0; k < configs.Length; k++)
            {
                var config = configs[(k + round) % configs.Length];
                var m = Measure(config, o.Execs);
                double ns = m.ThreadCpu.TotalNanoseconds / Math.Max(1, m.Records);
                perConfig[config].Add(ns);
                Console.WriteLine($"{round}\t{config.TotalMilliseconds}\t{m.Records}\t{m.ThreadCpu.TotalMilliseconds:F1}\t{ns:F0}\t{(double)m.Wakeups / m.Records:F2}\t{m.ExecsPerSecond:F0}\t{m.Drops}");
            }
        }
        foreach (var (config, values) in perConfig)
        {
            Console.WriteLine($"median\t{config.TotalMilliseconds}\t\t\t\t{Median(values):F0}");
        }
        return 0;
    }

    internal static int RunDrain(string[] args)
    {
        var o = BenchArgs.Parse(args, execs: 5000, rounds: 5, wakeups: "");
        Drain(300);
        Console.WriteLine($"# {o.Execs} execs of /bin/true buffered, then drained in one go; {o.Rounds} rounds");
        Console.WriteLine("round\trecords\tcpu_ms\tns_per_rec");
        var values = new List<double>();
        for (int round = 1; round <= o.Rounds; round++)
        {
            var (records, cpu) = Drain(o.Execs);
            double ns = cpu.TotalNanoseconds / Math.Max(1, records);
            values.Add(ns);
            Console.WriteLine($"{round}\t{records}\t{cpu.TotalMilliseconds:F2}\t{ns:F0}");
        }
        Console.WriteLine($"median\t\t\t{Median(values):F0}");
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void Storm(int execs)
    {
        using var p = Process.Start("/bin/sh", ["-c", $"i=0; while [ $i -lt {execs} ]; do /bin/true x; i=$((i+1)); done"]);
        p.WaitForExit();
    }

    private static (long Records, TimeSpan Cpu) Drain(int execs)
    {
        // Never woken: a wakeup interval longer than the run, and a ring that never gets a quarter full.
        var options = new ExecCaptureOptions { RingBufferBytes = 16 * 1024 * 1024, WakeupInterval = TimeSpan.FromMinutes(10) };
        if (!ExecCapture.TryStart(_ => { }, options, startThread: false, out ExecCapture? capture, out ProcWatch.Core.Failure failure))
        {
            throw new InvalidOperationException("eBPF unavailable: " + ProcWatch.Core.FailureText.OneLine(failure));
        }
        Storm(execs);
        Thread.Sleep(50);
        TimeSpan before = ThreadCpuClock.Now();
        while (capture.DrainOnce() > 0)
        {
        }
        TimeSpan cpu = ThreadCpuClock.Now() - before;
        long records = capture.Received;
        capture.Dispose();
        return (records, cpu);
    }

    private static (long Records, TimeSpan ThreadCpu, long Wakeups, double ExecsPerSecond, ulong Drops) Measure(TimeSpan wakeup, int execs)
    {
        long mine = 0;
        var options = new ExecCaptureOptions { WakeupInterval = wakeup };
        if (!ExecCapture.TryStart(r => { if (r.Comm == "true") { Interlocked.Increment(ref mine); } }, options, out ExecCapture? capture, out ProcWatch.Core.Failure failure))
        {
            throw new InvalidOperationException("eBPF unavailable: " + ProcWatch.Core.FailureText.OneLine(failure));
        }
        var storm = Stopwatch.StartNew();
        Storm(execs);
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

    private sealed record BenchArgs(int Execs, int Rounds, double[] Wakeups)
    {
        internal static BenchArgs Parse(string[] args, int execs, int rounds, string wakeups)
        {
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                switch (args[i])
                {
                    case "--execs": execs = int.Parse(args[i + 1]); break;
                    case "--rounds": rounds = int.Parse(args[i + 1]); break;
                    case "--wakeup-ms": wakeups = args[i + 1]; break;
                    default: throw new ArgumentException("unknown option " + args[i]);
                }
            }
            return new BenchArgs(execs, rounds, [.. wakeups.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(double.Parse)]);
        }
    }
}

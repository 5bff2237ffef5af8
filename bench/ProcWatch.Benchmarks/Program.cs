using BenchmarkDotNet.Running;
using ProcWatch.Benchmarks;

// Process-level measurements that BenchmarkDotNet's in-process loop does not fit.
switch (args.Length > 0 ? args[0] : "")
{
    case "ebpf-consumer":
        return EbpfConsumerBench.Run(args[1..]);
    case "ebpf-drain":
        return EbpfConsumerBench.RunDrain(args[1..]);
    case "clickhouse":
        return ClickHouseBench.Run(args[1..]);
    case "receive":
        return ReceiveStrategyBench.Run(args[1..]);
    case "hash-latency":
        return HashLatencyBench.Run(args[1..]);
    case "sigma-cpu":
        return SigmaEvaluationBenchmarks.RunCpuTime(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000);
}

BenchmarkSwitcher.FromAssembly(typeof(ProcWatch.Benchmarks.JsonFormattingBenchmarks).Assembly).Run(args);
return 0;

using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ProcWatch.Benchmarks.JsonFormattingBenchmarks).Assembly).Run(args);

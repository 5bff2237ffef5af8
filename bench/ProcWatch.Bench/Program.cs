using ProcWatch.Bench;

return args.Length == 0 ? Usage() : args[0] switch
{
    "ebpf-consumer" => EbpfConsumerBench.Run(args[1..]),
    "ebpf-drain" => EbpfConsumerBench.RunDrain(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ProcWatch.Bench ebpf-consumer [--execs N] [--rounds R] [--wakeup-ms 0,5,10,20]");
    Console.Error.WriteLine("       ProcWatch.Bench ebpf-drain [--execs N] [--rounds R]");
    return 2;
}

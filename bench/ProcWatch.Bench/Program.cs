using ProcWatch.Bench;

return args.Length > 0 && args[0] == "ebpf-consumer"
    ? EbpfConsumerBench.Run(args[1..])
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: ProcWatch.Bench ebpf-consumer [--execs N] [--rounds R]");
    return 2;
}

using System.Buffers;
using BenchmarkDotNet.Attributes;
using ProcWatch.Events;
using ProcWatch.Output;

namespace ProcWatch.Benchmarks;

/// <summary>
/// The ECS lines of bench/fixed-rate.sh's load as procwatch writes them: an exec of
/// <c>/bin/true TOKEN</c> with its parent and four ancestors, and the fork before it (whose
/// argv is the parent's). The parent's and ancestors' argv lists are the same objects on
/// every event, as the process table shares them (issue 11: CPU at 1,600 exec/s).
/// </summary>
[MemoryDiagnoser]
public class EcsLineBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(8192);
    private readonly EcsJsonFormatter _formatter = new("bench-host");
    private ExecEvent _exec = null!;
    private ForkEvent _fork = null!;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        const string boot = "74958f1e7a4f40a8b734ecbc7621268e";
        ParentInfo Ancestor(int pid, string exe, string[] args) =>
            new() { Pid = pid, Name = Path.GetFileName(exe), Executable = exe, Args = args, EntityId = $"{boot}-{pid}-10504860000000" };
        ParentInfo parent = Ancestor(18522, "/tmp/prof/fixed-rate", ["/tmp/prof/fixed-rate", "1600", "10", "RATE1600"]);
        ParentInfo[] ancestors =
        [
            parent,
            Ancestor(18518, "/usr/bin/bash", ["bash", "bench/fixed-rate.sh", "-s", "10"]),
            Ancestor(18517, "/usr/bin/sudo", ["sudo", "bench/fixed-rate.sh", "-s", "10"]),
            Ancestor(10447, "/usr/bin/bash", ["-bash"]),
        ];
        var process = new ProcessInfo
        {
            Pid = 18541, ParentPid = 18522, Name = "true", Executable = "/usr/bin/true", Args = ["/bin/true", "RATE1600"],
            ArgvSource = ArgvSource.Ebpf, WorkingDirectory = "/work/main", Start = now,
            User = new IdName(0, "root"), Group = new IdName(0, "root"), SessionId = 10447, ProcessGroupId = 18518,
            EntityId = $"{boot}-18541-10504921103021", Parent = parent, Ancestors = ancestors,
            Sha256 = "a2e6d4f1b0c3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5", ExecutableMode = 0x81ed,
            ExecutableOwner = new IdName(0, "root"), CgroupPath = "/user.slice",
        };
        _exec = new ExecEvent { KernelTimeNs = 10504921420796, Timestamp = now, Cpu = 1, Pid = 18541, Tid = 18541, Process = process };
        _fork = new ForkEvent
        {
            KernelTimeNs = 10504921103432, Timestamp = now, Cpu = 1, Pid = 18541, Tid = 18541, ParentPid = 18522, ParentTid = 18522,
            Process = process with { Name = "fixed-rate", Executable = parent.Executable, Args = parent.Args, Ancestors = null, Sha256 = null },
        };
    }

    [Benchmark(Baseline = true)]
    public int Exec()
    {
        _buffer.ResetWrittenCount();
        _formatter.Write(_exec, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Fork()
    {
        _buffer.ResetWrittenCount();
        _formatter.Write(_fork, _buffer);
        return _buffer.WrittenCount;
    }
}

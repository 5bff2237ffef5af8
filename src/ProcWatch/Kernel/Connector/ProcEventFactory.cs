using ProcWatch.Events;
using ProcWatch.Text;

namespace ProcWatch.Kernel.Connector;

/// <summary>Turns a parsed <see cref="ProcEventRecord"/> into the typed, immutable event.</summary>
internal static class ProcEventFactory
{
    public static ProcessEvent Create(in ProcEventRecord r, KernelClock clock)
    {
        long time = (long)r.TimestampNs;
        DateTimeOffset wall = clock.ToWallClock(time);
        int cpu = (int)r.Cpu;
        int pid = r.ProcessTgid, tid = r.ProcessPid;
        return ProcEventKindMap.KindOf(r) switch
        {
            ProcessEventKinds.Fork or ProcessEventKinds.Clone => new ForkEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            ProcessEventKinds.Exec => new ExecEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid },
            ProcessEventKinds.Uid => new UidEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                RealUid = r.Real, EffectiveUid = r.Effective,
            },
            ProcessEventKinds.Gid => new GidEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                RealGid = r.Real, EffectiveGid = r.Effective,
            },
            ProcessEventKinds.Sid => new SidEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid },
            ProcessEventKinds.Ptrace => new PtraceEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                TracerPid = r.OtherTgid, TracerTid = r.OtherPid,
            },
            ProcessEventKinds.Comm => new CommEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                Comm = ProcText.DecodeCString(r.Comm),
            },
            ProcessEventKinds.Coredump => new CoredumpEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            ProcessEventKinds.Exit => new ExitEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                Status = new WaitStatus(r.Real), ExitSignal = (int)r.Effective,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            _ => new UnknownEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid, What = r.What },
        };
    }
}

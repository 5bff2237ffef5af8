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
        return r.What switch
        {
            CnProc.PROC_EVENT_FORK => new ForkEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            CnProc.PROC_EVENT_EXEC => new ExecEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid },
            CnProc.PROC_EVENT_UID => new UidEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                RealUid = r.Real, EffectiveUid = r.Effective,
            },
            CnProc.PROC_EVENT_GID => new GidEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                RealGid = r.Real, EffectiveGid = r.Effective,
            },
            CnProc.PROC_EVENT_SID => new SidEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid },
            CnProc.PROC_EVENT_PTRACE => new PtraceEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                TracerPid = r.OtherTgid, TracerTid = r.OtherPid,
            },
            CnProc.PROC_EVENT_COMM => new CommEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                Comm = ProcText.DecodeCString(r.Comm),
            },
            CnProc.PROC_EVENT_COREDUMP => new CoredumpEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            CnProc.PROC_EVENT_EXIT => new ExitEvent
            {
                KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid,
                Status = new WaitStatus(r.Real), ExitSignal = (int)r.Effective,
                ParentPid = r.OtherTgid, ParentTid = r.OtherPid,
            },
            _ => new UnknownEvent { KernelTimeNs = time, Timestamp = wall, Cpu = cpu, Pid = pid, Tid = tid, What = r.What },
        };
    }
}

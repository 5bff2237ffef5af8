namespace ProcWatch.Kernel.Connector;

/// <summary>
/// One <c>struct proc_event</c> as read from the wire, before it becomes a typed event.
/// A plain value: parsing allocates nothing. Field meaning depends on <see cref="What"/>;
/// names follow the union members of linux/cn_proc.h.
/// </summary>
internal struct ProcEventRecord
{
    public uint What;
    public uint Cpu;
    public ulong TimestampNs;
    public uint Seq;          // cn_msg.seq: per-CPU event counter

    public int ProcessPid;    // fork: child_pid; others: process_pid
    public int ProcessTgid;   // fork: child_tgid; others: process_tgid
    public int OtherPid;      // fork/exit/coredump: parent_pid; ptrace: tracer_pid
    public int OtherTgid;     // fork/exit/coredump: parent_tgid; ptrace: tracer_tgid
    public uint Real;         // uid/gid: ruid|rgid; exit: exit_code (raw wait status); ack: err
    public uint Effective;    // uid/gid: euid|egid; exit: exit_signal
    public CommBytes Comm;    // comm: the new 16-byte name

    [System.Runtime.CompilerServices.InlineArray(CnProc.TASK_COMM_LEN)]
    public struct CommBytes
    {
        private byte _element0;
    }
}

using ProcWatch.Events;

namespace ProcWatch.Kernel.Connector;

/// <summary>
/// The one PROC_EVENT_* → <see cref="ProcessEventKinds"/> mapping. The event factory, the
/// user-space kind filter and the kernel subscription mask all derive from <see cref="KindOf(uint, bool)"/>,
/// so a new connector event is added in one switch. (The datagram reader's what → payload
/// size table is the wire layout, not a kind mapping, and stays next to the layout.)
/// </summary>
internal static class ProcEventKindMap
{
    /// <summary>The connector event bits that name an event (not the NONZERO_EXIT filter flag).</summary>
    private static readonly uint[] s_eventBits =
    [
        CnProc.PROC_EVENT_FORK, CnProc.PROC_EVENT_EXEC, CnProc.PROC_EVENT_UID, CnProc.PROC_EVENT_GID,
        CnProc.PROC_EVENT_SID, CnProc.PROC_EVENT_PTRACE, CnProc.PROC_EVENT_COMM,
        CnProc.PROC_EVENT_COREDUMP, CnProc.PROC_EVENT_EXIT,
    ];

    /// <summary>The kind of a connector event; a fork that made a thread is a clone.</summary>
    public static ProcessEventKinds KindOf(uint what, bool isThread) => what switch
    {
        CnProc.PROC_EVENT_FORK => isThread ? ProcessEventKinds.Clone : ProcessEventKinds.Fork,
        CnProc.PROC_EVENT_EXEC => ProcessEventKinds.Exec,
        CnProc.PROC_EVENT_EXIT => ProcessEventKinds.Exit,
        CnProc.PROC_EVENT_UID => ProcessEventKinds.Uid,
        CnProc.PROC_EVENT_GID => ProcessEventKinds.Gid,
        CnProc.PROC_EVENT_SID => ProcessEventKinds.Sid,
        CnProc.PROC_EVENT_PTRACE => ProcessEventKinds.Ptrace,
        CnProc.PROC_EVENT_COMM => ProcessEventKinds.Comm,
        CnProc.PROC_EVENT_COREDUMP => ProcessEventKinds.Coredump,
        _ => ProcessEventKinds.Unknown,
    };

    /// <summary>The kind of a parsed record.</summary>
    public static ProcessEventKinds KindOf(in ProcEventRecord r) => KindOf(r.What, r.ProcessPid != r.ProcessTgid);

    /// <summary>The kernel event bits for a set of kinds (fork and clone share PROC_EVENT_FORK).</summary>
    public static uint ToKernelMask(ProcessEventKinds kinds)
    {
        if (kinds.HasFlag(ProcessEventKinds.Unknown))
            return CnProc.PROC_EVENT_ALL; // unknown kinds need everything
        uint mask = 0;
        foreach (uint bit in s_eventBits)
        {
            if ((kinds & (KindOf(bit, isThread: false) | KindOf(bit, isThread: true))) != 0)
                mask |= bit;
        }
        return mask;
    }
}

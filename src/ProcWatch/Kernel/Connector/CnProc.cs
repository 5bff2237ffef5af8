namespace ProcWatch.Kernel.Connector;

/// <summary>
/// Constants and byte offsets of linux/netlink.h, linux/connector.h and linux/cn_proc.h,
/// spelled as the kernel spells them. The offsets are checked against the real headers by
/// <c>KernelLayoutTests</c> (a C program compiled with gcc at test time).
/// </summary>
internal static class CnProc
{
    // linux/netlink.h
    internal const int NETLINK_CONNECTOR = 11;
    internal const int NLMSG_HDRLEN = 16;      // sizeof(struct nlmsghdr), already 4-aligned
    internal const int NLMSG_ALIGNTO = 4;
    internal const ushort NLMSG_NOOP = 1;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort NLMSG_DONE = 3;
    internal const ushort NLMSG_OVERRUN = 4;

    // struct nlmsghdr
    internal const int nlmsg_len = 0;
    internal const int nlmsg_type = 4;
    internal const int nlmsg_flags = 6;
    internal const int nlmsg_seq = 8;
    internal const int nlmsg_pid = 12;

    // linux/connector.h
    internal const uint CN_IDX_PROC = 1;
    internal const uint CN_VAL_PROC = 1;
    internal const int CN_MSG_SIZE = 20;        // sizeof(struct cn_msg)
    internal const int cn_msg_idx = 0;
    internal const int cn_msg_val = 4;
    internal const int cn_msg_seq = 8;
    internal const int cn_msg_ack = 12;
    internal const int cn_msg_len = 16;
    internal const int cn_msg_flags = 18;

    // linux/cn_proc.h: enum proc_cn_mcast_op
    internal const uint PROC_CN_MCAST_LISTEN = 1;
    internal const uint PROC_CN_MCAST_IGNORE = 2;

    // enum proc_event.what
    internal const uint PROC_EVENT_NONE = 0x00000000;
    internal const uint PROC_EVENT_FORK = 0x00000001;
    internal const uint PROC_EVENT_EXEC = 0x00000002;
    internal const uint PROC_EVENT_UID = 0x00000004;
    internal const uint PROC_EVENT_GID = 0x00000040;
    internal const uint PROC_EVENT_SID = 0x00000080;
    internal const uint PROC_EVENT_PTRACE = 0x00000100;
    internal const uint PROC_EVENT_COMM = 0x00000200;
    internal const uint PROC_EVENT_NONZERO_EXIT = 0x20000000; // a filter flag, never an event
    internal const uint PROC_EVENT_COREDUMP = 0x40000000;
    internal const uint PROC_EVENT_EXIT = 0x80000000;
    internal const uint PROC_EVENT_ALL = PROC_EVENT_FORK | PROC_EVENT_EXEC | PROC_EVENT_UID | PROC_EVENT_GID
        | PROC_EVENT_SID | PROC_EVENT_PTRACE | PROC_EVENT_COMM | PROC_EVENT_NONZERO_EXIT
        | PROC_EVENT_COREDUMP | PROC_EVENT_EXIT;

    // struct proc_event (offsets from its start; event_data is a union at 16)
    internal const int proc_event_what = 0;
    internal const int proc_event_cpu = 4;
    internal const int proc_event_timestamp_ns = 8;
    internal const int proc_event_data = 16;
    internal const int PROC_EVENT_HEADER_SIZE = 16;
    internal const int TASK_COMM_LEN = 16;

    // Size of each union member: the shortest payload a well-formed event of that kind carries.
    internal const int ack_size = 4;                 // err
    internal const int fork_size = 16;               // parent_pid, parent_tgid, child_pid, child_tgid
    internal const int exec_size = 8;                // process_pid, process_tgid
    internal const int id_size = 16;                 // process_pid, process_tgid, r.ruid|rgid, e.euid|egid
    internal const int sid_size = 8;
    internal const int ptrace_size = 16;             // process_pid, process_tgid, tracer_pid, tracer_tgid
    internal const int comm_size = 8 + TASK_COMM_LEN;
    internal const int coredump_size = 16;           // process_pid, process_tgid, parent_pid, parent_tgid
    internal const int exit_size = 24;               // process_pid, process_tgid, exit_code, exit_signal, parent_pid, parent_tgid

    /// <summary>sizeof(struct proc_input): the 8-byte filtered subscription (Linux 6.6+).</summary>
    internal const int PROC_INPUT_SIZE = 8;
}

/* Prints the sizes, offsets and constants ProcWatch relies on, as the kernel headers define
 * them: one "name value" per line. Compiled with gcc by KernelLayoutTests. */
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/version.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#define P(name, value) printf("%s %lld\n", name, (long long)(value))
#define OFF(type, member) P(#type "." #member, offsetof(type, member))
#define SIZE(type) P("sizeof." #type, sizeof(type))
#define EV(member, field) P("event_data." #member "." #field, offsetof(struct proc_event, event_data.member.field) - offsetof(struct proc_event, event_data))
#define EVSIZE(member) P("sizeof.event_data." #member, sizeof(((struct proc_event *)0)->event_data.member))

int main(void)
{
    P("NETLINK_CONNECTOR", NETLINK_CONNECTOR);
    P("NLMSG_HDRLEN", NLMSG_HDRLEN);
    P("NLMSG_ALIGNTO", NLMSG_ALIGNTO);
    P("NLMSG_NOOP", NLMSG_NOOP);
    P("NLMSG_ERROR", NLMSG_ERROR);
    P("NLMSG_DONE", NLMSG_DONE);
    P("NLMSG_OVERRUN", NLMSG_OVERRUN);
    SIZE(struct nlmsghdr);
    OFF(struct nlmsghdr, nlmsg_len);
    OFF(struct nlmsghdr, nlmsg_type);
    OFF(struct nlmsghdr, nlmsg_flags);
    OFF(struct nlmsghdr, nlmsg_seq);
    OFF(struct nlmsghdr, nlmsg_pid);
    SIZE(struct sockaddr_nl);

    P("CN_IDX_PROC", CN_IDX_PROC);
    P("CN_VAL_PROC", CN_VAL_PROC);
    SIZE(struct cn_msg);
    OFF(struct cn_msg, id.idx);
    OFF(struct cn_msg, id.val);
    OFF(struct cn_msg, seq);
    OFF(struct cn_msg, ack);
    OFF(struct cn_msg, len);
    OFF(struct cn_msg, flags);
    OFF(struct cn_msg, data);

    P("PROC_CN_MCAST_LISTEN", PROC_CN_MCAST_LISTEN);
    P("PROC_CN_MCAST_IGNORE", PROC_CN_MCAST_IGNORE);
    P("PROC_EVENT_NONE", PROC_EVENT_NONE);
    P("PROC_EVENT_FORK", PROC_EVENT_FORK);
    P("PROC_EVENT_EXEC", PROC_EVENT_EXEC);
    P("PROC_EVENT_UID", PROC_EVENT_UID);
    P("PROC_EVENT_GID", PROC_EVENT_GID);
    P("PROC_EVENT_SID", PROC_EVENT_SID);
    P("PROC_EVENT_PTRACE", PROC_EVENT_PTRACE);
    P("PROC_EVENT_COMM", PROC_EVENT_COMM);
    P("PROC_EVENT_COREDUMP", PROC_EVENT_COREDUMP);
    P("PROC_EVENT_EXIT", PROC_EVENT_EXIT);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
    /* struct proc_input and the filter flags arrived with Linux 6.6. */
    P("PROC_EVENT_NONZERO_EXIT", PROC_EVENT_NONZERO_EXIT);
    P("PROC_EVENT_ALL", PROC_EVENT_ALL);
    SIZE(struct proc_input);
    OFF(struct proc_input, mcast_op);
    OFF(struct proc_input, event_type);
#endif

    SIZE(struct proc_event);
    OFF(struct proc_event, what);
    OFF(struct proc_event, cpu);
    OFF(struct proc_event, timestamp_ns);
    OFF(struct proc_event, event_data);

    EVSIZE(ack);
    EV(ack, err);
    EVSIZE(fork);
    EV(fork, parent_pid);
    EV(fork, parent_tgid);
    EV(fork, child_pid);
    EV(fork, child_tgid);
    EVSIZE(exec);
    EV(exec, process_pid);
    EV(exec, process_tgid);
    EVSIZE(id);
    EV(id, process_pid);
    EV(id, process_tgid);
    EV(id, r.ruid);
    EV(id, r.rgid);
    EV(id, e.euid);
    EV(id, e.egid);
    EVSIZE(sid);
    EV(sid, process_pid);
    EV(sid, process_tgid);
    EVSIZE(ptrace);
    EV(ptrace, process_pid);
    EV(ptrace, process_tgid);
    EV(ptrace, tracer_pid);
    EV(ptrace, tracer_tgid);
    EVSIZE(comm);
    EV(comm, process_pid);
    EV(comm, process_tgid);
    EV(comm, comm);
    P("sizeof.event_data.comm.comm", sizeof(((struct proc_event *)0)->event_data.comm.comm));
    EVSIZE(coredump);
    EV(coredump, process_pid);
    EV(coredump, process_tgid);
    EV(coredump, parent_pid);
    EV(coredump, parent_tgid);
    EVSIZE(exit);
    EV(exit, process_pid);
    EV(exit, process_tgid);
    EV(exit, exit_code);
    EV(exit, exit_signal);
    EV(exit, parent_pid);
    EV(exit, parent_tgid);

    /* libc constants and structs used through LibraryImport */
    P("AF_NETLINK", AF_NETLINK);
    P("SOCK_DGRAM", SOCK_DGRAM);
    P("SOCK_CLOEXEC", SOCK_CLOEXEC);
    P("SOL_SOCKET", SOL_SOCKET);
    P("SO_RCVBUF", SO_RCVBUF);
    P("SO_RCVBUFFORCE", SO_RCVBUFFORCE);
    P("SOL_NETLINK", SOL_NETLINK);
    P("NETLINK_NO_ENOBUFS", NETLINK_NO_ENOBUFS);
    P("MSG_DONTWAIT", MSG_DONTWAIT);
    P("POLLIN", POLLIN);
    P("EFD_CLOEXEC", EFD_CLOEXEC);
    P("EFD_NONBLOCK", EFD_NONBLOCK);
    P("CLOCK_REALTIME", CLOCK_REALTIME);
    P("CLOCK_MONOTONIC", CLOCK_MONOTONIC);
    SIZE(struct pollfd);
    SIZE(struct timespec);
    return 0;
}

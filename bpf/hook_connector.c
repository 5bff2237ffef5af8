/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A socket filter on procwatch's own proc connector socket (SO_ATTACH_BPF): the process
 * forks, execs and exits that the ring already delivers are counted here for the
 * completeness cross-check (LifecycleCrossCheck) and dropped, instead of being copied to
 * user space only to be counted there (three datagrams per exec: fork, exec, exit).
 * Everything else passes whole: the other kinds, thread clones and exits, acks, and the
 * kinds whose ring program did not attach (not in what_mask).
 *
 * netlink_broadcast runs the filter once per datagram for this socket only; the skb starts at
 * the nlmsghdr: 16 B nlmsghdr, 20 B cn_msg, then struct proc_event (what, cpu, timestamp_ns,
 * event_data). The rule is the one user space applies when it counts
 * (ConnectorEventSource.Dispatch): a counted kind, process level only (pid == tgid of the
 * child for a fork, of the process otherwise). Part of exec_capture.bpf.c: one object, one
 * load; no CO-RE, so it adds no BTF work.
 */

#define CONN_NLMSG_HDRLEN 16
#define CONN_CN_MSG_SIZE 20
#define CONN_EVENT_OFFSET (CONN_NLMSG_HDRLEN + CONN_CN_MSG_SIZE)
#define CONN_PROC_EVENT_FORK 0x00000001u
#define CONN_PROC_EVENT_EXEC 0x00000002u
#define CONN_PROC_EVENT_EXIT 0x80000000u
#define CONN_NS_PER_WINDOW 1000000000ull

struct __sk_buff {
    __u32 len;
};

/* struct proc_event up to the pid pair the rule needs (fork: child_pid/child_tgid at 8). */
struct conn_event_head {
    __u32 what;
    __u32 cpu;
    __u64 timestamp_ns;
    __u32 pid[4]; /* exec/exit: process_pid, process_tgid; fork: parent pid/tgid, child pid/tgid */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, CONN_COUNT_SLOTS);
    __type(key, u32);
    __type(value, struct conn_count);
} conn_counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct conn_count_settings);
} conn_count_settings SEC(".maps");

SEC("socket")
int count_connector(struct __sk_buff *skb)
{
    u32 keep = skb->len;
    u32 zero = 0;
    struct conn_count_settings *s = bpf_map_lookup_elem(&conn_count_settings, &zero);
    if (!s || s->from_ns == 0)
        return keep;
    struct conn_event_head ev;
    /* Acks and anything short of a fork's pid pairs (exec's 8 B payload is shorter than a
     * fork's 16: read what the kind needs). */
    if (bpf_skb_load_bytes(skb, CONN_EVENT_OFFSET, &ev, 16 + 8) != 0)
        return keep;
    if ((ev.what & s->what_mask) == 0 || ev.timestamp_ns < s->from_ns)
        return keep;
    u32 kind;
    if (ev.what == CONN_PROC_EVENT_FORK) {
        if (bpf_skb_load_bytes(skb, CONN_EVENT_OFFSET + 16 + 8, &ev.pid[2], 8) != 0)
            return keep;
        if (ev.pid[2] != ev.pid[3])
            return keep; /* a thread: a clone, posted when wanted */
        kind = CONN_COUNT_FORK;
    } else if (ev.what == CONN_PROC_EVENT_EXEC || ev.what == CONN_PROC_EVENT_EXIT) {
        if (ev.pid[0] != ev.pid[1])
            return keep; /* a thread's exit */
        kind = ev.what == CONN_PROC_EVENT_EXEC ? CONN_COUNT_EXEC : CONN_COUNT_EXIT;
    } else {
        return keep;
    }
    u64 window = ev.timestamp_ns / CONN_NS_PER_WINDOW;
    u32 slot = window % CONN_COUNT_SLOTS;
    struct conn_count *c = bpf_map_lookup_elem(&conn_counts, &slot);
    if (!c)
        return keep; /* cannot count it: user space does */
    if (c->window != window) {
        /* Per CPU. The sender runs with migration off but may be preempted by another
         * sender on this CPU: a rare interleaving can lose an increment or a reset. That makes
         * the connector's count low, a ring surplus, which is never reported as a loss; it can
         * never invent one. The add below is atomic so that only the reset can race. */
        c->window = window;
        c->count[0] = 0;
        c->count[1] = 0;
        c->count[2] = 0;
    }
    __sync_fetch_and_add(&c->count[kind], 1);
    return 0;
}

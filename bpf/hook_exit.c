/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sched_process_exit: the end of a process (the task whose exit brought signal->live to 0),
 * with its CPU time and peak RSS; it leaves the watched tree here, but no exit is left out. Part of exec_capture.bpf.c.
 */

/* include/linux/sched/signal.h: SIGNAL_GROUP_EXIT, "group exit in progress" (0x4 since 3.x). */
#define SIGNAL_GROUP_EXIT_FLAG 0x00000004

static __always_inline int capture_exit(struct task_struct *task)
{
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    if (BPF_CORE_READ(signal, live.counter) != 0) {
        /* A main thread leaving while its process runs on (pthread_exit, or killed by another
         * thread's exec): the connector reports it as the process's exit now. Not when the whole
         * process is exiting (SIGNAL_GROUP_EXIT): its last thread's record follows at once, and
         * a credit then would hide a real loss. */
        if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid) &&
            !(BPF_CORE_READ(signal, flags) & SIGNAL_GROUP_EXIT_FLAG))
            count(EXEC_COUNTER_LEADER_EXITED_EARLY);
        return 0;
    }
    u32 tgid = BPF_CORE_READ(task, tgid);
    /* Every exit comes (user space drops the process from its table by it, in the tree or out). */
    tree_forget(tgid);
    struct exit_record rec = {};
    rec.prefix.kind = RECORD_EXIT;
    rec.prefix.tgid = tgid;
    rec.prefix.ktime_ns = bpf_ktime_get_ns();
    rec.exit_code = (u32)BPF_CORE_READ(task, exit_code);
    rec.start_boottime_ns = BPF_CORE_READ(task, group_leader, start_boottime);
    /* Threads that exited before were folded into signal's totals; this one is not yet. */
    rec.utime_ns = BPF_CORE_READ(signal, utime) + BPF_CORE_READ(task, utime);
    rec.stime_ns = BPF_CORE_READ(signal, stime) + BPF_CORE_READ(task, stime);
    rec.maxrss_pages = BPF_CORE_READ(signal, maxrss);
    read_ids(&rec.ids, task);
    submit(&rec, sizeof(rec), EXEC_COUNTER_EXIT_DROPS);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int handle_exit_btf(u64 *ctx)
{
    return capture_exit((struct task_struct *)bpf_get_current_task());
}

SEC("raw_tp/sched_process_exit")
int handle_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
    return capture_exit((struct task_struct *)bpf_get_current_task());
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit_tp(void *ctx)
{
    return capture_exit((struct task_struct *)bpf_get_current_task());
}

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sched_process_exit: the end of a process (the task whose exit brought signal->live to 0),
 * with its CPU time and peak RSS; it leaves the watched tree here, but no exit is left out. Part of exec_capture.bpf.c.
 */

static __always_inline int capture_exit(struct task_struct *task)
{
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    if (BPF_CORE_READ(signal, live.counter) != 0) {
        /* A main thread leaving while other threads of its process run on (pthread_exit, killed
         * by another thread's exec, or a group exit whose other threads are not done yet): the
         * connector reports it as the process's exit now. The cross-check counts the process's
         * exit here, by a marker stamped now (the connector's copy comes after it, as for any
         * exit); the last thread's record says so (EXIT_RECORD_AFTER_LEADER) and is not counted
         * again. A group exit's last thread can leave seconds later (not scheduled, in D state):
         * counting that record instead was a false loss (docs/notes/NOTES-crosscheck.md). */
        if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid)) {
            struct filtered_record mark = {};
            mark.prefix.kind = RECORD_FILTERED;
            mark.prefix.tgid = BPF_CORE_READ(task, tgid);
            mark.prefix.ktime_ns = bpf_ktime_get_ns();
            mark.filtered_kind = RECORD_EXIT;
            /* No wakeup: only the cross-check reads it, after draining. Not held: counted (a credit). */
            if (bpf_ringbuf_output(&events, &mark, sizeof(mark), BPF_RB_NO_WAKEUP) != 0)
                count(EXEC_COUNTER_LEADER_EXITED_EARLY);
        }
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
    /* Not the main thread: that one left before (it read live != 0, or raced this thread to
     * the tracepoint and wrote a record of its own) and was counted then. */
    if (BPF_CORE_READ(task, pid) != tgid)
        rec.flags = EXIT_RECORD_AFTER_LEADER;
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

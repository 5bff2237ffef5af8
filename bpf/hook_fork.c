/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sched_process_fork: per new process, its exact start time, its parent and its creator; the
 * watched tree (-p) grows here, but no fork is left out. Threads are skipped: their start time
 * says nothing about a process.
 * Part of exec_capture.bpf.c. The classic tracepoint has only pids, no child task to read
 * the start time from: there is no tracepoint fork program.
 *   The tracepoint's first argument is current, the task that called fork/clone
 * (kernel/fork.c: trace_sched_process_fork(current, p)). It is the child's parent except with
 * clone(CLONE_PARENT), whose child gets current's real_parent: the creator is then another
 * process, and only this record says which.
 */

/* creator is current; the child has a copy of its credentials. */
static __always_inline int capture_fork(struct task_struct *creator, struct task_struct *child)
{
    pid_t pid = BPF_CORE_READ(child, pid);
    pid_t tgid = BPF_CORE_READ(child, tgid);
    if (pid != tgid)
        return 0;
    u32 parent_tgid = BPF_CORE_READ(child, real_parent, tgid);
    u32 creator_tgid = BPF_CORE_READ(creator, tgid);
    /* Every fork comes (user space places each new process by it, in the tree or out);
     * with a tree filter this is where the tree grows. */
    tree_fork(creator, child, creator_tgid, parent_tgid);
    struct fork_record rec = {};
    rec.prefix.kind = RECORD_FORK;
    rec.prefix.tgid = tgid;
    rec.prefix.ktime_ns = bpf_ktime_get_ns();
    rec.parent_tgid = parent_tgid;
    rec.creator_tgid = creator_tgid;
    rec.start_boottime_ns = BPF_CORE_READ(child, start_boottime);
    read_ids(&rec.ids, child);
    submit(&rec, sizeof(rec), EXEC_COUNTER_FORK_DROPS);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int handle_fork_btf(u64 *ctx)
{
    return capture_fork((struct task_struct *)ctx[0], (struct task_struct *)ctx[1]);
}

SEC("raw_tp/sched_process_fork")
int handle_fork_raw(struct bpf_raw_tracepoint_args *ctx)
{
    return capture_fork((struct task_struct *)ctx->args[0], (struct task_struct *)ctx->args[1]);
}

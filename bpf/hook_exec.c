/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sched_process_exec: per successful execve, one ring record with the exact argv and what the
 * exec event prints (executable and cwd paths, tty, session, credentials, start time,
 * cgroup), written while the new image's argument pages are still fresh: the tracepoint fires
 * inside exec, before the new program runs a single instruction. Part of exec_capture.bpf.c.
 */

static __always_inline struct exec_scratch *scratch_slot(void)
{
    u32 cpu = bpf_get_smp_processor_id();
    struct exec_scratch *rec = bpf_map_lookup_elem(&scratch, &cpu);
    if (!rec)
        count(EXEC_COUNTER_SCRATCH_MISSING);
    return rec;
}

static __always_inline void begin_exec_record(struct exec_record_header *hdr, u32 tgid, u64 ktime, pid_t old_pid, int argc, u32 chunks)
{
    hdr->prefix.kind = RECORD_EXEC;
    hdr->prefix.tgid = tgid;
    hdr->prefix.ktime_ns = ktime;
    hdr->old_pid = old_pid;
    hdr->argc = argc;
    hdr->argv_chunks = chunks;
    hdr->reserved0 = 0;
    hdr->reserved1 = 0;
}

static __always_inline void submit_exec(struct exec_scratch *rec, u32 data_len)
{
    u64 size = sizeof(rec->exec.hdr) + data_len;
    if (size > sizeof(rec->exec))
        size = sizeof(rec->exec);
    if (bpf_ringbuf_output(&events, &rec->exec, size, wakeup_flags()) != 0)
        count(EXEC_COUNTER_RINGBUF_DROPS);
}

/*
 * The record, whichever hook fired. task is current (the exec'ing task, now the thread-group
 * leader), filename a kernel string (bprm->filename or the tracepoint's copy of it), argc
 * bprm->argc or -1. The record's data: filename, executable path, cwd path, argv.
 */
static __always_inline int capture_exec(struct task_struct *task, pid_t old_pid, const char *filename, int argc)
{
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (!tree_watched(task)) {
        skip_record(RECORD_EXEC, tgid, EXEC_COUNTER_FILTERED_EXECS);
        return 0;
    }
    struct exec_scratch *rec = scratch_slot();
    if (!rec)
        return 0;

    u64 uid_gid = bpf_get_current_uid_gid();
    u32 euid = BPF_CORE_READ(task, cred, euid.val);
    u64 ktime = bpf_ktime_get_ns();
    u32 flags = argc < 0 ? EXEC_RECORD_NO_ARGC : 0;
    struct argv_span argv = argv_of(task);
    /* Chunks first: they use the same scratch slot as the exec record. */
    u32 chunks = send_argv_chunks(rec, tgid, ktime, argv, &flags);

    struct exec_record_header *hdr = &rec->exec.hdr;
    char *data = rec->exec.data;
    begin_exec_record(hdr, tgid, ktime, old_pid, argc, chunks);
    read_ancestors(hdr, task);
    read_credentials(hdr, task, uid_gid, euid, &flags);
    read_session(hdr, task, &flags);
    u32 off = read_filename(hdr, data, filename);
    off += read_exe(hdr, data, off, task, &flags);
    off += read_cwd(hdr, data, off, task, &flags);
    u32 argv_len = read_args(hdr, data, off, argv, &flags);
    hdr->flags = flags;
    submit_exec(rec, (off & DATA_OFFSET_MASK) + argv_len);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int handle_exec_btf(u64 *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
    return capture_exec((struct task_struct *)bpf_get_current_task(), (pid_t)ctx[1], BPF_CORE_READ(bprm, filename), BPF_CORE_READ(bprm, argc));
}

SEC("raw_tp/sched_process_exec")
int handle_exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
    return capture_exec((struct task_struct *)bpf_get_current_task(), (pid_t)ctx->args[1], BPF_CORE_READ(bprm, filename), BPF_CORE_READ(bprm, argc));
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
    /* __data_loc: low 16 bits offset from the start of the record, high 16 bits length. */
    u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
    return capture_exec((struct task_struct *)bpf_get_current_task(), BPF_CORE_READ(ctx, old_pid), (const char *)ctx + (loc & 0xffff), -1);
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ProcWatch exec capture: one ring-buffer record per successful execve, with the exact
 * argv, written while the new image's argument pages are still fresh (the tracepoint fires
 * inside exec, before the new program runs a single instruction, so nothing can change or
 * unmap them). The proc connector's exec event follows right after, stamped with the same
 * clock; user space joins the two on tgid + time.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "exec_capture.h"

/* The kernel side only accepts GPL-compatible programs for bpf_probe_read_*. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define EXEC_RECORD_MAX (sizeof(struct exec_record_header) + EXEC_FILENAME_CAP + EXEC_ARGV_CAP)

struct exec_scratch {
    struct exec_record_header hdr;
    char data[EXEC_FILENAME_CAP + EXEC_ARGV_CAP];
};

/* Size is a default; the loader sets it before load. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* One record-sized scratch slot per CPU. Not a PERCPU_ARRAY: those cap a value at 32 KB,
 * less than one record. The loader sets max_entries to the number of possible CPUs.
 * Tracepoint programs do not nest on a CPU, so a slot is never used twice at once. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct exec_scratch);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, EXEC_COUNTER_COUNT);
    __type(key, u32);
    __type(value, u64);
} counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct exec_settings);
} settings SEC(".maps");

/* Shared by all CPUs without atomics: a race only costs one extra wakeup. */
u64 last_wakeup_ns = 0;

static __always_inline u64 wakeup_flags(void)
{
    u32 zero = 0;
    struct exec_settings *cfg = bpf_map_lookup_elem(&settings, &zero);
    if (!cfg || cfg->wakeup_interval_ns == 0)
        return 0;
    u64 now = bpf_ktime_get_ns();
    if (now - last_wakeup_ns >= cfg->wakeup_interval_ns ||
        bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg->wakeup_bytes) {
        last_wakeup_ns = now;
        return BPF_RB_FORCE_WAKEUP;
    }
    return BPF_RB_NO_WAKEUP;
}

static __always_inline void count(u32 index)
{
    u64 *value = bpf_map_lookup_elem(&counters, &index);
    if (value)
        *value += 1; /* per-CPU slot: no atomics needed */
}

/*
 * The record, whichever hook fired. task is current (the exec'ing task, now the thread-group
 * leader), filename a kernel string (bprm->filename or the tracepoint's copy of it).
 */
static __always_inline int capture_exec(struct task_struct *task, pid_t old_pid, const char *filename)
{
    u32 cpu = bpf_get_smp_processor_id();
    struct exec_scratch *rec = bpf_map_lookup_elem(&scratch, &cpu);
    if (!rec) {
        count(EXEC_COUNTER_SCRATCH_MISSING);
        return 0;
    }

    u64 pid_tgid = bpf_get_current_pid_tgid();
    u64 uid_gid = bpf_get_current_uid_gid();

    rec->hdr.ktime_ns = bpf_ktime_get_ns();
    rec->hdr.tgid = pid_tgid >> 32;
    rec->hdr.old_pid = old_pid;
    rec->hdr.ppid = BPF_CORE_READ(task, real_parent, tgid);
    rec->hdr.uid = (u32)uid_gid;
    rec->hdr.gid = uid_gid >> 32;
    rec->hdr.flags = 0;
    rec->hdr.reserved0 = 0;
    /* The credentials and identity user space would otherwise read from /proc/PID/status,
     * loginuid and cgroup for every exec: taken here, they are exact and cost no syscalls. */
    rec->hdr.euid = BPF_CORE_READ(task, cred, euid.val);
    rec->hdr.egid = BPF_CORE_READ(task, cred, egid.val);
    if (bpf_core_field_exists(task->loginuid)) {
        rec->hdr.loginuid = BPF_CORE_READ(task, loginuid.val);
    } else {
        rec->hdr.loginuid = 0xffffffffu;
        rec->hdr.flags |= EXEC_RECORD_NO_LOGINUID;
    }
    rec->hdr.cgroup_id = bpf_get_current_cgroup_id();
    bpf_get_current_comm(rec->hdr.comm, sizeof(rec->hdr.comm));

    /* getname() bounds the path by PATH_MAX (NUL included) = EXEC_FILENAME_CAP, so a full
     * buffer is the longest legal path, not a cut one. */
    long n = bpf_probe_read_kernel_str(rec->data, EXEC_FILENAME_CAP, filename);
    u32 filename_len = n > 0 ? (u32)n - 1 : 0; /* drop the NUL */
    if (filename_len > EXEC_FILENAME_CAP - 1)
        filename_len = EXEC_FILENAME_CAP - 1;
    rec->hdr.filename_len = filename_len;

    unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
    unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
    u64 full = arg_end > arg_start ? arg_end - arg_start : 0;
    rec->hdr.argv_full_len = full > 0xffffffffULL ? 0xffffffffu : (u32)full;
    u32 argv_len = full > EXEC_ARGV_CAP ? EXEC_ARGV_CAP : (u32)full;
    if (full > EXEC_ARGV_CAP)
        rec->hdr.flags |= EXEC_RECORD_ARGV_TRUNCATED;

    /* Re-state the bounds in a form the verifier keeps through clang's register juggling. */
    filename_len &= (EXEC_FILENAME_CAP - 1);
    if (argv_len > EXEC_ARGV_CAP)
        argv_len = EXEC_ARGV_CAP;
    if (argv_len > 0 &&
        bpf_probe_read_user(rec->data + filename_len, argv_len, (const void *)arg_start) != 0) {
        rec->hdr.flags |= EXEC_RECORD_ARGV_UNREADABLE;
        argv_len = 0;
    }
    rec->hdr.argv_len = argv_len;

    u64 size = sizeof(rec->hdr) + filename_len + argv_len;
    if (size > sizeof(*rec))
        size = sizeof(*rec);
    if (bpf_ringbuf_output(&events, rec, size, wakeup_flags()) != 0)
        count(EXEC_COUNTER_RINGBUF_DROPS);
    return 0;
}

/*
 * Three entry points for the same hook, in the order the loader tries them (one is loaded):
 *   tp_btf     BTF-typed raw tracepoint: attached by BTF id, needs no tracefs; the cheapest.
 *   raw_tp     untyped raw tracepoint: attached by name, needs no tracefs nor typed BTF args.
 *   tracepoint the classic tracepoint: needs tracefs mounted (its id comes from there).
 * Raw tracepoint arguments are trace_sched_process_exec's: (task, old_pid, bprm).
 */
SEC("tp_btf/sched_process_exec")
int handle_exec_btf(u64 *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
    return capture_exec((struct task_struct *)bpf_get_current_task(), (pid_t)ctx[1], BPF_CORE_READ(bprm, filename));
}

SEC("raw_tp/sched_process_exec")
int handle_exec_raw(struct bpf_raw_tracepoint_args *ctx)
{
    struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
    return capture_exec((struct task_struct *)bpf_get_current_task(), (pid_t)ctx->args[1], BPF_CORE_READ(bprm, filename));
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
    /* __data_loc: low 16 bits offset from the start of the record, high 16 bits length. */
    u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
    return capture_exec((struct task_struct *)bpf_get_current_task(), BPF_CORE_READ(ctx, old_pid), (const char *)ctx + (loc & 0xffff));
}

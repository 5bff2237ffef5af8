// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ProcWatch kernel capture: per successful execve, one ring-buffer record with the exact argv
 * and everything the exec event prints (executable and cwd paths, tty, session, credentials,
 * start time, cgroup), written while the new image's argument pages are still fresh (the
 * tracepoint fires inside exec, before the new program runs a single instruction, so nothing
 * can change or unmap them). Per fork of a process the child's start time, per process exit
 * its CPU time and peak RSS. The proc connector's events follow right after, stamped with the
 * same clock; user space joins the two on tgid + time.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "exec_capture.h"
#include "path_walk.h"

/* The kernel side only accepts GPL-compatible programs for bpf_probe_read_*. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Filename, executable and cwd paths, then argv: offsets below DATA_OFFSET_MASK + 1. */
#define EXEC_DATA_SIZE (DATA_OFFSET_MASK + 1 + EXEC_ARGV_CAP)

struct exec_scratch {
    union {
        struct {
            struct exec_record_header hdr;
            char data[EXEC_DATA_SIZE];
        } exec;
        struct {
            struct argv_chunk_header hdr;
            char data[EXEC_ARGV_CAP];
        } chunk;
    };
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

static __always_inline u32 pid_nr(struct pid *pid)
{
    return pid ? (u32)BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/* The pid namespace a task is in (its pid's innermost level), and its pid there. */
static __always_inline struct pid_namespace *active_pid_ns(struct task_struct *task, int *nr)
{
    struct pid *pid = BPF_CORE_READ(task, thread_pid);
    if (!pid)
        return 0;
    unsigned int level = BPF_CORE_READ(pid, level);
    if (level > 32) /* MAX_PID_NS_LEVEL */
        return 0;
    struct upid *innermost = &pid->numbers[level];
    *nr = BPF_CORE_READ(innermost, nr);
    return BPF_CORE_READ(innermost, ns);
}

/* An entry into a running container: see EXEC_RECORD_PIDNS_ENTRY. */
static __always_inline bool entered_pid_namespace(struct task_struct *task)
{
    int nr = 0, parent_nr = 0;
    struct pid_namespace *ns = active_pid_ns(task, &nr);
    struct pid_namespace *parent_ns = active_pid_ns(BPF_CORE_READ(task, real_parent), &parent_nr);
    return ns && parent_ns && ns != parent_ns && nr != 1;
}

/* /proc/PID/stat's tty_nr: new_encode_dev(MKDEV(major, minor_start + index)). */
static __always_inline u32 tty_nr_of(struct signal_struct *signal)
{
    struct tty_struct *tty = BPF_CORE_READ(signal, tty);
    if (!tty)
        return 0;
    u32 major = (u32)BPF_CORE_READ(tty, driver, major);
    u32 minor = (u32)BPF_CORE_READ(tty, driver, minor_start) + (u32)BPF_CORE_READ(tty, index);
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static const struct walk_flags exe_walk = {
    EXEC_RECORD_EXE_TRUNCATED, EXEC_RECORD_EXE_DELETED, EXEC_RECORD_EXE_ANONYMOUS,
};
static const struct walk_flags cwd_walk = {
    EXEC_RECORD_CWD_TRUNCATED, EXEC_RECORD_CWD_DELETED, EXEC_RECORD_CWD_TRUNCATED,
};

/*
 * argv beyond the first EXEC_ARGV_CAP bytes, as RECORD_ARGV_CHUNK records sent before the
 * exec record (so user space has them all when the exec record arrives). Returns how many
 * were sent; sets EXEC_RECORD_ARGV_CHUNK_LOST when one could not be.
 */
static __always_inline u32 send_argv_chunks(struct exec_scratch *rec, u32 tgid, u64 ktime, unsigned long arg_start, u64 full, u32 *flags)
{
    u32 sent = 0;
    for (u32 i = 1; i < EXEC_ARGV_CHUNKS_MAX; i++) {
        u64 offset = (u64)i * EXEC_ARGV_CAP;
        if (offset >= full)
            break;
        u64 rest = full - offset;
        u32 len = rest > EXEC_ARGV_CAP ? EXEC_ARGV_CAP : (u32)rest;
        if (len > EXEC_ARGV_CAP) /* again, for the verifier */
            len = EXEC_ARGV_CAP;
        rec->chunk.hdr.prefix.kind = RECORD_ARGV_CHUNK;
        rec->chunk.hdr.prefix.tgid = tgid;
        rec->chunk.hdr.prefix.ktime_ns = ktime;
        rec->chunk.hdr.offset = (u32)offset;
        rec->chunk.hdr.len = len;
        if (bpf_probe_read_user(rec->chunk.data, len, (const void *)(arg_start + offset)) != 0) {
            *flags |= EXEC_RECORD_ARGV_CHUNK_LOST;
            break;
        }
        if (bpf_ringbuf_output(&events, &rec->chunk, sizeof(rec->chunk.hdr) + len, BPF_RB_NO_WAKEUP) != 0) {
            *flags |= EXEC_RECORD_ARGV_CHUNK_LOST;
            count(EXEC_COUNTER_RINGBUF_DROPS);
            break;
        }
        sent++;
    }
    return sent;
}

/*
 * The record, whichever hook fired. task is current (the exec'ing task, now the thread-group
 * leader), filename a kernel string (bprm->filename or the tracepoint's copy of it), argc
 * bprm->argc or -1.
 */
static __always_inline int capture_exec(struct task_struct *task, pid_t old_pid, const char *filename, int argc)
{
    u32 cpu = bpf_get_smp_processor_id();
    struct exec_scratch *rec = bpf_map_lookup_elem(&scratch, &cpu);
    if (!rec) {
        count(EXEC_COUNTER_SCRATCH_MISSING);
        return 0;
    }

    u64 pid_tgid = bpf_get_current_pid_tgid();
    u64 uid_gid = bpf_get_current_uid_gid();
    u64 ktime = bpf_ktime_get_ns();
    u32 tgid = pid_tgid >> 32;
    u32 flags = argc < 0 ? EXEC_RECORD_NO_ARGC : 0;

    unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
    unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
    u64 full = arg_end > arg_start ? arg_end - arg_start : 0;
    u32 chunks = 0;
    if (full > EXEC_ARGV_CAP)
        chunks = send_argv_chunks(rec, tgid, ktime, arg_start, full, &flags);
    if (full > (u64)EXEC_ARGV_CAP * EXEC_ARGV_CHUNKS_MAX || (flags & EXEC_RECORD_ARGV_CHUNK_LOST))
        flags |= EXEC_RECORD_ARGV_TRUNCATED;

    struct exec_record_header *hdr = &rec->exec.hdr;
    char *data = rec->exec.data;
    hdr->prefix.kind = RECORD_EXEC;
    hdr->prefix.tgid = tgid;
    hdr->prefix.ktime_ns = ktime;
    hdr->old_pid = old_pid;
    hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
    /* The live parent chain now, as the kernel links it (a reparented process names its
     * subreaper): user space looks each pid up in its table instead of reading /proc. */
    struct task_struct *up = BPF_CORE_READ(task, real_parent);
#pragma unroll
    for (int i = 0; i < EXEC_ANCESTORS_MAX; i++) {
        u32 t = up ? (u32)BPF_CORE_READ(up, tgid) : 0;
        hdr->ancestors[i] = t;
        up = t > 1 ? BPF_CORE_READ(up, real_parent) : 0;
    }
    hdr->uid = (u32)uid_gid;
    hdr->gid = uid_gid >> 32;
    hdr->argc = argc;
    hdr->argv_chunks = chunks;
    hdr->reserved0 = 0;
    hdr->reserved1 = 0;
    /* The credentials and identity user space would otherwise read from /proc/PID/status,
     * stat, loginuid and cgroup for every exec: taken here, they are exact and cost no syscalls. */
    hdr->euid = BPF_CORE_READ(task, cred, euid.val);
    hdr->egid = BPF_CORE_READ(task, cred, egid.val);
    if (bpf_core_field_exists(task->loginuid)) {
        hdr->loginuid = BPF_CORE_READ(task, loginuid.val);
    } else {
        hdr->loginuid = 0xffffffffu;
        flags |= EXEC_RECORD_NO_LOGINUID;
    }
    hdr->cgroup_id = bpf_get_current_cgroup_id();
    if (entered_pid_namespace(task))
        flags |= EXEC_RECORD_PIDNS_ENTRY;
    hdr->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    hdr->sid = pid_nr(BPF_CORE_READ(signal, pids[PIDTYPE_SID]));
    hdr->pgid = pid_nr(BPF_CORE_READ(signal, pids[PIDTYPE_PGID]));
    hdr->tty_nr = tty_nr_of(signal);
    bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));

    /* getname() bounds the path by PATH_MAX (NUL included) = EXEC_FILENAME_CAP, so a full
     * buffer is the longest legal path, not a cut one. */
    long n = bpf_probe_read_kernel_str(data, EXEC_FILENAME_CAP, filename);
    u32 filename_len = n > 0 ? (u32)n - 1 : 0; /* drop the NUL */
    if (filename_len > EXEC_FILENAME_CAP - 1)
        filename_len = EXEC_FILENAME_CAP - 1;
    hdr->filename_len = filename_len;
    u32 off = filename_len;

    /* The executable as /proc/PID/exe would name it (for a script: the interpreter). */
    struct file *exe = BPF_CORE_READ(task, mm, exe_file);
    u32 exe_len = 0;
    if (exe) {
        struct inode *inode = BPF_CORE_READ(exe, f_inode);
        hdr->exe_ino = BPF_CORE_READ(inode, i_ino);
        hdr->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
        hdr->exe_mode = BPF_CORE_READ(inode, i_mode);
        hdr->exe_uid = BPF_CORE_READ(inode, i_uid.val);
        hdr->exe_nlink = BPF_CORE_READ(inode, __i_nlink);
        hdr->exe_size = BPF_CORE_READ(inode, i_size);
        if (bpf_core_field_exists(inode->i_mtime_sec)) {
            hdr->exe_mtime_ns = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(inode, i_mtime_nsec);
            hdr->exe_ctime_ns = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ULL + (BPF_CORE_READ(inode, i_ctime_nsec) & 0x3fffffffu); /* bit 31: I_CTIME_QUERIED (multigrain) */
        } else {
            hdr->exe_mtime_ns = 0; /* user space then keys the hash cache on size and inode alone */
            hdr->exe_ctime_ns = 0;
        }
        exe_len = walk_path(data, off, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt), &flags, &exe_walk);
    } else {
        hdr->exe_ino = 0;
        hdr->exe_dev = 0;
        hdr->exe_mode = 0;
        hdr->exe_uid = 0;
        hdr->exe_nlink = 0;
        hdr->exe_size = 0;
        hdr->exe_mtime_ns = 0;
        hdr->exe_ctime_ns = 0;
        flags |= EXEC_RECORD_EXE_MISSING;
    }
    hdr->exe_len = exe_len;
    off += exe_len;

    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    u32 cwd_len = 0;
    if (fs)
        cwd_len = walk_path(data, off, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), &flags, &cwd_walk);
    else
        flags |= EXEC_RECORD_CWD_MISSING;
    hdr->cwd_len = cwd_len;
    off += cwd_len;

    hdr->argv_full_len = full > 0xffffffffULL ? 0xffffffffu : (u32)full;
    u32 argv_len = full > EXEC_ARGV_CAP ? EXEC_ARGV_CAP : (u32)full;
    /* Re-state the bounds in a form the verifier keeps through clang's register juggling. */
    off &= DATA_OFFSET_MASK;
    if (argv_len > EXEC_ARGV_CAP)
        argv_len = EXEC_ARGV_CAP;
    if (argv_len > 0 && bpf_probe_read_user(data + off, argv_len, (const void *)arg_start) != 0) {
        flags |= EXEC_RECORD_ARGV_UNREADABLE;
        argv_len = 0;
    }
    hdr->argv_len = argv_len;
    hdr->flags = flags;

    u64 size = sizeof(*hdr) + off + argv_len;
    if (size > sizeof(rec->exec))
        size = sizeof(rec->exec);
    if (bpf_ringbuf_output(&events, &rec->exec, size, wakeup_flags()) != 0)
        count(EXEC_COUNTER_RINGBUF_DROPS);
    return 0;
}

/* A new process (threads are skipped: their start time says nothing about a process). */
static __always_inline int capture_fork(struct task_struct *child)
{
    pid_t pid = BPF_CORE_READ(child, pid);
    pid_t tgid = BPF_CORE_READ(child, tgid);
    if (pid != tgid)
        return 0;
    struct fork_record rec = {};
    rec.prefix.kind = RECORD_FORK;
    rec.prefix.tgid = tgid;
    rec.prefix.ktime_ns = bpf_ktime_get_ns();
    rec.parent_tgid = BPF_CORE_READ(child, real_parent, tgid);
    rec.start_boottime_ns = BPF_CORE_READ(child, start_boottime);
    if (bpf_ringbuf_output(&events, &rec, sizeof(rec), wakeup_flags()) != 0)
        count(EXEC_COUNTER_FORK_DROPS);
    return 0;
}

/* The end of a process: the task whose exit brought signal->live to 0. */
static __always_inline int capture_exit(struct task_struct *task)
{
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    if (BPF_CORE_READ(signal, live.counter) != 0) {
        if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid))
            count(EXEC_COUNTER_LEADER_EXITED_EARLY);
        return 0;
    }
    struct exit_record rec = {};
    rec.prefix.kind = RECORD_EXIT;
    rec.prefix.tgid = BPF_CORE_READ(task, tgid);
    rec.prefix.ktime_ns = bpf_ktime_get_ns();
    rec.exit_code = (u32)BPF_CORE_READ(task, exit_code);
    rec.start_boottime_ns = BPF_CORE_READ(task, group_leader, start_boottime);
    /* Threads that exited before were folded into signal's totals; this one is not yet. */
    rec.utime_ns = BPF_CORE_READ(signal, utime) + BPF_CORE_READ(task, utime);
    rec.stime_ns = BPF_CORE_READ(signal, stime) + BPF_CORE_READ(task, stime);
    rec.maxrss_pages = BPF_CORE_READ(signal, maxrss);
    if (bpf_ringbuf_output(&events, &rec, sizeof(rec), wakeup_flags()) != 0)
        count(EXEC_COUNTER_EXIT_DROPS);
    return 0;
}

/*
 * Three entry points per hook, in the order the loader tries them (one of each is loaded):
 *   tp_btf     BTF-typed raw tracepoint: attached by BTF id, needs no tracefs; the cheapest.
 *   raw_tp     untyped raw tracepoint: attached by name, needs no tracefs nor typed BTF args.
 *   tracepoint the classic tracepoint: needs tracefs mounted (its id comes from there).
 * Raw tracepoint arguments: sched_process_exec (task, old_pid, bprm); sched_process_fork
 * (parent, child); sched_process_exit (task[, group_dead]). The classic fork tracepoint has
 * only pids, no child task to read the start time from: there is no tracepoint fork program.
 */
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

SEC("tp_btf/sched_process_fork")
int handle_fork_btf(u64 *ctx)
{
    return capture_fork((struct task_struct *)ctx[1]);
}

SEC("raw_tp/sched_process_fork")
int handle_fork_raw(struct bpf_raw_tracepoint_args *ctx)
{
    return capture_fork((struct task_struct *)ctx->args[1]);
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

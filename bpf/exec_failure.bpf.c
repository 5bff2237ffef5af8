// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ProcWatch failed exec attempts: an execve/execveat that returns an error (ENOENT, EACCES,
 * ENOEXEC, ...) becomes one ring record with the errno, the path and argv that were tried
 * (read back from the caller's memory, which a failed exec leaves untouched), and the
 * caller's ids, cwd and cgroup.
 *
 * The hook is the raw sys_exit tracepoint, because on the hosts ProcWatch targets it is the
 * only one that sees an exec fail: kprobes may be compiled out (CONFIG_KPROBES is not set
 * on the test machine), trampolines (fexit) refused, tracefs absent, and no exec-path
 * tracepoint fires on failure (sched_process_exec and sched_prepare_exec come after the
 * checks that fail). It runs on every syscall of the host, so it returns on the first test
 * that fails, cheapest first: a successful return, then the syscall number. Its cost is in
 * bench/README.md ("Failed exec attempts"); that is why it is opt-in.
 *
 * Not seen: 32-bit (ia32) and x32 execs on x86-64 (their syscall numbers differ; an ia32
 * task is recognised and skipped, so its syscalls are never misread as native ones).
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "exec_failure.h"

/* path_walk.h's bounds, for the caller's cwd. */
#define EXEC_PATH_CAP 4096
#define EXEC_PATH_DEPTH 64
#include "path_walk.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

_Static_assert(sizeof(struct exec_failure_record) == 104, "exec_failure_record layout");

#if defined(__TARGET_ARCH_x86)
struct pt_regs {
    unsigned long di;
    unsigned long si;
    unsigned long dx;
    unsigned long r8;
    unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) BPF_CORE_READ(r, orig_ax)
#define SYSCALL_NR_DIRECT(r) ((long)(r)->orig_ax)
#define NR_execve 59
#define NR_execveat 322
#define ARG0(r) BPF_CORE_READ(r, di)
#define ARG1(r) BPF_CORE_READ(r, si)
#define ARG2(r) BPF_CORE_READ(r, dx)
#define ARG4(r) BPF_CORE_READ(r, r8)
/* An ia32 task's syscall numbers are another table (arch/x86: TS_COMPAT in thread_info). */
struct thread_info___execfail {
    u32 status;
} __attribute__((preserve_access_index));
struct task_struct___execfail {
    struct thread_info___execfail thread_info;
} __attribute__((preserve_access_index));
#define TS_COMPAT 0x0002
static __always_inline bool compat_syscall(void)
{
    struct task_struct___execfail *t = (void *)bpf_get_current_task();
    if (!bpf_core_field_exists(t->thread_info.status))
        return false;
    return (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT) != 0;
}
#elif defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
    u64 regs[31];
} __attribute__((preserve_access_index));
struct pt_regs {
    struct user_pt_regs user_regs;
    u64 orig_x0;
    s32 syscallno;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) BPF_CORE_READ(r, syscallno)
#define SYSCALL_NR_DIRECT(r) ((long)(r)->syscallno)
#define NR_execve 221
#define NR_execveat 281
/* x0 holds the return value by now; the first argument survives in orig_x0. */
#define ARG0(r) BPF_CORE_READ(r, orig_x0)
#define ARG1(r) BPF_CORE_READ(r, user_regs.regs[1])
#define ARG2(r) BPF_CORE_READ(r, user_regs.regs[2])
#define ARG4(r) BPF_CORE_READ(r, user_regs.regs[4])
static __always_inline bool compat_syscall(void) { return false; }
#else
#error "exec_failure.bpf.c: x86-64 and arm64 only"
#endif

#define AT_FDCWD -100

/* The filename, the cwd's walked path, then argv; path offsets stay below DATA_OFFSET_MASK + 1. */
#define EXECFAIL_DATA_SIZE (DATA_OFFSET_MASK + 1 + EXECFAIL_ARG_BYTES)

struct execfail_scratch {
    struct exec_failure_record hdr;
    char data[EXECFAIL_DATA_SIZE];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} execfail_events SEC(".maps");

/* One record-sized slot per CPU (max_entries set to the possible CPUs by the loader).
 * sys_exit programs do not nest on a CPU, so a slot is never used twice at once. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct execfail_scratch);
} execfail_scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, EXECFAIL_COUNTER_COUNT);
    __type(key, u32);
    __type(value, u64);
} execfail_counters SEC(".maps");

/* Shared by all CPUs without atomics: a race only costs one extra wakeup. */
u64 execfail_last_wakeup_ns = 0;

/* At most one wakeup per 10 ms: a storm of failures (a PATH search per exec) costs the reader
 * one wakeup per window, not one per record; the reader's 100 ms poll bounds the delay. */
#define EXECFAIL_WAKEUP_NS 10000000ull

static __always_inline void count(u32 index)
{
    u64 *value = bpf_map_lookup_elem(&execfail_counters, &index);
    if (value)
        __sync_fetch_and_add(value, 1);
}

static const struct walk_flags cwd_walk = {
    .truncated = EXECFAIL_CWD_TRUNCATED,
    .deleted = EXECFAIL_CWD_DELETED,
    .anonymous = EXECFAIL_CWD_ANONYMOUS,
};

struct argv_state {
    char *data;
    const char *const *argv; /* user pointer */
    u32 off;                 /* next byte of data */
    u32 end;                 /* off may not pass it */
    u32 copied;              /* strings copied */
    s32 argc;
    u32 flags;
};

/* One argv pointer: its string copied while there is room, then only counted. 1 stops. */
static long argv_step(u64 index, void *ctx)
{
    struct argv_state *s = ctx;
    const char *arg = 0;
    if (bpf_probe_read_user(&arg, sizeof(arg), &s->argv[index]) != 0) {
        s->flags |= EXECFAIL_ARGV_UNREADABLE;
        s->argc = -1;
        return 1;
    }
    if (!arg) {
        s->argc = (s32)index;
        return 1;
    }
    /* A whole string's room or none: a constant size is one the verifier can bound. */
    if (index >= EXECFAIL_ARGS_MAX || s->off + EXECFAIL_ARG_BYTES > s->end) {
        s->flags |= EXECFAIL_ARGV_TRUNCATED;
        return 0;
    }
    char *data = s->data;
    long n = bpf_probe_read_user_str(data + (s->off & DATA_OFFSET_MASK), EXECFAIL_ARG_BYTES, arg);
    if (n <= 0) {
        /* An unreadable string: keep its place, empty. */
        data[s->off & DATA_OFFSET_MASK] = 0;
        n = 1;
        s->flags |= EXECFAIL_ARGV_TRUNCATED;
    } else if (n == EXECFAIL_ARG_BYTES) {
        s->flags |= EXECFAIL_ARGV_TRUNCATED; /* cut at EXECFAIL_ARG_BYTES - 1 bytes */
    }
    s->off += (u32)n;
    s->copied++;
    return 0;
}

/* An exec that failed: nr is NR_execve or NR_execveat, ret < 0. */
static __always_inline int capture_failure(struct pt_regs *regs, long ret, long nr)
{
    if (compat_syscall())
        return 0;

    u32 cpu = bpf_get_smp_processor_id();
    struct execfail_scratch *rec = bpf_map_lookup_elem(&execfail_scratch, &cpu);
    if (!rec) {
        count(EXECFAIL_COUNTER_SCRATCH_MISSING);
        return 0;
    }
    struct exec_failure_record *hdr = &rec->hdr;
    char *data = rec->data;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u64 uid_gid = bpf_get_current_uid_gid();
    u32 flags = 0;

    const char *filename;
    const char *const *argv;
    if (nr == NR_execve) {
        hdr->syscall = EXECFAIL_SYSCALL_EXECVE;
        hdr->dirfd = AT_FDCWD;
        hdr->at_flags = 0;
        filename = (const char *)ARG0(regs);
        argv = (const char *const *)ARG1(regs);
    } else {
        hdr->syscall = EXECFAIL_SYSCALL_EXECVEAT;
        hdr->dirfd = (s32)ARG0(regs);
        hdr->at_flags = (u32)ARG4(regs);
        filename = (const char *)ARG1(regs);
        argv = (const char *const *)ARG2(regs);
    }

    hdr->kind = EXECFAIL_RECORD_KIND;
    hdr->tgid = pid_tgid >> 32;
    hdr->pid = (u32)pid_tgid;
    hdr->ktime_ns = bpf_ktime_get_ns();
    hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
    hdr->error = (s32)-ret;
    hdr->uid = (u32)uid_gid;
    hdr->gid = uid_gid >> 32;
    hdr->euid = BPF_CORE_READ(task, cred, euid.val);
    hdr->egid = BPF_CORE_READ(task, cred, egid.val);
    hdr->cgroup_id = bpf_get_current_cgroup_id();
    hdr->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
    hdr->reserved0 = 0;
    bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));

    u32 filename_len = 0;
    long n = filename ? bpf_probe_read_user_str(data, EXECFAIL_FILENAME_CAP, filename) : -1;
    if (n > 0)
        filename_len = (u32)n - 1; /* drop the NUL */
    else
        flags |= EXECFAIL_FILENAME_UNREADABLE;
    if (filename_len > EXECFAIL_FILENAME_CAP - 1)
        filename_len = EXECFAIL_FILENAME_CAP - 1;
    hdr->filename_len = filename_len;
    u32 off = filename_len;

    u32 cwd_len = 0;
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (fs)
        cwd_len = walk_path(data, off, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), &flags, &cwd_walk);
    else
        flags |= EXECFAIL_CWD_MISSING;
    hdr->cwd_len = cwd_len;
    off += cwd_len;

    struct argv_state s = {
        .data = data,
        .argv = argv,
        .off = off,
        .end = off + EXECFAIL_ARGV_CAP,
        .copied = 0,
        .argc = -1,
        .flags = 0,
    };
    if (argv)
        bpf_loop(EXECFAIL_ARGC_MAX, argv_step, &s, 0);
    else
        s.argc = 0; /* Linux runs execve(path, NULL, ...) with an empty argv */
    if (s.argc < 0 && !(s.flags & EXECFAIL_ARGV_UNREADABLE))
        s.flags |= EXECFAIL_ARGV_TRUNCATED; /* more pointers than were counted */
    flags |= s.flags;
    hdr->argc = s.argc;
    u32 argv_len = s.off - off;
    hdr->argv_len = argv_len;
    hdr->flags = flags;

    u64 size = sizeof(*hdr) + (u64)s.off;
    if (size > sizeof(*rec))
        size = sizeof(*rec);
    u64 now = hdr->ktime_ns;
    u64 wakeup = BPF_RB_NO_WAKEUP;
    if (now - execfail_last_wakeup_ns >= EXECFAIL_WAKEUP_NS) {
        execfail_last_wakeup_ns = now;
        wakeup = BPF_RB_FORCE_WAKEUP;
    }
    if (bpf_ringbuf_output(&execfail_events, rec, size, wakeup) != 0) {
        count(EXECFAIL_COUNTER_RING_DROPS);
        return 0;
    }
    count(EXECFAIL_COUNTER_RECORDS);
    return 0;
}

/*
 * Two entry points, in the order the loader tries them (one is loaded): tp_btf (attached by
 * BTF id) and raw_tp (by name); neither needs tracefs. Arguments: (regs, ret). The first
 * test is the return value, so that the syscalls that succeed cost one comparison; then the
 * syscall number, so that those that fail (EAGAIN, ENOENT from a stat) cost one load more.
 * tp_btf reads it with a plain load (regs is a typed kernel pointer there); raw_tp needs
 * a helper call for it.
 */
SEC("tp_btf/sys_exit")
int execfail_exit_btf(u64 *ctx)
{
    long ret = (long)ctx[1];
    if (ret >= 0)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)ctx[0];
    long nr = SYSCALL_NR_DIRECT(regs);
    if (nr != NR_execve && nr != NR_execveat)
        return 0;
    return capture_failure(regs, ret, nr);
}

SEC("raw_tp/sys_exit")
int execfail_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
    long ret = (long)ctx->args[1];
    if (ret >= 0)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
    long nr = SYSCALL_NR(regs);
    if (nr != NR_execve && nr != NR_execveat)
        return 0;
    return capture_failure(regs, ret, nr);
}

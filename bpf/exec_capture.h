/* SPDX-License-Identifier: MIT */
/*
 * Record layout shared by exec_capture.bpf.c and the C# reader
 * (src/ProcWatch/Kernel/Ebpf/exec_record_header.cs mirrors it; a test checks the sizes).
 * All integers are in host byte order.
 */
#ifndef PROCWATCH_EXEC_CAPTURE_H
#define PROCWATCH_EXEC_CAPTURE_H

/* Bytes of argv (mm->arg_start..arg_end) copied per exec. Longer argv is cut here and
 * EXEC_RECORD_ARGV_TRUNCATED is set; argv_full_len still tells the real size. */
#define EXEC_ARGV_CAP 65536
/* Bytes of the exec'd path, including its NUL (PATH_MAX). */
#define EXEC_FILENAME_CAP 4096
#define EXEC_COMM_LEN 16

#define EXEC_RECORD_ARGV_TRUNCATED     (1u << 0)
#define EXEC_RECORD_FILENAME_TRUNCATED (1u << 1) /* reserved: getname() bounds paths by PATH_MAX */
#define EXEC_RECORD_ARGV_UNREADABLE    (1u << 2)
/* The kernel has no task_struct.loginuid (no CONFIG_AUDIT): loginuid says nothing. */
#define EXEC_RECORD_NO_LOGINUID        (1u << 3)

/* Indexes of the per-CPU counters map. */
#define EXEC_COUNTER_RINGBUF_DROPS 0
#define EXEC_COUNTER_SCRATCH_MISSING 1
#define EXEC_COUNTER_COUNT 2

/* The single value of the "settings" array map, written by the loader after load.
 * wakeup_interval_ns == 0: the kernel's default, a wakeup whenever the reader has caught up,
 * which in an exec storm means one wakeup (and one context switch) per exec. Otherwise the
 * reader is woken at most once per interval, or when wakeup_bytes are waiting; records in
 * between wait for the reader's next poll, which comes within the interval. */
struct exec_settings {
    __u64 wakeup_interval_ns;
    __u64 wakeup_bytes;
};

/* One ring-buffer record: this header, then filename_len bytes of filename (no NUL),
 * then argv_len bytes of argv (NUL-separated, as in /proc/PID/cmdline). */
struct exec_record_header {
    __u64 ktime_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, as the proc connector */
    __u32 tgid;
    __u32 old_pid;         /* thread that called execve (!= tgid when a non-leader exec'd) */
    __u32 ppid;            /* real_parent->tgid */
    __u32 uid;             /* real uid and gid after exec */
    __u32 gid;
    __u32 flags;           /* EXEC_RECORD_* */
    __u32 argv_len;
    __u32 argv_full_len;   /* arg_end - arg_start, before the cap */
    __u16 filename_len;
    __u16 reserved0;
    char comm[EXEC_COMM_LEN];
    __u32 loginuid;        /* audit login uid; 4294967295 when unset */
    __u32 euid;            /* effective uid and gid after exec (set-user-ID applied) */
    __u32 egid;
    __u64 cgroup_id;       /* bpf_get_current_cgroup_id(): the cgroup v2 id */
};                         /* 80 bytes */

#endif

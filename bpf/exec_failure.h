/* SPDX-License-Identifier: MIT */
/*
 * Layouts shared by exec_failure.bpf.c and the C# reader (src/ProcWatch/Kernel/ExecFailures/
 * ExecFailureAbi.cs mirrors them; a test checks the sizes). Host byte order.
 */
#ifndef PROCWATCH_EXEC_FAILURE_H
#define PROCWATCH_EXEC_FAILURE_H

#define EXECFAIL_RECORD_KIND 1

#define EXECFAIL_FILENAME_CAP 4096 /* the path given to execve, NUL included (PATH_MAX) */
#define EXECFAIL_ARGS_MAX 64       /* argv strings copied */
#define EXECFAIL_ARG_BYTES 1024    /* bytes copied per argv string (NUL included) */
#define EXECFAIL_ARGV_CAP 8192     /* argv bytes in a record (a string is copied only while a whole EXECFAIL_ARG_BYTES fits) */
#define EXECFAIL_ARGC_MAX 4096     /* argv pointers counted for argc; beyond: argc -1 */

#define EXECFAIL_SYSCALL_EXECVE 0
#define EXECFAIL_SYSCALL_EXECVEAT 1

/* struct exec_failure_record.flags */
#define EXECFAIL_FILENAME_UNREADABLE (1u << 0) /* the filename pointer faulted (EFAULT) */
#define EXECFAIL_ARGV_UNREADABLE     (1u << 1) /* the argv array faulted: no argv */
#define EXECFAIL_ARGV_TRUNCATED      (1u << 2) /* strings past the caps were left out or cut */
#define EXECFAIL_CWD_TRUNCATED       (1u << 3)
#define EXECFAIL_CWD_DELETED         (1u << 4)
#define EXECFAIL_CWD_ANONYMOUS       (1u << 5)
#define EXECFAIL_CWD_MISSING         (1u << 6) /* no fs_struct (an exiting task) */

/* Per-CPU counters. */
#define EXECFAIL_COUNTER_RECORDS 0         /* records written */
#define EXECFAIL_COUNTER_RING_DROPS 1      /* failures the ring could not hold */
#define EXECFAIL_COUNTER_SCRATCH_MISSING 2
#define EXECFAIL_COUNTER_COUNT 3

/* A failed execve/execveat, seen on its way back to user space (raw sys_exit): this header,
 * then filename_len bytes of the path as given (no NUL), cwd_len bytes of the caller's cwd
 * (components leaf first, each ending in NUL; path_walk.h), then argv_len bytes of
 * NUL-separated argv as the caller's memory held it when the call returned. */
struct exec_failure_record {
    __u32 kind;            /* EXECFAIL_RECORD_KIND */
    __u32 tgid;
    __u64 ktime_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, as the proc connector */
    __u32 pid;             /* the calling thread */
    __u32 ppid;            /* real_parent's tgid */
    __s32 error;           /* errno (positive) */
    __u32 syscall;         /* EXECFAIL_SYSCALL_* */
    __s32 dirfd;           /* execveat's dirfd; AT_FDCWD (-100) for execve */
    __u32 at_flags;        /* execveat's flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW) */
    __u32 uid;             /* the caller's real and effective ids */
    __u32 euid;
    __u32 gid;
    __u32 egid;
    __u32 flags;           /* EXECFAIL_* */
    __s32 argc;            /* -1: unknown (argv unreadable or over EXECFAIL_ARGC_MAX) */
    __u64 cgroup_id;
    __u64 start_boottime_ns; /* the caller's */
    __u16 filename_len;
    __u16 cwd_len;
    __u16 argv_len;
    __u16 reserved0;
    char comm[16];         /* the caller's name */
};                         /* 104 bytes */

#endif

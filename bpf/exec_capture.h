/* SPDX-License-Identifier: MIT */
/*
 * Record layouts shared by exec_capture.bpf.c and the C# reader
 * (src/ProcWatch/Kernel/Ebpf/exec_record_header.cs mirrors them; a test checks the sizes).
 * All integers are in host byte order. Every record starts with struct record_prefix, whose
 * kind says which layout follows.
 */
#ifndef PROCWATCH_EXEC_CAPTURE_H
#define PROCWATCH_EXEC_CAPTURE_H

/* Bytes of argv (mm->arg_start..arg_end) copied per ring record. argv longer than this comes
 * in EXEC_ARGV_CHUNKS_MAX records: the continuation chunks first (RECORD_ARGV_CHUNK), then the
 * exec record with the first chunk. */
#define EXEC_ARGV_CAP 65536
/* Chunks per exec, the exec record's own included: 16 x 64 KiB = 1 MiB of argv. The kernel
 * allows argv+envp up to a quarter of the stack rlimit (2 MiB with the default 8 MiB, at most
 * 6 MiB); beyond 1 MiB the argv is cut, flagged EXEC_RECORD_ARGV_TRUNCATED, argc still exact. */
#define EXEC_ARGV_CHUNKS_MAX 16
/* Bytes of the exec'd path, including its NUL (PATH_MAX). */
#define EXEC_FILENAME_CAP 4096
/* Bytes of each path walked in the kernel (executable, cwd): its components, leaf first,
 * each NUL-terminated. A longer (or deeper than EXEC_PATH_DEPTH) path is flagged truncated.
 * Three times PATH_MAX: /proc/PID/exe and /proc/PID/cwd fail with ENAMETOOLONG past one page
 * (measured: readlink of a 5044-byte cwd), so a program run from a directory nested past
 * 4 KiB would have no path at all without the walk going further (issue 20, H7). The record
 * carries only the bytes used; the walk costs one step per component. */
#define EXEC_PATH_CAP 12288
#define EXEC_PATH_DEPTH 1024
#define EXEC_COMM_LEN 16

#define RECORD_EXEC 1
#define RECORD_ARGV_CHUNK 2
#define RECORD_FORK 3
#define RECORD_EXIT 4
#define RECORD_FILTERED 5

#define EXEC_RECORD_ARGV_TRUNCATED     (1u << 0)
#define EXEC_RECORD_FILENAME_TRUNCATED (1u << 1) /* reserved: getname() bounds paths by PATH_MAX */
#define EXEC_RECORD_ARGV_UNREADABLE    (1u << 2)
/* The kernel has no task_struct.loginuid (no CONFIG_AUDIT): loginuid says nothing. */
#define EXEC_RECORD_NO_LOGINUID        (1u << 3)
/* No bprm here (classic tracepoint): argc is -1. */
#define EXEC_RECORD_NO_ARGC            (1u << 4)
#define EXEC_RECORD_EXE_MISSING        (1u << 5) /* no mm->exe_file */
#define EXEC_RECORD_EXE_TRUNCATED      (1u << 6)
#define EXEC_RECORD_EXE_DELETED        (1u << 7) /* unlinked, as /proc's " (deleted)" */
/* The executable is not reachable from any mount's root: a memfd or other pseudo file. */
#define EXEC_RECORD_EXE_ANONYMOUS      (1u << 8)
#define EXEC_RECORD_CWD_MISSING        (1u << 9)
#define EXEC_RECORD_CWD_TRUNCATED      (1u << 10)
#define EXEC_RECORD_CWD_DELETED        (1u << 11)
/* A continuation chunk could not be written (ring full): argv from the first gap on is lost. */
#define EXEC_RECORD_ARGV_CHUNK_LOST    (1u << 12)
/* In another pid namespace than its parent, and not that namespace's pid 1: it was forked
 * after a setns(2) into an existing namespace (docker/podman/kubectl exec, nsenter). */
#define EXEC_RECORD_PIDNS_ENTRY        (1u << 13)

/* Indexes of the per-CPU counters map. */
#define EXEC_COUNTER_RINGBUF_DROPS 0
#define EXEC_COUNTER_SCRATCH_MISSING 1
#define EXEC_COUNTER_FORK_DROPS 2
#define EXEC_COUNTER_EXIT_DROPS 3
/* Exec records not written because the kernel-side tree filter (capture_settings.filters) left them out. */
#define EXEC_COUNTER_FILTERED_EXECS 4
/* Main threads that exited while other threads of their process ran on (no record: the
 * process exit comes with the last thread; the connector reports this exit at once). */
#define EXEC_COUNTER_LEADER_EXITED_EARLY 5
/* 6: unused (forks and exits were filtered in session 4; they always come now). */
/* RECORD_FILTERED markers the ring could not hold (no event is lost: the exec was filtered out). */
#define EXEC_COUNTER_MARKER_DROPS 7
/* The watched-tree map was full: from then on the tree filter lets everything through. */
#define EXEC_COUNTER_TREE_FULL 8
#define EXEC_COUNTER_COUNT 9

/* capture_settings.filters: which records the kernel leaves out. User space keeps its own
 * filter as the authority; these only drop what it would drop anyway. */
/* (1u << 0) unused: -u cannot be applied in the kernel (bpf/capture_filter.h says why). */
#define CAPTURE_FILTER_TREE   (1u << 1) /* an exec outside the watched_tgids tree (-p, -- COMMAND) */
/* A filtered exec still writes a RECORD_FILTERED marker, for the completeness cross-check. */
#define CAPTURE_MARK_FILTERED (1u << 2)

/* The program's settings: a const volatile global in the .rodata.settings section, set by the
 * loader before load (bpf_map__set_initial_value), so the verifier sees constants and prunes
 * what they switch off.
 * wakeup_interval_ns == 0: the kernel's default, a wakeup whenever the reader has caught up,
 * which in an exec storm means one wakeup (and one context switch) per exec. Otherwise the
 * reader is woken at most once per interval, or when wakeup_bytes are waiting; records in
 * between wait for the reader's next poll, which comes within the interval. */
struct capture_settings {
    __u64 wakeup_interval_ns;
    __u64 wakeup_bytes;
    __u32 filters;         /* CAPTURE_FILTER_* */
    __u32 reserved0;       /* was -u's uid; 0 */
};                         /* 24 bytes */

/* Values of the watched_tgids map (key: tgid). */
#define TREE_MEMBER 1      /* a descendant: forgotten at its exit */
#define TREE_ROOT 2        /* a -p pid: kept for good, as user space matches it by pid */

/* The one writable global the loader also sets (section .data.tree). */
struct tree_state {
    __u32 open;            /* 1: the tree filter lets everything through (map full, no fork program) */
};

struct record_prefix {
    __u32 kind;            /* RECORD_* */
    __u32 tgid;
    __u64 ktime_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, as the proc connector */
};                         /* 16 bytes */

/* RECORD_EXEC: this header, then filename_len bytes of filename (no NUL), exe_len bytes of
 * the executable's path and cwd_len bytes of the cwd's (components leaf first, each ending
 * in NUL; empty: the root), then argv_len bytes of argv (NUL-separated, as in
 * /proc/PID/cmdline). argv_chunks RECORD_ARGV_CHUNK records with the rest of argv came
 * before it, from the same CPU. */
/* Parent chain kept in the record: exact across reparenting (a subreaper), no /proc read. */
#define EXEC_ANCESTORS_MAX 8

struct exec_record_header {
    struct record_prefix prefix;
    __u32 old_pid;         /* thread that called execve (!= tgid when a non-leader exec'd) */
    __u32 ppid;            /* real_parent->tgid */
    __u32 uid;             /* real uid and gid after exec */
    __u32 gid;
    __u32 flags;           /* EXEC_RECORD_* */
    __u32 argv_len;        /* argv bytes in this record (the first chunk) */
    __u32 argv_full_len;   /* arg_end - arg_start, before any cap */
    __u32 argv_chunks;     /* RECORD_ARGV_CHUNK records sent before this one */
    __s32 argc;            /* bprm->argc; -1 when unknown */
    __u16 filename_len;
    __u16 exe_len;
    __u16 cwd_len;
    __u16 reserved0;
    char comm[EXEC_COMM_LEN];
    __u32 loginuid;        /* audit login uid; 4294967295 when unset */
    __u32 euid;            /* effective uid and gid after exec (set-user-ID applied) */
    __u32 egid;
    __u32 sid;             /* session and process group ids (initial pid namespace) */
    __u32 pgid;
    __u32 tty_nr;          /* controlling terminal as /proc/PID/stat's tty_nr; 0: none */
    __u32 reserved1;       /* explicit padding: cgroup_id is 8-aligned */
    __u64 cgroup_id;       /* bpf_get_current_cgroup_id(): the cgroup v2 id */
    __u64 start_boottime_ns; /* task->start_boottime: CLOCK_BOOTTIME ns at fork */
    __u64 exe_ino;         /* the executable's inode and device (s_dev, kernel encoding) */
    __u32 exe_dev;
    __u32 exe_mode;        /* i_mode: type, set-user-ID/set-group-ID, permissions */
    __u32 exe_uid;         /* owner */
    __u32 exe_nlink;
    __u64 exe_size;        /* i_size, and mtime/ctime in ns: with dev and ino, the file version */
    __u64 exe_mtime_ns;
    __u64 exe_ctime_ns;
    __u32 ancestors[EXEC_ANCESTORS_MAX]; /* real_parent's tgid, its real_parent's, ...; 0 ends */
};                         /* 200 bytes */

/* RECORD_ARGV_CHUNK: this header, then len bytes of argv from byte offset on. */
struct argv_chunk_header {
    struct record_prefix prefix; /* tgid and ktime_ns of the exec it belongs to */
    __u32 offset;
    __u32 len;
};                         /* 24 bytes */

/* A process's real and effective user and group ids (task->cred) when the record was
 * written. Fork and exit records carry them: a process may change them with setuid()/setgid()
 * and no exec, and the connector's uid/gid event for that comes through another buffer,
 * possibly after the ring's later fork and exit records, so only the record itself says whose
 * the fork or exit is. */
struct task_ids {
    __u32 uid;
    __u32 euid;
    __u32 gid;
    __u32 egid;
};                         /* 16 bytes */

/* RECORD_FORK: a new process (not a thread). tgid is the child's. */
struct fork_record {
    struct record_prefix prefix;
    __u32 parent_tgid;     /* real_parent->tgid (a CLONE_PARENT child: the creator's parent) */
    __u32 creator_tgid;    /* the process that called fork/clone (current); was reserved0 */
    __u64 start_boottime_ns; /* the child's task->start_boottime */
    struct task_ids ids;   /* the child's (a copy of the creator's at fork) */
};                         /* 48 bytes */

/* RECORD_EXIT: the last thread of a process exited (signal->live reached 0). */
struct exit_record {
    struct record_prefix prefix;
    __u32 exit_code;       /* task->exit_code: the wait status */
    __u32 reserved0;
    __u64 start_boottime_ns;
    __u64 utime_ns;        /* user and system CPU of all the process's threads */
    __u64 stime_ns;
    __u64 maxrss_pages;    /* peak resident set (signal->maxrss), in pages */
    struct task_ids ids;   /* the exiting task's */
};                         /* 72 bytes */

/* RECORD_FILTERED: the kernel filter left out an exec (CAPTURE_MARK_FILTERED).
 * prefix.tgid and ktime_ns are those the record would have had. */
struct filtered_record {
    struct record_prefix prefix;
    __u32 filtered_kind;   /* RECORD_EXEC (forks and exits are never left out) */
    __u32 reserved0;
};                         /* 24 bytes */

#endif

/* The connector counting filter (hook_connector.c): its per-window counts, one slot per
 * window modulo CONN_COUNT_SLOTS, per CPU. Mirrored by ConnectorCountMap.cs. */
#define CONN_COUNT_SLOTS 16
#define CONN_COUNT_FORK 0
#define CONN_COUNT_EXEC 1
#define CONN_COUNT_EXIT 2
#define CONN_COUNT_KINDS 3

struct conn_count {
    __u64 window;                   /* timestamp_ns / 1e9 of the counts below; 0: never used */
    __u64 count[CONN_COUNT_KINDS];  /* CONN_COUNT_FORK, _EXEC, _EXIT */
};

/* Written by user space when the cross-check begins; until then (from_ns 0) nothing is
 * counted and everything goes to the socket. */
struct conn_count_settings {
    __u64 from_ns;   /* count events stamped at or after this CLOCK_MONOTONIC time */
    __u32 what_mask; /* PROC_EVENT_FORK/EXEC/EXIT bits of the kinds counted here, not sent */
    __u32 pad;
};

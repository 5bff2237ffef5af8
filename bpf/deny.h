/* SPDX-License-Identifier: MIT */
/*
 * Layouts shared by deny.bpf.c and the C# loader (src/ProcWatch/Kernel/Enforcement/
 * DenyAbi.cs mirrors them; a test checks the sizes). Host byte order.
 *
 * The policy lives in maps keyed by a generation number: user space writes the next
 * generation beside the running one, flips deny_active (one aligned 4-byte store), then
 * deletes the old entries. A program reads the generation once, so each exec is judged by
 * one whole policy: there is no moment with no policy or half of one.
 */
#ifndef PROCWATCH_DENY_H
#define PROCWATCH_DENY_H

#define DENY_RULES_MAX 1024        /* rules per generation */
#define DENY_FILES_MAX 16384       /* file identities per generation */
#define DENY_DIRS_MAX 2048         /* directories per generation */
#define DENY_REFS_MAX 4            /* rules that may name one file or directory */
#define DENY_DIR_DEPTH 32          /* directories checked above an executable */
#define DENY_PROTECTED_MAX 256
#define DENY_ARGV_CAP 4096         /* argv bytes in a denial record */
#define DENY_ARGS_MAX 64           /* argv strings read in the LSM/fentry hook */
#define DENY_ARG_BYTES 1024        /* bytes read per argv string there */
#define DENY_CGROUP_LEVELS 16      /* cgroup ancestors compared with a rule's cgroup */

/* Sentinel file keys: no real inode has number 0 on device 0. */
#define DENY_DEV_SPECIAL 0
#define DENY_INO_FILELESS 0        /* rules matching any executable with no link (memfd, deleted) */
#define DENY_INO_ANY 1             /* rules with no file condition (user, cgroup, parent only) */

/* struct deny_rule.flags */
#define DENY_RULE_AUDIT   (1u << 0) /* report "would deny", let it run */
#define DENY_RULE_UID     (1u << 1) /* uid must equal the real or the effective uid */
#define DENY_RULE_CGROUP  (1u << 2) /* the task's cgroup v2 id, or an ancestor's, must equal cgroup_id */
#define DENY_RULE_PARENT  (1u << 3) /* the parent's executable must be (parent_dev, parent_ino) */

/* struct deny_gen.flags: which lookups this generation needs (the rest are skipped). */
#define DENY_GEN_FILES    (1u << 0)
#define DENY_GEN_DIRS     (1u << 1)
#define DENY_GEN_FILELESS (1u << 2)
#define DENY_GEN_ANY      (1u << 3)
#define DENY_GEN_PARENT   (1u << 4) /* some rule needs the parent's executable */

/* struct deny_record_header.flags */
#define DENY_RECORD_AUDIT            (1u << 0) /* audit rule: the exec went on */
#define DENY_RECORD_SIGNAL           (1u << 1) /* enforced with SIGKILL (no BPF LSM) */
#define DENY_RECORD_LSM              (1u << 2) /* enforced with EPERM from the LSM hook */
#define DENY_RECORD_ARGV_UNKNOWN     (1u << 3) /* argv could not be read */
#define DENY_RECORD_ARGV_TRUNCATED   (1u << 4)
#define DENY_RECORD_EXE_TRUNCATED    (1u << 5)
#define DENY_RECORD_EXE_DELETED      (1u << 6)
#define DENY_RECORD_EXE_ANONYMOUS    (1u << 7) /* memfd or other pseudo file */
#define DENY_RECORD_CWD_TRUNCATED    (1u << 8)
#define DENY_RECORD_CWD_DELETED      (1u << 9)
#define DENY_RECORD_SIGNAL_FAILED    (1u << 10) /* bpf_send_signal refused */

/* Per-CPU counters. */
#define DENY_COUNTER_DENIED 0
#define DENY_COUNTER_AUDITED 1
#define DENY_COUNTER_RING_DROPS 2
#define DENY_COUNTER_SCRATCH_MISSING 3
#define DENY_COUNTER_COUNT 4

struct deny_key {
    __u32 generation;      /* 0 in deny_protected_files */
    __u32 dev;             /* s_dev, kernel encoding (MAJOR << 20 | MINOR) */
    __u64 ino;
};                         /* 16 bytes */

struct deny_refs {
    __u32 count;
    __u32 rule[DENY_REFS_MAX];
};                         /* 20 bytes */

struct deny_rule {
    __u32 flags;           /* DENY_RULE_* */
    __u32 uid;
    __u64 cgroup_id;
    __u64 parent_ino;
    __u32 parent_dev;
    __u32 reserved0;
};                         /* 32 bytes */

struct deny_gen {
    __u32 flags;           /* DENY_GEN_* */
    __u32 rule_count;
};                         /* 8 bytes */

#define DENY_RECORD_KIND 1

/* A denial (or, for an audit rule, a would-be denial): this header, then filename_len bytes
 * of the path given to execve (no NUL), exe_len and cwd_len bytes of walked paths
 * (components leaf first, each ending in NUL), then argv_len bytes of NUL-separated argv. */
struct deny_record_header {
    __u32 kind;            /* DENY_RECORD_KIND */
    __u32 tgid;
    __u64 ktime_ns;        /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
    __u32 pid;             /* the thread that called execve */
    __u32 rule;            /* rule index in its generation */
    __u32 generation;
    __u32 flags;           /* DENY_RECORD_* */
    __u32 ppid;
    __u32 uid;             /* real and effective ids the program would have run with */
    __u32 euid;
    __u32 gid;
    __u32 egid;
    __u32 exe_dev;
    __u64 exe_ino;
    __u32 exe_nlink;
    __u32 exe_mode;
    __u64 cgroup_id;
    __u64 start_boottime_ns; /* the calling process's */
    __u16 filename_len;
    __u16 exe_len;
    __u16 cwd_len;
    __u16 argv_len;
    __s32 argc;            /* -1: unknown */
    __u32 reserved0;
    char comm[16];         /* the caller's name */
};                         /* 120 bytes */

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The few kernel types exec_capture.bpf.c touches, written by hand instead of a
 * bpftool-generated vmlinux.h. preserve_access_index makes every field access a CO-RE
 * relocation that libbpf resolves against the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) at load time, so only the field *names* must match the kernel;
 * offsets, the randomized layout of task_struct and the anonymous struct around
 * mm_struct's arg_start/arg_end do not matter. This keeps the build free of bpftool and of
 * a 3 MB generated header, and works on any kernel with BTF.
 */
#ifndef PROCWATCH_VMLINUX_MIN_H
#define PROCWATCH_VMLINUX_MIN_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

/* UAPI values (include/uapi/linux/bpf.h); stable ABI. */
enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
    BPF_ANY = 0,
    BPF_NOEXIST = 1,
};

enum {
    BPF_F_NO_PREALLOC = 1,
};

/* bpf_ringbuf_output() flags and bpf_ringbuf_query() selectors. */
enum {
    BPF_RB_NO_WAKEUP = 1,
    BPF_RB_FORCE_WAKEUP = 2,
};

enum {
    BPF_RB_AVAIL_DATA = 0,
};

typedef struct {
    int counter;
} atomic_t;

typedef unsigned short umode_t;
typedef unsigned int dev_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef struct {
    uid_t val;
} kuid_t;
typedef struct {
    gid_t val;
} kgid_t;

struct super_block {
    dev_t s_dev;
} __attribute__((preserve_access_index));

struct inode {
    umode_t i_mode;
    kuid_t i_uid;
    unsigned long i_ino;
    unsigned int __i_nlink;
    long long i_size;
    s64 i_mtime_sec;   /* 6.11+; older kernels: checked with bpf_core_field_exists */
    u32 i_mtime_nsec;
    s64 i_ctime_sec;
    u32 i_ctime_nsec;
    struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct qstr {
    u32 len;
    const unsigned char *name;
} __attribute__((preserve_access_index));

struct hlist_bl_node {
    struct hlist_bl_node *next, **pprev;
};

struct dentry {
    struct hlist_bl_node d_hash;
    struct dentry *d_parent;
    struct qstr d_name;
    struct inode *d_inode;
} __attribute__((preserve_access_index));

struct vfsmount {
    struct dentry *mnt_root;
} __attribute__((preserve_access_index));

/* fs/mount.h: the kernel-internal mount around each vfsmount. */
struct mount {
    struct mount *mnt_parent;
    struct dentry *mnt_mountpoint;
    struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct path {
    struct vfsmount *mnt;
    struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
    struct path f_path;
    struct inode *f_inode;
} __attribute__((preserve_access_index));

struct fs_struct {
    struct path root;
    struct path pwd;
} __attribute__((preserve_access_index));

struct mm_struct {
    unsigned long arg_start;
    unsigned long arg_end;
    struct file *exe_file;
} __attribute__((preserve_access_index));

struct pid_namespace;

/* Both fields, so that numbers[level] indexes with the kernel's stride (16 bytes). */
struct upid {
    int nr;
    struct pid_namespace *ns;
} __attribute__((preserve_access_index));

struct pid {
    unsigned int level;
    struct upid numbers[1];
} __attribute__((preserve_access_index));

enum pid_type {
    PIDTYPE_PID,
    PIDTYPE_TGID,
    PIDTYPE_PGID,
    PIDTYPE_SID,
    PIDTYPE_MAX,
};

struct tty_driver {
    int major;
    int minor_start;
} __attribute__((preserve_access_index));

struct tty_struct {
    struct tty_driver *driver;
    int index;
} __attribute__((preserve_access_index));

struct signal_struct {
    atomic_t live;
    unsigned int flags;
    struct pid *pids[PIDTYPE_MAX];
    struct tty_struct *tty;
    u64 utime;
    u64 stime;
    unsigned long maxrss;
} __attribute__((preserve_access_index));

struct cred {
    kuid_t uid;
    kgid_t gid;
    kuid_t euid;
    kgid_t egid;
} __attribute__((preserve_access_index));

struct task_struct {
    pid_t pid;
    pid_t tgid;
    int exit_code;
    u64 utime;
    u64 stime;
    u64 start_boottime;
    struct task_struct *real_parent;
    struct task_struct *group_leader;
    struct pid *thread_pid;
    struct mm_struct *mm;
    const struct cred *cred;
    struct fs_struct *fs;
    struct signal_struct *signal;
    kuid_t loginuid; /* CONFIG_AUDIT only: checked with bpf_core_field_exists */
} __attribute__((preserve_access_index));

struct linux_binprm {
    struct file *file;
    int argc;
    const char *filename;
} __attribute__((preserve_access_index));

/* Context of a raw_tp program (include/uapi/linux/bpf.h). */
struct bpf_raw_tracepoint_args {
    __u64 args[0];
};

struct trace_entry {
    unsigned short type;
    unsigned char flags;
    unsigned char preempt_count;
    int pid;
} __attribute__((preserve_access_index));

/* Context of tracepoint/sched/sched_process_exec (see its format file in tracefs). */
struct trace_event_raw_sched_process_exec {
    struct trace_entry ent;
    u32 __data_loc_filename;
    pid_t pid;
    pid_t old_pid;
    char __data[0];
} __attribute__((preserve_access_index));

#endif

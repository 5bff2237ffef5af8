// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ProcWatch deny rules, judged in the kernel before a new program runs a single instruction.
 * One check, three ways to refuse (the loader takes the best that loads, best first):
 *   lsm/bprm_check_security     BPF LSM: execve fails with EPERM; the caller goes on.
 *   fentry/security_bprm_check  no BPF LSM: SIGKILL to the caller at the same point; it dies
 *                               before the new image runs (signals are taken on the way back
 *                               to user space, before its first instruction).
 *   tp_btf/sched_process_exec   no trampolines: SIGKILL after the exec, same guarantee, but it
 *                               sees the final program only (a script's interpreter).
 * The hook runs for every level of an exec (a script, then its interpreter), so a rule on a
 * script or on its interpreter both hold at the first two levels.
 *
 * Matching: the file's identity (device, inode) in a hash map, so hard links and renames do
 * not escape; each directory above it (crossing mounts) in another; fileless programs (no
 * link left: memfd_create, a deleted file, O_TMPFILE); then per rule the real or effective
 * uid, the cgroup (or an ancestor) and the parent's executable. Never: PID 1, ProcWatch
 * itself, its action programs (deny_protected_*).
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "deny.h"

/* path_walk.h's bounds, for the executable's and the cwd's path in a denial record. */
#define EXEC_PATH_CAP 4096
#define EXEC_PATH_DEPTH 64
#include "path_walk.h"

/* Bytes of the path given to execve, NUL included (PATH_MAX). */
#define EXEC_FILENAME_BYTES 4096

char LICENSE[] SEC("license") = "Dual MIT/GPL";

_Static_assert(sizeof(struct deny_record_header) == 120, "deny_record_header layout");
_Static_assert(sizeof(struct deny_rule) == 32, "deny_rule layout");

#define MAP_HASH 1 /* BPF_MAP_TYPE_HASH */
#define EPERM 1
#define SIGKILL 9

/* Fields vmlinux_min.h does not declare; the ___deny flavour resolves to the kernel's type. */
struct cred___deny {
    kuid_t uid;
    kgid_t gid;
    kuid_t euid;
    kgid_t egid;
} __attribute__((preserve_access_index));

struct linux_binprm___deny {
    struct file *file;
    struct cred___deny *cred;
    const char *filename;
} __attribute__((preserve_access_index));

#if defined(__TARGET_ARCH_x86)
struct pt_regs {
    unsigned long di;
    unsigned long si;
    unsigned long dx;
    unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) BPF_CORE_READ(r, orig_ax)
#define NR_execve 59
#define NR_execveat 322
#define EXECVE_ARGV(r) BPF_CORE_READ(r, si)
#define EXECVEAT_ARGV(r) BPF_CORE_READ(r, dx)
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs {
    u64 regs[31];
    u64 orig_x0;
    s32 syscallno;
} __attribute__((preserve_access_index));
#define SYSCALL_NR(r) BPF_CORE_READ(r, syscallno)
#define NR_execve 221
#define NR_execveat 281
#define EXECVE_ARGV(r) BPF_CORE_READ(r, regs[1])
#define EXECVEAT_ARGV(r) BPF_CORE_READ(r, regs[2])
#endif

/* The filename, the two walked paths, then argv; path offsets stay below DATA_OFFSET_MASK + 1. */
#define DENY_DATA_SIZE (DATA_OFFSET_MASK + 1 + DENY_ARGV_CAP + DENY_ARG_BYTES)

struct deny_scratch {
    struct deny_record_header hdr;
    char data[DENY_DATA_SIZE];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1024 * 1024);
} deny_events SEC(".maps");

/* One record-sized slot per CPU (max_entries set to the possible CPUs by the loader). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct deny_scratch);
} deny_scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, DENY_COUNTER_COUNT);
    __type(key, u32);
    __type(value, u64);
} deny_counters SEC(".maps");

/* The generation in force. 0: no policy yet (generations start at 1). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, u32);
} deny_active SEC(".maps");

/* Per generation parity: what it holds. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, u32);
    __type(value, struct deny_gen);
} deny_gens SEC(".maps");

/* Rules, at (generation & 1) * DENY_RULES_MAX + index. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2 * DENY_RULES_MAX);
    __type(key, u32);
    __type(value, struct deny_rule);
} deny_rules SEC(".maps");

/* Executables by identity, and the sentinel lists (fileless, any), per generation. */
struct {
    __uint(type, MAP_HASH);
    __uint(max_entries, 2 * DENY_FILES_MAX + 4);
    __type(key, struct deny_key);
    __type(value, struct deny_refs);
} deny_files SEC(".maps");

/* Directories (any executable below them), per generation. */
struct {
    __uint(type, MAP_HASH);
    __uint(max_entries, 2 * DENY_DIRS_MAX);
    __type(key, struct deny_key);
    __type(value, struct deny_refs);
} deny_dirs SEC(".maps");

/* Never denied: these processes (PID 1, ProcWatch) and these files (init, ProcWatch, action programs). */
struct {
    __uint(type, MAP_HASH);
    __uint(max_entries, DENY_PROTECTED_MAX);
    __type(key, u32);
    __type(value, u8);
} deny_protected_tgids SEC(".maps");

struct {
    __uint(type, MAP_HASH);
    __uint(max_entries, DENY_PROTECTED_MAX);
    __type(key, struct deny_key);
    __type(value, u8);
} deny_protected_files SEC(".maps");

static __always_inline void count(u32 index)
{
    u64 *value = bpf_map_lookup_elem(&deny_counters, &index);
    if (value)
        *value += 1;
}

/* What one exec is judged on, gathered once. */
struct verdict {
    u32 generation;
    u32 base;              /* (generation & 1) * DENY_RULES_MAX */
    u32 uid;
    u32 euid;
    u64 parent_ino;
    u32 parent_dev;
    u32 parent_known;
    s32 rule;              /* best match so far: an enforcing rule wins over an audit one */
    u32 audit;
};

static __always_inline bool cgroup_matches(u64 cgroup_id)
{
    if (bpf_get_current_cgroup_id() == cgroup_id)
        return true;
    for (int level = 0; level < DENY_CGROUP_LEVELS; level++) {
        u64 id = bpf_get_current_ancestor_cgroup_id(level);
        if (id == 0)
            break;
        if (id == cgroup_id)
            return true;
    }
    return false;
}

/* Takes the rules a map entry names; stops early once an enforcing rule matched. */
static __always_inline void consider(struct verdict *v, const struct deny_refs *refs)
{
    u32 n = refs->count;
    for (int i = 0; i < DENY_REFS_MAX; i++) {
        if (i >= n || (v->rule >= 0 && !v->audit))
            return;
        u32 index = refs->rule[i];
        if (index >= DENY_RULES_MAX)
            continue;
        u32 key = v->base + index;
        struct deny_rule *r = bpf_map_lookup_elem(&deny_rules, &key);
        if (!r)
            continue;
        u32 flags = r->flags;
        if ((flags & DENY_RULE_UID) && r->uid != v->uid && r->uid != v->euid)
            continue;
        if ((flags & DENY_RULE_PARENT) && (!v->parent_known || r->parent_ino != v->parent_ino || r->parent_dev != v->parent_dev))
            continue;
        if ((flags & DENY_RULE_CGROUP) && !cgroup_matches(r->cgroup_id))
            continue;
        if (v->rule < 0 || ((flags & DENY_RULE_AUDIT) == 0)) {
            v->rule = (s32)index;
            v->audit = (flags & DENY_RULE_AUDIT) ? 1 : 0;
        }
    }
}

static __always_inline void consider_key(struct verdict *v, void *map, u32 dev, u64 ino)
{
    struct deny_key key = { .generation = v->generation, .dev = dev, .ino = ino };
    struct deny_refs *refs = bpf_map_lookup_elem(map, &key);
    if (refs)
        consider(v, refs);
}

struct dir_walk {
    struct verdict *v;
    struct dentry *dentry;
    struct vfsmount *vfsmnt;
    struct mount *mnt;
};

/* One directory up (crossing to the parent mount at a mount's root); 1 stops bpf_loop. */
static long dir_step(u64 index, void *ctx)
{
    struct dir_walk *w = ctx;
    struct dentry *dentry = w->dentry;
    struct vfsmount *vfsmnt = w->vfsmnt;
    struct mount *mnt = w->mnt;
    if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
        struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
        if (parent == mnt)
            return 1;
        w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
        w->mnt = parent;
        w->vfsmnt = (struct vfsmount *)((char *)parent + bpf_core_field_offset(struct mount, mnt));
        return 0; /* the mountpoint is a directory of the parent mount: checked next step */
    }
    struct dentry *up = BPF_CORE_READ(dentry, d_parent);
    if (up == dentry)
        return 1; /* a pseudo file's root */
    struct inode *inode = BPF_CORE_READ(up, d_inode);
    consider_key(w->v, &deny_dirs, BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino));
    w->dentry = up;
    return 0;
}

/* Every directory above the executable, as stat(2) names it: for a file on a mount, the
 * mount's root (/dev/shm itself), then on across the mountpoint to the root of the namespace. */
static __always_inline void check_directories(struct verdict *v, struct file *file)
{
    struct dir_walk w = {
        .v = v,
        .dentry = BPF_CORE_READ(file, f_path.dentry),
        .vfsmnt = BPF_CORE_READ(file, f_path.mnt),
    };
    w.mnt = (struct mount *)((char *)w.vfsmnt - bpf_core_field_offset(struct mount, mnt));
    bpf_loop(DENY_DIR_DEPTH, dir_step, &w, 0);
}

static const struct walk_flags exe_walk = {
    DENY_RECORD_EXE_TRUNCATED, DENY_RECORD_EXE_DELETED, DENY_RECORD_EXE_ANONYMOUS,
};
static const struct walk_flags cwd_walk = {
    DENY_RECORD_CWD_TRUNCATED, DENY_RECORD_CWD_DELETED, DENY_RECORD_CWD_TRUNCATED,
};

struct argv_copy {
    char *data;
    u32 off;
    u32 end;
    unsigned long argv;    /* user pointer to the char *[] */
    s32 argc;
    u32 truncated;
};

static long argv_step(u64 index, void *ctx)
{
    struct argv_copy *c = ctx;
    unsigned long arg = 0;
    if (bpf_probe_read_user(&arg, sizeof(arg), (const void *)(c->argv + index * sizeof(arg))) != 0)
        return 1;
    if (arg == 0)
        return 1;
    c->argc++;
    u32 off = c->off;
    if (off >= c->end || c->end - off < 2) {
        c->truncated = 1;
        return 0; /* keep counting */
    }
    u32 room = c->end - off;
    if (room > DENY_ARG_BYTES)
        room = DENY_ARG_BYTES;
    long n = bpf_probe_read_user_str(c->data + (off & (DENY_ARGV_CAP - 1)), room, (const void *)arg);
    if (n <= 0) {
        c->truncated = 1;
        return 1;
    }
    c->off += (u32)n;
    return 0;
}

/* argv of the exec in progress, from the caller's own memory (the new image is not mapped yet). */
static __always_inline u32 read_pending_argv(char *argv_area, s32 *argc, u32 *flags)
{
#if defined(NR_execve)
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs((struct task_struct *)bpf_get_current_task_btf());
    long nr = (long)SYSCALL_NR(regs);
    unsigned long argv;
    if (nr == NR_execve)
        argv = EXECVE_ARGV(regs);
    else if (nr == NR_execveat)
        argv = EXECVEAT_ARGV(regs);
    else
        goto unknown;
    struct argv_copy c = { .data = argv_area, .off = 0, .end = DENY_ARGV_CAP, .argv = argv, .argc = 0 };
    bpf_loop(DENY_ARGS_MAX, argv_step, &c, 0);
    if (c.truncated || c.argc >= DENY_ARGS_MAX)
        *flags |= DENY_RECORD_ARGV_TRUNCATED;
    *argc = c.argc;
    return c.off > DENY_ARGV_CAP ? DENY_ARGV_CAP : c.off;
unknown:
#endif
    *flags |= DENY_RECORD_ARGV_UNKNOWN;
    *argc = -1;
    return 0;
}

/* argv of the new image (after the exec: tp_btf level). */
static __always_inline u32 read_new_argv(struct task_struct *task, char *argv_area, s32 *argc, u32 *flags)
{
    unsigned long start = BPF_CORE_READ(task, mm, arg_start);
    unsigned long end = BPF_CORE_READ(task, mm, arg_end);
    u64 full = end > start ? end - start : 0;
    u32 len = full > DENY_ARGV_CAP ? DENY_ARGV_CAP : (u32)full;
    if (full > DENY_ARGV_CAP)
        *flags |= DENY_RECORD_ARGV_TRUNCATED;
    *argc = -1;
    if (len > DENY_ARGV_CAP)
        len = DENY_ARGV_CAP;
    if (len > 0 && bpf_probe_read_user(argv_area, len, (const void *)start) != 0) {
        *flags |= DENY_RECORD_ARGV_UNKNOWN;
        return 0;
    }
    return len;
}

static __always_inline void send_record(struct verdict *v, struct file *file, const char *filename, u32 flags, bool pending_argv)
{
    u32 cpu = bpf_get_smp_processor_id();
    struct deny_scratch *rec = bpf_map_lookup_elem(&deny_scratch, &cpu);
    if (!rec) {
        count(DENY_COUNTER_SCRATCH_MISSING);
        return;
    }
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 pid_tgid = bpf_get_current_pid_tgid();
    struct deny_record_header *hdr = &rec->hdr;
    char *data = rec->data;
    hdr->kind = DENY_RECORD_KIND;
    hdr->tgid = pid_tgid >> 32;
    hdr->pid = (u32)pid_tgid;
    hdr->ktime_ns = bpf_ktime_get_ns();
    hdr->rule = (u32)v->rule;
    hdr->generation = v->generation;
    hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
    hdr->uid = v->uid;
    hdr->euid = v->euid;
    hdr->gid = 0;
    hdr->egid = 0;
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    hdr->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
    hdr->exe_ino = BPF_CORE_READ(inode, i_ino);
    hdr->exe_nlink = BPF_CORE_READ(inode, __i_nlink);
    hdr->exe_mode = BPF_CORE_READ(inode, i_mode);
    hdr->cgroup_id = bpf_get_current_cgroup_id();
    hdr->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
    hdr->reserved0 = 0;
    bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));

    long n = bpf_probe_read_kernel_str(data, EXEC_FILENAME_BYTES, filename);
    u32 filename_len = n > 0 ? (u32)n - 1 : 0;
    if (filename_len > EXEC_FILENAME_BYTES - 1)
        filename_len = EXEC_FILENAME_BYTES - 1;
    hdr->filename_len = filename_len;
    u32 off = filename_len;
    u32 exe_len = walk_path(data, off, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), &flags, &exe_walk);
    hdr->exe_len = exe_len;
    off += exe_len;
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    u32 cwd_len = fs ? walk_path(data, off, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), &flags, &cwd_walk) : 0;
    hdr->cwd_len = cwd_len;
    off += cwd_len;
    off &= DATA_OFFSET_MASK;
    s32 argc = -1;
    u32 argv_len = pending_argv
        ? read_pending_argv(data + DATA_OFFSET_MASK + 1, &argc, &flags)
        : read_new_argv(task, data + DATA_OFFSET_MASK + 1, &argc, &flags);
    if (argv_len > DENY_ARGV_CAP)
        argv_len = DENY_ARGV_CAP;
    /* argv was read at a fixed offset; move it to follow the paths. */
    if (argv_len > 0 && off + argv_len <= DATA_OFFSET_MASK + 1 &&
        bpf_probe_read_kernel(data + off, argv_len, data + DATA_OFFSET_MASK + 1) != 0)
        argv_len = 0;
    hdr->argv_len = argv_len;
    hdr->argc = argc;
    hdr->flags = flags;
    u64 size = sizeof(*hdr) + off + argv_len;
    if (size > sizeof(*rec))
        size = sizeof(*rec);
    if (bpf_ringbuf_output(&deny_events, rec, size, BPF_RB_FORCE_WAKEUP) != 0)
        count(DENY_COUNTER_RING_DROPS);
}

/*
 * The rule that forbids this exec, in v->rule (-1: none). cred is the credentials the new
 * program would run with (bprm->cred before the commit, current's after).
 */
static __always_inline bool judge(struct verdict *v, struct file *file, struct cred___deny *cred)
{
    u32 zero = 0;
    u32 *active = bpf_map_lookup_elem(&deny_active, &zero);
    if (!active || *active == 0)
        return false;
    v->generation = *active;
    u32 parity = v->generation & 1;
    struct deny_gen *gen = bpf_map_lookup_elem(&deny_gens, &parity);
    if (!gen || gen->rule_count == 0)
        return false;
    u32 gflags = gen->flags;
    v->base = parity * DENY_RULES_MAX;
    v->rule = -1;
    v->audit = 0;

    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (bpf_map_lookup_elem(&deny_protected_tgids, &tgid))
        return false;
    if (!file)
        return false;
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
    u64 ino = BPF_CORE_READ(inode, i_ino);
    struct deny_key pkey = { .generation = 0, .dev = dev, .ino = ino };
    if (bpf_map_lookup_elem(&deny_protected_files, &pkey))
        return false;

    v->uid = cred ? BPF_CORE_READ(cred, uid.val) : 0;
    v->euid = cred ? BPF_CORE_READ(cred, euid.val) : 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file *parent_exe = (gflags & DENY_GEN_PARENT) ? BPF_CORE_READ(task, real_parent, mm, exe_file) : 0;
    if (parent_exe) {
        struct inode *pinode = BPF_CORE_READ(parent_exe, f_inode);
        v->parent_dev = BPF_CORE_READ(pinode, i_sb, s_dev);
        v->parent_ino = BPF_CORE_READ(pinode, i_ino);
        v->parent_known = 1;
    } else {
        v->parent_known = 0;
    }

    if (gflags & DENY_GEN_FILES)
        consider_key(v, &deny_files, dev, ino);
    if ((gflags & DENY_GEN_FILELESS) && BPF_CORE_READ(inode, __i_nlink) == 0)
        consider_key(v, &deny_files, DENY_DEV_SPECIAL, DENY_INO_FILELESS);
    if (gflags & DENY_GEN_ANY)
        consider_key(v, &deny_files, DENY_DEV_SPECIAL, DENY_INO_ANY);
    if ((gflags & DENY_GEN_DIRS) && (v->rule < 0 || v->audit))
        check_directories(v, file);
    return v->rule >= 0;
}

SEC("lsm/bprm_check_security")
int deny_lsm(u64 *ctx)
{
    struct linux_binprm___deny *bprm = (struct linux_binprm___deny *)ctx[0];
    int previous = (int)ctx[1];
    if (previous != 0)
        return previous;
    struct verdict v = {};
    if (!judge(&v, BPF_CORE_READ(bprm, file), BPF_CORE_READ(bprm, cred)))
        return 0;
    if (v.audit) {
        count(DENY_COUNTER_AUDITED);
        send_record(&v, BPF_CORE_READ(bprm, file), BPF_CORE_READ(bprm, filename), DENY_RECORD_AUDIT, true);
        return 0;
    }
    count(DENY_COUNTER_DENIED);
    send_record(&v, BPF_CORE_READ(bprm, file), BPF_CORE_READ(bprm, filename), DENY_RECORD_LSM, true);
    return -EPERM;
}

static __always_inline int kill_current(struct verdict *v, struct file *file, const char *filename, bool pending_argv)
{
    if (v->audit) {
        count(DENY_COUNTER_AUDITED);
        send_record(v, file, filename, DENY_RECORD_AUDIT, pending_argv);
        return 0;
    }
    u32 flags = DENY_RECORD_SIGNAL;
    if (bpf_send_signal(SIGKILL) != 0)
        flags |= DENY_RECORD_SIGNAL_FAILED;
    count(DENY_COUNTER_DENIED);
    send_record(v, file, filename, flags, pending_argv);
    return 0;
}

SEC("fentry/security_bprm_check")
int deny_fentry(u64 *ctx)
{
    struct linux_binprm___deny *bprm = (struct linux_binprm___deny *)ctx[0];
    struct verdict v = {};
    struct file *file = BPF_CORE_READ(bprm, file);
    if (!judge(&v, file, BPF_CORE_READ(bprm, cred)))
        return 0;
    return kill_current(&v, file, BPF_CORE_READ(bprm, filename), true);
}

SEC("tp_btf/sched_process_exec")
int deny_exec_tp(u64 *ctx)
{
    struct linux_binprm___deny *bprm = (struct linux_binprm___deny *)ctx[2];
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file *exe = BPF_CORE_READ(task, mm, exe_file);
    struct verdict v = {};
    if (!judge(&v, exe, (struct cred___deny *)BPF_CORE_READ(task, cred)))
        return 0;
    return kill_current(&v, exe, BPF_CORE_READ(bprm, filename), false);
}

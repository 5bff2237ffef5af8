/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The exec'ing task's identity, as user space would otherwise read it from /proc/PID/status,
 * stat, loginuid and cgroup: taken here it is exact at exec and costs no system call.
 */
#ifndef PROCWATCH_READ_TASK_H
#define PROCWATCH_READ_TASK_H

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

/* The live parent chain now, as the kernel links it (a reparented process names its
 * subreaper): user space looks each pid up in its table instead of reading /proc. */
static __always_inline void read_ancestors(struct exec_record_header *hdr, struct task_struct *task)
{
    hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
    struct task_struct *up = BPF_CORE_READ(task, real_parent);
#pragma unroll
    for (int i = 0; i < EXEC_ANCESTORS_MAX; i++) {
        u32 t = up ? (u32)BPF_CORE_READ(up, tgid) : 0;
        hdr->ancestors[i] = t;
        up = t > 1 ? BPF_CORE_READ(up, real_parent) : 0;
    }
}

/* Credentials after exec (set-user-ID applied) and the audit login uid. */
static __always_inline void read_credentials(struct exec_record_header *hdr, struct task_struct *task, u64 uid_gid, u32 euid, u32 *flags)
{
    hdr->uid = (u32)uid_gid;
    hdr->gid = uid_gid >> 32;
    hdr->euid = euid;
    hdr->egid = BPF_CORE_READ(task, cred, egid.val);
    if (bpf_core_field_exists(task->loginuid)) {
        hdr->loginuid = BPF_CORE_READ(task, loginuid.val);
    } else {
        hdr->loginuid = 0xffffffffu;
        *flags |= EXEC_RECORD_NO_LOGINUID;
    }
}

/* task's ids now (task->cred: what /proc/PID/status's Uid and Gid lines start with). */
static __always_inline void read_ids(struct task_ids *ids, struct task_struct *task)
{
    const struct cred *cred = BPF_CORE_READ(task, cred);
    ids->uid = BPF_CORE_READ(cred, uid.val);
    ids->euid = BPF_CORE_READ(cred, euid.val);
    ids->gid = BPF_CORE_READ(cred, gid.val);
    ids->egid = BPF_CORE_READ(cred, egid.val);
}

/* Session, process group, terminal, cgroup, start time, comm, and a pid-namespace entry. */
static __always_inline void read_session(struct exec_record_header *hdr, struct task_struct *task, u32 *flags)
{
    hdr->cgroup_id = bpf_get_current_cgroup_id();
    if (entered_pid_namespace(task))
        *flags |= EXEC_RECORD_PIDNS_ENTRY;
    hdr->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    hdr->sid = pid_nr(BPF_CORE_READ(signal, pids[PIDTYPE_SID]));
    hdr->pgid = pid_nr(BPF_CORE_READ(signal, pids[PIDTYPE_PGID]));
    hdr->tty_nr = tty_nr_of(signal);
    bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

#endif

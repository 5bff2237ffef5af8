/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The CLI's -u and -p filters, applied before a record is built (settings.filters). Each only
 * leaves out what user space's ProcessFilter would drop too; user space still filters.
 *   -u: the real or the effective uid is the user's (Filtering/ProcessMatching.UserMatches).
 *   -p: the process is in the watched tree: a root (a -p pid, kept by pid as user space does),
 *       or forked by a process in the tree. Roots and the processes that descend from them at
 *       start are put in watched_tgids by the loader; a fork adds its child; an exit removes it.
 *       A process not found there is looked for by its ancestry (it was forked while the
 *       loader was still filling the map): a superset of user space's tree, never less.
 * When the map is full the tree filter opens (lets everything through) for good.
 */
#ifndef PROCWATCH_CAPTURE_FILTER_H
#define PROCWATCH_CAPTURE_FILTER_H

/* Ancestors looked at for a process not (yet) in watched_tgids. */
#define TREE_WALK_MAX 16

/* Sized by the loader: a few entries without -p, enough for a busy host's tree with it. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, u32);
    __type(value, u8);
} watched_tgids SEC(".maps");

struct tree_state tree_state SEC(".data.tree") = {};

static __always_inline bool uid_watched(u32 uid, u32 euid)
{
    if (!(settings.filters & CAPTURE_FILTER_UID))
        return true;
    return uid == settings.filter_uid || euid == settings.filter_uid;
}

static __always_inline void tree_add(u32 tgid)
{
    u8 member = TREE_MEMBER;
    long err = bpf_map_update_elem(&watched_tgids, &tgid, &member, BPF_NOEXIST);
    if (err != 0 && err != -17 /* EEXIST */) {
        tree_state.open = 1;
        count(EXEC_COUNTER_TREE_FULL);
    }
}

/* task's process is in the watched tree (adding it when its ancestry says so). */
static __always_inline bool tree_watched(struct task_struct *task)
{
    if (!(settings.filters & CAPTURE_FILTER_TREE))
        return true;
    u32 tgid = BPF_CORE_READ(task, tgid);
    if (bpf_map_lookup_elem(&watched_tgids, &tgid) || tree_state.open)
        return true;
    struct task_struct *up = BPF_CORE_READ(task, real_parent);
#pragma unroll
    for (int i = 0; i < TREE_WALK_MAX; i++) {
        u32 t = up ? (u32)BPF_CORE_READ(up, tgid) : 0;
        if (t == 0)
            return false;
        if (bpf_map_lookup_elem(&watched_tgids, &t)) {
            tree_add(tgid);
            return true;
        }
        if (t == 1)
            return false;
        up = BPF_CORE_READ(up, real_parent);
    }
    return false;
}

/* The process ended: a descendant leaves the tree (its pid may come back as anyone's). */
static __always_inline void tree_forget(u32 tgid)
{
    if (!(settings.filters & CAPTURE_FILTER_TREE))
        return;
    u8 *kind = bpf_map_lookup_elem(&watched_tgids, &tgid);
    if (kind && *kind == TREE_MEMBER)
        bpf_map_delete_elem(&watched_tgids, &tgid);
}

/* Counts a record the filter left out and, when asked, marks its place in the ring. */
static __always_inline void skip_record(u32 kind, u32 tgid, u32 counter)
{
    count(counter);
    if (!(settings.filters & CAPTURE_MARK_FILTERED))
        return;
    struct filtered_record rec = {};
    rec.prefix.kind = RECORD_FILTERED;
    rec.prefix.tgid = tgid;
    rec.prefix.ktime_ns = bpf_ktime_get_ns();
    rec.filtered_kind = kind;
    /* No wakeup: a marker matters only when the connector's event comes, and its reader drains first. */
    if (bpf_ringbuf_output(&events, &rec, sizeof(rec), BPF_RB_NO_WAKEUP) != 0)
        count(EXEC_COUNTER_MARKER_DROPS);
}

#endif

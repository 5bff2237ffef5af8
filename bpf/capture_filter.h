/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The CLI's -p (and -- COMMAND) in the kernel (settings.filters & CAPTURE_FILTER_TREE): the exec
 * record of a process outside the watched tree is not built (no argv copy, no path walks, no
 * record to parse). Only the exec: user space keeps an outsider's entry in its table as
 * {pid, parent} and ignores its execs (Tracking/EnrichmentStage.Exec), but it places new
 * processes and cleans its table by forks and exits, so those records come whoever's they are:
 * the table, hence every event it reports, is the same with or without this filter.
 *   The tree: a root (a -p pid, kept by pid as user space does), or created by a process in the
 *   tree. Roots and the processes that descend from them at start are put in watched_tgids by
 *   the loader; a fork adds its child; an exit removes it. "Created by" is the creator, the
 *   task that called fork/clone, not real_parent: clone(CLONE_PARENT) gives the child the
 *   creator's parent, which for a root (or a member reparented to a subreaper) is outside the
 *   tree, and a payload run that way would leave the tree silently. Membership then stays with
 *   the process to its exit, whoever becomes its parent (a reparent on its parent's exit).
 *   A process not found there is looked for by its ancestry (it was forked while the loader
 *   was still filling the map): a superset of user space's tree, never less. A full map, or an
 *   ancestry too deep to walk, lets the record through (fail open).
 * -u is not applied here: user space builds every process's entry from its fork and exec
 * records whoever's they are, and shows them in other users' events (the parent, the
 * ancestors, what a child inherits): no record can be left out by its uid alone.
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
    return true; /* deeper than the walk: unsure, so let it through */
}

/* A new process joins the tree when its creator is in it (real_parent is the creator but for
 * CLONE_PARENT, so the usual fork costs the one walk it always did). */
static __always_inline void tree_fork(struct task_struct *creator, struct task_struct *child, u32 creator_tgid, u32 parent_tgid)
{
    if (!(settings.filters & CAPTURE_FILTER_TREE))
        return;
    if (tree_watched(child))
        return;
    if (creator_tgid != parent_tgid && tree_watched(creator))
        tree_add(BPF_CORE_READ(child, tgid));
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

/* Counts an exec the filter left out and, when asked, marks its place in the ring (the
 * completeness cross-check counts it: the connector counts every exec of the host). */
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
    /* No wakeup: the cross-check reads markers when it next drains; nothing waits for them. */
    if (bpf_ringbuf_output(&events, &rec, sizeof(rec), BPF_RB_NO_WAKEUP) != 0)
        count(EXEC_COUNTER_MARKER_DROPS);
}

#endif

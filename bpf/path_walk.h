/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A bounded dentry walk, for the executable's and the cwd's path at exec (bpf_d_path is not
 * allowed in tracepoint programs). It climbs d_parent to each mount's root, then crosses to
 * the mount it is mounted on, until the root mount of the process's mount namespace, as
 * d_path does but without stopping at the process's own root: a chrooted process's paths
 * come out as the host sees them. Components are written leaf first, each with its NUL;
 * user space reverses them. A path longer than EXEC_PATH_CAP or deeper than EXEC_PATH_DEPTH
 * is flagged truncated (user space then reads /proc instead).
 */
#ifndef PROCWATCH_PATH_WALK_H
#define PROCWATCH_PATH_WALK_H

#define NAME_BYTES 256 /* NAME_MAX + NUL */
/* data[] offsets are masked with this so the verifier sees them bounded; every path ends
 * below EXEC_FILENAME_CAP + 2 * EXEC_PATH_CAP (28 KiB), inside it. */
#define DATA_OFFSET_MASK 0x7fff

struct walk_flags {
    u32 truncated;
    u32 deleted;
    u32 anonymous;
};

struct walk_state {
    char *data;            /* the per-CPU scratch's data area */
    u32 start;
    u32 off;
    u32 flags;
    struct dentry *dentry;
    struct vfsmount *vfsmnt;
    struct mount *mnt;
    const struct walk_flags *f;
};

/* One step up: a component, or a crossing to the parent mount. 1 stops bpf_loop. */
static long walk_step(u64 index, void *ctx)
{
    struct walk_state *w = ctx;
    /* Locals first: BPF_CORE_READ would make w's own fields CO-RE relocations. */
    struct dentry *dentry = w->dentry;
    struct vfsmount *vfsmnt = w->vfsmnt;
    struct mount *mnt = w->mnt;
    struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
    if (dentry == mnt_root) {
        struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
        if (parent == mnt)
            return 1; /* the root of the mount namespace */
        w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
        w->mnt = parent;
        w->vfsmnt = (struct vfsmount *)((char *)parent + bpf_core_field_offset(struct mount, mnt));
        return 0;
    }
    u32 used = w->off - w->start;
    if (used > EXEC_PATH_CAP - NAME_BYTES) {
        w->flags |= w->f->truncated;
        return 1;
    }
    struct dentry *up = BPF_CORE_READ(dentry, d_parent);
    const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
    char *data = w->data;
    long n = bpf_probe_read_kernel_str(data + (w->off & DATA_OFFSET_MASK), NAME_BYTES, name);
    if (n > 0)
        w->off += (u32)n;
    if (up == dentry) {
        /* A root that is no mount's root: a pseudo file (memfd_create). */
        w->flags |= w->f->anonymous;
        return 1;
    }
    w->dentry = up;
    if (index == EXEC_PATH_DEPTH - 1)
        w->flags |= w->f->truncated;
    return 0;
}

/* Appends the path of (dentry, vfsmnt) at data[start..]; returns the bytes written. */
static __always_inline u32 walk_path(char *data, u32 start, struct dentry *dentry, struct vfsmount *vfsmnt,
                                     u32 *flags, const struct walk_flags *f)
{
    struct walk_state w = {
        .data = data,
        .start = start,
        .off = start,
        .flags = 0,
        .dentry = dentry,
        .vfsmnt = vfsmnt,
        .mnt = (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt)),
        .f = f,
    };
    /* d_unlinked(): unhashed, and not a root (/proc's " (deleted)"). */
    if (BPF_CORE_READ(dentry, d_hash.pprev) == 0 && BPF_CORE_READ(dentry, d_parent) != dentry)
        w.flags |= f->deleted;
    bpf_loop(EXEC_PATH_DEPTH, walk_step, &w, 0);
    *flags |= w.flags;
    return w.off - start;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The working directory at exec (fs->pwd), walked as the executable's path is. */
#ifndef PROCWATCH_READ_CWD_H
#define PROCWATCH_READ_CWD_H

static const struct walk_flags cwd_walk = {
    EXEC_RECORD_CWD_TRUNCATED, EXEC_RECORD_CWD_DELETED, EXEC_RECORD_CWD_TRUNCATED,
};

/* The cwd's path at data[off..]; returns its length. */
static __always_inline u32 read_cwd(struct exec_record_header *hdr, char *data, u32 off, struct task_struct *task, u32 *flags)
{
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    u32 len = 0;
    if (fs)
        len = walk_path(data, off, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), flags, &cwd_walk);
    else
        *flags |= EXEC_RECORD_CWD_MISSING;
    hdr->cwd_len = len;
    return len;
}

#endif

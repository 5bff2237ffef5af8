/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The exec'd path as given to execve (bprm->filename), and the executable as /proc/PID/exe
 * would name it (for a script: the interpreter), with the inode facts that identify its
 * version (dev, ino, size, mtime, ctime) and its mode and owner.
 */
#ifndef PROCWATCH_READ_PATH_H
#define PROCWATCH_READ_PATH_H

static const struct walk_flags exe_walk = {
    EXEC_RECORD_EXE_TRUNCATED, EXEC_RECORD_EXE_DELETED, EXEC_RECORD_EXE_ANONYMOUS,
};

/* filename at data[0..]; returns its length (no NUL). */
static __always_inline u32 read_filename(struct exec_record_header *hdr, char *data, const char *filename)
{
    /* getname() bounds the path by PATH_MAX (NUL included) = EXEC_FILENAME_CAP, so a full
     * buffer is the longest legal path, not a cut one. */
    long n = bpf_probe_read_kernel_str(data, EXEC_FILENAME_CAP, filename);
    u32 len = n > 0 ? (u32)n - 1 : 0; /* drop the NUL */
    if (len > EXEC_FILENAME_CAP - 1)
        len = EXEC_FILENAME_CAP - 1;
    hdr->filename_len = len;
    return len;
}

static __always_inline void read_exe_inode(struct exec_record_header *hdr, struct inode *inode)
{
    hdr->exe_ino = BPF_CORE_READ(inode, i_ino);
    hdr->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
    hdr->exe_mode = BPF_CORE_READ(inode, i_mode);
    hdr->exe_uid = BPF_CORE_READ(inode, i_uid.val);
    hdr->exe_nlink = BPF_CORE_READ(inode, __i_nlink);
    hdr->exe_size = BPF_CORE_READ(inode, i_size);
    if (bpf_core_field_exists(inode->i_mtime_sec)) {
        hdr->exe_mtime_ns = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(inode, i_mtime_nsec);
        hdr->exe_ctime_ns = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ULL + (BPF_CORE_READ(inode, i_ctime_nsec) & 0x3fffffffu); /* bit 31: I_CTIME_QUERIED (multigrain) */
    } else {
        hdr->exe_mtime_ns = 0; /* user space then keys the hash cache on size and inode alone */
        hdr->exe_ctime_ns = 0;
    }
}

static __always_inline void clear_exe_inode(struct exec_record_header *hdr)
{
    hdr->exe_ino = 0;
    hdr->exe_dev = 0;
    hdr->exe_mode = 0;
    hdr->exe_uid = 0;
    hdr->exe_nlink = 0;
    hdr->exe_size = 0;
    hdr->exe_mtime_ns = 0;
    hdr->exe_ctime_ns = 0;
}

/* The executable (mm->exe_file): its inode facts, and its path at data[off..]; returns the path's length. */
static __always_inline u32 read_exe(struct exec_record_header *hdr, char *data, u32 off, struct task_struct *task, u32 *flags)
{
    struct file *exe = BPF_CORE_READ(task, mm, exe_file);
    u32 len = 0;
    if (exe) {
        read_exe_inode(hdr, BPF_CORE_READ(exe, f_inode));
        len = walk_path(data, off, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt), flags, &exe_walk);
    } else {
        clear_exe_inode(hdr);
        *flags |= EXEC_RECORD_EXE_MISSING;
    }
    hdr->exe_len = len;
    return len;
}

#endif

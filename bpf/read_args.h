/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * argv as the new image holds it (mm->arg_start..arg_end): the first EXEC_ARGV_CAP bytes go
 * in the exec record, the rest (up to EXEC_ARGV_CHUNKS_MAX records in all) in
 * RECORD_ARGV_CHUNK records sent before it, so user space has them all when the exec record
 * arrives. Read inside exec, before the program runs, so nothing can have changed them.
 */
#ifndef PROCWATCH_READ_ARGS_H
#define PROCWATCH_READ_ARGS_H

struct argv_span {
    unsigned long start;
    u64 len;               /* arg_end - arg_start, before any cap */
};

static __always_inline struct argv_span argv_of(struct task_struct *task)
{
    unsigned long start = BPF_CORE_READ(task, mm, arg_start);
    unsigned long end = BPF_CORE_READ(task, mm, arg_end);
    struct argv_span argv = { .start = start, .len = end > start ? end - start : 0 };
    return argv;
}

/*
 * argv beyond the first EXEC_ARGV_CAP bytes, as chunk records (the scratch slot's chunk view:
 * call before the exec record is built there). Returns how many were sent; sets
 * EXEC_RECORD_ARGV_CHUNK_LOST when one could not be, and ARGV_TRUNCATED when argv is cut.
 */
static __always_inline u32 send_argv_chunks(struct exec_scratch *rec, u32 tgid, u64 ktime, struct argv_span argv, u32 *flags)
{
    u32 sent = 0;
    for (u32 i = 1; i < EXEC_ARGV_CHUNKS_MAX && argv.len > EXEC_ARGV_CAP; i++) {
        u64 offset = (u64)i * EXEC_ARGV_CAP;
        if (offset >= argv.len)
            break;
        u64 rest = argv.len - offset;
        u32 len = rest > EXEC_ARGV_CAP ? EXEC_ARGV_CAP : (u32)rest;
        if (len > EXEC_ARGV_CAP) /* again, for the verifier */
            len = EXEC_ARGV_CAP;
        rec->chunk.hdr.prefix.kind = RECORD_ARGV_CHUNK;
        rec->chunk.hdr.prefix.tgid = tgid;
        rec->chunk.hdr.prefix.ktime_ns = ktime;
        rec->chunk.hdr.offset = (u32)offset;
        rec->chunk.hdr.len = len;
        if (bpf_probe_read_user(rec->chunk.data, len, (const void *)(argv.start + offset)) != 0) {
            *flags |= EXEC_RECORD_ARGV_CHUNK_LOST;
            break;
        }
        if (bpf_ringbuf_output(&events, &rec->chunk, sizeof(rec->chunk.hdr) + len, BPF_RB_NO_WAKEUP) != 0) {
            *flags |= EXEC_RECORD_ARGV_CHUNK_LOST;
            count(EXEC_COUNTER_RINGBUF_DROPS);
            break;
        }
        sent++;
    }
    if (argv.len > (u64)EXEC_ARGV_CAP * EXEC_ARGV_CHUNKS_MAX || (*flags & EXEC_RECORD_ARGV_CHUNK_LOST))
        *flags |= EXEC_RECORD_ARGV_TRUNCATED;
    return sent;
}

/* The first chunk of argv at data[off..]; returns its length (0 when unreadable, flagged). */
static __always_inline u32 read_args(struct exec_record_header *hdr, char *data, u32 off, struct argv_span argv, u32 *flags)
{
    hdr->argv_full_len = argv.len > 0xffffffffULL ? 0xffffffffu : (u32)argv.len;
    u32 argv_len = argv.len > EXEC_ARGV_CAP ? EXEC_ARGV_CAP : (u32)argv.len;
    /* Re-state the bounds in a form the verifier keeps through clang's register juggling. */
    off &= DATA_OFFSET_MASK;
    if (argv_len > EXEC_ARGV_CAP)
        argv_len = EXEC_ARGV_CAP;
    if (argv_len > 0 && bpf_probe_read_user(data + off, argv_len, (const void *)argv.start) != 0) {
        *flags |= EXEC_RECORD_ARGV_UNREADABLE;
        argv_len = 0;
    }
    hdr->argv_len = argv_len;
    return argv_len;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What every hook of exec_capture shares: the ring, the per-CPU scratch record, the counters,
 * the settings the loader fixes before load, and the ring's wakeup policy.
 */
#ifndef PROCWATCH_CAPTURE_MAPS_H
#define PROCWATCH_CAPTURE_MAPS_H

/* Filename, executable and cwd paths, then argv: offsets below DATA_OFFSET_MASK + 1. */
#define EXEC_DATA_SIZE (DATA_OFFSET_MASK + 1 + EXEC_ARGV_CAP)

struct exec_scratch {
    union {
        struct {
            struct exec_record_header hdr;
            char data[EXEC_DATA_SIZE];
        } exec;
        struct {
            struct argv_chunk_header hdr;
            char data[EXEC_ARGV_CAP];
        } chunk;
    };
};

/* Size is a default; the loader sets it before load. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* One record-sized scratch slot per CPU. Not a PERCPU_ARRAY: those cap a value at 32 KB,
 * less than one record. The loader sets max_entries to the number of possible CPUs.
 * Tracepoint programs do not nest on a CPU, so a slot is never used twice at once. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct exec_scratch);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, EXEC_COUNTER_COUNT);
    __type(key, u32);
    __type(value, u64);
} counters SEC(".maps");

/* Set by the loader before load; the verifier reads them as constants (frozen .rodata). */
const volatile struct capture_settings settings SEC(".rodata.settings") = {};

/* Shared by all CPUs without atomics: a race only costs one extra wakeup. */
u64 last_wakeup_ns = 0;

static __always_inline u64 wakeup_flags(void)
{
    if (settings.wakeup_interval_ns == 0)
        return 0;
    u64 now = bpf_ktime_get_ns();
    if (now - last_wakeup_ns >= settings.wakeup_interval_ns ||
        bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= settings.wakeup_bytes) {
        last_wakeup_ns = now;
        return BPF_RB_FORCE_WAKEUP;
    }
    return BPF_RB_NO_WAKEUP;
}

static __always_inline void count(u32 index)
{
    u64 *value = bpf_map_lookup_elem(&counters, &index);
    if (value)
        *value += 1; /* per-CPU slot: no atomics needed */
}

/* Writes a fixed-size record (fork, exit); a full ring is counted under drop_counter. */
static __always_inline void submit(void *rec, u64 size, u32 drop_counter)
{
    if (bpf_ringbuf_output(&events, rec, size, wakeup_flags()) != 0)
        count(drop_counter);
}

#endif

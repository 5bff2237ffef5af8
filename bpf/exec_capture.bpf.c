// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ProcWatch kernel capture, one BPF object (bpf/out/exec_capture.bpf.o): per exec a record
 * with the exact argv and the exec's whole context, per fork of a process the child's start
 * time, per process exit its CPU time and peak RSS. The proc connector's events follow right
 * after, stamped with the same clock (bpf_ktime_get_ns). Record layouts: exec_capture.h.
 *
 * One file per hook (hook_exec.c, hook_fork.c, hook_exit.c); they share the maps, so they are
 * compiled here as one unit. Helpers: read_task.h, read_path.h, read_cwd.h, read_args.h
 * (path_walk.h walks a path), capture_filter.h (the -u/-p filters).
 *
 * Three entry points per hook, in the order the loader tries them (one of each is loaded):
 *   tp_btf     BTF-typed raw tracepoint: attached by BTF id, needs no tracefs; the cheapest.
 *   raw_tp     untyped raw tracepoint: attached by name, needs no tracefs nor typed BTF args.
 *   tracepoint the classic tracepoint: needs tracefs mounted (its id comes from there).
 * Raw tracepoint arguments: sched_process_exec (task, old_pid, bprm); sched_process_fork
 * (parent, child); sched_process_exit (task[, group_dead]).
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "exec_capture.h"
#include "path_walk.h"
#include "capture_maps.h"
#include "capture_filter.h"
#include "read_task.h"
#include "read_path.h"
#include "read_cwd.h"
#include "read_args.h"

/* The kernel side only accepts GPL-compatible programs for bpf_probe_read_*. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#include "hook_exec.c"
#include "hook_fork.c"
#include "hook_exit.c"
#include "hook_connector.c"

#!/usr/bin/env bash
# What the kernel's tree filter (-p) saves where it acts: in the exec'ing task, inside the
# exec program (issue 26 item 5, session 5). procwatch -p ROOT (ROOT an idle shell) watches
# while root runs a 3,000-exec storm outside the tree, once with PROCWATCH_EBPF_PREFILTER=0
# (every exec record built: argv copy, two path walks) and once with the filter (an outsider's
# exec leaves a 24-byte marker). The kernel's own BPF run-time statistics
# (bench/bpf-prog-stats.c, BPF_ENABLE_STATS held only during the storm) give runs and ns per
# run of this procwatch's exec, fork and exit programs (picked by their ids in its fdinfo, so
# other monitors on the host do not count); procwatch's CPU is printed beside them.
# With BEFORE_BINARY, the same storm also runs without any filter under BEFORE_BINARY and
# BINARY: the split by hook and the const volatile settings must cost the programs nothing.
#
# usage: sudo bench/tree-filter-bpf-cost.sh [BINARY] [ROUNDS] [BEFORE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-artifacts/procwatch}
ROUNDS=${2:-2}
BEFORE=${3:-}
OUT=$(mktemp -d /tmp/procwatch-tfc.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"' EXIT
cp "$BIN" "$OUT/procwatch"
[ -n "$BEFORE" ] && cp "$BEFORE" "$OUT/before"
gcc -O2 -Wall -o "$OUT/loadgen" bench/loadgen.c
gcc -O2 -Wall -o "$OUT/bpf-prog-stats" bench/bpf-prog-stats.c -lbpf
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() { # PREFILTER [BINARY NAME]: BINARY given, no filter at all
  local prefilter=$1 bin=${2:-procwatch} root pid ids c0 c1 line filter
  sleep 600 & root=$!
  PIDS="$root"
  filter="-p $root"; [ -n "${2:-}" ] && filter=""
  # shellcheck disable=SC2086
  PROCWATCH_EBPF_PREFILTER=$prefilter "$OUT/$bin" -f json -e fork,exec,exit -v $filter -o "$OUT/events.json" 2>"$OUT/pw.err" &
  pid=$!
  PIDS="$root $pid"
  for _ in $(seq 4000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  sleep 0.5
  ids=$( (grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null || true) | awk '{ print $2 }' | sort -u | tr '\n' ' ')
  "$OUT/bpf-prog-stats" 6 handle_exec_btf handle_fork_btf handle_exit_btf > "$OUT/stats" &
  local stats=$!
  sleep 0.2
  c0=$(cpu_ticks "$pid")
  line=$("$OUT/loadgen" exec 3000 "TFC$prefilter" | tail -1)
  wait "$stats"
  c1=$(cpu_ticks "$pid")
  kill "$root"; wait "$root" 2>/dev/null || true
  kill -TERM "$pid"; wait "$pid" || true
  local name="filter on"; [ "$prefilter" = 0 ] && name="PROCWATCH_EBPF_PREFILTER=0"
  [ -n "${2:-}" ] && name=$3
  for prog in handle_exec_btf handle_fork_btf handle_exit_btf; do
    awk -v p="$prog" -v ids=" $ids" -v n="$name" '
      $1 == p { split($2, a, "="); if (index(ids, " " a[2] " ")) { split($3, r, "="); split($4, t, "="); printf "| %s | %s | %s | %s |", n, p, r[2], t[2] } }' "$OUT/stats"
    echo
  done | grep . || echo "| $name | (no statistics: programs not found by id) | | |"
  awk -v n="$name" -v c=$((c1 - c0)) -v k="$TICK" -v l="$line" 'BEGIN { printf "| %s | procwatch CPU s: %.2f | %s | |\n", n, c / k, l }'
  rm -f "$OUT/events.json"
}

echo "bench: tree filter in the kernel, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
echo "| build | program | runs | ns per run |"
echo "|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  order="0 1"; [ $((r % 2)) = 0 ] && order="1 0"
  for pf in $order; do run "$pf"; done
  if [ -n "$BEFORE" ]; then
    run 1 before "no filter, before"; run 1 procwatch "no filter, after"
  fi
done
echo "bench: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

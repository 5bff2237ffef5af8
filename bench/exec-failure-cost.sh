#!/usr/bin/env bash
# What failed-exec capture (-e execfail: exec_failure.bpf.c on the raw sys_exit tracepoint,
# issue 22 item 4) costs, side by side in one run. Per round, in alternating order:
#   off   procwatch -f json -e fork,exec,exit -o FILE
#   on    the same with -e fork,exec,exit,execfail
# each under bench/fixed-rate.c at RATE exec/s (default 1600) for SECONDS. Measured per run:
#   procwatch     procwatch's own CPU (utime+stime) as % of one core
#   workload      fixed-rate and its children (the execs) as % of one core ("times" of its shell):
#                 the hook runs in the tasks that make syscalls, so its cost lands here
#   sum           procwatch + workload: the number the 5 % budget is about
#   µs/exec       sum per exec actually made (fixed-rate's "achieved"): comparable across runs
#                 even when a loaded machine keeps fixed-rate below RATE
#   host          all CPUs busy (/proc/stat), % of one core: includes everyone else (noisy)
#   getppid ns    bench/syscall-cost.c after the window, same procwatch running: the cost of one
#                 cheap syscall, which the hook adds to every syscall of every task on the host
# and, with the hook on, its BPF run count and ns per run during the window (bench/bpf-prog-stats.c).
# Prints the load average before and after. Medians at the end.
#
# usage: sudo bench/exec-failure-cost.sh [-s SECONDS] [-r ROUNDS] [-R RATE]   (default: -s 10 -r 3 -R 1600)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=10 ROUNDS=3 RATE=1600
while getopts "s:r:R:" opt; do
  case $opt in
    s) SECONDS_EACH=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    R) RATE=$OPTARG ;;
    *) echo "usage: $0 [-s SECONDS] [-r ROUNDS] [-R RATE]" >&2; exit 2 ;;
  esac
done
[ -x artifacts/procwatch ] || ./build.sh >&2
OUT=$(mktemp -d /tmp/procwatch-execfail.XXXXXX)
PW=""
cleanup() { [ -n "$PW" ] && kill -TERM "$PW" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$OUT/fixed-rate" bench/fixed-rate.c
gcc -O2 -Wall -o "$OUT/syscall-cost" bench/syscall-cost.c
gcc -O2 -Wall -o "$OUT/bpf-prog-stats" bench/bpf-prog-stats.c -lbpf
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
host_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
secs() { awk -v t="$1" 'BEGIN { n = split(t, p, /[ms]/); printf "%.3f", p[1] * 60 + p[2] }'; }

run() { # MODE
  local mode=$1 kinds=fork,exec,exit
  [ "$mode" = on ] && kinds=fork,exec,exit,execfail
  artifacts/procwatch -f json -e "$kinds" -v -o "$OUT/events.json" 2>"$OUT/pw.err" &
  PW=$!
  for _ in $(seq 2000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  sleep 0.5
  local stats_pid=""
  if [ "$mode" = on ]; then
    "$OUT/bpf-prog-stats" "$((SECONDS_EACH - 1))" execfail_exit_b execfail_exit_r > "$OUT/bpf.txt" & # the kernel keeps 15 characters
    stats_pid=$!
  fi
  local c0 h0 t0 c1 h1 t1 line times
  c0=$(cpu_ticks $PW); h0=$(host_busy); t0=$(date +%s%N)
  times=$(bash -c '"$1" "$2" "$3" "$4" > "$5"; times' _ "$OUT/fixed-rate" "$RATE" "$SECONDS_EACH" "RATE$RATE" "$OUT/line.txt" | tail -1)
  c1=$(cpu_ticks $PW); h1=$(host_busy); t1=$(date +%s%N)
  line=$(cat "$OUT/line.txt")
  [ -n "$stats_pid" ] && wait "$stats_pid"
  local syscall_ns
  syscall_ns=$("$OUT/syscall-cost" 2000000 | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p')
  kill -TERM $PW; wait $PW || true; PW=""
  local failed=0 bpf="-"
  failed=$(grep -c '"action":"execfail"' "$OUT/events.json" || true)
  if [ "$mode" = on ]; then
    bpf=$(awk -v s="$((SECONDS_EACH - 1))" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } } END { if (v["runs"] != "") printf "%.0f/s %s ns/run", v["runs"] / s, v["ns_per_run"]; else print "-" }' "$OUT/bpf.txt")
  fi
  local wu ws
  wu=$(secs "$(echo "$times" | cut -d' ' -f1)"); ws=$(secs "$(echo "$times" | cut -d' ' -f2)")
  awk -v m="$mode" -v l="$line" -v c=$((c1 - c0)) -v k="$TICK" -v ns=$((t1 - t0)) -v wu="$wu" -v ws="$ws" -v h=$((h1 - h0)) \
      -v sc="$syscall_ns" -v f="$failed" -v b="$bpf" \
    'BEGIN { s = ns / 1e9; pw = 100 * (c / k) / s; wl = 100 * (wu + ws) / s; host = 100 * (h / k) / s;
             split(l, a, /achieved=/); split(a[2], b2, " "); per = 1e4 * (pw + wl) / b2[1];
             printf "| %s | %s | %.1f %% | %.1f %% | %.1f %% | %.0f | %.0f %% | %s | %s | %s |\n", m, l, pw, wl, pw + wl, per, host, sc, f, b }' | tee -a "$OUT/rows.txt"
  rm -f "$OUT/events.json"
}

echo "bench: failed-exec capture cost, $RATE exec/s, ${SECONDS_EACH}s per run, $ROUNDS rounds, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
echo "| mode | fixed-rate | procwatch | workload | sum | µs/exec | host busy | getppid CPU ns | execfail events | sys_exit hook |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then run off; run on; else run on; run off; fi
done
echo "bench: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# Medians of procwatch, workload, sum and getppid per mode.
awk -F'|' '{ gsub(/ /, "", $2); m = $2; for (i = 4; i <= 9; i++) { gsub(/[ %]/, "", $i) }
             pw[m] = pw[m] " " $4; wl[m] = wl[m] " " $5; su[m] = su[m] " " $6; pe[m] = pe[m] " " $7; sc[m] = sc[m] " " $9
             if (m == "on") { split($11, h, "/"); gsub(/ /, "", h[1]); runs = runs " " h[1] } }
  function med(list,   a, n, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { for (m in pw) printf "median %s: procwatch %.1f %%, workload %.1f %%, sum %.1f %%, %.0f µs per exec, getppid %.1f ns\n", m, med(pw[m]), med(wl[m]), med(su[m]), med(pe[m]), med(sc[m]);
        if (("on" in pe) && ("off" in pe)) printf "added by execfail per exec: %+.0f µs (%+.1f %%)\n", med(pe["on"]) - med(pe["off"]), 100 * (med(pe["on"]) - med(pe["off"])) / med(pe["off"]);
        if (("on" in su) && ("off" in su)) printf "added by execfail: sum %+.1f points of a core (%+.1f %% of the off sum), getppid %+.1f ns\n",
          med(su["on"]) - med(su["off"]), 100 * (med(su["on"]) - med(su["off"])) / med(su["off"]), med(sc["on"]) - med(sc["off"]);
        if (runs != "" && ("off" in sc)) printf "estimate (hook runs/s x added ns per syscall, robust to noise): %.0f syscalls/s on the host x %.1f ns = %.2f %% of one core\n",
          med(runs), med(sc["on"]) - med(sc["off"]), 100 * med(runs) * (med(sc["on"]) - med(sc["off"])) / 1e9 }' "$OUT/rows.txt" >&2

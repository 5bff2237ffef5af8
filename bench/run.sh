#!/usr/bin/env bash
# Runs procwatch and forkstat on the same load, interleaved, in one run, and reports for each:
# events seen vs expected (the load generator's children only), the monitor's CPU seconds
# during the load, and the load's rate against an unmonitored run of the same round.
#
# usage: bench/run.sh [-m fork|exec|thread] [-n N] [-r ROUNDS]     (default: -m fork -n 20000 -r 3)
# thread: loadgen creates N threads; "forks" then counts thread clones, "exits" thread exits.
# needs root (both monitors use the proc connector); installs forkstat if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=fork N=20000 ROUNDS=3
while getopts "m:n:r:" opt; do
  case $opt in
    m) MODE=$OPTARG ;;
    n) N=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    *) echo "usage: $0 [-m fork|exec|thread] [-n N] [-r ROUNDS]" >&2; exit 2 ;;
  esac
done

if ! command -v forkstat >/dev/null; then
  echo "bench: installing forkstat extrace" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends forkstat extrace >/dev/null 2>&1 \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends forkstat extrace >/dev/null; }
fi
[ -x artifacts/procwatch ] || ./build.sh >&2

OUT=$(mktemp -d /tmp/procwatch-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
gcc -O2 -Wall -pthread -o "$OUT/loadgen" bench/loadgen.c
TICK=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Waits until FILE has stopped growing for 0.5 s (the monitor has written what it received).
wait_quiet() {
  local last=-1 size stable=0
  for _ in $(seq 150); do
    size=$(stat -c %s "$1" 2>/dev/null || echo 0)
    if [ "$size" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    [ $stable -ge 5 ] && return 0
    last=$size
    sleep 0.1
  done
}

# Runs the load; sets LG_PID and LG_RATE.
load() {
  local line
  line=$("$OUT/loadgen" "$MODE" "$N" "BENCH$1")
  LG_PID=$(sed -E 's/.* pid=([0-9]+).*/\1/' <<<"$line")
  LG_RATE=$(sed -E 's/.* rate=([0-9]+).*/\1/' <<<"$line")
}

# monitor NAME ROUND: start it, wait until it listens, run the load, wait for its output to settle.
monitor() {
  local name=$1 round=$2 pid c0 c1 counts lost="" t0 ready_ms hwm
  local file="$OUT/$name.out"
  rm -f "$file"
  t0=$(date +%s%N)
  if [ "$name" = procwatch ]; then
    if [ "$MODE" = thread ]; then events=(-e clone,exit --threads); else events=(-e fork,exec,exit); fi
    artifacts/procwatch -f json "${events[@]}" -v -S -o "$file" 2>"$OUT/pw.err" &
    pid=$!
    for _ in $(seq 2000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
    ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  else
    if [ "$MODE" = thread ]; then events=clone,exit; else events=fork,exec,exit; fi
    forkstat -e "$events" -l >"$file" 2>"$OUT/fs.err" &
    pid=$!
    # forkstat prints its header once subscribed.
    for _ in $(seq 2000); do [ -s "$file" ] && break; sleep 0.005; done
    ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    sleep 0.2
  fi
  c0=$(cpu_ticks $pid)
  load "$round"
  wait_quiet "$file"
  c1=$(cpu_ticks $pid)
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")  # peak resident set, kB
  # SIGTERM: a background job of a script starts with SIGINT ignored, and procwatch honours that.
  kill -TERM $pid
  wait $pid || true
  counts=$(python3 bench/count.py "$name" "$file" "$LG_PID" "$MODE")
  if [ "$name" = procwatch ]; then
    lost=$(grep '^lost:' "$OUT/pw.err" | sed 's/^lost: //; s/ /_/g')
  else
    lost=$( (grep -v '^$' "$OUT/fs.err" || true) | sort | uniq -c | head -3 | tr -s ' \n' '__')
  fi
  echo -e "$round\t$name\t$LG_RATE\t$(awk -v t=$((c1 - c0)) -v k="$TICK" 'BEGIN { printf "%.2f", t / k }')\t${counts// /	}\t${lost:--}\t$ready_ms\t$hwm" >>"$OUT/results.tsv"
}

unmonitored() {
  load "$1"
  echo -e "$1\tnone\t$LG_RATE\t0\t0\t0\t0\t0\t-\t0\t0" >>"$OUT/results.tsv"
}

echo "bench: $MODE storm of $N, $ROUNDS rounds, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
: >"$OUT/results.tsv"
for round in $(seq "$ROUNDS"); do
  # Rotate the order so no monitor always runs first (or right after the cold start).
  case $((round % 3)) in
    1) order="none procwatch forkstat" ;;
    2) order="procwatch forkstat none" ;;
    0) order="forkstat none procwatch" ;;
  esac
  for who in $order; do
    if [ "$who" = none ]; then unmonitored "$round"; else monitor "$who" "$round"; fi
  done
  echo "bench: round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

python3 - "$OUT/results.tsv" "$MODE" "$N" <<'PY'
import sys
from collections import defaultdict
path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [l.rstrip("\n").split("\t") for l in open(path)]
expected = {"forks": n, "execs": n if mode == "exec" else 0, "exits": n}
exp_total = sum(expected.values())
base = {r[0]: float(r[2]) for r in rows if r[1] == "none"}
print(f"| round | monitor | forks seen | execs seen | exits seen | seen / expected | monitor CPU s | CPU µs / storm event | lines written | load rate /s | rate vs unmonitored | ready ms | peak RSS MB | monitor's own loss report |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
agg = defaultdict(lambda: defaultdict(list))
for r in rows:
    rnd, who, rate, cpu = r[0], r[1], float(r[2]), float(r[3])
    if who == "none":
        print(f"| {rnd} | none | | | | | | | | {rate:.0f} | 1.00 | | | |")
        continue
    forks, execs, exits, total = map(int, r[4:8])
    seen = (forks + execs + exits) / exp_total
    # The storm's events dominate the window; other processes' events (the machine is shared) add to both monitors.
    per_event = cpu * 1e6 / exp_total
    ratio = rate / base[rnd]
    delivered = cpu * 1e6 / max(forks + execs + exits, 1)
    ready, hwm = int(r[9]), int(r[10]) / 1024
    for k, v in (("seen", seen), ("cpu", cpu), ("per", per_event), ("deliv", delivered), ("ratio", ratio), ("total", total), ("ready", ready), ("hwm", hwm)):
        agg[who][k].append(v)
    print(f"| {rnd} | {who} | {forks}/{expected['forks']} | {execs}/{expected['execs']} | {exits}/{expected['exits']} | {seen:.2%} | {cpu:.2f} | {per_event:.1f} | {total} | {rate:.0f} | {ratio:.2f} | {ready} | {hwm:.1f} | {r[8].replace('_', ' ').strip()} |")
print()
print("| monitor | mean seen / expected | worst round | mean CPU s | mean CPU µs / storm event | mean CPU µs / storm event delivered | mean rate vs unmonitored | worst rate | max ready ms | max peak RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for who, a in agg.items():
    m = lambda k: sum(a[k]) / len(a[k])
    print(f"| {who} | {m('seen'):.2%} | {min(a['seen']):.2%} | {m('cpu'):.2f} | {m('per'):.1f} | {m('deliv'):.1f} | {m('ratio'):.2f} | {min(a['ratio']):.2f} | {max(a['ready'])} | {max(a['hwm']):.1f} |")
if "procwatch" in agg and "forkstat" in agg:
    p, f = agg["procwatch"], agg["forkstat"]
    mean = lambda a, k: sum(a[k]) / len(a[k])
    print()
    print(f"procwatch / forkstat: CPU s {mean(p,'cpu')/max(mean(f,'cpu'),1e-9):.2f}, CPU per storm event {mean(p,'per')/max(mean(f,'per'),1e-9):.2f}, "
          f"CPU per storm event delivered {mean(p,'deliv')/max(mean(f,'deliv'),1e-9):.2f}")
PY

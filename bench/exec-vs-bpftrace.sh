#!/usr/bin/env bash
# Exec storm, procwatch side by side with bpftrace (issue 11): `loadgen exec N` (N × fork +
# exec /bin/true BENCHr-i), ROUNDS rounds, each round unmonitored, under
# `procwatch -f json -e exec -o FILE` (hashing on, the default) and under bpftrace printing
# pid and argv at execve, in rotating order. Reports per monitor: exact argv seen, its CPU
# seconds (utime+stime) from just before the storm until its output settled, CPU µs per
# exec, and the storm's rate against the unmonitored run of the same round; then
# procwatch / bpftrace CPU per exec.
#
# bpftrace's syscall tracepoints need tracefs, which this project never mounts on the host:
# bpftrace runs in a private mount namespace (unshare -m) with tracefs mounted only there.
#
# usage: sudo bench/exec-vs-bpftrace.sh [-n N] [-r ROUNDS]     (default: -n 5000 -r 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=5000 ROUNDS=3
while getopts "n:r:" opt; do
  case $opt in
    n) N=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    *) echo "usage: $0 [-n N] [-r ROUNDS]" >&2; exit 2 ;;
  esac
done
if ! command -v bpftrace >/dev/null; then
  echo "bench: installing bpftrace" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 bpftrace >/dev/null 2>&1 \
    || { apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -qq -o DPkg::Lock::Timeout=600 bpftrace >/dev/null; }
fi
[ -x artifacts/procwatch ] || ./build.sh >&2
OUT=$(mktemp -d /tmp/procwatch-bt.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
gcc -O2 -Wall -pthread -o "$OUT/loadgen" bench/loadgen.c
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
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
load() { LG_RATE=$("$OUT/loadgen" exec "$N" "BENCH$1" | sed -E 's/.* rate=([0-9]+).*/\1/'); }

# Exact argv: "/bin/true BENCHr-i" for every i, each once.
exact() { # NAME FILE ROUND
  python3 - "$1" "$2" "BENCH$3" "$N" <<'PY'
import json, sys
who, path, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
want = {f"{token}-{i}" for i in range(n)}
seen = set()
for line in open(path, errors="surrogateescape"):
    if who == "procwatch":
        if not line.startswith("{"): continue
        e = json.loads(line)
        a = e.get("process", {}).get("args")
        if a and len(a) == 2 and a[0] == "/bin/true" and a[1] in want: seen.add(a[1])
    else:
        f = line.rstrip("\n").split(" ")
        if len(f) == 3 and f[1] == "/bin/true" and f[2] in want: seen.add(f[2])
print(len(seen))
PY
}

monitor() { # NAME ROUND
  local name=$1 round=$2 pid c0 c1 file="$OUT/$1.out"
  rm -f "$file"
  if [ "$name" = procwatch ]; then
    artifacts/procwatch -f json -e exec -v -S -o "$file" 2>"$OUT/pw.err" &
    pid=$!
    for _ in $(seq 2000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  else
    unshare -m --propagation private sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace -e "tracepoint:syscalls:sys_enter_execve { printf(\"%d \", pid); join(args->argv); }"' >"$file" 2>"$OUT/bt.err" &
    pid=$!
    for _ in $(seq 3000); do grep -q "Attaching" "$file" 2>/dev/null && break; sleep 0.005; done
    sleep 0.2
  fi
  c0=$(cpu_ticks $pid)
  load "$round"
  wait_quiet "$file"
  c1=$(cpu_ticks $pid)
  kill -INT $pid 2>/dev/null || true; kill -TERM $pid 2>/dev/null || true
  wait $pid || true
  local lost=-
  [ "$name" = procwatch ] && lost=$(grep '^lost:' "$OUT/pw.err" | sed 's/^lost: //; s/ /_/g')
  echo -e "$round\t$name\t$LG_RATE\t$(awk -v t=$((c1 - c0)) -v k="$TICK" 'BEGIN { printf "%.2f", t / k }')\t$(exact "$name" "$file" "$round")\t${lost:--}" >>"$OUT/results.tsv"
}

echo "bench: exec storm of $N, $ROUNDS rounds, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r), $(bpftrace --version)" >&2
: >"$OUT/results.tsv"
for round in $(seq "$ROUNDS"); do
  case $((round % 3)) in
    1) order="none procwatch bpftrace" ;;
    2) order="procwatch bpftrace none" ;;
    0) order="bpftrace none procwatch" ;;
  esac
  for who in $order; do
    if [ "$who" = none ]; then load "$round"; echo -e "$round\tnone\t$LG_RATE\t0\t0\t-" >>"$OUT/results.tsv"; else monitor "$who" "$round"; fi
  done
  echo "bench: round $round done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

python3 - "$OUT/results.tsv" "$N" <<'PY'
import sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
n = int(sys.argv[2])
base = {r[0]: float(r[2]) for r in rows if r[1] == "none"}
agg = defaultdict(lambda: defaultdict(list))
print("| round | monitor | exact argv | CPU s | CPU µs / exec | storm rate /s | vs unmonitored | procwatch's loss report |")
print("|---|---|---|---|---|---|---|---|")
for rnd, who, rate, cpu, exact, lost in rows:
    rate, cpu, exact = float(rate), float(cpu), int(exact)
    if who == "none":
        print(f"| {rnd} | none | | | | {rate:.0f} | 1.00 | |"); continue
    a = agg[who]
    a["exact"].append(exact / n); a["cpu"].append(cpu); a["ratio"].append(rate / base[rnd])
    print(f"| {rnd} | {who} | {exact}/{n} | {cpu:.2f} | {cpu * 1e6 / n:.1f} | {rate:.0f} | {rate / base[rnd]:.2f} | {lost.replace('_', ' ')} |")
print()
print("| monitor | worst exact argv | mean CPU s | mean CPU µs / exec | mean workload vs bare |")
print("|---|---|---|---|---|")
m = lambda a, k: sum(a[k]) / len(a[k])
for who, a in agg.items():
    print(f"| {who} | {min(a['exact']):.1%} | {m(a, 'cpu'):.2f} | {m(a, 'cpu') * 1e6 / n:.1f} | {m(a, 'ratio'):.2f} |")
if "procwatch" in agg and "bpftrace" in agg:
    print()
    print(f"procwatch / bpftrace CPU per exec: {m(agg['procwatch'], 'cpu') / max(m(agg['bpftrace'], 'cpu'), 1e-9):.2f}")
PY

#!/usr/bin/env bash
# Fixed-rate exec benchmark (issue 11): /bin/true at a steady 100, 400 and 1600 exec/s for
# SECONDS each, under `procwatch -f json -o FILE` (fork,exec,exit; hashing on, the default),
# reporting procwatch's CPU over the window as % of one core. With -n also a run with
# --no-hash at each rate, to see what hashing costs. Sysmon for Linux's perftest method.
#
# usage: sudo bench/fixed-rate.sh [-s SECONDS] [-n]      (default: -s 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=10 NOHASH=0
while getopts "s:n" opt; do
  case $opt in
    s) SECONDS_EACH=$OPTARG ;;
    n) NOHASH=1 ;;
    *) echo "usage: $0 [-s SECONDS] [-n]" >&2; exit 2 ;;
  esac
done
[ -x artifacts/procwatch ] || ./build.sh >&2
OUT=$(mktemp -d /tmp/procwatch-rate.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
gcc -O2 -Wall -o "$OUT/fixed-rate" bench/fixed-rate.c
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() { # RATE [procwatch options...]
  local rate=$1; shift
  artifacts/procwatch -f json -e fork,exec,exit -v -o "$OUT/events.json" "$@" 2>"$OUT/pw.err" &
  local pid=$!
  for _ in $(seq 2000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  sleep 0.5
  local c0 t0 c1 t1 line
  c0=$(cpu_ticks $pid); t0=$(date +%s%N)
  line=$("$OUT/fixed-rate" "$rate" "$SECONDS_EACH" "RATE$rate")
  c1=$(cpu_ticks $pid); t1=$(date +%s%N)
  local hashed pending
  hashed=$(grep -c '"sha256"' "$OUT/events.json" || true)
  kill -TERM $pid; wait $pid || true
  awk -v c=$((c1 - c0)) -v k="$TICK" -v ns=$((t1 - t0)) -v r="$rate" -v l="$line" -v opt="${*:-hash on}" -v h="$hashed" \
    'BEGIN { printf "| %s | %s | %s | %.2f | %.1f %% | %s |\n", r, opt, l, c / k, 100 * (c / k) / (ns / 1e9), h }'
  rm -f "$OUT/events.json"
}

echo "bench: fixed rate, ${SECONDS_EACH}s each, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
echo "| exec/s | procwatch | load | CPU s | CPU % of one core | events with a hash |"
echo "|---|---|---|---|---|---|"
for rate in 100 400 1600; do
  run "$rate"
  [ "$NOHASH" = 1 ] && run "$rate" --no-hash
done
echo "bench: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

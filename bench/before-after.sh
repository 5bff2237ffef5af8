#!/usr/bin/env bash
# Two procwatch builds on the same loads, interleaved in one run (issue 22): CPU of each over
# a 5,000-exec storm (bench/loadgen.c `exec`) and over 10 s at a steady 1,600 exec/s
# (bench/fixed-rate.c), as in bench/run.sh and bench/fixed-rate.sh; plus how many execs carry
# a hash on the exec itself and how many wait for a "hash" follow-up.
#
# usage: sudo bench/before-after.sh BEFORE_BINARY [AFTER_BINARY] [ROUNDS]
#        (AFTER defaults to artifacts/procwatch, ROUNDS to 2; the order alternates per round)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?usage: $0 BEFORE_BINARY [AFTER_BINARY] [ROUNDS]}
AFTER=${2:-artifacts/procwatch}
ROUNDS=${3:-2}
OUT=$(mktemp -d /tmp/procwatch-ba.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
cp "$BEFORE" "$OUT/before"; cp "$AFTER" "$OUT/after" # copies: a rebuild during the run changes nothing
gcc -O2 -Wall -o "$OUT/fixed-rate" bench/fixed-rate.c
gcc -O2 -Wall -o "$OUT/loadgen" bench/loadgen.c
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() { # NAME LOAD...
  local name=$1; shift
  "$OUT/$name" -f json -e fork,exec,exit -v -o "$OUT/events.json" 2>"$OUT/pw.err" &
  local pid=$!
  for _ in $(seq 4000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  sleep 0.5
  local c0 c1 line size=-1
  c0=$(cpu_ticks $pid)
  line=$("$@" | tail -1)
  # The file records the whole host: on a busy one it never stops growing; settle at most 5 s.
  for _ in $(seq 10); do [ "$(stat -c %s "$OUT/events.json")" = "$size" ] && break; size=$(stat -c %s "$OUT/events.json"); sleep 0.5; done
  c1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid || true
  local token="${!#}" execs hashed pending
  execs=$(grep '"action":"exec"' "$OUT/events.json" | grep -c "$token" || true)
  hashed=$(grep '"action":"exec"' "$OUT/events.json" | grep "$token" | grep -c '"sha256"' || true)
  pending=$(grep '"action":"exec"' "$OUT/events.json" | grep "$token" | grep -c '"hash_status":"pending"' || true)
  awk -v n="$name" -v c=$((c1 - c0)) -v k="$TICK" -v l="$line" -v e="$execs" -v h="$hashed" -v p="$pending" -v w="$LOADNAME" \
    'BEGIN { printf "| %s | %s | %s | %.2f | %d | %d | %d |\n", w, n, l, c / k, e, h, p }'
  rm -f "$OUT/events.json"
}

echo "bench: before-after, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
echo "| load | build | load's own report | CPU s | load execs seen | with hash on the exec | pending |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  order="before after"; [ $((r % 2)) = 0 ] && order="after before"
  for b in $order; do
    LOADNAME="storm 5000" run "$b" "$OUT/loadgen" exec 5000 "BA$r$b"
    LOADNAME="1600/s 10 s" run "$b" "$OUT/fixed-rate" 1600 10 "FR$r$b"
  done
done
echo "bench: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

#!/usr/bin/env bash
# Peak RSS (VmHWM) of procwatch builds over a 5,000-exec storm, then a 20,000-fork storm
# (bench/loadgen.c), in one process each, with -f json -e fork,exec,exit -o FILE: the issue-26
# bar (<= 24 MB). Builds are run one after another, in the order given.
#
# usage: bench/peak-rss.sh BINARY...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/procwatch-rss.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
gcc -O2 -Wall -o "$OUT/loadgen" bench/loadgen.c
for b in "$@"; do
  cp "$b" "$OUT/pw"
  "$OUT/pw" -f json -e fork,exec,exit -v -o "$OUT/events.json" 2>"$OUT/err" &
  pid=$!
  for _ in $(seq 4000); do grep -q "procwatch: ready" "$OUT/err" && break; sleep 0.005; done
  sleep 0.5
  "$OUT/loadgen" exec 5000 RSSX >/dev/null
  exec_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  "$OUT/loadgen" fork 20000 RSSF >/dev/null 2>&1 || true
  sleep 2
  both_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  kill -TERM $pid; wait $pid || true
  echo "$b: VmHWM after the exec storm ${exec_kb} kB, after both storms ${both_kb} kB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$OUT/events.json"
done

#!/usr/bin/env bash
# Peak RSS (VmHWM) at ready, RSS and its anonymous part then, of procwatch builds side by side,
# interleaved rounds, in the three start-ups that load a different number of BPF objects (each
# object's load parses the kernel's BTF: libbpf 1.1.2 copies 5.5 MB twice for a moment):
#   watch     `-f json -e fork,exec,exit -o FILE`             one object
#   execfail  `-f json -e fork,exec,exit,execfail -o FILE`    two (failed execs)
#   deny      `daemon --config C`, one deny rule (audit, on a temporary directory): two (deny)
# The storms' peaks are bench/vs-execsnoop.sh's. Leaves nothing running; files in a temporary
# directory removed at exit.
#
# usage: sudo bench/startup-rss.sh [-r ROUNDS] BINARY...   (default 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3
while getopts "r:" opt; do
  case $opt in r) ROUNDS=$OPTARG ;; *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-r ROUNDS] BINARY..." >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "startup-rss: run as root" >&2; exit 1; }
OUT=$(mktemp -d /tmp/procwatch-startup-rss.XXXXXX)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill -KILL "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$OUT/denied"
cat >"$OUT/deny.yaml" <<YAML
deny:
  rules:
    - name: startup-rss
      directories: [$OUT/denied]
      mode: audit
YAML
i=0
for b in "$@"; do cp "$b" "$OUT/pw$i"; i=$((i + 1)); done

# measure SETUP BUILD_INDEX: one start, one line
measure() {
  local setup=$1 n=$2 ready="procwatch: ready" j
  rm -f "$OUT/err" "$OUT/events"
  case $setup in
    watch) "$OUT/pw$n" -f json -e fork,exec,exit -v -o "$OUT/events" 2>"$OUT/err" & ;;
    execfail) "$OUT/pw$n" -f json -e fork,exec,exit,execfail -v -o "$OUT/events" 2>"$OUT/err" & ;;
    deny) "$OUT/pw$n" daemon --config "$OUT/deny.yaml" >"$OUT/events" 2>"$OUT/err" & ready="ready:" ;;
  esac
  PID=$!
  for j in $(seq 6000); do grep -q "$ready" "$OUT/err" && break; sleep 0.005; done
  grep -q "$ready" "$OUT/err" || { echo "startup-rss: $setup did not get ready:" >&2; cat "$OUT/err" >&2; exit 1; }
  sleep 0.5
  awk '/^VmHWM/ { h = $2 } /^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 }
    END { printf "%.1f | %.1f | %.1f", h / 1024, r / 1024, a / 1024 }' "/proc/$PID/status"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
  PID=""
}

echo "startup-rss: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds; builds: $*"
echo
echo "| round | start-up | build | VmHWM at ready MB | VmRSS MB | of which anonymous MB |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for setup in watch execfail deny; do
    i=0
    for b in "$@"; do
      echo "| $r | $setup | $b | $(measure "$setup" $i) |"
      i=$((i + 1))
    done
  done
done
echo
echo "startup-rss: done, load average $(cut -d' ' -f1-3 /proc/loadavg)"

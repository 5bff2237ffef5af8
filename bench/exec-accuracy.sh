#!/usr/bin/env bash
# Exec storm, one run, three monitors watching it at once: procwatch (JSON to a file, /proc
# enrichment only), forkstat -x and extrace. Reports per monitor the share of execs reported
# with their exact argv and the CPU time spent per exec. Needs root, forkstat, extrace, cc.
# Usage: bench/exec-accuracy.sh [COUNT=5000] [--contention]   (contention: two busy loops)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5000}
contention=${2:-}
bin=${PROCWATCH_BIN:-artifacts/procwatch}
[ "$(id -u)" -eq 0 ] || { echo "exec-accuracy: run as root" >&2; exit 1; }
[ -x "$bin" ] || { echo "exec-accuracy: build first (./build.sh) or set PROCWATCH_BIN" >&2; exit 1; }
for tool in forkstat extrace cc; do
  command -v "$tool" >/dev/null || { echo "exec-accuracy: needs $tool (apt-get install forkstat extrace gcc)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pw-accuracy.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/exec-storm" bench/exec-storm.c
prefix="pwacc$$"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

"$bin" -f json -e exec -o "$work/procwatch.json" & pw=$!
forkstat -x -e exec > "$work/forkstat.txt" 2>&1 & fs=$!
extrace -o "$work/extrace.txt" & ex=$!
sleep 2   # all three subscribed and idle

busy=()
if [ "$contention" = "--contention" ]; then
  for _ in 1 2; do (while :; do :; done) & busy+=($!); done
fi

declare -A before
for p in $pw $fs $ex; do before[$p]=$(cpu_ticks "$p"); done
start=$(date +%s.%N)
"$work/exec-storm" "$count" "$prefix"
end=$(date +%s.%N)
sleep 3   # let every monitor drain its backlog
declare -A used hwm
for p in $pw $fs $ex; do
  used[$p]=$(( $(cpu_ticks "$p") - ${before[$p]} ))
  hwm[$p]=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$p/status")  # peak resident set, MB
done
[ ${#busy[@]} -gt 0 ] && kill "${busy[@]}"
# SIGTERM: background jobs of a script start with SIGINT ignored.
kill -TERM $pw $fs $ex; wait $pw $fs $ex 2>/dev/null || true

hz=$(getconf CLK_TCK)
# Exact argv: "/bin/true PREFIX-NNNNNN" and nothing else, counted once per token.
exact_pw=$(grep -o "\"args\":\[\"/bin/true\",\"$prefix-[0-9]*\"\]" "$work/procwatch.json" | sort -u | wc -l)
exact_fs=$(grep -oE "/bin/true $prefix-[0-9]+ *$" "$work/forkstat.txt" | sort -u | wc -l)
exact_ex=$(grep -oE "/bin/true $prefix-[0-9]+$" "$work/extrace.txt" | sort -u | wc -l)
seen_pw=$(grep -c '"action":"exec"' "$work/procwatch.json" || true)

secs=$(echo "$end - $start" | bc -l)
printf 'exec storm: %d execs in %.2f s (%.0f/s)%s\n' "$count" "$secs" "$(echo "$count / $secs" | bc -l)" "${contention:+, under CPU contention}"
printf '%-10s %12s %10s %16s %14s\n' monitor "exact argv" "share" "CPU µs/exec" "peak RSS MB"
for row in "procwatch $exact_pw $pw" "forkstat $exact_fs $fs" "extrace $exact_ex $ex"; do
  set -- $row
  printf '%-10s %12d %9.1f%% %16.1f %14s\n' "$1" "$2" "$(echo "100 * $2 / $count" | bc -l)" "$(echo "${used[$3]} * 1000000 / $hz / $count" | bc -l)" "${hwm[$3]}"
done
echo "(procwatch exec events seen: $seen_pw)"

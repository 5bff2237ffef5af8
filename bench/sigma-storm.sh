#!/usr/bin/env bash
# Sigma storm (issue 13 target): one exec storm watched at once by two procwatch processes,
# `procwatch -f json -o FILE` and `procwatch --sigma RULES -f json -o FILE` (the whole rule set
# loaded), so both see the same load in the same run. Reports per round each one's share of
# execs with their exact argv and its CPU time, and the CPU ratio with rules / without.
# Needs root and cc. RULES: e.g. SigmaHQ's rules/linux/process_creation (bench/README.md).
# Usage: bench/sigma-storm.sh RULES [COUNT=5000] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:?usage: bench/sigma-storm.sh RULES [COUNT] [ROUNDS]}
count=${2:-5000}
rounds=${3:-3}
bin=${PROCWATCH_BIN:-artifacts/procwatch}
[ "$(id -u)" -eq 0 ] || { echo "sigma-storm: run as root" >&2; exit 1; }
[ -x "$bin" ] || { echo "sigma-storm: build first (./build.sh) or set PROCWATCH_BIN" >&2; exit 1; }
command -v cc >/dev/null || { echo "sigma-storm: needs cc (apt-get install gcc)" >&2; exit 1; }
"$bin" sigma check "$rules" | tail -1

work=$(mktemp -d /tmp/pw-sigma-storm.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/exec-storm" bench/exec-storm.c
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
exact() { grep -o "\"args\":\[\"/bin/true\",\"$2-[0-9]*\"\]" "$1" | sort -u | wc -l; }

plain_total=0 sigma_total=0
printf '%-6s %-8s %12s %8s %14s %14s\n' round monitor "exact argv" share "CPU µs/exec" "alerts"
for round in $(seq "$rounds"); do
  prefix="pwsig$$r$round"
  "$bin" -f json -o "$work/plain.json" & plain=$!
  "$bin" --sigma "$rules" -f json -o "$work/sigma.json" & sigma=$!
  sleep 2   # both subscribed, rules compiled, idle
  p0=$(cpu_ticks $plain) s0=$(cpu_ticks $sigma)
  "$work/exec-storm" "$count" "$prefix" >/dev/null
  sleep 3   # let both drain their backlog
  p1=$(cpu_ticks $plain) s1=$(cpu_ticks $sigma)
  # SIGTERM: background jobs of a script start with SIGINT ignored.
  kill -TERM $plain $sigma; wait $plain $sigma 2>/dev/null || true
  for row in "plain $(exact "$work/plain.json" "$prefix") $((p1 - p0)) 0" \
             "sigma $(exact "$work/sigma.json" "$prefix") $((s1 - s0)) $(grep -c '"kind":"alert"' "$work/sigma.json" || true)"; do
    set -- $row
    printf '%-6s %-8s %12d %7.1f%% %14.1f %14s\n' "$round" "$1" "$2" "$(echo "100 * $2 / $count" | bc -l)" "$(echo "$3 * 1000000 / $hz / $count" | bc -l)" "$4"
  done
  printf '%-6s %-8s %s\n' "$round" ratio "$(echo "scale=3; ($s1 - $s0) / ($p1 - $p0)" | bc -l) (CPU with rules / without)"
  plain_total=$((plain_total + p1 - p0)) sigma_total=$((sigma_total + s1 - s0))
  rm -f "$work/plain.json" "$work/sigma.json"
done
echo "all rounds: CPU with rules / without = $(echo "scale=3; $sigma_total / $plain_total" | bc -l)"

#!/usr/bin/env bash
# Runs the NativeAOT-published WatchExecs sample, execs a program with awkward argv, and
# checks the sample printed that exec with its exact argv from eBPF (as root) or from /proc.
set -euo pipefail
bin="$1"
out="$(mktemp)"
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin" >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  /usr/bin/printf '%s' 'sample arg' "x'y" >/dev/null
  if grep -q "/usr/bin/printf .*: /usr/bin/printf | %s | sample arg | x'y$" "$out"; then
    echo "samples: the NativeAOT WatchExecs reported $(grep -m1 "/usr/bin/printf" "$out")"
    exit 0
  fi
  sleep 0.1
done
echo "samples: the NativeAOT WatchExecs did not report the exec; its output:" >&2
cat "$out" >&2
exit 1

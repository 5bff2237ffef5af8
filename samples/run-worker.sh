#!/usr/bin/env bash
# Runs the CurlWorker sample, runs /usr/bin/curl, and checks the worker logged it (with argv).
set -euo pipefail
dll="$1"
out="$(mktemp)"
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
DOTNET_ENVIRONMENT=Production dotnet "$dll" >"$out" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  /usr/bin/curl --version --silent-sample >/dev/null 2>&1 || true
  if grep -q "curl ran: pid [0-9]* user .* argv /usr/bin/curl --version --silent-sample" "$out"; then
    echo "samples: CurlWorker reacted: $(grep -m1 'curl ran' "$out" | sed 's/^ *//')"
    exit 0
  fi
  sleep 0.1
done
echo "samples: CurlWorker did not report curl; its output:" >&2
cat "$out" >&2
exit 1

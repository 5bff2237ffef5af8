#!/usr/bin/env bash
# The 10,000-process report benchmark: a make -j2 build of generated C files (each target:
# sh, gcc, cc1, as, touch) traced with procwatch; then the report's generation time and size,
# and time to first paint / interactive in headless chromium (tests/browser/measure-report.mjs).
# Usage: sudo bench/report/run.sh [TARGETS] (default 2100 targets, ~10,500 processes)
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=${1:-2100}
bin=artifacts/procwatch
[ -x "$bin" ] || ./build.sh
[ -x /usr/bin/chromium ] || apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium >/dev/null
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --no-audit --no-fund >/dev/null)

work=$(mktemp -d /tmp/procwatch-report-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
{
  echo "all: $(seq -f 'o/f%g.o' 1 "$targets" | tr '\n' ' ')"
  echo "o/%.o: src/%.c"
  printf '\t@mkdir -p o && gcc -O0 -c $< -o $@ && touch $@.done\n'
} > "$work/Makefile"
for i in $(seq 1 "$targets"); do echo "int f$i(int x) { return x * $i; }" > "$work/src/f$i.c"; done

echo "tracing make -j2 ($targets targets)..."
start=$(date +%s.%N)
"$bin" -f json -o "$work/events.json" -- make -C "$work" -j2 -s >/dev/null
echo "build traced in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"

for run in 1 2 3; do
  /usr/bin/time -f "report generation: %e s wall, %M KiB max RSS" "$bin" report "$work/events.json" -o "$work/report.html" >/dev/null
done
json=$(stat -c %s "$work/events.json"); html=$(stat -c %s "$work/report.html")
echo "events.json: $json bytes ($(wc -l < "$work/events.json") lines); report.html: $html bytes ($(awk "BEGIN { printf \"%.2f\", $html / $json }")x the JSON)"
for run in 1 2 3; do
  node tests/browser/measure-report.mjs "$work/report.html"
done

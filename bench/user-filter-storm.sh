#!/usr/bin/env bash
# CPU of procwatch with a filter (issue 26 item 5): a 5,000-exec storm run by root that the
# filter drops. Three runs per round, interleaved: BEFORE (a build without in-kernel filters),
# AFTER with PROCWATCH_EBPF_PREFILTER=0 (user-space filter only) and AFTER (the kernel leaves
# what it can out). Two filters (MODE):
#   user: -u nobody, the storm is root's (since session 5 -u is not applied in the kernel);
#   tree: -p ROOT, ROOT an idle shell, the storm runs outside its tree (the kernel leaves the
#         outsiders' exec records out).
# Then a check that the watched processes' execs still all come: 200 execs as nobody (user),
# or run by ROOT (tree), under each build.
#
# usage: sudo bench/user-filter-storm.sh BEFORE_BINARY [AFTER_BINARY] [ROUNDS] [user|tree|both]
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?usage: $0 BEFORE_BINARY [AFTER_BINARY] [ROUNDS]}
AFTER=${2:-artifacts/procwatch}
ROUNDS=${3:-2}
MODE=${4:-both}
OUT=$(mktemp -d /tmp/procwatch-ufs.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
chmod 755 "$OUT"
cp "$BEFORE" "$OUT/before"; cp "$AFTER" "$OUT/after"
gcc -O2 -Wall -o "$OUT/loadgen" bench/loadgen.c
chmod 755 "$OUT/loadgen"
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() { # NAME BINARY PREFILTER WHO_RUNS TOKEN; WHO_RUNS: root (the storm), nobody or tree (200 watched execs)
  local name=$1 bin=$2 prefilter=$3 as=$4 token=$5 root= filter
  if [ "$FILTER" = tree ]; then
    rm -f "$OUT/go"; mkfifo "$OUT/go"
    if [ "$as" = tree ]; then sh -c "read x < $OUT/go; $OUT/loadgen exec 200 $token >/dev/null" & root=$!
    else sh -c "read x < $OUT/go" & root=$!; fi
    filter="-p $root"
  else filter="-u nobody"; fi
  # shellcheck disable=SC2086
  PROCWATCH_EBPF_PREFILTER=$prefilter "$OUT/$bin" -f json -e fork,exec,exit $filter -v -o "$OUT/events.json" 2>"$OUT/pw.err" &
  local pid=$!
  for _ in $(seq 4000); do grep -q "procwatch: ready" "$OUT/pw.err" && break; sleep 0.005; done
  sleep 0.5
  local c0 c1 line size=-1 n
  c0=$(cpu_ticks $pid)
  if [ "$as" = root ]; then line=$("$OUT/loadgen" exec 5000 "$token" | tail -1)
  elif [ "$as" = tree ]; then echo go > "$OUT/go"; wait "$root"; root=; line="200 execs in the tree"
  else line=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$OUT/loadgen" exec 200 "$token" | tail -1); fi
  [ -n "$root" ] && { echo go > "$OUT/go"; wait "$root"; }
  for _ in $(seq 10); do [ "$(stat -c %s "$OUT/events.json")" = "$size" ] && break; size=$(stat -c %s "$OUT/events.json"); sleep 0.5; done
  c1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid || true
  n=$(grep '"action":"exec"' "$OUT/events.json" | grep -c "$token" || true)
  awk -v n="$name" -v a="$as" -v c=$((c1 - c0)) -v k="$TICK" -v l="$line" -v e="$n" \
    'BEGIN { printf "| %s | %s | %s | %.2f | %d |\n", a, n, l, c / k, e }'
  rm -f "$OUT/events.json"
}

echo "bench: filter storm ($MODE), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
for FILTER in user tree; do
  [ "$MODE" = both ] || [ "$MODE" = "$FILTER" ] || continue
  echo
  echo "filter: $FILTER (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "| execs by | build | load's own report | procwatch CPU s | execs reported |"
  echo "|---|---|---|---|---|"
  for r in $(seq "$ROUNDS"); do
    order="before userspace after"; [ $((r % 2)) = 0 ] && order="after userspace before"
    for b in $order; do
      case $b in
        before) run before before 1 root "UF$r$b" ;;
        userspace) run "after, PROCWATCH_EBPF_PREFILTER=0" after 0 root "UF$r$b" ;;
        after) run after after 1 root "UF$r$b" ;;
      esac
    done
  done
  watched=nobody; [ "$FILTER" = tree ] && watched=tree
  for b in before after; do run "$b" "$b" 1 "$watched" "UN$FILTER$b"; done
done
echo "bench: done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

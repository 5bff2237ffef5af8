#!/usr/bin/env bash
# Exec storm with deny rules loaded (none matching) against the same storm without the daemon,
# interleaved in one run (issue 21). Three configurations per round, in rotating order:
#   none       no daemon
#   daemon     procwatch daemon recording exec+exit to a file, no deny rules
#   deny       the same daemon with 1000 deny rules (500 directories, 500 files, all in a
#              private temp directory: none matches /bin/true), at the best level here
#              (fanotify + the tp_btf backstop where BPF LSM does not load)
#   denysig    the same rules forced to the signal level (PROCWATCH_DENY_ATTACH=tp_btf): the
#              fanotify gate's own cost is deny vs denysig
#   denyask    (-a only) the same rules at the fanotify level alone (PROCWATCH_DENY_ATTACH=fanotify):
#              with directory rules and no backstop it puts no ignore mark, so every exec of
#              the storm asks it twice (/bin/true and the ELF interpreter): its worst case
# -s adds a rule with 100 sha256 digests (of nothing here): at the fanotify level the gate then
# hashes each file it is asked about before it answers (once per file with ignore marks; with
# -a every exec's files, up to its hashing budget of 250 ms a second).
# Prints each run's rate (execs/s) and the medians' ratios.
#
# usage: sudo bench/deny-storm.sh [-n EXECS] [-r ROUNDS] [-a] [-s]      (default: -n 5000 -r 5)
set -euo pipefail
cd "$(dirname "$0")/.."

N=5000 ROUNDS=5 ASK="" HASH=""
while getopts "n:r:as" opt; do
  case $opt in
    n) N=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    a) ASK=denyask ;;
    s) HASH=1 ;;
    *) echo "usage: $0 [-n EXECS] [-r ROUNDS]" >&2; exit 2 ;;
  esac
done
[ -x artifacts/procwatch ] || ./build.sh >&2

OUT=$(mktemp -d /tmp/pwdeny-bench.XXXXXX)
DAEMON=""
cleanup() { [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$OUT/exec-storm" bench/exec-storm.c
gcc -O2 -Wall -o "$OUT/bpf-prog-stats" bench/bpf-prog-stats.c -lbpf

# 1000 rules that match nothing the storm runs.
mkdir -p "$OUT/rules"
{
  cat <<YAML
events: [exec, exit]
outputs:
  - type: file
    path: $OUT/events.json
health:
  socket: $OUT/status.sock
  interval: 0
deny:
  rules:
YAML
  for i in $(seq -w 1 500); do
    mkdir -p "$OUT/rules/dir$i"
    printf '    - name: dir-%s\n      directories: [%s]\n' "$i" "$OUT/rules/dir$i"
  done
  for i in $(seq -w 1 500); do
    printf '#!/bin/sh\n' > "$OUT/rules/file$i"; chmod +x "$OUT/rules/file$i"
    printf '    - name: file-%s\n      executables: [%s]\n' "$i" "$OUT/rules/file$i"
  done
  if [ -n "$HASH" ]; then
    printf '    - name: hashes\n      sha256: ['
    for i in $(seq 100); do printf '%s%s' "$([ "$i" = 1 ] || echo ', ')" "$(printf 'nothing %s' "$i" | sha256sum | cut -c1-64)"; done
    printf ']\n'
  fi
} > "$OUT/deny.yaml"
sed '/^deny:/,$d' "$OUT/deny.yaml" > "$OUT/plain.yaml"

start_daemon() { # CONFIG [ATTACH-MODES]
  rm -f "$OUT/events.json" "$OUT/daemon.err"
  PROCWATCH_DENY_ATTACH="${2:-}" artifacts/procwatch daemon --config "$1" 2> "$OUT/daemon.err" &
  DAEMON=$!
  for _ in $(seq 300); do grep -q "ready:" "$OUT/daemon.err" 2>/dev/null && return 0; sleep 0.1; done
  echo "daemon did not start:"; cat "$OUT/daemon.err"; exit 1
}
stop_daemon() { kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=""; }

storm() { # prints execs per second
  local t0 t1
  t0=$(date +%s%N)
  "$OUT/exec-storm" "$N" "DENYBENCH$1"
  t1=$(date +%s%N)
  echo $(( N * 1000000000 / (t1 - t0) ))
}

declare -a R_NONE R_DAEMON R_DENY R_DENYSIG R_DENYASK
for round in $(seq "$ROUNDS"); do
  for which in $(case $((round % 4)) in 0) echo none daemon deny denysig $ASK ;; 1) echo daemon $ASK deny denysig none ;; 2) echo deny denysig $ASK none daemon ;; *) echo $ASK denysig none daemon deny ;; esac); do
    case $which in
      none) r=$(storm "$round"); R_NONE+=("$r") ;;
      daemon) start_daemon "$OUT/plain.yaml"; r=$(storm "$round"); stop_daemon; R_DAEMON+=("$r") ;;
      deny) start_daemon "$OUT/deny.yaml"; grep -o "deny [0-9]* rule.*" "$OUT/daemon.err" | head -1 >&2; r=$(storm "$round")
        artifacts/procwatch status --socket "$OUT/status.sock" --raw 2>/dev/null | grep '^procwatch_deny_fanotify_\(total\|hash_total\)' | tr '\n' ' ' >&2 || true
        stop_daemon; R_DENY+=("$r") ;;
      denyask) start_daemon "$OUT/deny.yaml" fanotify; grep -o "deny [0-9]* rule.*" "$OUT/daemon.err" | head -1 >&2; r=$(storm "$round")
        artifacts/procwatch status --socket "$OUT/status.sock" --raw 2>/dev/null | grep '^procwatch_deny_fanotify_\(total\|hash_total\)' | tr '\n' ' ' >&2 || true
        stop_daemon; R_DENYASK+=("$r") ;;
      denysig) start_daemon "$OUT/deny.yaml" tp_btf; grep -o "deny [0-9]* rule.*" "$OUT/daemon.err" | head -1 >&2; r=$(storm "$round"); stop_daemon; R_DENYSIG+=("$r") ;;
    esac
    echo "round $round $which: $r exec/s" >&2
  done
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_none=$(median "${R_NONE[@]}"); m_daemon=$(median "${R_DAEMON[@]}"); m_deny=$(median "${R_DENY[@]}"); m_denysig=$(median "${R_DENYSIG[@]}")
echo "exec storm ($N execs, $ROUNDS rounds, medians): no daemon $m_none/s; daemon $m_daemon/s; daemon + 1000 deny rules $m_deny/s; the same at the signal level $m_denysig/s"
awk -v a="$m_deny" -v b="$m_none" -v c="$m_daemon" -v d="$m_denysig" 'BEGIN { printf "deny/no-daemon %.3f   deny/daemon %.3f   deny/denysig %.3f   denysig/no-daemon %.3f   daemon/no-daemon %.3f\n", a / b, a / c, a / d, d / b, c / b }'
if [ -n "$ASK" ]; then
  m_ask=$(median "${R_DENYASK[@]}")
  awk -v a="$m_ask" -v b="$m_none" -v d="$m_denysig" -v e="$m_deny" 'BEGIN { printf "every exec asked (fanotify alone, no ignore marks): %.0f/s   denyask/no-daemon %.3f   denyask/denysig %.3f   denyask/deny %.3f\n", a, a / b, a / d, a / e }'
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# What the hook itself costs per exec, whatever the load: the kernel's own run-time statistics
# of the deny program (and of the exec-capture program beside it) over one more storm.
start_daemon "$OUT/deny.yaml"
"$OUT/bpf-prog-stats" 20 deny_lsm deny_fentry deny_exec_tp handle_exec_btf > "$OUT/stats" &
STATS=$!
sleep 1
storm stats > /dev/null
wait "$STATS"
stop_daemon
cat "$OUT/stats"
awk -v rate="$m_none" '/^deny_/ { printf "deny hook: %.0f ns per exec = %.2f %% of an unmonitored exec (%.0f ns)\n", substr($4, 12), 100 * substr($4, 12) * rate / 1e9, 1e9 / rate }' "$OUT/stats"

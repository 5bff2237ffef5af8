#!/usr/bin/env bash
# procwatch against execsnoop (libbpf-tools, the leanest eBPF exec printer) and the other exec
# monitors, side by side in one run, interleaved rounds (issue 26's "Done when" bars):
#   storm  `loadgen exec N` (N × fork + exec /bin/true BENCHr-i at full speed), each round
#          unmonitored and under each monitor in rotating order: its CPU, exact argv seen,
#          the workload's rate against the bare run of the same round, its peak RSS (VmHWM);
#          procwatch runs `-f json -e exec -o FILE` (hashing on, the default).
#   rate   `fixed-rate RATE SECONDS` (vfork + exec /bin/true at a steady pace): CPU as % of a
#          core, procwatch `-f json -e fork,exec,exit -o FILE` against execsnoop.
#   rss    `loadgen fork F` under procwatch `-f json -e fork,exec,exit -o FILE`: peak RSS, and
#          forks/exits of the load seen (nothing may be lost to save memory).
# Then the ratios against execsnoop, the bars, and the load average before/after each round.
#
# execsnoop and bpftrace attach to syscall tracepoints, which need tracefs; the project never
# mounts it on the host: each runs in its own mount namespace (unshare -m, private
# propagation) with tracefs mounted only there, gone when it exits.
#
# usage: sudo bench/vs-execsnoop.sh [-r ROUNDS] [-n N] [-R RATE] [-s SECONDS] [-F FORKS]
#                                   [-m "MONITORS"] [-p PARTS] [-b BINARY] [-B BEFORE_BINARY]
#   defaults: -r 2 -n 5000 -R 1600 -s 10 -F 20000 -m "procwatch execsnoop forkstat extrace bpftrace"
#   -p storm,rate,rss (any subset); -b the procwatch to measure (artifacts/procwatch, built if
#   missing); -B a second build measured as the column "before" in every part (before/after).
#   The rate part runs procwatch, before and execsnoop only (the others: -m with -p rate).
# Installs libbpf-tools, bpftrace, forkstat, extrace through scripts/setup.sh. Leaves nothing
# running or mounted; its files live in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=2 N=5000 RATE=1600 SECS=10 FORKS=20000 PARTS=storm,rate,rss
MONITORS="procwatch execsnoop forkstat extrace bpftrace" RATE_MONITORS=""
BIN=artifacts/procwatch BEFORE=""
while getopts "r:n:R:s:F:m:p:b:B:" opt; do
  case $opt in
    r) ROUNDS=$OPTARG ;; n) N=$OPTARG ;; R) RATE=$OPTARG ;; s) SECS=$OPTARG ;; F) FORKS=$OPTARG ;;
    m) MONITORS=$OPTARG; RATE_MONITORS=$OPTARG ;; p) PARTS=$OPTARG ;; b) BIN=$OPTARG ;; B) BEFORE=$OPTARG ;;
    *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "vs-execsnoop: run as root (sudo $0)" >&2; exit 1; }
scripts/setup.sh libbpf-tools bpftrace forkstat extrace >&2
[ -x "$BIN" ] || [ "$BIN" != artifacts/procwatch ] || ./build.sh >&2
[ -x "$BIN" ] || { echo "vs-execsnoop: no procwatch binary at $BIN" >&2; exit 1; }
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "vs-execsnoop: no binary at $BEFORE" >&2; exit 1; }
if [ -n "$BEFORE" ]; then MONITORS="before $MONITORS"; fi
if [ -z "$RATE_MONITORS" ]; then RATE_MONITORS="procwatch execsnoop"; [ -n "$BEFORE" ] && RATE_MONITORS="before $RATE_MONITORS"; fi
EXECSNOOP=$(command -v execsnoop || echo /usr/sbin/execsnoop)

OUT=$(mktemp -d /tmp/procwatch-vs-execsnoop.XXXXXX)
MON_PID=""
cleanup() {
  if [ -n "$MON_PID" ]; then kill -KILL "$MON_PID" 2>/dev/null || true; wait "$MON_PID" 2>/dev/null || true; fi
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$BIN" "$OUT/procwatch" # copies: a rebuild during the run changes nothing
[ -n "$BEFORE" ] && cp "$BEFORE" "$OUT/before"
gcc -O2 -Wall -pthread -o "$OUT/loadgen" bench/loadgen.c
gcc -O2 -Wall -o "$OUT/fixed-rate" bench/fixed-rate.c
TICK=$(getconf CLK_TCK)
NCPU=$(nproc)
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { find "/proc/$1/fd" -lname "$2" 2>/dev/null | wc -l; }

# start NAME FILE PROCWATCH-EVENTS: starts a monitor writing to FILE, sets MON_PID, returns when
# it listens (procwatch: its -v ready line; execsnoop: its perf buffer's epoll exists, which it
# creates after attaching; bpftrace: its "Attaching" line; forkstat/extrace: 0.5 s).
start() {
  local name=$1 file=$2 events=$3 i
  case $name in
    procwatch|before)
      "$OUT/$name" -f json -e "$events" -v -S -o "$file" 2>"$OUT/$name.err" &
      MON_PID=$!
      for i in $(seq 3000); do grep -q "procwatch: ready" "$OUT/$name.err" && break; sleep 0.005; done ;;
    execsnoop)
      # Mounted only in its own namespace, unless something already mounted it on the host.
      unshare -m --propagation private sh -c '{ mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; } && exec "$0"' "$EXECSNOOP" >"$file" 2>"$OUT/$name.err" &
      MON_PID=$!
      for i in $(seq 3000); do [ "$(fd_count $MON_PID 'anon_inode:\[eventpoll\]')" -gt 0 ] && break; sleep 0.005; done ;;
    bpftrace)
      unshare -m --propagation private sh -c '{ mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; } && exec bpftrace -e "tracepoint:syscalls:sys_enter_execve { printf(\"%d \", pid); join(args->argv); }"' >"$file" 2>"$OUT/$name.err" &
      MON_PID=$!
      for i in $(seq 4000); do grep -q "Attaching" "$file" 2>/dev/null && break; sleep 0.005; done ;;
    forkstat)
      forkstat -e exec >"$file" 2>"$OUT/$name.err" &
      MON_PID=$!; sleep 0.5 ;;
    extrace)
      extrace -o "$file" 2>"$OUT/$name.err" &
      MON_PID=$!; sleep 0.5 ;;
    *) echo "vs-execsnoop: unknown monitor $name" >&2; exit 2 ;;
  esac
  sleep 0.2
  READY_HWM=$(hwm_kb $MON_PID) # the start-up's own peak (procwatch: libbpf reads the kernel's BTF, twice)
}

# settle FILE: the monitor has written what it received when neither FILE nor its CPU time has
# changed for 0.5 s. The monitors see the whole host, so on a busy one this waits at most 5 s.
settle() {
  local last="" now stable=0 i
  for i in $(seq 50); do
    now="$(stat -c %s "$1" 2>/dev/null || echo 0) $(cpu_ticks $MON_PID)"
    if [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    [ $stable -ge 5 ] && return 0
    last=$now
    sleep 0.1
  done
}

# stop NAME: SIGINT (the tools' own way out; procwatch: SIGTERM, as a script's background job
# ignores SIGINT), then SIGKILL after 5 s. Prints procwatch's loss line.
stop() {
  local i
  if [ "$1" = procwatch ] || [ "$1" = before ]; then kill -TERM "$MON_PID" 2>/dev/null || true
  else kill -INT "$MON_PID" 2>/dev/null || true; fi
  for i in $(seq 50); do kill -0 "$MON_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$MON_PID" 2>/dev/null || true
  wait "$MON_PID" 2>/dev/null || true
  MON_PID=""
}
lost() { if [ -f "$OUT/$1.err" ]; then grep '^lost:' "$OUT/$1.err" | sed 's/^lost: //; s/ /_/g' | head -1; fi; }

# exact NAME FILE TOKEN COUNT: how many of "/bin/true TOKEN-i" (i < COUNT) the monitor reported
# with exactly that argv, each counted once. Text monitors end their line with the argv.
exact() {
  python3 - "$@" <<'PY'
import json, re, sys
who, path, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = set()
text = re.compile(r"(?:^|\s)/bin/true (" + re.escape(token) + r"-\d+)\s*$")
for line in open(path, errors="surrogateescape"):
    if who in ("procwatch", "before"):
        if '"exec"' not in line or not line.startswith("{"): continue
        a = json.loads(line).get("process", {}).get("args")
        if a and len(a) == 2 and a[0] == "/bin/true" and a[1].startswith(token + "-"): seen.add(a[1])
    else:
        m = text.search(line.rstrip("\n"))
        if m: seen.add(m.group(1))
print(len({s for s in seen if 0 <= int(s.rsplit("-", 1)[1]) < n}))
PY
}

# seen NAME FILE TOKEN: execs of "true TOKEN" (fixed-rate's argv) the monitor reported.
seen() {
  if [ "$1" = procwatch ] || [ "$1" = before ]; then grep '"action":"exec"' "$2" | grep -c "\"true\",\"$3\"" || true
  else grep -cE "(^|[ /])true $3 *$" "$2" || true; fi
}

# forks_seen FILE LOADGEN_PID: fork and exit events of the load's children in procwatch's file.
forks_seen() {
  python3 - "$@" <<'PY'
import json, sys
path, lg = sys.argv[1], int(sys.argv[2])
forks, exits, children = 0, 0, set()
for line in open(path, errors="surrogateescape"):
    if not line.startswith("{"): continue
    e = json.loads(line); p = e.get("process", {}); a = e.get("event", {}).get("action")
    if a == "fork" and p.get("parent", {}).get("pid") == lg: forks += 1; children.add(p.get("pid"))
    elif a == "exit" and p.get("pid") in children and p.get("parent", {}).get("pid") == lg: exits += 1
print(f"{forks} {exits}")
PY
}

R="$OUT/results.tsv"; : >"$R"
storm() { # ROUND WHO
  local round=$1 who=$2 file="$OUT/$2.out" line c0 c1
  rm -f "$file" "$OUT/$who.err"
  [ "$who" = none ] || start "$who" "$file" exec
  c0=$([ "$who" = none ] && echo 0 || cpu_ticks $MON_PID)
  line=$("$OUT/loadgen" exec "$N" "BENCH$round")
  local rate; rate=$(sed -E 's/.* rate=([0-9]+).*/\1/' <<<"$line")
  if [ "$who" = none ]; then printf 'storm\t%s\tnone\t%s\t0\t0\t0\t-\t0\n' "$round" "$rate" >>"$R"; return; fi
  settle "$file"
  c1=$(cpu_ticks $MON_PID); local hwm; hwm=$(hwm_kb $MON_PID)
  stop "$who"
  printf 'storm\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$who" "$rate" "$(awk -v t=$((c1 - c0)) -v k="$TICK" 'BEGIN { printf "%.2f", t / k }')" \
    "$(exact "$who" "$file" "BENCH$round" "$N")" "$hwm" "$(lost "$who")" "$READY_HWM" >>"$R"
  rm -f "$file"
}
steady() { # ROUND WHO
  local round=$1 who=$2 file="$OUT/$2.out" line c0 c1 t0 t1
  rm -f "$file" "$OUT/$who.err"
  start "$who" "$file" fork,exec,exit
  sleep 0.3
  c0=$(cpu_ticks $MON_PID); t0=$(date +%s%N)
  line=$("$OUT/fixed-rate" "$RATE" "$SECS" "RATE$round$who")
  settle "$file"
  c1=$(cpu_ticks $MON_PID); t1=$(date +%s%N); local hwm; hwm=$(hwm_kb $MON_PID)
  stop "$who"
  printf 'rate\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$who" "$(tr ' ' '_' <<<"$line")" \
    "$(awk -v t=$((c1 - c0)) -v k="$TICK" 'BEGIN { printf "%.2f", t / k }')" "$(( (t1 - t0) / 1000000 ))" \
    "$(seen "$who" "$file" "RATE$round$who")" "$hwm" "$(lost "$who")" >>"$R"
  rm -f "$file"
}
forkstorm() { # ROUND WHO
  local round=$1 who=$2 file="$OUT/$2.out" line c0 c1
  rm -f "$file" "$OUT/$who.err"
  start "$who" "$file" fork,exec,exit
  c0=$(cpu_ticks $MON_PID)
  line=$("$OUT/loadgen" fork "$FORKS")
  settle "$file"
  c1=$(cpu_ticks $MON_PID); local hwm; hwm=$(hwm_kb $MON_PID)
  stop "$who"
  local lg rate; lg=$(sed -E 's/.* pid=([0-9]+).*/\1/' <<<"$line"); rate=$(sed -E 's/.* rate=([0-9]+).*/\1/' <<<"$line")
  printf 'forks\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$who" "$rate" "$(awk -v t=$((c1 - c0)) -v k="$TICK" 'BEGIN { printf "%.2f", t / k }')" \
    "$(forks_seen "$file" "$lg" | tr ' ' /)" "$hwm" "$(lost "$who")" "$READY_HWM" >>"$R"
  rm -f "$file"
}

# rotate ROUND WORDS...: the words, rotated by ROUND (each round starts with another one).
rotate() { local r=$1; shift; local a=("$@") n=$# i; for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + r) % n))]}"; done; }

T0=$(date +%s)
echo "vs-execsnoop: $NCPU CPUs, kernel $(uname -r), load average $(loadavg); parts $PARTS; $ROUNDS rounds; procwatch $BIN${BEFORE:+, before $BEFORE}; $(dpkg-query -W -f='libbpf-tools ${Version}' libbpf-tools)" >&2
printf 'load\t0\tstart\t%s\n' "$(loadavg)" >>"$R"
for round in $(seq "$ROUNDS"); do
  if [[ $PARTS == *storm* ]]; then
    for who in $(rotate "$round" none $MONITORS); do storm "$round" "$who"; done
  fi
  if [[ $PARTS == *rate* ]]; then
    for who in $(rotate "$round" $RATE_MONITORS); do steady "$round" "$who"; done
  fi
  if [[ $PARTS == *rss* ]]; then
    for who in $(rotate "$round" procwatch ${BEFORE:+before}); do forkstorm "$round" "$who"; done
  fi
  printf 'load\t%s\tafter\t%s\n' "$round" "$(loadavg)" >>"$R"
  echo "vs-execsnoop: round $round done at $(( $(date +%s) - T0 )) s, load average $(loadavg)" >&2
done

python3 - "$R" "$N" "$RATE" "$SECS" "$FORKS" "$NCPU" <<'PY'
import sys
from collections import defaultdict
path, n, rate, secs, forks, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rows = [l.rstrip("\n").split("\t") for l in open(path)]
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
mb = lambda kb: int(kb) / 1024  # MB of 1024 kB, as bench/run.sh (and issue 26's "29.4 MB")
lost = lambda s: s.replace("_", " ") if s and s != "-" else "-"
loads = [f"{r[2]} round {r[1]}: {r[3]}" if r[1] != "0" else f"start: {r[3]}" for r in rows if r[0] == "load"]
print("Load average (1, 5, 15 min) " + "; ".join(loads) + f"; {ncpu} CPUs.")

storm = [r for r in rows if r[0] == "storm"]
S = defaultdict(lambda: defaultdict(list))
if storm:
    bare = {r[1]: float(r[3]) for r in storm if r[2] == "none"}
    print(f"\n### Exec storm: `loadgen exec {n}`; procwatch `-f json -e exec -o FILE` (hashing on)\n")
    print("| round | monitor | exact argv | CPU s | CPU µs / exec | workload rate /s | vs bare | peak RSS MB (at ready) | loss report |")
    print("|---|---|---|---|---|---|---|---|---|")
    for _, rnd, who, rt, cpu, ex, hwm, ls, hwm0 in storm:
        if who == "none":
            print(f"| {rnd} | none (bare) | | | | {float(rt):.0f} | 1.00 | | |"); continue
        a = S[who]; v = float(rt) / bare[rnd] if bare.get(rnd) else float("nan")
        a["cpu"].append(float(cpu)); a["exact"].append(int(ex) / n); a["vs"].append(v); a["hwm"].append(mb(hwm))
        print(f"| {rnd} | {who} | {ex}/{n} | {float(cpu):.2f} | {float(cpu) * 1e6 / n:.1f} | {float(rt):.0f} | {v:.2f} | {mb(hwm):.1f} ({mb(hwm0):.1f}) | {lost(ls)} |")
    print("\n| monitor | worst exact argv | mean CPU s | CPU µs / exec | CPU vs execsnoop | mean (worst) workload vs bare | max peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    es = mean(S["execsnoop"]["cpu"]) if "execsnoop" in S else None
    for who, a in S.items():
        ratio = f"{mean(a['cpu']) / es:.2f}×" if es else "-"
        print(f"| {who} | {min(a['exact']):.1%} | {mean(a['cpu']):.2f} | {mean(a['cpu']) * 1e6 / n:.1f} | {ratio} | {mean(a['vs']):.2f} ({min(a['vs']):.2f}) | {max(a['hwm']):.1f} |")

steady = [r for r in rows if r[0] == "rate"]
F = defaultdict(lambda: defaultdict(list))
if steady:
    print(f"\n### Steady {rate} exec/s for {secs} s: procwatch `-f json -e fork,exec,exit -o FILE` (hashing on)\n")
    print("| round | monitor | load's own report | CPU s | % of one core | execs of the load seen | peak RSS MB | loss report |")
    print("|---|---|---|---|---|---|---|---|")
    for _, rnd, who, line, cpu, ms, sn, hwm, ls in steady:
        pct = 100 * float(cpu) / (int(ms) / 1000)
        a = F[who]; a["pct"].append(pct); a["seen"].append(int(sn) / (rate * secs)); a["hwm"].append(mb(hwm))
        print(f"| {rnd} | {who} | {line.replace('_', ' ')} | {float(cpu):.2f} | {pct:.1f} % | {sn}/{rate * secs} | {mb(hwm):.1f} | {lost(ls)} |")
    print("\n| monitor | mean % of one core | CPU vs execsnoop | worst execs seen | max peak RSS MB |")
    print("|---|---|---|---|---|")
    es = mean(F["execsnoop"]["pct"]) if "execsnoop" in F else None
    for who, a in F.items():
        ratio = f"{mean(a['pct']) / es:.2f}×" if es else "-"
        print(f"| {who} | {mean(a['pct']):.1f} % | {ratio} | {min(a['seen']):.1%} | {max(a['hwm']):.1f} |")

fk = [r for r in rows if r[0] == "forks"]
K = defaultdict(lambda: defaultdict(list))
if fk:
    print(f"\n### Fork storm: `loadgen fork {forks}`; procwatch `-f json -e fork,exec,exit -o FILE`\n")
    print("| round | monitor | forks/exits of the load seen | CPU s | workload rate /s | peak RSS MB (at ready) | loss report |")
    print("|---|---|---|---|---|---|---|")
    for _, rnd, who, rt, cpu, fe, hwm, ls, hwm0 in fk:
        K[who]["hwm"].append(mb(hwm))
        print(f"| {rnd} | {who} | {fe} of {forks} | {float(cpu):.2f} | {float(rt):.0f} | {mb(hwm):.1f} ({mb(hwm0):.1f}) | {lost(ls)} |")

print("\n### Bars (issue 26)\n")
def bar(label, ok, value):
    print(f"- {label}: {value} → {'met' if ok else 'NOT met'}")
for who in [w for w in ("procwatch", "before") if w in S or w in F or w in K]:
    if who in S and "execsnoop" in S and mean(S["execsnoop"]["exact"]) == 0:
        print(f"- execsnoop saw none of the storm's execs (see its .err): no ratio")
    elif who in S and "execsnoop" in S:
        r = mean(S[who]["cpu"]) / mean(S["execsnoop"]["cpu"])
        bar(f"{who}: storm CPU ≤ 1.25× execsnoop", r <= 1.25, f"{r:.2f}×")
        bar(f"{who}: storm exact argv 100 %", min(S[who]["exact"]) == 1.0, f"worst round {min(S[who]['exact']):.2%}")
        bar(f"{who}: storm workload ≥ 0.95× bare", mean(S[who]["vs"]) >= 0.95, f"mean {mean(S[who]['vs']):.2f} (worst round {min(S[who]['vs']):.2f})")
    if who in F and "execsnoop" in F and mean(F["execsnoop"]["pct"]) > 0:
        r = mean(F[who]["pct"]) / mean(F["execsnoop"]["pct"])
        bar(f"{who}: {rate} exec/s CPU ≤ 1.25× execsnoop", r <= 1.25, f"{r:.2f}× ({mean(F[who]['pct']):.1f} % vs {mean(F['execsnoop']['pct']):.1f} %)")
    peaks = []
    if who in S: peaks.append(("exec storm", max(S[who]["hwm"])))
    if who in K: peaks.append(("fork storm", max(K[who]["hwm"])))
    if peaks:
        bar(f"{who}: peak RSS ≤ 24 MB", all(p <= 24.0 for _, p in peaks), ", ".join(f"{k} {p:.1f} MB" for k, p in peaks))
PY
echo "vs-execsnoop: done in $(( $(date +%s) - T0 )) s, load average $(loadavg)" >&2

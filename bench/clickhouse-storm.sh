#!/usr/bin/env bash
# Exec storm with the ClickHouse output on (issue 14 target): the daemon records to a file and
# to a private clickhouse-server (Debian's 18.16, loopback, own data directory) at once.
#   phase up:   a storm while the server runs;
#   phase down: the server is killed, a storm runs, the server is started again and the
#               daemon's spool drains into it.
# Per phase: execs with their exact argv in the file output and in ClickHouse (distinct, and
# rows without FINAL, so a resend would show), and the daemon's CPU per exec.
# Needs root, cc, clickhouse-server (scripts/setup.sh installs it), curl.
# Usage: bench/clickhouse-storm.sh [COUNT=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5000}
bin=${PROCWATCH_BIN:-artifacts/procwatch}
[ "$(id -u)" -eq 0 ] || { echo "clickhouse-storm: run as root" >&2; exit 1; }
[ -x "$bin" ] || { echo "clickhouse-storm: build first (./build.sh) or set PROCWATCH_BIN" >&2; exit 1; }
for tool in cc curl /usr/sbin/clickhouse-server; do
  command -v "$tool" >/dev/null || { echo "clickhouse-storm: needs $tool (scripts/setup.sh)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/pw-ch-storm.XXXXXX)
source bench/clickhouse-server.sh
daemon=
cleanup() {
  [ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
cc -O2 -o "$dir/exec-storm" bench/exec-storm.c
start_server

cat > "$dir/procwatch.yaml" <<YAML
events: [exec, exit]
outputs:
  - type: file
    path: $dir/events.json
  - type: clickhouse
    url: http://127.0.0.1:$port/
    user: default
    spool: $dir/spool
    create_table: true
health:
  socket: none
  interval: 0
YAML
"$bin" daemon --config "$dir/procwatch.yaml" 2> "$dir/daemon.log" & daemon=$!
until grep -qs "ready:" "$dir/daemon.log"; do kill -0 "$daemon" || { cat "$dir/daemon.log"; exit 1; }; sleep 0.1; done
sleep 1

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
in_file() { grep -o "\"args\":\[\"/bin/true\",\"$1-[0-9]*\"\]" "$dir/events.json" | sort -u | wc -l; }
query() { curl -sf "http://127.0.0.1:$port/" --data-binary "$1"; }
where() { echo "\`event.action\` = 'exec' AND \`process.args\`[1] = '/bin/true' AND startsWith(\`process.args\`[2], '$1-') AND length(\`process.args\`) = 2"; }
in_ch() { query "SELECT uniqExact(\`process.args\`[2]) FROM procwatch.events FINAL WHERE $(where "$1")"; }
rows_ch() { query "SELECT count() FROM procwatch.events WHERE $(where "$1")"; }
wait_ch() {  # until ClickHouse holds every exec of the storm, at most 120 s
  for _ in $(seq 1200); do [ "$(in_ch "$1")" -ge "$count" ] && return; sleep 0.1; done
}

printf '%-6s %10s %14s %14s %14s %14s\n' phase execs "exact in file" "exact in CH" "CH rows" "CPU µs/exec"
for phase in up down; do
  prefix="pwch$$$phase"
  [ "$phase" = down ] && stop_server
  before=$(cpu_ticks "$daemon")
  "$dir/exec-storm" "$count" "$prefix" >/dev/null
  sleep 3   # the daemon drains its backlog
  used=$(( $(cpu_ticks "$daemon") - before ))
  file=$(in_file "$prefix")
  if [ "$phase" = down ]; then
    spooled=$(du -sb "$dir/spool" | cut -f1)
    start_server
  fi
  wait_ch "$prefix"
  printf '%-6s %10d %14d %14d %14d %14.1f\n' "$phase" "$count" "$file" "$(in_ch "$prefix")" "$(rows_ch "$prefix")" "$(echo "$used * 1000000 / $hz / $count" | bc -l)"
done
echo "(spool while the server was down: $spooled bytes; daemon log lines about ClickHouse:)"
grep -i clickhouse "$dir/daemon.log" | cut -c1-200 | sort | uniq -c | sort -rn | head -5

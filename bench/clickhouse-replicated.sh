#!/usr/bin/env bash
# The fleet benchmark on a replicated cluster (issue 27): a private ZooKeeper and four
# clickhouse-servers on loopback (2 shards x 2 replicas, internal_replication), the schema of
# `procwatch fleet schema --cluster pw` applied, HOSTS simulated daemons inserting through the
# Distributed table of node 1 (insert_distributed_sync=1). The hosts are split over GENERATORS
# processes (ProcWatch.Benchmarks "clickhouse fleet-generator": each a share of the hosts, one
# ClickHouseSink with its own spool per host, the daemon's own output code), which start
# generating together; a third of the way in, one replica is SIGKILLed and started again 15 s
# later. Then "clickhouse fleet-check" adds up the generators' results (offered rate against the
# target, drain time, CPU per event, insert latencies), waits for the replicas to agree, reads
# the servers' CPU (4 servers + ZooKeeper via /proc) and checks every event is on both
# replicas of its shard exactly once. Prints the load average before and after. Needs root
# (the events are recorded off the kernel) and scripts/setup.sh clickhouse-server zookeeper.
# Usage: bench/clickhouse-replicated.sh [HOSTS] [RATE] [SECONDS] [GENERATORS]
#   PW_FLEET_BATCH_INTERVAL (seconds, default 10): each host's batch_interval.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-1000} rate=${2:-50} seconds=${3:-60} generators=${4:-10}
batch=${PW_FLEET_BATCH_INTERVAL:-10}
[ $((rate % 10)) -eq 0 ] && [ "$generators" -le "$hosts" ] || { echo "bench: RATE must be a multiple of 10 and GENERATORS at most HOSTS" >&2; exit 2; }
echo "bench: $hosts hosts x $rate events/s x $seconds s over $generators generator processes, batch_interval ${batch}s; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
root=$(mktemp -d /tmp/pw-ch-replicated.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; } # utime + stime, in ticks (1/100 s)
zk= pids=(0 0 0 0) gens=()
cleanup() {
  for p in "${gens[@]}" "${pids[@]}" $zk; do [ "$p" != 0 ] && kill -9 "$p" 2>/dev/null; done
  sleep 1
  rm -rf "$root"
}
trap cleanup EXIT

zkport=$(free_port)
mkdir -p "$root/zk/data"
printf 'tickTime=2000\ndataDir=%s/zk/data\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\nmaxClientCnxns=500\n' \
  "$root" "$zkport" > "$root/zk/zoo.cfg"
java -Xmx256m -cp "/usr/share/java/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$root/zk/zoo.cfg" >"$root/zk/log" 2>&1 & zk=$!; disown $zk # no "Killed" job notices at the end
for i in $(seq 900); do
  python3 - "$zkport" <<'PY' 2>/dev/null | grep -q 'Mode: standalone' && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); s.sendall(b"srvr"); print(s.recv(4096).decode())
PY
  sleep 0.1
done

http=() tcp=()
for i in 0 1 2 3; do http+=("$(free_port)"); tcp+=("$(free_port)"); done
shards=""
for s in 0 1; do
  shards+="<shard><internal_replication>true</internal_replication>"
  for r in 0 1; do shards+="<replica><host>127.0.0.1</host><port>${tcp[$((2*s+r))]}</port></replica>"; done
  shards+="</shard>"
done
cat > "$root/users.xml" <<XML
<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>
XML
for i in 0 1 2 3; do
  d="$root/n$i"; mkdir -p "$d"
  cat > "$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host><http_port>${http[$i]}</http_port><tcp_port>${tcp[$i]}</tcp_port>
  <interserver_http_port>$(free_port)</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host>
  <path>$d/data/</path><tmp_path>$d/tmp/</tmp_path><user_files_path>$d/user_files/</user_files_path><format_schema_path>$d/fs/</format_schema_path>
  <mark_cache_size>5368709120</mark_cache_size><max_concurrent_queries>500</max_concurrent_queries>
  <users_config>$root/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
  <remote_servers><pw>$shards</pw></remote_servers>
  <zookeeper><node><host>127.0.0.1</host><port>$zkport</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>
  <macros><shard>0$((i / 2 + 1))</shard><replica>r$((i % 2 + 1))</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
done
start_node() {
  /usr/sbin/clickhouse-server --config-file="$root/n$1/config.xml" >/dev/null 2>&1 & pids[$1]=$!; disown ${pids[$1]}
  local i
  for i in $(seq 900); do curl -sf "http://127.0.0.1:${http[$1]}/ping" >/dev/null && return 0; sleep 0.1; done
  echo "bench: node $1 did not answer /ping within 90 s" >&2; tail -5 "$root/n$1/error.log" >&2; return 1
}
starters=()
for i in 0 1 2 3; do start_node $i & starters+=($!); done
for s in "${starters[@]}"; do wait "$s"; done # not a bare wait: ZooKeeper is a child too
for i in 0 1 2 3; do pids[$i]=$(pgrep -f "$root/n$i/config.xml" | head -1); done

if [ -x artifacts/procwatch ]; then pw=(artifacts/procwatch); else pw=(dotnet run -c Release --project src/ProcWatch.Cli --); fi
"${pw[@]}" fleet schema --cluster pw --server-version 18.16 --table bench_fleet --retention-days 0 | python3 -c '
import sys, urllib.request
for s in [x.strip() for x in sys.stdin.read().split(";\n") if x.strip()]:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=s.encode()), timeout=300).read()
' "http://127.0.0.1:${http[0]}/"

dotnet build -c Release bench/ProcWatch.Benchmarks -nologo -v q >/dev/null
bench=(dotnet bench/ProcWatch.Benchmarks/bin/Release/net10.0/ProcWatch.Benchmarks.dll clickhouse)
insert="http://127.0.0.1:${http[0]}/?insert_distributed_sync=1"
storm=$(( 2000 / generators > 50 ? 2000 / generators : 50 )) # together ~2000 execs recorded, as in the one-process run
first=0
for g in $(seq 0 $((generators - 1))); do
  n=$(( hosts / generators + (g < hosts % generators ? 1 : 0) ))
  mkdir -p "$root/gen/$g"
  "${bench[@]}" fleet-generator "$insert" $first $n "$rate" "$seconds" $storm "$batch" 1800 "$root/gen/$g" "$root/go" >"$root/gen/$g.log" 2>&1 & gens+=($!)
  first=$((first + n))
done
for g in $(seq 0 $((generators - 1))); do
  until [ -e "$root/gen/$g/ready" ]; do
    kill -0 "${gens[$g]}" 2>/dev/null || { echo "bench: generator $g exited before it was ready" >&2; cat "$root/gen/$g.log" >&2; exit 1; }
    sleep 0.2
  done
done
echo "bench: $generators generators ready ($(cat "$root"/gen/*/ready | awk '{s+=$1} END {print s}') events recorded off the kernel in all); load average $(cut -d' ' -f1-3 /proc/loadavg)"

cpu_start=0; for p in "${pids[@]}" $zk; do cpu_start=$((cpu_start + $(cpu "$p"))); done
touch "$root/go"; go=$(date +%s.%N)
since() { python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$go"; }
sleep $((seconds / 3))
killed_cpu=$(cpu "${pids[3]}")
kill -9 "${pids[3]}"; echo "bench: replica 2 of shard 2 (pid ${pids[3]}) SIGKILLed $(since) s into the run"
sleep 15
start_node 3 && pids[3]=$(pgrep -f "$root/n3/config.xml" | head -1)
echo "bench: replica 2 of shard 2 answering again (pid ${pids[3]}) $(since) s into the run"
rc=0
for g in $(seq 0 $((generators - 1))); do
  wait "${gens[$g]}" || { rc=$?; echo "bench: generator $g failed (exit $rc):" >&2; tail -20 "$root/gen/$g.log" >&2; }
done
gens=()
echo "bench: all generators finished $(since) s after the start; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ $rc -eq 0 ] || exit $rc
nodes=$(printf 'http://127.0.0.1:%s/,' "${http[@]}"); nodes=${nodes%,}
server_pids=$(printf '%s,' "${pids[@]}" $zk); server_pids=${server_pids%,}
"${bench[@]}" fleet-check "$root/gen" "$nodes" "$server_pids" "$cpu_start" "$killed_cpu" $((hosts * rate)) 600 || rc=$?
echo "bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc

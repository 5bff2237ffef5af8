#!/usr/bin/env bash
# The fleet benchmark on a replicated cluster (issue 27): a private ZooKeeper and four
# clickhouse-servers on loopback (2 shards x 2 replicas, internal_replication), the schema of
# `procwatch fleet schema --cluster pw` applied, HOSTS simulated daemons (ProcWatch.Benchmarks
# "clickhouse fleet-replicated") inserting through the Distributed table; a third of the way in,
# one replica is SIGKILLed and started again 15 s later. Prints what each replica stores, the
# drain time and CPU per event of the outputs and of the servers (+ ZooKeeper). Needs root (the
# events are recorded off the kernel) and scripts/setup.sh clickhouse-server zookeeper.
# Usage: bench/clickhouse-replicated.sh [HOSTS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-1000} rate=${2:-50} seconds=${3:-60}
root=$(mktemp -d /tmp/pw-ch-replicated.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; } # utime + stime, in ticks (1/100 s)
zk= pids=(0 0 0 0)
cleanup() {
  for p in "${pids[@]}" $zk; do [ "$p" != 0 ] && kill -9 "$p" 2>/dev/null; done
  sleep 1
  rm -rf "$root"
}
trap cleanup EXIT

zkport=$(free_port)
mkdir -p "$root/zk/data"
printf 'tickTime=2000\ndataDir=%s/zk/data\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\nmaxClientCnxns=500\n' \
  "$root" "$zkport" > "$root/zk/zoo.cfg"
java -Xmx256m -cp "/usr/share/java/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$root/zk/zoo.cfg" >"$root/zk/log" 2>&1 & zk=$!
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
  /usr/sbin/clickhouse-server --config-file="$root/n$1/config.xml" >/dev/null 2>&1 & pids[$1]=$!
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

cpu_start=0; for p in "${pids[@]}" $zk; do cpu_start=$((cpu_start + $(cpu "$p"))); done
nodes=$(printf 'http://127.0.0.1:%s/,' "${http[@]}"); nodes=${nodes%,}
dotnet run -c Release --project bench/ProcWatch.Benchmarks -- clickhouse fleet-replicated \
  "http://127.0.0.1:${http[0]}/?insert_distributed_sync=1" "$nodes" "$hosts" "$rate" "$seconds" "$root/started" | tee "$root/out" & bench=$!
while [ ! -e "$root/started" ]; do sleep 0.2; done
sleep $((seconds / 3))
victim=3 killed_cpu=$(cpu "${pids[3]}")
kill -9 "${pids[3]}"; echo "bench: killed replica 2 of shard 2 (pid ${pids[3]}) $((seconds / 3)) s into the run"
sleep 15
start_node 3 && pids[3]=$(pgrep -f "$root/n3/config.xml" | head -1)
echo "bench: replica 2 of shard 2 started again (pid ${pids[3]})"
rc=0; wait $bench || rc=$?
cpu_end=$killed_cpu; for p in "${pids[@]}" $zk; do cpu_end=$((cpu_end + $(cpu "$p"))); done
sent=$(sed -n 's/^SENT=//p' "$root/out")
[ -n "$sent" ] && python3 -c "import sys; t=(int(sys.argv[2])-int(sys.argv[1]))/100; print(f'  CPU of the 4 servers + ZooKeeper: {t:.1f} s = {t/int(sys.argv[3])*1e6:.2f} µs per event')" "$cpu_start" "$cpu_end" "$sent"
exit $rc

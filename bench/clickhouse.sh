#!/usr/bin/env bash
# ClickHouse output benchmarks (issue 14): starts a private clickhouse-server (Debian's 18.16)
# on loopback with its own data directory, runs the throughput and fleet benchmarks of
# ProcWatch.Benchmarks against it, stops it. Needs root (the recording watches the kernel).
# Usage: [PW_CH_FLEET=0] bench/clickhouse.sh [EVENTS] [HOSTS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-3000000} hosts=${2:-1000} rate=${3:-50} seconds=${4:-60}
dir=$(mktemp -d /tmp/pw-ch-bench-server.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tcp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host><http_port>$port</http_port><tcp_port>$tcp</tcp_port>
  <path>$dir/data/</path><tmp_path>$dir/tmp/</tmp_path><user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <mark_cache_size>5368709120</mark_cache_size><max_concurrent_queries>200</max_concurrent_queries>
  <users_config>users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
XML
cat > "$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>
XML
/usr/sbin/clickhouse-server --config-file="$dir/config.xml" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do sleep 0.1; done
curl -sf "http://127.0.0.1:$port/" --data-binary "CREATE DATABASE IF NOT EXISTS procwatch" >/dev/null
bench=(dotnet run -c Release --project bench/ProcWatch.Benchmarks --)
"${bench[@]}" clickhouse throughput "http://127.0.0.1:$port/" "$server" "$events"
# PW_CH_FLEET=0: the throughput run only.
if [ "${PW_CH_FLEET:-1}" = 1 ]; then
  "${bench[@]}" clickhouse fleet "http://127.0.0.1:$port/" "$server" "$hosts" "$rate" "$seconds"
fi

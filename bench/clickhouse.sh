#!/usr/bin/env bash
# ClickHouse output benchmarks (issue 14): starts a private clickhouse-server (Debian's 18.16)
# on loopback with its own data directory, runs the throughput and fleet benchmarks of
# ProcWatch.Benchmarks against it, stops it. Needs root (the recording watches the kernel).
# Usage: [PW_CH_FLEET=0] bench/clickhouse.sh [EVENTS] [HOSTS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-3000000} hosts=${2:-1000} rate=${3:-50} seconds=${4:-60}
dir=$(mktemp -d /tmp/pw-ch-bench-server.XXXXXX)
source bench/clickhouse-server.sh
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
start_server
curl -sf "http://127.0.0.1:$port/" --data-binary "CREATE DATABASE IF NOT EXISTS procwatch" >/dev/null
bench=(dotnet run -c Release --project bench/ProcWatch.Benchmarks --)
"${bench[@]}" clickhouse throughput "http://127.0.0.1:$port/" "$server" "$events"
# PW_CH_FLEET=0: the throughput run only.
if [ "${PW_CH_FLEET:-1}" = 1 ]; then
  "${bench[@]}" clickhouse fleet "http://127.0.0.1:$port/" "$server" "$hosts" "$rate" "$seconds"
fi

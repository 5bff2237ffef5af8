#!/usr/bin/env bash
# Every test: unit tests (byte fixtures), kernel layout checks, and integration tests that
# spawn real processes and assert what the real kernel reports (needs root).
set -euo pipefail
cd "$(dirname "$0")"

# The ClickHouse tests run their own clickhouse-server (Debian's 18.16) on loopback.
scripts/setup.sh clickhouse-server
./build.sh
export PROCWATCH_BIN="$PWD/artifacts/procwatch"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test tests/ProcWatch.Tests -c Release -nologo --logger "console;verbosity=normal" "$@"

#!/usr/bin/env bash
# Every test: unit tests (byte fixtures), kernel layout checks, and integration tests that
# spawn real processes and assert what the real kernel reports (needs root).
set -euo pipefail
cd "$(dirname "$0")"

# The ClickHouse tests run their own clickhouse-server (Debian's 18.16) on loopback, the replicated ones
# a ZooKeeper too; the container
# tests their own dockerd, containerd and podman (runc), with images built from busybox-static;
# the packaging tests run the OCI image with podman (packaging/build.sh installs the rest); the
# report tests render pages in Debian's chromium (headless).
scripts/setup.sh clickhouse-server zookeeper docker.io containerd podman runc busybox-static chromium
./build.sh
export PROCWATCH_BIN="$PWD/artifacts/procwatch"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The library's samples: the console app (also published as NativeAOT and run: it must report an
# exec with eBPF argv) and the worker service.
dotnet build samples/CurlWorker -c Release -nologo -v quiet
samples/run-worker.sh samples/CurlWorker/bin/Release/net10.0/CurlWorker.dll
dotnet publish samples/WatchExecs -c Release -r linux-x64 -o artifacts/samples/WatchExecs -nologo -v quiet
samples/run-aot.sh artifacts/samples/WatchExecs/WatchExecs

# The log is long and CI keeps only its end: the failed tests and their messages are repeated last.
log="$(mktemp /tmp/procwatch-test-log.XXXXXX)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test tests/ProcWatch.Tests -c Release -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "=== failed tests (repeated from above) ==="
    awk '/^  Failed /{keep=1; n=0} /^  Stack Trace:/{keep=0} /^  Passed /{keep=0} keep && n++ < 12' "$log"
fi
exit "$status"

#!/usr/bin/env bash
# One command from a fresh clone to a working binary: set-up, eBPF object, NativeAOT publish.
# Result: artifacts/procwatch (a single native executable).
set -euo pipefail
cd "$(dirname "$0")"

scripts/setup.sh
[ -x bpf/build.sh ] && bpf/build.sh

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/ProcWatch.Cli -c Release -r linux-x64 -o artifacts/publish -nologo -v quiet
cp artifacts/publish/ProcWatch.Cli artifacts/procwatch
echo "built artifacts/procwatch"

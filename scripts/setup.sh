#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test ProcWatch, and nothing
# it already has. Packages:
#   clang, libbpf-dev                  : compile the eBPF object (clang -target bpf) with libbpf's headers
#   zlib1g-dev                         : NativeAOT links against zlib
#   gcc, strace, util-linux, python3   : integration tests (tiny C helpers, ptrace, setpriv/script/unshare, byte-exact argv) and bench scripts
#   libc6-dev, linux-libc-dev          : headers for those C helpers and the kernel struct layout test
#   (test.sh adds clickhouse-server and zookeeper: the ClickHouse tests start private servers and a replicated cluster from them)
# Usage: scripts/setup.sh [extra-package ...]
set -euo pipefail

want=(clang libbpf-dev zlib1g-dev gcc libc6-dev linux-libc-dev strace util-linux python3 "$@")
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -o DPkg::Lock::Timeout=600 >/dev/null && apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Builds the eBPF objects: bpf/out/exec_capture.bpf.o (exec capture), bpf/out/deny.bpf.o
# (deny rules enforced at exec, src/ProcWatch/Kernel/Enforcement) and bpf/out/exec_failure.bpf.o
# (failed exec attempts, src/ProcWatch/Kernel/ExecFailures).
#
#   bpf/build.sh                 compile if clang and the libbpf headers are there; otherwise
#                                print one line and leave the object absent (the .NET build
#                                still succeeds and reports eBPF as unavailable at run time)
#   bpf/build.sh --install-deps  first apt-get install clang and libbpf-dev when missing
#                                (root on Debian/Ubuntu), then compile
#   CLANG=/path/to/clang         pick the compiler
#
# Called by the top-level ./build.sh and by src/ProcWatch (bpf/ExecCapture.targets), so a
# plain `dotnet build`/`dotnet test` on a clean clone also embeds the object.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="$here/out"
objects=(exec_capture deny exec_failure)
# exec_capture.bpf.c includes its hook files (hook_*.c) and helper headers: any source here
# can make an object stale.
sources=("$here"/*.c "$here"/*.h)
headers_dir="${LIBBPF_INCLUDE:-/usr/include}"

find_clang() {
    if [[ -n "${CLANG:-}" ]]; then command -v "$CLANG" && return 0; return 1; fi
    local c
    for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 clang-13; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

if [[ "${1:-}" == "--install-deps" ]]; then
    if ! find_clang >/dev/null || [[ ! -f "$headers_dir/bpf/bpf_helpers.h" ]]; then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            echo "bpf: installing clang and libbpf-dev"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            apt-get install -y -qq clang libbpf-dev >/dev/null
        else
            echo "bpf: cannot install clang/libbpf-dev here (needs root and apt-get)"
        fi
    fi
fi

clang="$(find_clang || true)"
if [[ -z "$clang" || ! -f "$headers_dir/bpf/bpf_helpers.h" ]]; then
    echo "bpf: skipped (needs clang and libbpf-dev headers); procwatch will report eBPF exec capture as unavailable"
    exit 0
fi

case "$(uname -m)" in
    x86_64) arch=x86 ;;
    aarch64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
esac
strip="$(command -v "llvm-strip${clang##*clang}" || command -v llvm-strip || true)"
mkdir -p "$out_dir"

for name in "${objects[@]}"; do
    obj="$out_dir/$name.bpf.o"
    # Up to date?
    if [[ -f "$obj" ]]; then
        stale=0
        for s in "${sources[@]}" "${BASH_SOURCE[0]}"; do
            [[ "$s" -nt "$obj" ]] && stale=1
        done
        [[ $stale -eq 0 ]] && continue
    fi
    tmp="$(mktemp "$out_dir/.$name.XXXXXX.o")"
    trap 'rm -f "$tmp"' EXIT
    # -g: libbpf 1.x reads the BTF of map definitions; CO-RE relocations need it too.
    "$clang" -g -O2 -target bpf "-D__TARGET_ARCH_$arch" -Wall -Werror \
        -I"$headers_dir" -c "$here/$name.bpf.c" -o "$tmp"
    # Keep .BTF/.BTF.ext (libbpf needs them), drop the DWARF that -g also emits.
    if [[ -n "$strip" ]]; then "$strip" -g "$tmp"; fi
    mv -f "$tmp" "$obj"
    trap - EXIT
    echo "bpf: built $obj"
done

#!/usr/bin/env bash
# container-storm: procwatch's CPU per exec for an exec storm inside a container against the
# same storm on the host, side by side in one run, with C containers running (podman, runc).
# The host storm runs chrooted into the container's own root filesystem, so both run the same
# binaries from the same files: the only difference is the container (pid/mount/... namespaces,
# its cgroup, and the identity procwatch attaches). Rounds alternate host and container.
# Usage: sudo bench/container-storm.sh [-n EXECS] [-c CONTAINERS] [-r ROUNDS]
# Needs root, cc (static glibc: libc6-dev), podman, runc, busybox-static (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
N=5000 C=50 R=3
while getopts "n:c:r:" opt; do
  case $opt in n) N=$OPTARG ;; c) C=$OPTARG ;; r) R=$OPTARG ;; *) exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "container-storm: needs root" >&2; exit 1; }
scripts/setup.sh podman runc busybox-static
[ -x artifacts/procwatch ] || ./build.sh

work=$(mktemp -d /tmp/pw-ctrstorm.XXXXXX)
P=(podman --runtime runc --cgroup-manager cgroupfs --root "$work/root" --runroot "$work/run" --tmpdir "$work/tmp")
pw=""
cleanup() {
  [ -n "$pw" ] && kill "$pw" 2>/dev/null && wait "$pw" 2>/dev/null || true
  "${P[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
  "${P[@]}" rmi -a -f >/dev/null 2>&1 || true
  # containers/storage mounts its overlay directory on itself (sometimes twice): unmount until none is left.
  for _ in 1 2 3 4 5; do
    mounts=$(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r)
    [ -z "$mounts" ] && break
    echo "$mounts" | xargs -r -n1 umount -l 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/tmp" "$work/rootfs"/{bin,tmp,etc,proc,sys,dev}
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh sleep true; do ln -s busybox "$work/rootfs/bin/$a"; done
cc -O2 -static -o "$work/rootfs/bin/exec-storm" bench/exec-storm.c
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"${P[@]}" import "$work/rootfs.tar" localhost/pwstorm:1 >/dev/null
for i in $(seq 1 "$C"); do
  "${P[@]}" run -d --name "pws$i" --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/pwstorm:1 /bin/sleep 3600 >/dev/null
done

artifacts/procwatch -f json -e exec -v -o "$work/events.json" --container-runtime "podman=$work/root" 2>"$work/pw.err" &
pw=$!
for _ in $(seq 1 200); do grep -q "procwatch: ready" "$work/pw.err" && break; sleep 0.05; done
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pw/stat"; }
# Waits until procwatch has written all N execs of a round (or 60 s), so its CPU is all counted.
tokens() { { grep -o "\"$1-[0-9]*\"" "$work/events.json" || true; } | sort -u | wc -l; }
settle() { for _ in $(seq 1 600); do [ "$(tokens "$1")" -ge "$N" ] && return; sleep 0.1; done; }
stamp() { date +%s.%N; }

printf '%-10s %6s %10s %12s %10s %12s\n' phase round "execs/s" "seen" "cpu_ticks" "cpu_us/exec" | tee "$work/table"
for r in $(seq 1 "$R"); do
  for phase in host container; do
    tag="$phase$r"
    c0=$(cpu); s0=$(stamp)
    if [ "$phase" = host ]; then
      chroot "$work/rootfs" /bin/exec-storm "$N" "$tag"
    else
      "${P[@]}" exec pws1 /bin/exec-storm "$N" "$tag"
    fi
    s1=$(stamp)
    settle "$tag"
    c1=$(cpu)
    seen=$(tokens "$tag")
    named=$({ grep "\"$tag-" "$work/events.json" | grep '"runtime":"podman"' | grep -o "\"$tag-[0-9]*\"" || true; } | sort -u | wc -l)
    awk -v p="$phase" -v r="$r" -v n="$N" -v s0="$s0" -v s1="$s1" -v seen="$seen" -v t="$((c1 - c0))" -v tck="$tck" -v named="$named" \
      'BEGIN { printf "%-10s %6s %10.0f %7s/%-4s %10s %12.1f   (with the container identity: %s)\n", p, r, n / (s1 - s0), seen, n, t, t * 1000000 / tck / n, named }' | tee -a "$work/table"
  done
done
awk 'NR > 1 && NF > 5 { cpu[$1] += $5; n[$1]++ } END { if (cpu["host"] > 0) printf "container/host CPU per exec over all rounds: %.2f\n", (cpu["container"] / n["container"]) / (cpu["host"] / n["host"]) }' "$work/table"
echo "containers running: $("${P[@]}" ps -q | wc -l); procwatch peak RSS: $(awk '/VmHWM/{print $2, $3}' "/proc/$pw/status")"

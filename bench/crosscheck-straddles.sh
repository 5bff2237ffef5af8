#!/bin/sh
# For $1 seconds (default 300): the proc connector's and the tracepoints' stamps of every
# process fork and exit, joined (bench/crosscheck-straddles.py): which pairs straddle a 1 s
# window edge, in which order, by how much. tracepoints need tracefs: mounted in a private
# mount namespace only (nothing is left mounted). Root; bpftrace from scripts/setup.sh.
set -e
secs=${1:-300}
dir=${2:-$(mktemp -d)}; mkdir -p "$dir"
here=$(cd "$(dirname "$0")" && pwd)
unshare -m --propagation private sh -c "mount -t tracefs nodev /sys/kernel/tracing && exec timeout -s INT $((secs + 3)) bpftrace $here/crosscheck-straddles.bt" > "$dir/ring" 2> "$dir/ring.err" &
bt=$!
sleep 2
python3 "$here/crosscheck-straddles.py" listen "$secs" "$dir/connector"
wait $bt || true
grep -i lost "$dir/ring" "$dir/ring.err" || true
tail -1 "$dir/connector"
python3 "$here/crosscheck-straddles.py" join "$dir/connector" "$dir/ring"

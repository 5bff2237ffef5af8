#!/usr/bin/env python3
"""Where the cross-check's two stamps of one event fall in different 1 s windows.

listen SECONDS OUT: the proc connector's process forks and exits (stamp per event) to OUT.
join CONNECTOR RING: pairs them with bpftrace's tracepoint lines (crosscheck-straddles.bt) by
kind and pid, nearest in time, and prints every pair whose windows differ, then counts by
window difference (ring minus connector) and by order.
"""
import os, socket, struct, sys, time, bisect, collections

def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as c:
            return c.read().strip().replace(" ", "_")
    except OSError:
        return "-"

def listen(seconds, out):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)  # NETLINK_CONNECTOR
    s.setsockopt(socket.SOL_SOCKET, 33, 256 << 20)  # SO_RCVBUFFORCE
    s.bind((0, 1))  # CN_IDX_PROC group
    cn = struct.pack("=IIIIHHI", 1, 1, 0, 0, 4, 0, 1)  # cn_msg + PROC_CN_MCAST_LISTEN
    s.send(struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
    s.settimeout(0.5)
    end = time.monotonic() + seconds
    last = {}
    gaps = 0
    with open(out, "w") as f:
        while time.monotonic() < end:
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:  # ENOBUFS
                f.write(f"# {e}\n"); gaps += 1; continue
            off = 0
            while off + 16 <= len(data):
                ln = struct.unpack_from("=I", data, off)[0]
                what, cpu, ts = struct.unpack_from("=IIQ", data, off + 36)
                seq = struct.unpack_from("=I", data, off + 24)[0]
                if cpu in last and seq != (last[cpu] + 1) & 0xffffffff:
                    gaps += 1
                last[cpu] = seq
                if what == 1:
                    pp, pt, cp, ct = struct.unpack_from("=iiii", data, off + 52)
                    if cp == ct:
                        f.write(f"C F {cp} {ts} {pt}:{comm(pt)}:{comm(cp)}\n")
                elif what == 0x80000000:
                    p, t = struct.unpack_from("=ii", data, off + 52)
                    if p == t:
                        f.write(f"C X {t} {ts} 0\n")
                off += (ln + 3) & ~3
        f.write(f"# sequence gaps {gaps}\n")

def join(cfile, rfile):
    ring = collections.defaultdict(list)
    for line in open(rfile):
        p = line.split()
        if len(p) == 5 and p[0] == "R":
            ring[(p[1], int(p[2]))].append((int(p[3]), int(p[4])))
    for v in ring.values():
        v.sort()
    stamps = [t for v in ring.values() for t, _ in v]
    first, last = (min(stamps), max(stamps)) if stamps else (0, 0)
    counts = collections.Counter()
    for line in open(cfile):
        p = line.split()
        if len(p) != 5 or p[0] != "C":
            continue
        kind, pid, ts = p[1], int(p[2]), int(p[3])
        if not first + 10**8 <= ts <= last - 10**8:
            continue  # outside what the tracepoints watched
        v = ring.get((kind, pid))
        if not v:
            counts[(kind, "unmatched")] += 1
            print(f"{kind} pid {pid} conn {ts} unmatched {p[4]}")
            continue
        i = bisect.bisect_left(v, (ts, 0))
        best = min((c for c in (i - 1, i) if 0 <= c < len(v)), key=lambda c: abs(v[c][0] - ts))
        rts, tid = v.pop(best)
        dw = rts // 10**9 - ts // 10**9
        order = "conn-first" if ts <= rts else "ring-first"
        counts[(kind, order, dw)] += 1
        if dw != 0:
            extra = f" last-thread {tid}" if kind == "X" else ""
            print(f"{kind} pid {pid} conn {ts} ring {rts} ring-conn {(rts - ts) / 1e6:.3f} ms windows {ts // 10**9}->{rts // 10**9} {order}{extra}")
    for k in sorted(counts, key=str):
        print(k, counts[k])

if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(float(sys.argv[2]), sys.argv[3])
    else:
        join(sys.argv[2], sys.argv[3])

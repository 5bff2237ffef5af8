#!/usr/bin/env python3
"""Benchmarks of the procfs backend (issue 6).

  catch  : for process lifetimes of 1 ms, 10 ms, 100 ms and 1 s, the share of processes the
           procfs backend reports with their exact argv, with inotify wake-ups + timer and
           with the timer alone (both 100 ms).
  idle   : procwatch's CPU time over 10 s with no load of ours (others' may run), per mode.
  storm  : procwatch's CPU time and catch share during an exec storm of /bin/true TOKEN.

Usage: bench/procfs/procfs_bench.py [--bin artifacts/procwatch] [catch|idle|storm|all]
Every spawned process carries a unique token in argv (sleep sums its arguments, so the token
is a tiny number); only those are counted. Results are printed as Markdown tables.
"""
import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time

MODES = {"inotify + timer": [], "timer only": ["--no-inotify"]}


class Procwatch:
    """procwatch --backend procfs -f json -o FILE running in the background."""

    def __init__(self, binary, extra, duration=None):
        self.out = tempfile.NamedTemporaryFile(prefix="procwatch-bench-", suffix=".json", delete=False).name
        self.err = tempfile.NamedTemporaryFile(prefix="procwatch-bench-", suffix=".err", delete=False).name
        args = [binary, "--backend", "procfs", "-f", "json", "-o", self.out, "-v", "-S"] + extra
        if duration:
            args += ["-D", str(duration)]
        self.errfile = open(self.err, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.errfile)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.err) as f:
                if "ready" in f.read():
                    return
            time.sleep(0.02)
        raise RuntimeError("procwatch did not get ready")

    def stop(self, signal_it=True):
        """Stops it (SIGTERM unless it ends by itself); returns (cpu seconds, stderr text)."""
        if signal_it:
            self.proc.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.errfile.close()
        with open(self.err) as f:
            err = f.read()
        os.unlink(self.err)
        return usage.ru_utime + usage.ru_stime, err

    def events(self):
        with open(self.out) as f:
            for line in f:
                yield json.loads(line)
        os.unlink(self.out)


def caught_tokens(events, position):
    """Tokens seen in the argv of an exec event (args[position])."""
    seen = set()
    for e in events:
        if e["event"]["action"] != "exec":
            continue
        args = e.get("process", {}).get("args") or []
        if len(args) > position:
            seen.add(args[position])
    return seen


def scans_line(err):
    return next((l for l in err.splitlines() if l.startswith("procfs:")), "")


def catch(binary):
    lifetimes = [(0.001, 300), (0.01, 200), (0.1, 50), (1.0, 10)]
    results = {}
    for mode, extra in MODES.items():
        pw = Procwatch(binary, extra)
        tokens = {}
        run = random.randint(100, 999)
        for index, (lifetime, count) in enumerate(lifetimes):
            for i in range(count):
                token = f"0.00000000{run}{index}{i:04d}"
                tokens[token] = lifetime
                subprocess.Popen(["/bin/sleep", str(lifetime), token]).wait()
                time.sleep(random.uniform(0, 0.05))  # random phase against the 100 ms timer
        time.sleep(0.5)
        cpu, err = pw.stop()
        seen = caught_tokens(pw.events(), 2)
        for lifetime, count in lifetimes:
            caught = sum(1 for t, l in tokens.items() if l == lifetime and t in seen)
            results[(mode, lifetime)] = (caught, count)
        print(f"<!-- {mode}: {scans_line(err)} -->", file=sys.stderr)
    print("| lifetime | inotify + 100 ms timer | 100 ms timer alone |")
    print("|---|---|---|")
    for lifetime, count in lifetimes:
        cells = []
        for mode in MODES:
            caught, n = results[(mode, lifetime)]
            cells.append(f"{100.0 * caught / n:.0f}% ({caught}/{n})")
        print(f"| {lifetime * 1000:g} ms | " + " | ".join(cells) + " |")


def idle(binary):
    print("| mode | CPU over 10 s | share of one core | scans |")
    print("|---|---|---|---|")
    pw = Procwatch(binary, [], duration=0.01)
    cpu, err = pw.stop(signal_it=False)
    list(pw.events())
    print(f"| start-up and exit alone (`-D 0.01`, included in the rows below) | {cpu * 1000:.0f} ms | | |")
    for mode, extra in MODES.items():
        pw = Procwatch(binary, extra, duration=10)
        cpu, err = pw.stop(signal_it=False)
        list(pw.events())
        print(f"| {mode} | {cpu * 1000:.0f} ms | {cpu / 10 * 100:.2f}% | {scans_line(err)} |")


def storm(binary, count=5000):
    print("| mode | storm | procwatch CPU | caught with argv | scans |")
    print("|---|---|---|---|---|")
    for mode, extra in MODES.items():
        pw = Procwatch(binary, extra)
        run = random.randint(100000, 999999)
        start = time.monotonic()
        for i in range(count):
            subprocess.Popen(["/bin/true", f"storm{run}-{i}"]).wait()
        elapsed = time.monotonic() - start
        time.sleep(0.5)
        cpu, err = pw.stop()
        seen = caught_tokens(pw.events(), 1)
        caught = sum(1 for i in range(count) if f"storm{run}-{i}" in seen)
        print(f"| {mode} | {count} execs in {elapsed:.1f} s ({count / elapsed:.0f}/s) | {cpu:.2f} s "
              f"({cpu / (elapsed + 0.5) * 100:.0f}% of a core) | {100.0 * caught / count:.1f}% ({caught}) | {scans_line(err)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "procwatch"))
    parser.add_argument("what", nargs="?", default="all", choices=["catch", "idle", "storm", "all"])
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    if args.what in ("idle", "all"):
        idle(binary)
    if args.what in ("catch", "all"):
        catch(binary)
    if args.what in ("storm", "all"):
        storm(binary)


if __name__ == "__main__":
    main()

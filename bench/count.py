#!/usr/bin/env python3
"""Counts a monitor's events about one loadgen run's children.

usage: count.py procwatch|forkstat OUTPUT_FILE LOADGEN_PID
prints: forks execs exits total_lines
  forks  fork events whose parent is LOADGEN_PID (the children)
  execs  exec events of those children
  exits  exit events of those children
A child counts from its fork event to its exit event only: pid_max is 32768 here, so a storm
of 20,000 forks on a busy machine reuses pids, and a later process with a reused pid is not ours.
  total  every event line the monitor wrote (its whole workload, other processes included)
"""
import json
import sys


def procwatch(path, lg):
    forks, live, execs, exits, total = 0, set(), 0, 0, 0
    with open(path, "rb") as f:
        for raw in f:
            total += 1
            try:
                e = json.loads(raw)
            except ValueError:
                continue
            action = e["event"]["action"]
            p = e.get("process", {})
            pid = p.get("pid")
            if action == "fork" and p.get("parent", {}).get("pid") == lg:
                forks += 1
                live.add(pid)
            elif action == "exec" and pid in live:
                execs += 1
            elif action == "exit" and pid in live:
                exits += 1
                live.discard(pid)
    return forks, execs, exits, total


def forkstat(path, lg):
    # "HH:MM:SS fork  PARENT parent  cmd" is followed by "HH:MM:SS fork  CHILD child  cmd";
    # a header line ("Time Event PID ...") may come in between.
    forks, live, execs, exits, total = 0, set(), 0, 0, 0
    expect_child = False
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[0] == "Time":
                continue
            total += 1
            event, pid = parts[1], parts[2]
            if not pid.isdigit():
                continue
            pid = int(pid)
            info = parts[3] if len(parts) > 3 else ""
            if event == "fork" and info == "parent":
                total -= 1  # forkstat spends two lines (parent, child) on one fork event
                expect_child = pid == lg
                continue
            if event == "fork" and info == "child":
                if expect_child:
                    forks += 1
                    live.add(pid)
                expect_child = False
                continue
            expect_child = False
            if event == "exec" and pid in live:
                execs += 1
            elif event == "exit" and pid in live:
                exits += 1
                live.discard(pid)
    return forks, execs, exits, total


if __name__ == "__main__":
    kind, path, lg = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = procwatch(path, lg) if kind == "procwatch" else forkstat(path, lg)
    print(*result)

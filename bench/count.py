#!/usr/bin/env python3
"""Counts a monitor's events about one loadgen run's children.

usage: count.py procwatch|forkstat OUTPUT_FILE LOADGEN_PID [fork|exec|thread]
prints: forks execs exits total_lines
  (thread mode: "forks" are the generator's thread clones and "exits" those threads' exits)
  forks  fork events whose parent is LOADGEN_PID (the children)
  execs  exec events of those children
  exits  exit events of those children
A child counts from its fork event to its exit event only: pid_max is 32768 here, so a storm
of 20,000 forks on a busy machine reuses pids, and a later process with a reused pid is not ours.
  total  every event line the monitor wrote (its whole workload, other processes included)
"""
import json
import sys


def procwatch(path, lg, threads=False):
    forks, live, execs, exits, total = 0, set(), 0, 0, 0
    fork_action = "clone" if threads else "fork"
    with open(path, "rb") as f:
        for raw in f:
            total += 1
            try:
                e = json.loads(raw)
            except ValueError:
                continue
            action = e["event"]["action"]
            p = e.get("process", {})
            pid = p.get("thread", {}).get("id") if threads else p.get("pid")
            if threads and action == "clone" and p.get("pid") == lg:
                forks += 1
                live.add(pid)
            elif action == fork_action and not threads and p.get("parent", {}).get("pid") == lg:
                forks += 1
                live.add(pid)
            elif action == "exec" and pid in live:
                execs += 1
            elif action == "exit" and pid in live:
                exits += 1
                live.discard(pid)
    return forks, execs, exits, total


def forkstat(path, lg, threads=False):
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
            fork_event = "clone" if threads else "fork"
            if event == fork_event and info == "parent":
                total -= 1  # forkstat spends two lines (parent, child) on one fork event
                expect_child = pid == lg
                continue
            if event == fork_event and info in ("child", "thread"):
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
    threads = len(sys.argv) > 4 and sys.argv[4] == "thread"
    result = procwatch(path, lg, threads) if kind == "procwatch" else forkstat(path, lg, threads)
    print(*result)

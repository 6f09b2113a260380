"""Run one command and report its wall time and peak memory as one JSON line.

    python bench/measure.py [--tree] [--stdout FILE] [--cwd DIR] -- CMD ARG...

Used by ``bench/run.py`` for every timed subprocess.  It runs in a *fresh* process, so
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` covers this one command (and the
processes it started) and nothing the benchmark ran before.

- ``wall_s``: ``time.perf_counter()`` around ``subprocess.run`` (includes the child's
  interpreter start-up and imports: what a user waits for).
- ``maxrss_bytes``: the largest resident set of any single process in the command's
  tree (``ru_maxrss`` is a maximum over processes, not a sum).
- ``tree_peak_bytes`` (``--tree`` only, Linux): the largest *sum* of the proportional set
  sizes (PSS, ``/proc/<pid>/smaps_rollup``) of all processes of the tree, sampled every
  100 ms; this is what matters when a build fans out to worker processes.  PSS, not RSS:
  forked workers share copy-on-write pages with their parent, and a sum of RSS would
  count those pages once per process.  ``tree_rss_peak_bytes`` is that RSS sum, for
  information.  Both ``None`` without ``--tree``.  Sampling costs CPU (tens of ms per
  read for a large process), so timed runs do not use ``--tree``.
- ``cpu_s``: user + system CPU time of the tree (> ``wall_s`` means it used several cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid ..." — comm may contain spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def _pss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return None
    return None


def _tree_memory(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) of all descendants of ``root``; PSS falls back to RSS."""
    kids = _children_map()
    rss_total = pss_total = 0
    todo = list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                rss = int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        pss = _pss(pid)
        rss_total += rss
        pss_total += rss if pss is None else pss
    return rss_total, pss_total


class TreeSampler(threading.Thread):
    """Samples the summed PSS (and RSS) of all descendants of this process."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.rss_peak = self.pss_peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._stop_event.is_set():
            rss, pss = _tree_memory(me)
            self.rss_peak, self.pss_peak = max(self.rss_peak, rss), max(self.pss_peak, pss)
            self._stop_event.wait(self.interval)

    def stop(self) -> tuple[int, int]:
        self._stop_event.set()
        self.join()
        return self.rss_peak, self.pss_peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/measure.py")
    parser.add_argument("--tree", action="store_true", help="sample the summed RSS of the tree")
    parser.add_argument("--stdout", type=Path, default=None, help="file for the command's output")
    parser.add_argument("--cwd", type=Path, default=None)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        parser.error("no command")
    sampler = TreeSampler() if args.tree and Path("/proc/self/stat").exists() else None
    out = open(args.stdout, "wb") if args.stdout else subprocess.DEVNULL  # noqa: SIM115
    try:
        if sampler is not None:
            sampler.start()
        started = time.perf_counter()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=args.cwd, check=False)
        wall = time.perf_counter() - started
        tree_rss, tree_pss = sampler.stop() if sampler is not None else (None, None)
    finally:
        if args.stdout:
            out.close()  # type: ignore[union-attr]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(json.dumps({
        "rc": proc.returncode,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_bytes": maxrss,
        "tree_peak_bytes": tree_pss,
        "tree_rss_peak_bytes": tree_rss,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

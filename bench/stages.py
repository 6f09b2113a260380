"""Where one build's time goes: wall, CPU and system seconds and minor page faults of each
stage, in every process.

    .venv/bin/python bench/stages.py [build.py arguments…]
    .venv/bin/python bench/stages.py --root bench/.cache/demo-n1000-s1 --today 2026-11-20 --quiet

Runs ``build.py`` in this process with the stage functions below wrapped in timers; forked
processes (the public site, the annual report, the handbook, pool workers) inherit the
wrappers, so each line names the process (pid) that ran the stage.  A line is printed when
a stage ends, with the time since start-up, so the lines read as a timeline.  Nested stages
print inside their callers' time (``check`` holds ``load``, which holds ``stream_files``).

For finding the next thing to speed up, not for figures: the wrappers cost a little, and
the benchmark (``bench/run.py``) is what measures.
"""

from __future__ import annotations

import functools
import importlib
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STARTED = time.perf_counter()
SELF = resource.RUSAGE_SELF

#: (module, function or Class.method): the pipeline's stages, in about the order they run.
STAGES = [
    ("zhilian.fingerprint", "fingerprint"),
    ("zhilian.pipeline", "check"),
    ("zhilian.load", "load"),
    ("zhilian.read.batch", "_parse_chunk"),
    ("zhilian.metrics", "all_statuses"),
    ("zhilian.rules", "run_rules"),
    ("zhilian.views.public", "build_public_view"),
    ("zhilian.render.public", "render_public"),
    ("zhilian.annual", "build_report"),
    ("zhilian.annual", "to_xlsx"),
    ("zhilian.render.internal", "annual_report"),
    ("zhilian.views.internal", "build_internal_view"),
    ("zhilian.render.internal", "render_internal"),
    ("zhilian.render.internal", "_cadre_pages"),
    ("zhilian.render.internal", "_render_cadres"),
    ("zhilian.write", "SiteWriter.write"),
    ("zhilian.write", "SiteWriter.commit"),
    ("zhilian.handbook", "prepare_handbook"),
    ("zhilian.handbook", "build_handbook"),
    ("zhilian.render.page_cache", "PageCache.prune"),
]


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu, before = time.perf_counter(), time.process_time(), resource.getrusage(SELF)
        try:
            return func(*args, **kwargs)
        finally:
            now, after = time.perf_counter(), resource.getrusage(SELF)
            sys.stderr.write(
                f"[{os.getpid()}] {name:28s} {now - wall:6.3f} s wall {time.process_time() - cpu:6.3f}"
                f" s CPU ({after.ru_stime - before.ru_stime:5.3f} system,"
                f" {after.ru_minflt - before.ru_minflt:6d} page faults)"
                f"   (ends at {now - STARTED:6.3f})\n"
            )

    return timed


def _wrap(module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    owner: Any = module
    attr = name
    if "." in name:
        cls, attr = name.split(".")
        owner = getattr(module, cls)
    original = getattr(owner, attr)
    timed = _timed(name, original)
    setattr(owner, attr, timed)
    # Modules that imported the function by name hold their own reference: replace it too.
    for other in list(sys.modules.values()):
        if getattr(other, "__name__", "").startswith("zhilian") and getattr(other, attr, None) is original:
            setattr(other, attr, timed)


def main() -> int:
    sys.path.insert(0, str(REPO))
    for module_name, name in STAGES:
        _wrap(module_name, name)
    sys.stderr.write(f"[{os.getpid()}] imports done at {time.perf_counter() - STARTED:.3f}\n")
    from zhilian.cli import main as build_main

    try:
        return build_main(sys.argv[1:])
    finally:
        sys.stderr.write(f"[{os.getpid()}] total {time.perf_counter() - STARTED:.3f} s\n")


if __name__ == "__main__":
    sys.exit(main())

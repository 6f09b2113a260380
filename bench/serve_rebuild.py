"""Time ``serve``'s builds, one server throughout (used by ``bench/run.py``).

    python bench/serve_rebuild.py DEPLOYMENT CADRE_FILE --repeat N --today YYYY-MM-DD [--pause S]

Starts the development server as ``python build.py serve`` does (its build process, which
keeps what it read in memory, and its HTTP thread), times its first build (``site/`` deleted,
the cache kept), then N rebuilds after one cadre file's ``title`` changed, each edit made at
once after the previous build ended, then N more with each edit made ``S`` seconds after it
(a person's pace: within 2 s of its last change a file's stat signature cannot vouch for it,
see ``zhilian/read/stamps.py``, so an edit at once costs reading more files again; and
``serve`` finishes a build's last chores after answering).  Prints one JSON line:
{"first": s, "rebuilds": [s, …], "paced": [s, …], "visible": [bool, …]} (``visible``: the
new title is in the built site, for every rebuild).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zhilian.cli import make_parser  # noqa: E402
from zhilian.reporters import TextReporter  # noqa: E402
from zhilian.serve import DevServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("cadre_file", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--today", required=True)
    parser.add_argument("--pause", type=float, default=3.0)
    args = parser.parse_args()
    serve_args = make_parser().parse_args(
        ["serve", "--root", str(args.root), "--today", args.today, "--quiet", "--port", "0"]
    )
    # Without site/, the first build is a real one (not answered from the no-change memo),
    # so the rebuilds find the files it read in memory, as they do in ``serve``.
    # (Moved out of the deployment, not deleted just before the timed build: see
    # ``run.Bench.set_aside``: it goes with the benchmark's work folder.)
    aside = args.root.parent / f"serve-site-{time.time_ns()}"
    if (args.root / "site").exists():
        (args.root / "site").rename(aside)
    server = DevServer(serve_args, TextReporter(io.StringIO()))
    server.bind()
    server.start()  # as ``serve`` does: the build process, then the HTTP thread
    try:
        started = time.perf_counter()
        ok = server.rebuild()
        first = time.perf_counter() - started
        rebuilds: list[float] = []
        paced: list[float] = []
        visible: list[bool] = []
        for i in range(2 * args.repeat):
            if i >= args.repeat:
                time.sleep(args.pause)
            marker = f"zserve{i}x{time.time_ns() % 1_000_000}"
            text = args.cadre_file.read_text(encoding="utf-8")
            title = yaml.load(text, Loader=yaml.CSafeLoader)["title"]
            line = "title: " + json.dumps(f"{title} {marker}", ensure_ascii=False)
            text = re.sub(r"^title:.*$", lambda _m, line=line: line, text, count=1, flags=re.M)
            args.cadre_file.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            ok = server.rebuild() and ok
            (paced if i >= args.repeat else rebuilds).append(time.perf_counter() - started)
            page = args.root / "site" / "internal" / "cadres" / f"{args.cadre_file.stem}.html"
            visible.append(page.is_file() and marker.encode() in page.read_bytes())
    finally:
        server.close()
    print(json.dumps(
        {"ok": ok, "first": first, "rebuilds": rebuilds, "paced": paced, "visible": visible}
    ))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

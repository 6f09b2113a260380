"""The cache and the worker processes are invisible in the output: cold serial, warm,
parallel and damaged-cache builds produce byte-identical sites, and a change always shows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import read_files, run_cli
from zhilian import fingerprint as fingerprint_module
from zhilian import load as load_module
from zhilian.demo import generate
from zhilian.read import batch
from zhilian.workers import can_fork

TODAY = "2026-11-20"


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache")
    generate(root, cadres=12, seed=5)
    return root


def cadre_and_note_files(root: Path) -> list[tuple[str, bool]]:
    """What ``load`` hands the reader: (path, is a note) of every cadre file and note."""
    return [
        (p.relative_to(root).as_posix(), p.suffix == ".md")
        for p in sorted((root / "data").rglob("*"))
        if p.suffix in (".yml", ".md") and p.parent.name not in ("org", "surveys")
    ]


def build(root: Path, out: Path, *extra: str) -> dict[str, str]:
    run = run_cli(root, "build", "--out", str(out), "--quiet", *extra, today=TODAY)
    assert run.code == 0, run.out
    return tree(out)


def test_cold_warm_parallel_and_damaged_cache_agree(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = deployment / ".zhilian-cache"
    cold = build(deployment, tmp_path / "cold", "--jobs", "1")
    assert (cache / batch.CACHE_FILE).is_file()
    assert build(deployment, tmp_path / "warm", "--jobs", "1") == cold

    (cache / batch.CACHE_FILE).unlink()
    assert can_fork(), "worker processes cannot be started here: the test would prove nothing"
    monkeypatch.setattr(batch, "PARALLEL_MIN_FILES", 1)  # force worker processes
    monkeypatch.setattr(batch, "CHUNK_CHARS", 3000)  # and hand them several chunks
    assert build(deployment, tmp_path / "parallel", "--jobs", "2") == cold

    (cache / batch.CACHE_FILE).write_bytes(b"\x00garbage")
    assert build(deployment, tmp_path / "damaged", "--jobs", "1") == cold


def test_cache_is_never_stale(deployment: Path, tmp_path: Path) -> None:
    build(deployment, tmp_path / "first")  # fills the cache
    cadre = sorted((deployment / "data" / "cadres").glob("*.yml"))[0]
    original = cadre.read_text(encoding="utf-8")
    try:
        title = next(line for line in original.splitlines() if line.startswith("title:"))
        cadre.write_text(original.replace(title, "title: 缓存测试专用职务"), encoding="utf-8")
        build(deployment, tmp_path / "second")
        page = (tmp_path / "second" / "public" / "cadres").rglob(f"{cadre.stem}*.html")
        assert any("缓存测试专用职务" in p.read_text(encoding="utf-8") for p in page)
        # A file with an error is never served from the cache.
        cadre.write_text(original + "\nname: 重复\n", encoding="utf-8")
        run = run_cli(deployment, "check", today=TODAY)
        assert run.code == 1 and "Y003" in run.codes
    finally:
        cadre.write_text(original, encoding="utf-8")


def test_cached_values_match_a_fresh_parse(deployment: Path) -> None:
    files = cadre_and_note_files(deployment)
    cache_dir = deployment / ".zhilian-cache-test"
    first = read_files(deployment, files, 1 << 20, jobs=1, cache_dir=cache_dir)
    second = read_files(deployment, files, 1 << 20, jobs=1, cache_dir=cache_dir)
    fresh = read_files(deployment, files, 1 << 20, jobs=1, cache_dir=None)
    for rel, _ in files:
        assert first[rel].value == second[rel].value == fresh[rel].value
        assert first[rel].body == second[rel].body == fresh[rel].body


def test_no_change_rebuild_is_skipped_and_any_change_rebuilds(tmp_path: Path) -> None:
    root = tmp_path / "d"
    generate(root, cadres=6, seed=9)
    out = root / "site"
    first = run_cli(root, "build", today=TODAY)
    assert first.code == 0 and (out / "public" / "index.html").is_file()
    index = out / "public" / "index.html"
    marker = index.stat().st_mtime_ns

    again = run_cli(root, "build", today=TODAY)
    assert again.code == 0 and "已是最新" in again.out
    assert index.stat().st_mtime_ns == marker  # nothing was rewritten

    assert "已是最新" not in run_cli(root, "build", today="2026-11-21").out  # --today counts
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    cadre.write_text(cadre.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "已是最新" not in run_cli(root, "build", today=TODAY).out  # data counts

    # A build that failed never marks its output as current.
    cadre.write_text(cadre.read_text(encoding="utf-8") + "name: 重复\n", encoding="utf-8")
    assert run_cli(root, "build", today=TODAY).code == 1
    fixed = cadre.read_text(encoding="utf-8").replace("name: 重复\n", "# 已修正\n")
    cadre.write_text(fixed, encoding="utf-8")
    assert "已是最新" not in run_cli(root, "build", today=TODAY).out
    # Content decides, not time: back to content that was built is current again.
    assert "已是最新" in run_cli(root, "build", today=TODAY).out


def test_unchanged_check_answers_from_the_memo_exactly(tmp_path: Path) -> None:
    root = tmp_path / "d"
    generate(root, cadres=6, seed=3)
    first = run_cli(root, "check", fmt="json", today=TODAY)
    memo = sorted((root / ".zhilian-cache").glob("memo-*.json"))
    assert memo, "the first run leaves a memo"
    again = run_cli(root, "check", fmt="json", today=TODAY)
    assert (again.code, again.out) == (first.code, first.out)
    # Any change to an input is a full run again: here the memo would be wrong.
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    cadre.write_text(cadre.read_text(encoding="utf-8").replace("level:", "levell:", 1), "utf-8")
    changed = run_cli(root, "check", fmt="json", today=TODAY)
    assert changed.code == 1 and "S001" in changed.codes
    assert run_cli(root, "check", fmt="json", today=TODAY).out == changed.out


#: Run in a fresh interpreter: a process with threads running (those of the browser tests
#: before this one) does not fork, and parses everything itself.
_STREAM_IN_WORKERS = """
import json, os, sys
from pathlib import Path
from zhilian.read import batch

root, log, files = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
parse = batch._parse_chunk

def logged(chunk):  # found by name in the forked workers
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    return parse(chunk)

batch._parse_chunk = logged
batch.PARALLEL_MIN_FILES, batch.CHUNK_CHARS = 1, 3000  # many chunks
reads = batch.stream_files(root, [tuple(f) for f in files], 1 << 20, jobs=2)
out = [[r.rel, r.value, r.body, r.digest.hex(), [d.code for d in r.diags]] for r in reads]
print(json.dumps({"pid": os.getpid(), "reads": out}, ensure_ascii=False, default=str))
"""


def test_streamed_parsing_in_workers_gives_the_serial_results_in_order(
    deployment: Path, tmp_path: Path
) -> None:
    """Chunks go to worker processes as they fill, while the reading goes on; the results
    come back in the files' order, the same as parsed here — broken and missing files too."""
    import json
    import subprocess
    import sys

    broken = deployment / "data" / "cadres" / "zz-broken.yml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    try:
        files = [*cadre_and_note_files(deployment), ("data/cadres/missing.yml", False)]
        serial = [
            [r.rel, r.value, r.body, r.digest.hex(), [d.code for d in r.diags]]
            for r in batch.stream_files(deployment, files, 1 << 20, jobs=1)
        ]
        pids = tmp_path / "pids"
        run = subprocess.run(
            [sys.executable, "-c", _STREAM_IN_WORKERS, str(deployment), str(pids),
             json.dumps(files)],
            capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
        )
    finally:
        broken.unlink()
    parallel = json.loads(run.stdout)
    workers = set(pids.read_text().split()) - {str(parallel["pid"])}
    assert workers and len(pids.read_text().split()) > 5  # chunks were parsed elsewhere
    assert [r[0] for r in parallel["reads"]] == [rel for rel, _ in files]
    assert parallel["reads"] == json.loads(json.dumps(serial, ensure_ascii=False, default=str))
    assert serial[-1][4] and serial[-1][1] is None  # the missing file
    assert any(r[0].endswith("zz-broken.yml") and r[4] for r in serial)


def _log(event: str) -> None:
    import os

    with open(os.environ["EVENT_LOG"], "a") as log:
        log.write(f"{event}\n")


_take = fingerprint_module._take
_stream_files = load_module.stream_files
_remember = fingerprint_module.remember


def _logged_take(*args: object, **kwargs: object) -> object:
    value = _take(*args, **kwargs)  # type: ignore[arg-type]
    _log("walk taken")
    return value


def _logged_remember(*args: object, **kwargs: object) -> None:
    _log("remembered")
    _remember(*args, **kwargs)  # type: ignore[arg-type]


def _logged_stream_files(*args: object, **kwargs: object) -> object:
    _log("data read")
    return _stream_files(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_first_run_takes_its_fingerprint_before_it_reads_the_data(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, jobs: str
) -> None:
    """Without a memo the walk is taken meanwhile (in another process with workers), but
    before the data is read: its hashes taken after, it could hold an edit the output lacks
    and mark stale output as current.  It leaves the cadre and note files to the load,
    whose hashes complete the fingerprint (``tests/read/test_stamps.py``), and the memo
    written then answers the next run."""
    import shutil

    shutil.rmtree(deployment / ".zhilian-cache", ignore_errors=True)
    events = tmp_path / "events"
    monkeypatch.setenv("EVENT_LOG", str(events))
    monkeypatch.setattr(fingerprint_module, "_take", _logged_take)
    monkeypatch.setattr(fingerprint_module, "remember", _logged_remember)
    monkeypatch.setattr(load_module, "stream_files", _logged_stream_files)
    extra = ("--out", str(tmp_path / "site")) if command == "build" else ()
    first = run_cli(deployment, command, "--jobs", jobs, "--quiet", *extra, today=TODAY)
    assert first.code in (0, 1), first.out
    assert events.read_text().splitlines() == ["walk taken", "data read", "remembered"]

    again = run_cli(deployment, command, "--jobs", jobs, *extra, today=TODAY)
    assert again.code == first.code
    assert events.read_text().count("data read") == 1  # answered from the memo


def test_a_few_edits_do_not_rewrite_the_parsed_cache_and_are_still_read(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parsed-value cache is rewritten for many new files, not for an edit or two (the
    edited files are parsed again next time): the edit is read all the same."""
    import shutil

    root = tmp_path / "d"
    shutil.copytree(deployment / "data", root / "data")
    files = cadre_and_note_files(root)
    cache_dir = root / ".zhilian-cache"
    cache_file = cache_dir / batch.CACHE_FILE
    read_files(root, files, 1 << 20, jobs=1, cache_dir=cache_dir)
    stored = cache_file.read_bytes()

    cadre = next(root / rel for rel, is_note in files if not is_note)
    rel = cadre.relative_to(root).as_posix()
    for title in ("缓存测试一", "缓存测试二"):
        text = cadre.read_text(encoding="utf-8")
        old = next(line for line in text.splitlines() if line.startswith("title:"))
        cadre.write_text(text.replace(old, f"title: {title}"), encoding="utf-8")
        assert read_files(root, files, 1 << 20, jobs=1, cache_dir=cache_dir)[rel].value[
            "title"] == title
        assert cache_file.read_bytes() == stored  # not rewritten for one file

    monkeypatch.setattr(batch, "REWRITE_MIN_FILES", 1)
    assert read_files(root, files, 1 << 20, jobs=1, cache_dir=cache_dir)[rel].value[
        "title"] == "缓存测试二"
    assert cache_file.read_bytes() != stored


def test_the_org_and_survey_files_are_parsed_again_only_when_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their parses are kept by content in a small cache file (``load.FEW_FILE``): a second
    check parses none of them; an edited one is parsed again and what it says is seen; a
    damaged cache file only costs the parsing."""
    import datetime as dt

    from zhilian.pipeline import check

    root = tmp_path / "d"
    generate(root, cadres=4, seed=5)
    parsed: list[str] = []
    read_yaml = load_module.read_yaml

    def counted(base: Path, path: Path, max_bytes: int) -> object:
        if path.name != "site_config.yml":  # (read by every run, as it says how to read)
            parsed.append(path.name)
        return read_yaml(base, path, max_bytes)

    monkeypatch.setattr(load_module, "read_yaml", counted)
    today = dt.date.fromisoformat(TODAY)
    few = {"committees.yml", "branches.yml", "dorm_groups.yml"} | {
        p.name for p in (root / "data" / "surveys").glob("*.yml")
    }
    check(root, today, jobs=1)
    assert set(parsed) == few
    parsed.clear()
    check(root, today, jobs=1)
    assert parsed == []
    committees = root / "data" / "org" / "committees.yml"
    first = read_yaml(root, committees, 10**6)[0]["committees"][0]
    committees.write_text(
        committees.read_text("utf-8").replace(f"name: {first['name']}", "name: 改过的分团委", 1),
        "utf-8",
    )
    result = check(root, today, jobs=1)
    assert parsed == ["committees.yml"]
    assert result.dep.committees[first["id"]].name == "改过的分团委"
    (root / ".zhilian-cache" / load_module.FEW_FILE).write_bytes(b"damaged")
    parsed.clear()
    again = check(root, today, jobs=1)
    assert set(parsed) == few and again.dep.committees == result.dep.committees


def test_the_parsed_cache_is_written_once_the_loaded_data_is_handed_on(tmp_path: Path) -> None:
    """``check`` writes the parsed-value cache after ``loaded`` (where a build starts its
    processes) has the data, not as the reading ends; a plain check writes it all the same,
    and the next check reads it."""
    import datetime as dt

    from zhilian.pipeline import check

    root = tmp_path / "d"
    generate(root, cadres=4, seed=5)
    cache_file = root / ".zhilian-cache" / batch.CACHE_FILE
    seen: list[bool] = []
    first = check(root, dt.date.fromisoformat(TODAY), jobs=1,
                  loaded=lambda result: seen.append(cache_file.exists()))
    assert seen == [False] and cache_file.is_file()
    stored = cache_file.read_bytes()
    cache_file.unlink()
    again = check(root, dt.date.fromisoformat(TODAY), jobs=1)
    assert cache_file.read_bytes() == stored
    assert [d.code for d in again.diagnostics] == [d.code for d in first.diagnostics]

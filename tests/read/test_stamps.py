"""Unchanged files are found by their stat signature instead of being read
(``zhilian.read.stamps``): by the fingerprint's walk, whose hashes the load goes by — a
file edited in any way must still be read again."""

from __future__ import annotations

import json
import marshal
import os
import pickle
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import read_files, record_calls
from zhilian import fingerprint
from zhilian.diagnostics import DataChanged
from zhilian.paths import CACHE_DIR
from zhilian.read import batch, stamps
from zhilian.read.batch import FileRead
from zhilian.read.stamps import Stamps, Walk

MAX = 1 << 20
TODAY = __import__("datetime").date(2026, 11, 20)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The files under ``tmp_path`` the walk or the load really opened, in order."""
    opened = record_calls(monkeypatch, batch, "read_bytes", 1)

    def walk_open(path: str, *args: Any, **kwargs: Any) -> Any:
        if Path(path).is_relative_to(tmp_path):
            opened.append(Path(path).relative_to(tmp_path).as_posix())
        return open(path, *args, **kwargs)

    monkeypatch.setattr(fingerprint, "open", walk_open, raising=False)
    return opened


def _walked_reads(
    root: Path, names: list[str], known: Stamps, max_bytes: int = MAX, **options: Any
) -> dict[str, FileRead]:
    """The walk of a run (the fingerprint's, with stamps ``known``), then its load."""
    walk = Walk(known)
    fingerprint.fingerprint(root, root / "site", root / "templates", TODAY, walk)
    hashed = walk.hashed_under(f"{root.resolve()}{os.sep}")
    return read_files(root, [(n, False) for n in names], max_bytes, jobs=1, hashed=hashed,
                      **options)


def _read(root: Path, names: list[str], kept: dict, known: Stamps) -> dict[str, object]:
    return {rel: r.value for rel, r in _walked_reads(root, names, known, kept=kept).items()}


def _rewrite_same_size_and_mtime(path: Path, text: str) -> None:
    """Change the content but keep the size and the modification time (as ``touch -d`` or a
    tool restoring times would): only the change time, which nothing can set, moves."""
    before = path.stat()
    time.sleep(0.05)  # past the file system's clock tick, as any real edit after a read is
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_an_unchanged_file_is_not_read_again_and_any_edit_is_seen(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "RACY_NS", 0)  # trust files at once (they were just written)
    (tmp_path / "a.yml").write_text("title: one\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("title: two\n", encoding="utf-8")
    kept: dict = {}
    known: Stamps = Stamps()
    assert _read(tmp_path, ["a.yml", "b.yml"], kept, known) == {
        "a.yml": {"title": "one"}, "b.yml": {"title": "two"}}
    reads.clear()

    assert _read(tmp_path, ["a.yml", "b.yml"], kept, known)["a.yml"] == {"title": "one"}
    assert reads == []  # neither file opened

    _rewrite_same_size_and_mtime(tmp_path / "a.yml", "title: ONE\n")
    assert _read(tmp_path, ["a.yml", "b.yml"], kept, known)["a.yml"] == {"title": "ONE"}
    assert set(reads) == {"a.yml"}

    # Replaced by another file (a new inode), the same content and times: read again.
    reads.clear()
    b = tmp_path / "b.yml"
    times = b.stat()
    (tmp_path / "b.new").write_text("title: two\n", encoding="utf-8")
    os.replace(tmp_path / "b.new", b)
    os.utime(b, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert _read(tmp_path, ["a.yml", "b.yml"], kept, known)["b.yml"] == {"title": "two"}
    assert set(reads) == {"b.yml"}


def test_a_file_changed_just_before_it_was_read_is_read_again(
    tmp_path: Path, reads: list[str]
) -> None:
    """Within RACY_NS of its last change a second edit might keep every stat field (the
    clock tick is coarse): such a file is never trusted, whatever its signature says."""
    path = tmp_path / "a.yml"
    path.write_text("title: one\n", encoding="utf-8")
    kept: dict = {}
    known: Stamps = Stamps()
    _read(tmp_path, ["a.yml"], kept, known)
    for round_ in range(3):
        reads.clear()
        assert _read(tmp_path, ["a.yml"], kept, known)["a.yml"] == {"title": "one"}
        assert "a.yml" in reads, round_


def test_a_file_over_the_size_limit_is_judged_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The signature stands for content already accepted, not for the limits it was read under."""
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    (tmp_path / "a.yml").write_text("title: one\n", encoding="utf-8")
    kept: dict = {}
    known: Stamps = Stamps()
    _walked_reads(tmp_path, ["a.yml"], known, kept=kept)
    small = _walked_reads(tmp_path, ["a.yml"], known, 4, kept=kept)
    assert small["a.yml"].value is None
    assert [d.code for d in small["a.yml"].diags] == ["Y010"]


def test_fingerprint_with_stamps_equals_the_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve``'s no-change memo is read by the next ``build.py``: both must agree."""
    from zhilian.fingerprint import fingerprint

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.yml").write_text("title: one\n", encoding="utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    today = __import__("datetime").date(2026, 11, 20)
    known: Stamps = Stamps()

    def both() -> tuple[str, str]:
        return (fingerprint(tmp_path, tmp_path / "site", templates, today, Walk(known)),
                fingerprint(tmp_path, tmp_path / "site", templates, today))

    first = both()
    assert first[0] == first[1] == both()[0]  # the second time from stamps
    _rewrite_same_size_and_mtime(tmp_path / "data" / "a.yml", "title: ONE\n")
    changed = both()
    assert changed[0] == changed[1] != first[0]


@pytest.mark.parametrize("folder", ["site", "venv", ".venv", "test-artifacts"])
def test_the_fingerprint_skips_tool_folders_only_at_the_top(tmp_path: Path, folder: str) -> None:
    """``site/`` at the top is output; ``data/notes/site/`` is the notes of a cadre whose
    id is ``site``: an edit there must change the fingerprint (or a later build would be
    answered "unchanged" with the old notes)."""
    from zhilian.fingerprint import fingerprint

    notes = tmp_path / "data" / "notes" / folder
    notes.mkdir(parents=True)
    note = notes / "2026-11-01-x.md"
    note.write_text("---\ntitle: one\n---\n", encoding="utf-8")
    (tmp_path / folder).mkdir(exist_ok=True)
    top = tmp_path / folder / "anything.txt"
    top.write_text("one", encoding="utf-8")
    today = __import__("datetime").date(2026, 11, 20)

    def taken() -> str:
        return fingerprint(tmp_path, tmp_path / "out", tmp_path / "templates", today)

    first = taken()
    top.write_text("two", encoding="utf-8")
    assert taken() == first  # a tool's folder at the top: no input
    note.write_text("---\ntitle: two\n---\n", encoding="utf-8")
    assert taken() != first


@pytest.mark.parametrize("memo", ["kept", "deleted"])
def test_the_command_line_sees_an_edit_that_keeps_size_and_mtime(
    sample: Path, monkeypatch: pytest.MonkeyPatch, memo: str
) -> None:
    """The command line keeps stamps in ``.zhilian-cache/`` for the no-change memo
    (``kept``: it must not answer) and for reading the data (``deleted``: the files are read
    with the memo gone); neither may take an edited file for the one read before."""
    from tests.conftest import run_cli

    monkeypatch.setattr(stamps, "RACY_NS", 0)  # the sample was just copied: trust it at once
    assert run_cli(sample, "check").code == 0
    assert list((sample / ".zhilian-cache").glob("stamps-*.marshal"))
    cadre = sorted((sample / "data" / "cadres").glob("*.yml"))[0]
    text = cadre.read_text(encoding="utf-8")
    broken = text.replace("\nunits:", "\nunitz:", 1)  # S001: an unknown field, same size
    assert broken != text and len(broken) == len(text)
    _rewrite_same_size_and_mtime(cadre, broken)
    if memo == "deleted":
        for path in (sample / ".zhilian-cache").glob("memo-*.json"):
            path.unlink()
    run = run_cli(sample, "check")
    assert run.code == 1 and "unitz" in run.out


@pytest.mark.parametrize("damage", [b"\x00garbage", marshal.dumps(("zhilian-stamps-1", {"x": 1})),
                                    marshal.dumps({("k",): "not a position"})])
def test_damaged_cache_files_cost_speed_never_the_result(
    sample: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes
) -> None:
    from tests.conftest import run_cli
    from zhilian.read import positions

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    first = run_cli(sample, "check", fmt="json")
    cache = sample / ".zhilian-cache"
    stored = sorted(path.name for path in cache.glob("*.marshal"))
    assert stored == [
        "parsed-few.marshal", "parsed.marshal", "positions.marshal", "stamps-all.marshal"
    ]
    for name in stored:
        (cache / name).write_bytes(damage)
    for path in cache.glob("memo-*.json"):
        path.unlink()
    positions._found.clear()  # a new process
    again = run_cli(sample, "check", fmt="json")
    assert (again.code, json.loads(again.out)) == (first.code, json.loads(first.out))


def test_stamps_never_lead_to_a_value_parsed_by_another_reader_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]
) -> None:
    """The parsed cache holds the reader's version: a new version must read the file again
    even though its stamp and the old version's parsed value are still on disk."""
    from zhilian.read import batch as reader

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    (tmp_path / "a.yml").write_text("title: one\n", encoding="utf-8")
    cache = tmp_path / ".zhilian-cache"
    known: Stamps = Stamps()
    _walked_reads(tmp_path, ["a.yml"], known, cache_dir=cache)
    reads.clear()
    assert _walked_reads(tmp_path, ["a.yml"], known, cache_dir=cache)["a.yml"].value
    assert reads == []  # the same version: from the walk's hash and the cache
    monkeypatch.setattr(reader, "READER_VERSION", "next")
    assert _walked_reads(tmp_path, ["a.yml"], known, cache_dir=cache)["a.yml"].value
    assert reads == ["a.yml"]


def test_a_deferred_file_changed_before_it_is_parsed_stops_the_run(tmp_path: Path) -> None:
    """A deferred file is parsed from the cache, else read again: read again with other
    content (changed after its stat call), the run stops with the file named — it never
    mixes two versions of the data."""
    note = tmp_path / "data" / "notes" / "a" / "2026-01-01-x.md"
    note.parent.mkdir(parents=True)
    note.write_text("---\ntitle: 一\ndate: 2026-01-01\nkind: 座谈会\n---\n正文\n", "utf-8")
    rel = note.relative_to(tmp_path).as_posix()
    [read] = batch.stream_files(tmp_path, [(rel, True)], 1 << 20)
    later = batch.Later(batch.ParsedCache(None), f"{tmp_path}{os.sep}", 1 << 20)
    deferred = batch.FileRead(rel, digest=read.digest, later=later, is_note=True)
    assert deferred.parsed() == (read.value, read.body)  # not in the cache: read again, the same
    note.write_text(note.read_text("utf-8").replace("一", "二"), "utf-8")
    with pytest.raises(DataChanged) as raised:
        deferred.parsed()
    assert rel in str(raised.value) and "请再运行一次" in str(raised.value)
    assert pickle.loads(pickle.dumps(raised.value)).rel == rel  # (from a worker process)


def _first_run(root: Path, sources_of: dict[str, str]) -> str | None:
    """A first run's fingerprint (no memo: the walk leaves the data files to the load),
    completed with the content the load read (``sources_of``: path → text)."""
    from zhilian.read.batch import content_key
    from zhilian.read.stamps import file_hash

    templates = root / "templates"
    with fingerprint.fingerprinted(
        root, "build", root / "site", templates, TODAY, parallel=False  # (reads seen here)
    ) as taken:
        taken.walked()
        sources = {rel: content_key(rel.endswith(".md"), file_hash(text.encode()))
                   for rel, text in sources_of.items()}
        value = taken.final(sources)
        assert taken.final({}) == value  # (taken once: a build takes it early, then again)
        return value


def _afresh(root: Path) -> str:
    return fingerprint.fingerprint(root, root / "site", root / "templates", TODAY, Walk(Stamps()))


def _small_deployment(root: Path) -> None:
    (root / "data" / "cadres").mkdir(parents=True)
    (root / "data" / "notes" / "a").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "site_config.yml").write_text("site: x\n", encoding="utf-8")
    (root / "data" / "cadres" / "a.yml").write_text("title: one\n", encoding="utf-8")
    (root / "data" / "notes" / "a" / "2026-01-02-x.md").write_text("---\n---\nhi\n", "utf-8")


def test_a_first_runs_fingerprint_is_of_the_data_files_the_load_read(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a memo the walk leaves the cadre and note files to the load (it reads them
    at once instead of after the walk): the fingerprint remembered is made of what the
    load read — the same as a full walk's when nothing changed, that of the edited file
    when it changed meanwhile, none when the load did not read one —, and their stamps are
    kept, so that the next walk reads none of them."""
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    _small_deployment(tmp_path)
    cadre, note = "data/cadres/a.yml", "data/notes/a/2026-01-02-x.md"
    as_read = {cadre: "title: one\n", note: "---\n---\nhi\n"}
    final = _first_run(tmp_path, as_read)
    assert cadre not in reads and note not in reads  # the walk left them to the load
    assert "site_config.yml" in reads  # (every other input is read before the data)
    assert final == _afresh(tmp_path)
    stamps_file = tmp_path / CACHE_DIR / "stamps-all.marshal"

    # Read by the load after an edit the walk did not see: the load's content counts.
    stamps_file.unlink()
    as_edited = {cadre: "title: two\n", note: as_read[note]}
    final = _first_run(tmp_path, as_edited)
    (tmp_path / "data" / "cadres" / "a.yml").write_text("title: two\n", encoding="utf-8")
    assert final == _afresh(tmp_path)
    stamps_file.unlink()
    assert _first_run(tmp_path, as_read) != final  # (the other way round)

    stamps_file.unlink()
    assert _first_run(tmp_path, {cadre: "title: two\n"}) is None  # the note not read

    stamps_file.unlink()
    _first_run(tmp_path, as_edited)
    reads.clear()
    walk = Walk.kept_in(stamps_file)
    assert fingerprint.fingerprint(tmp_path, tmp_path / "site", tmp_path / "templates", TODAY,
                                   walk) == _afresh(tmp_path)
    assert reads.count(cadre) == reads.count(note) == 1  # (by the afresh walk only)


@pytest.mark.parametrize("hidden", ["data/cadres/._a.yml", "data/notes/.trash/2026-01-02-x.md",
                                    "data/notes/a/.2026-01-02-x.md"])
def test_a_hidden_file_among_the_data_does_not_keep_a_first_run_from_being_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    """The load skips names starting with a dot (``._a.yml`` is what macOS leaves on shared
    drives): the walk must not leave such a file to the load, whose content would then
    be missing from the fingerprint — the run would never be remembered, and every later
    one would be a first run.  It still counts as an input: editing it is a change."""
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    _small_deployment(tmp_path)
    (tmp_path / hidden).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / hidden).write_text("not: data\n", encoding="utf-8")
    assert not fingerprint.is_data_file(hidden)
    final = _first_run(tmp_path, {"data/cadres/a.yml": "title: one\n",
                                  "data/notes/a/2026-01-02-x.md": "---\n---\nhi\n"})
    assert final is not None and final == _afresh(tmp_path)
    (tmp_path / hidden).write_text("not: data, edited\n", encoding="utf-8")
    assert _afresh(tmp_path) != final


def test_a_build_beside_a_hidden_copy_of_a_cadre_file_is_remembered(sample: Path) -> None:
    """End to end: with ``._<id>.yml`` beside the cadre files, the second build is
    answered from the memo as it is without."""
    from tests.conftest import run_cli

    cadre = sorted((sample / "data" / "cadres").glob("*.yml"))[0]
    (cadre.parent / f"._{cadre.name}").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    assert run_cli(sample, "build").code == 0
    again = run_cli(sample, "build")
    assert again.code == 0 and "输入没有变化" in again.out, again.out


def test_a_folders_stamps_are_judged_file_by_file_when_the_folder_changed(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamps are kept by folder and a folder as it was stamped is answered whole; a
    folder with a file added or gone is judged file by file (only the new file is read),
    and a damaged folder entry has its files read again."""
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    for name, title in (("a", "one"), ("b", "two")):
        (tmp_path / f"{name}.yml").write_text(f"title: {title}\n", encoding="utf-8")
    folder = str(tmp_path.resolve())
    damaged = Stamps({folder: ("a.yml\0b.yml", b"\x00garbage", (b"x" * 16, b"y" * 16))})
    assert _read(tmp_path, ["a.yml", "b.yml"], {}, damaged) == {
        "a.yml": {"title": "one"}, "b.yml": {"title": "two"}}
    assert {"a.yml", "b.yml"} <= set(reads)

    known: Stamps = Stamps()
    kept: dict = {}
    _read(tmp_path, ["a.yml", "b.yml"], kept, known)
    reads.clear()
    (tmp_path / "c.yml").write_text("title: three\n", encoding="utf-8")
    assert _read(tmp_path, ["a.yml", "b.yml", "c.yml"], kept, known)["c.yml"] == {
        "title": "three"}
    assert set(reads) == {"c.yml"}  # (a and b by their stamps, in a folder that changed)
    reads.clear()
    (tmp_path / "b.yml").unlink()
    assert _read(tmp_path, ["a.yml", "c.yml"], kept, known) == {
        "a.yml": {"title": "one"}, "c.yml": {"title": "three"}}
    assert reads == []



@pytest.mark.parametrize("packed", [marshal.dumps(5, 2), b"\x00garbage", marshal.dumps((1,), 2)])
def test_a_folder_whose_signatures_are_damaged_vouches_for_none_of_its_files(
    packed: bytes,
) -> None:
    """Each reader of a folder's stamps takes damaged signatures (well-formed bytes that do
    not unpack to signatures) as none: its files are read again, nothing raises."""
    sig = (1, 2, 3, 4, 5)
    damaged = Stamps({"/d": ("a.yml", packed, (b"h" * 16,))})
    assert damaged.folder("/d", "a.yml", marshal.dumps((sig,), 2), (sig,)) == (None,)
    assert damaged.hashed_in("/", "/") == {}
    damaged.add_all([("/d/a.yml", sig, b"n" * 16, 10**19)])
    assert damaged.hashed("/d/a.yml") is None

def test_a_link_is_read_each_time_among_stamped_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's regular files are judged by their stamps; a link is read every time (its
    own signature says nothing of what it points to): an edit of its target shows."""
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    root = tmp_path / "deployment"
    (root / "templates").mkdir(parents=True)
    (root / "docs").mkdir()
    target = tmp_path / "elsewhere.md"
    target.write_text("one\n", encoding="utf-8")
    (root / "docs" / "a.md").write_text("a\n", encoding="utf-8")
    (root / "docs" / "linked.md").symlink_to(target)
    known = Stamps()

    def taken() -> str:
        return fingerprint.fingerprint(root, root / "site", root / "templates", TODAY,
                                       Walk(known))

    first = taken()
    assert taken() == first
    _rewrite_same_size_and_mtime(target, "two\n")
    assert taken() != first

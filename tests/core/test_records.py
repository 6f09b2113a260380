"""``records``: per-cadre results are found again only for the very inputs they came from."""

from __future__ import annotations

import datetime as dt
import io
import pickle
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.dataclasses import is_pydantic_dataclass

from tests.conftest import record_calls, run_cli
from tests.core.test_incremental import REPO, _retitle, _survey
from zhilian import load
from zhilian import records as records_module
from zhilian.demo import generate
from zhilian.load import Memo
from zhilian.pipeline import check
from zhilian.read import batch
from zhilian.records import (
    CHANGES_FILE,
    NOT_KEPT_ON_DISK,
    RECORDS_FILE,
    CadreRecords,
    file_contents,
)

TODAY = dt.date(2026, 11, 20)


def _deployment(tmp_path: Path, cadres: int, seed: int) -> tuple[Path, list[str]]:
    """A generated deployment with the repository's templates, and its cadres' ids."""
    root = tmp_path / "d"
    generate(root, cadres=cadres, seed=seed)
    shutil.copytree(REPO / "templates", root / "templates")
    return root, sorted(p.stem for p in (root / "data" / "cadres").glob("*.yml"))


def _counting(records: CadreRecords, stage: str, cadre_id: str, calls: list[str]) -> object:
    def compute() -> object:
        calls.append(cadre_id)
        return object()

    return records.get(stage, cadre_id, compute)


def test_results_are_kept_by_inputs_and_never_outlive_them(tmp_path: Path) -> None:
    root, cadres = _deployment(tmp_path, 4, 3)
    memo = Memo()
    records = memo.records
    calls: list[str] = []

    def run(today: dt.date = TODAY) -> dict[str, object]:
        check(root, today, jobs=1, memo=memo)  # starts the records with this build's inputs
        return {cid: _counting(records, "test", cid, calls) for cid in cadres}

    first = run()
    assert calls == cadres
    calls.clear()
    assert run() == first and calls == []  # unchanged: every result found again

    _retitle(root)  # the first cadre's file
    again = run()
    assert calls == [cadres[0]]
    assert {cid for cid in cadres if again[cid] is not first[cid]} == {cadres[0]}

    calls.clear()
    _survey(root)  # a shared input: every cadre's results may depend on it
    run()
    assert calls == cadres
    calls.clear()
    run(TODAY + dt.timedelta(days=1))  # so is the date
    assert calls == cadres

    # ``extra``: a result depends on it too.
    calls.clear()
    records.get("x", cadres[1], lambda: calls.append("a"), extra=1)
    records.get("x", cadres[1], lambda: calls.append("b"), extra=1)
    records.get("x", cadres[1], lambda: calls.append("c"), extra=2)
    assert calls == ["a", "c"]


def test_what_a_forked_process_sends_back_is_kept_only_for_the_same_inputs(
    tmp_path: Path,
) -> None:
    root, cadres = _deployment(tmp_path, 3, 4)
    parent = check(root, TODAY, jobs=1, memo=Memo()).records
    child = check(root, TODAY, jobs=1, memo=Memo()).records  # as a forked copy would be
    child.forked()
    child.get("view", cadres[0], lambda: "made in the child")
    sent = child.added()

    parent.merge(sent)
    assert parent.get("view", cadres[0], lambda: "made again") == "made in the child"

    _retitle(root)
    later = check(root, TODAY, jobs=1, memo=Memo()).records
    later.merge(sent)  # from a build of other inputs: not taken
    assert later.get("view", cadres[0], lambda: "made again") == "made again"


def test_one_build_records_need_no_inputs() -> None:
    records = CadreRecords(one_build=True)
    calls: list[str] = []
    for _ in range(2):
        records.get("card", "someone", lambda: calls.append("x"), extra="page")
    assert calls == ["x"]
    unstarted = CadreRecords()
    for _ in range(2):
        unstarted.get("card", "someone", lambda: calls.append("y"))
    assert calls == ["x", "y", "y"]  # without inputs nothing is kept


def test_records_on_disk_are_found_again_only_for_the_same_inputs_and_code(
    tmp_path: Path,
) -> None:
    root, cadres = _deployment(tmp_path, 4, 3)
    file = root / ".zhilian-cache" / "records.pickle"
    calls: list[str] = []

    def run(code: bytes = b"code 1") -> dict[str, object]:
        """A run as ``build.py`` makes one: the records read, used and written back."""
        records = CadreRecords(file=file, code=code)
        check(root, TODAY, jobs=1, records=records)
        found = {cid: _counting(records, "test", cid, calls) for cid in cadres}
        records.save()
        return found

    first = run()
    assert calls == cadres and file.is_file()
    calls.clear()
    again = run()
    assert calls == [] and again.keys() == first.keys()  # every result read back

    _retitle(root)  # the first cadre's file
    run()
    assert calls == [cadres[0]]

    calls.clear()
    run(b"code 2")  # other code or templates: nothing of the file is taken
    assert calls == cadres

    stale = file.with_name(f".{file.name}.4242.tmp")  # a run killed while writing
    stale.write_bytes(b"half a file")
    _retitle(root)
    run(b"code 2")
    assert not stale.exists()

    for damage in (b"", b"not a pickle", file.read_bytes()[: len(file.read_bytes()) // 2]):
        file.write_bytes(damage)
        calls.clear()
        run(b"code 2")  # computed again, no error
        assert calls == cadres


def test_a_few_changed_records_are_written_alone_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one edit only what changed is written (the records file stays as it was);
    changes made for another version of the records file are never applied; once they
    are no longer few, the records file is written again and the changes dropped."""
    root, cadres = _deployment(tmp_path, 6, 3)
    file = root / ".zhilian-cache" / RECORDS_FILE
    changes = file.with_name(CHANGES_FILE)
    calls: list[str] = []
    clean: list[dict[str, bytes]] = []  # each run's clean files (``load.Cadres``)

    def run() -> dict[str, object]:
        records = CadreRecords(file=file, code=b"code")
        check(root, TODAY, jobs=1, records=records)
        found = {cid: records.get("test", cid, lambda cid=cid: calls.append(cid) or cid)
                 for cid in cadres}
        records.save()
        clean.append(dict(records.clean))
        return found

    run()
    assert not changes.exists()
    whole = file.read_bytes()
    _retitle(root)  # the first cadre's file
    calls.clear()
    run()
    assert calls == [cadres[0]] and file.read_bytes() == whole and changes.is_file()
    # The clean files are kept as what differs from the records file's: the edited one.
    written = pickle.loads(changes.read_bytes())
    assert list(written["clean"]) == [f"data/cadres/{cadres[0]}.yml"]
    assert written["clean dropped"] == [] and len(clean[-1]) > 1
    assert CadreRecords(file=file, code=b"code").clean == clean[-1]
    calls.clear()
    assert run() == {cid: cid for cid in cadres} and calls == []  # both files read back

    # Changes naming the records file as it is are applied (a value planted for the first
    # cadre's present inputs is what it gets) ...
    planted = pickle.loads(changes.read_bytes())
    extra, _ = planted["entries"]["test"][cadres[0]]
    planted["entries"]["test"][cadres[0]] = (extra, pickle.dumps("planted"))
    changes.write_bytes(pickle.dumps(planted))
    assert run()[cadres[0]] == "planted" and calls == []
    # ... but not once the records file was written again (by a run that changed much).
    changes.write_bytes(pickle.dumps(planted))
    monkeypatch.setattr(records_module, "CHANGES_SHARE", 0.0)
    _retitle(root)
    run()
    assert file.read_bytes() != whole and not changes.exists()
    changes.write_bytes(pickle.dumps(planted))  # made for the records file before
    calls.clear()
    assert run()[cadres[0]] == cadres[0] and calls == []
    changes.write_bytes(b"damaged")
    assert run()[cadres[0]] == cadres[0] and calls == []  # the records file alone


def test_changes_of_successive_builds_add_up_until_the_records_file_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each changes file says all that differs from the records file, not only what the
    build that wrote it changed: after edits of two cadres in two builds, a third build
    finds every result (nothing computed) and the edited cadres' are the new ones."""
    monkeypatch.setattr(records_module, "CHANGES_SHARE", 1.0)  # (6 cadres: each is 1/6)
    root, cadres = _deployment(tmp_path, 6, 3)
    file = root / ".zhilian-cache" / RECORDS_FILE
    calls: list[str] = []

    def run() -> dict[str, object]:
        records = CadreRecords(file=file, code=b"code")
        check(root, TODAY, jobs=1, records=records)
        found = {cid: records.get("title", cid, lambda cid=cid: calls.append(cid) or _title(cid))
                 for cid in cadres}
        records.save()
        # The clean files as read back are this run's (those of a cold check, too).
        assert CadreRecords(file=file, code=b"code").clean == records.clean == _cold_clean()
        return found

    def _cold_clean() -> dict[str, bytes]:
        records = CadreRecords(one_build=True)
        return check(root, TODAY, jobs=1, records=records).dep.clean

    def _title(cadre_id: str) -> str:
        text = (root / "data" / "cadres" / f"{cadre_id}.yml").read_text("utf-8")
        return next(line for line in text.splitlines() if line.startswith("title:"))

    def edit(cadre_id: str) -> None:
        cadre = root / "data" / "cadres" / f"{cadre_id}.yml"
        title = _title(cadre_id)
        cadre.write_text(cadre.read_text("utf-8").replace(title, title + "（改）"), "utf-8")

    run()
    whole = file.read_bytes()
    edit(cadres[0])
    calls.clear()
    run()
    edit(cadres[1])
    calls.clear()
    run()
    assert calls == [cadres[1]] and file.read_bytes() == whole  # (changes only, again)
    calls.clear()
    found = run()
    assert calls == []
    # A note gone is no longer clean (the files compared whole, as none read tells it).
    gone = sorted((root / "data" / "notes" / cadres[2]).glob("*.md"))[0]
    gone.unlink()
    run()
    assert f"data/notes/{cadres[2]}/{gone.name}" not in CadreRecords(file=file, code=b"code").clean
    found = run()
    assert found == {cid: _title(cid) for cid in cadres}
    assert found[cadres[0]].endswith("（改）") and found[cadres[1]].endswith("（改）")


class _NoModels(pickle.Pickler):
    def reducer_override(self, obj: object) -> object:
        validated = isinstance(obj, BaseModel) or is_pydantic_dataclass(type(obj))
        assert not validated, f"a validated model in the records: {obj!r:.80}"
        return NotImplemented


def test_the_records_file_holds_no_validated_model_and_none_of_the_youth(
    tmp_path: Path,
) -> None:
    """What the file holds is made from the models, never the models themselves (they are
    validated again on every run), and no stage whose results list every youth."""
    root, _ = _deployment(tmp_path, 4, 5)
    run = run_cli(root, "build", today=TODAY.isoformat())
    assert run.code == 0, run.out
    data = file_contents(root / ".zhilian-cache" / RECORDS_FILE)
    stages = set(data["entries"])
    assert stages and not stages & NOT_KEPT_ON_DISK
    assert {"rule findings", "internal view", "public card  3 True"} <= stages
    entries = [entry for by_cadre in data["entries"].values() for entry in by_cadre.values()]
    values = [value for _, value in [*entries, *data["whole"].values()]]
    for value in values:
        _NoModels(io.BytesIO()).dump(pickle.loads(value))


def test_a_rebuild_validates_again_only_the_edited_cadres_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The others' results are all in the records: their files are not validated again
    (``load.Cadres``, ``load.DeferredNote``), and the site is what a cold build makes
    (``test_incremental``)."""
    root, cadres = _deployment(tmp_path, 6, 7)
    assert run_cli(root, "build", "--jobs", "1", today=TODAY.isoformat()).code == 0
    _retitle(root)  # the first cadre's file
    edited = f"data/cadres/{cadres[0]}.yml"
    validated = record_calls(monkeypatch, load, "validate", 2)
    cache_reads = record_calls(monkeypatch, batch, "_load_cache", 0)
    run = run_cli(root, "build", "--jobs", "1", today=TODAY.isoformat())
    assert run.code == 0, run.out
    assert [rel for rel in validated if rel.startswith("data/cadres/")] == [edited]
    assert cache_reads == []  # the parsed values of 6 cadres' files: parsed, not read
    # (the edited cadre's notes are looked at again by its rules and views: no other's)
    notes = {rel.split("/")[2] for rel in validated if rel.startswith("data/notes/")}
    assert notes <= {cadres[0]}

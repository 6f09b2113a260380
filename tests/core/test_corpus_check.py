"""The bad-input corpus through the whole checker (DESIGN §4–§6): every file gives exit 1,
its expected code at its expected line, and no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.read.test_corpus import CORPUS, NEGATIVE, expectation

CASES = NEGATIVE + sorted((CORPUS / "check").glob("*.*"))


def place(sample: Path, source: Path) -> str:
    """Put a corpus file where a deployment would hold it; returns its relative path."""
    if source.suffix == ".md":
        cadre = sorted((sample / "data" / "notes").iterdir())[0].name
        rel = f"data/notes/{cadre}/2026-05-04-corpus-case.md"
    elif "survey" in source.name:
        rel = "data/surveys/2099.yml"
    else:
        rel = "data/cadres/corpus-case.yml"
    shutil.copyfile(source, sample / rel)
    return rel


@pytest.mark.parametrize("source", CASES, ids=lambda p: p.name)
def test_corpus_file_through_check(sample: Path, source: Path) -> None:
    expected = expectation(source)
    assert expected, f"{source.name} has no expect line"
    rel = place(sample, source)
    run = run_cli(sample, "check", fmt="json")
    assert run.code == 1, run.out  # not 2: bad data is never an internal error
    found = {(d["code"], d["line"]) for d in json.loads(run.out) if d["file"] == rel}
    assert set(expected) <= found, (expected, found)


def test_ten_megabyte_file_is_refused_without_reading_it(sample: Path) -> None:
    big = sample / "data" / "cadres" / "huge.yml"
    big.write_bytes(b"name: x\n" + b"# padding\n" * 1_000_000)
    run = run_cli(sample, "check", fmt="json")
    [d] = [d for d in json.loads(run.out) if d["file"] == "data/cadres/huge.yml"]
    assert run.code == 1 and d["code"] == "Y010"


def test_note_in_a_folder_that_names_no_cadre(sample: Path) -> None:
    ghost = sample / "data" / "notes" / "no-such-cadre"
    ghost.mkdir()
    shutil.copyfile(CORPUS / "positive" / "note.md", ghost / "2026-05-04-x.md")
    run = run_cli(sample, "check", fmt="json")
    [d] = [d for d in json.loads(run.out) if d["code"] == "R004"]
    assert run.code == 1 and d["file"] == "data/notes/no-such-cadre/2026-05-04-x.md"
    assert d["line"] == 1

"""Every file in tests/corpus: negative ones give their expected codes, positive ones none."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from zhilian.diagnostics import CODES, Diagnostic
from zhilian.read import read_note, read_yaml

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MAX_BYTES = 1_048_576  # site_config limits.max_file_bytes of the sample deployment
EXPECT = re.compile(r"expect:\s*(ok|[A-Z]\d{3} \d+(?:\s*,\s*[A-Z]\d{3} \d+)*)")

NEGATIVE = sorted((CORPUS / "negative").glob("*.*"))
POSITIVE = sorted((CORPUS / "positive").glob("*.*"))


def expectation(path: Path) -> list[tuple[str, int]] | None:
    """The `expect:` pairs of a corpus file, [] for `ok` (see tests/corpus/README.md)."""
    head = path.read_bytes()[:600].decode("utf-8", "replace").splitlines()[:3]
    for line in head:
        m = EXPECT.search(line)
        if m:
            if m.group(1) == "ok":
                return []
            pairs = [p.split() for p in m.group(1).split(",")]
            return [(code, int(n)) for code, n in pairs]
    return None


def read(path: Path) -> tuple[object | None, list[Diagnostic]]:
    rel = f"corpus/{path.parent.name}/{path.name}"
    if path.suffix == ".md":
        value, _, _, diags = read_note(path, rel, MAX_BYTES)
    else:
        value, _, diags = read_yaml(path, rel, MAX_BYTES)
    return value, diags


def test_corpus_is_there() -> None:
    assert len(NEGATIVE) >= 14 and len(POSITIVE) >= 5
    for path in NEGATIVE + POSITIVE:
        if path.name != "README.md":
            assert expectation(path) is not None, f"{path.name} has no `expect:` line"


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_negative_file_gives_its_expected_diagnostics(path: Path) -> None:
    expected = expectation(path)
    assert expected, f"{path.name}: a negative file needs `expect: CODE LINE`"
    value, diags = read(path)
    assert value is None
    got = {(d.code, d.line) for d in diags}
    for pair in expected:
        assert pair in got, f"{path.name}: expected {pair}, got {sorted(got)}"
    assert {d.code for d in diags} <= {code for code, _ in expected}, sorted(got)
    for d in diags:
        assert d.code in CODES and d.message and d.hint
        assert d.line >= 1 and d.col >= 1


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.name)
def test_positive_file_reads_without_diagnostics(path: Path) -> None:
    assert expectation(path) == []
    value, diags = read(path)
    assert [(d.code, d.line, d.col, d.message) for d in diags] == []
    assert isinstance(value, dict)
    if path.suffix == ".yml":
        # Cross-check with PyYAML's all-strings loader (no file here has an empty value).
        text = path.read_bytes().decode("utf-8-sig")
        assert value == yaml.load(text, Loader=yaml.BaseLoader)


def test_positive_values_stay_strings_as_written() -> None:
    value, _ = read(CORPUS / "positive" / "strings_stay_strings.yml")
    assert isinstance(value, dict)
    assert value["github"] == "no"
    assert value["contact"]["qq"] == "0123456789"
    assert value["contact"]["phone"] == "0358-3389036"
    assert value["contact"]["office"] == "1e3"
    assert value["since"] == "2024-09-01"
    youth = value["youth"]
    assert [y["id"] for y in youth] == ["2023010203", "0024020115", "2023050322"]
    assert youth[0]["hometown"] == "on" and youth[0]["dorm_group"] == "true"
    assert youth[2]["grade"] == "2023"


def test_positive_tricky_text_is_kept() -> None:
    value, _ = read(CORPUS / "positive" / "url_ampersand.yml")
    assert isinstance(value, dict)
    assert value["contact"]["weibo"].endswith("?from=feed&loc=nickname&is_all=1")
    value, _ = read(CORPUS / "positive" / "hash_in_quotes.yml")
    assert isinstance(value, dict)
    assert value["contact"]["office"] == "行政楼 #305" and value["title"] == "校团委副书记"
    value, _ = read(CORPUS / "positive" / "bom.yml")
    assert isinstance(value, dict) and value["name"] == "王晓明"


def test_ten_megabyte_file_is_y010_and_fast(tmp_path: Path) -> None:
    """A real 10 MB cadre file (a pasted-in dump): refused by size, not parsed."""
    base = (CORPUS / "positive" / "bom.yml").read_bytes()
    entry = (
        '  - id: "2023010203"\n    name: 李明\n    branch: cs-2023-1\n'
        "    political_status: 共青团员\n    family: 农村\n    since: 2025-09-15\n"
    ).encode()
    path = tmp_path / "big.yml"
    with open(path, "wb") as fh:
        fh.write(base)
        fh.write(entry * (10 * 1024 * 1024 // len(entry) + 1))
    assert path.stat().st_size > 10 * 1024 * 1024
    start = time.perf_counter()
    value, text, diags = read_yaml(path, "data/cadres/big.yml", MAX_BYTES)
    assert time.perf_counter() - start < 0.5
    assert (value, text) == (None, None)
    assert [(d.code, d.line, d.col) for d in diags] == [("Y010", 1, 1)]

"""locate(): key path → line and column, for diagnostics raised after reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zhilian.read import locate, locate_in_note

CADRE = """\
# 团干部
name: 王晓明
contact:
  phone: "0358-3389036"
  wechatt: wxm
intro: |
  欢迎
units:
  committees: [math, chem]
youth:
  - id: "2023010203"
    branch: cs-2023-1
  - id: "2024020115"
    political_status: 群众
empty:
"""


@pytest.mark.parametrize(
    ("path", "at_key", "expected"),
    [
        (("name",), False, (2, 7)),
        (("name",), True, (2, 1)),
        (("contact", "phone"), False, (4, 10)),
        (("contact", "wechatt"), True, (5, 3)),
        (("intro",), False, (6, 8)),
        (("units", "committees", 1), False, (9, 22)),
        (("youth", 1, "political_status"), False, (14, 23)),
        (("youth", 1, "political_status"), True, (14, 5)),
        (("youth", 0), False, (11, 5)),
        (("youth", "1", "id"), False, (13, 9)),  # a list index given as text
        ((), False, (2, 1)),
    ],
)
def test_locate_existing_nodes(path: tuple, at_key: bool, expected: tuple[int, int]) -> None:
    assert locate(CADRE, path, at_key=at_key) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("contact", "email"), (4, 3)),  # missing field: the mapping it is missing from
        (("youth", 1, "branch"), (13, 5)),
        (("youth", 7, "id"), (11, 3)),  # no such entry: the list
        (("empty", "x"), (15, 1)),  # `empty:` has nothing: point at its key
        (("name", "first"), (2, 7)),  # a scalar has no children
        (("level",), (2, 1)),  # missing at the top: the document
    ],
)
def test_locate_missing_path_gives_deepest_existing_node(path: tuple, expected: tuple) -> None:
    assert locate(CADRE, path) == expected


def test_locate_adds_line_offset_and_survives_bad_input() -> None:
    assert locate("a: 1\nb: 2\n", ("b",), line_offset=1) == (3, 4)
    assert locate("a: [1\n", ("a",)) == (1, 1)
    assert locate("", ("a",)) == (1, 1)
    assert locate("a: \ud800\n", ("a",)) == (1, 1)
    assert locate("a: 1\n", ([],)) == (1, 1)  # type: ignore[arg-type]


def test_locate_duplicate_key_uses_the_last_like_the_parsed_dict() -> None:
    assert locate("a: 1\na: 2\n", ("a",)) == (2, 4)


def test_locate_does_not_expand_aliases() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 30)]
    # a29[8] is *a28, whose node is the one anchored on line 29; three steps down: a26
    assert locate("\n".join(lines), ("a29", 8, 8, 8)) == (27, 6)


def test_locate_in_note_uses_the_front_matter() -> None:
    note = "---\ntitle: 座谈会\ndate: 2026-05-04\n---\n正文\n"
    assert locate_in_note(note, ("date",)) == (3, 7)
    assert locate_in_note(note, ("date",), at_key=True) == (3, 1)
    assert locate_in_note(note, ("kind",)) == (2, 1)
    assert locate_in_note("正文\n", ("date",)) == (1, 1)


def test_a_position_found_before_is_kept_by_text_not_by_path() -> None:
    """``serve`` asks for the same warnings build after build: positions are kept, keyed by
    the text's hash, so an edited file gets the position in its new text."""
    before = "name: 李青\ntitle: 书记\n"
    after = "# 新增一行注释\nname: 李青\ntitle: 书记\n"
    assert locate(before, ("title",)) == (2, 8)
    assert locate(after, ("title",)) == (3, 8)
    assert locate(before, ("title",)) == (2, 8)
    assert locate(before, ("title",), at_key=True) == (2, 1)


def test_the_command_line_keeps_positions_and_an_edited_file_gets_new_ones(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` stores the positions it found in ``.zhilian-cache/``: the next run (a new
    process: nothing in memory) finds them there, except for a file that changed."""
    from tests.conftest import run_cli
    from zhilian.read import positions

    def fresh_process() -> None:
        positions._found.clear()
        positions._compose.cache_clear()

    fresh_process()
    first = json.loads(run_cli(sample, "check", fmt="json").out)
    assert (sample / ".zhilian-cache" / "positions.marshal").is_file()
    warned = sorted({d["file"] for d in first if d["file"].startswith("data/cadres/")})
    assert len(warned) >= 2
    edited = sample / warned[0]
    edited.write_text("# 一行新的注释\n" + edited.read_text(encoding="utf-8"), encoding="utf-8")

    fresh_process()
    located: list[str] = []
    real = positions._locate

    def spy(text: str, *args: object) -> tuple[int, int]:
        located.append(text)
        return real(text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(positions, "_locate", spy)
    second = json.loads(run_cli(sample, "check", fmt="json").out)
    edited_text = edited.read_text(encoding="utf-8")
    assert located and set(located) == {edited_text}  # the others came from the cache
    expected = [d | {"line": d["line"] + 1} if d["file"] == warned[0] else d for d in first]
    assert second == expected

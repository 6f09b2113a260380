"""Notes: the --- front matter block, its line offset, and read_note end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhilian.read import parse_yaml, read_note, split_front_matter

NOTE = "---\ntitle: 五四座谈会\ndate: 2026-05-04\n---\n正文第一行\n\n---\n分隔线之后\n"


def test_split_front_matter_and_offset() -> None:
    front, body, offset, diags = split_front_matter(NOTE, "n.md")
    assert diags == []
    assert front == "title: 五四座谈会\ndate: 2026-05-04\n"
    assert body == "正文第一行\n\n---\n分隔线之后\n"  # a later --- is Markdown, not a fence
    assert offset == 1  # front matter line 1 is file line 2


def test_closing_fence_may_carry_trailing_spaces_and_end_the_file() -> None:
    front, body, _, diags = split_front_matter("--- \na: 1\n---  ", "n.md")
    assert (front, body, diags) == ("a: 1\n", "", [])


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# 标题\n正文\n", 1, "第一行必须是 ---"),
        ("\n---\na: 1\n---\n", 1, "空行"),
        ("———\ntitle: x\n———\n", 1, "半角"),
        ("－－－\ntitle: x\n", 1, "半角"),
        ("---\ntitle: x\ndate: 2026-05-04\n\n正文\n", 5, "没有找到结束"),
        ("---\ntitle: x\n———\n正文\n", 3, "半角"),
    ],
)
def test_missing_or_broken_fence_is_y013(text: str, line: int, words: str) -> None:
    front, body, offset, diags = split_front_matter(text, "n.md")
    assert front is None and body == text and offset == 0
    assert [(d.code, d.line, d.col) for d in diags] == [("Y013", line, 1)]
    assert words in diags[0].message


def test_empty_note_is_y011() -> None:
    assert [d.code for d in split_front_matter("\n \n", "n.md")[3]] == ["Y011"]


def test_parse_with_offset_points_at_file_lines() -> None:
    front, _, offset, _ = split_front_matter("---\ntitle: a\ntitle: b\n---\n", "n.md")
    _, diags = parse_yaml(front or "", "n.md", line_offset=offset)
    assert [(d.code, d.line, d.col) for d in diags] == [("Y003", 3, 1)]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "2026-05-04-wusi.md"
    p.write_text(text, encoding="utf-8")
    return p


def test_read_note_good(tmp_path: Path) -> None:
    value, body, offset, diags = read_note(write(tmp_path, NOTE), "n.md", 10_000)
    assert diags == [] and offset == 1
    assert value == {"title": "五四座谈会", "date": "2026-05-04"}
    assert body.startswith("正文第一行")


def test_read_note_crlf_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "n.md"
    p.write_bytes(b"\xef\xbb\xbf" + NOTE.replace("\n", "\r\n").encode())
    value, _, _, diags = read_note(p, "n.md", 10_000)
    assert diags == [] and value == {"title": "五四座谈会", "date": "2026-05-04"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: a\nkind：座谈会\n---\n", [("Y006", 3, 5)]),
        ("---\ntitle: a\n\tkind: x\n---\n", [("Y009", 3, 1)]),
        ("---\ntitle: [a\n---\n", [("Y002", 2, 8)]),
        ("---\n---\n正文\n", [("Y013", 1, 1)]),  # an empty block is a missing block
        ("---\n# 只有注释\n---\n", [("Y013", 1, 1)]),
        ("---\n- a\n- b\n---\n", [("Y012", 2, 1)]),
        ("---\n标题\n---\n", [("Y012", 2, 1)]),
        ("正文\n", [("Y013", 1, 1)]),
    ],
)
def test_read_note_problems_point_at_file_lines(tmp_path: Path, text: str, expected: list) -> None:
    value, _, _, diags = read_note(write(tmp_path, text), "n.md", 10_000)
    assert value is None
    assert [(d.code, d.line, d.col) for d in diags] == expected


def test_read_note_unreadable_or_too_big(tmp_path: Path) -> None:
    value, body, offset, diags = read_note(tmp_path / "nope.md", "nope.md", 10)
    assert (value, body, offset, [d.code for d in diags]) == (None, "", 0, ["Y015"])
    value, _, _, diags = read_note(write(tmp_path, NOTE), "n.md", 10)
    assert [d.code for d in diags] == ["Y010"]
    p = tmp_path / "gbk.md"
    p.write_bytes(NOTE.encode("gb18030"))
    assert [(d.code, d.line) for d in read_note(p, "gbk.md", 10_000)[3]] == [("Y001", 2)]

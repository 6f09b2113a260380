"""Activity notes: a ``---`` block of YAML front matter, then the Markdown body."""

from __future__ import annotations

import re
from pathlib import Path

from zhilian.diagnostics import Diagnostic, error
from zhilian.read.positions import locate
from zhilian.read.yaml_reader import parse_yaml, read_file, top_level_not_mapping

_OPEN = re.compile(r"---[ \t]*(?:\n|$)")
_CLOSE = re.compile(r"^---[ \t]*$", re.M)
# An input method turns `---` into full-width dashes or a Chinese dash: ——— －－－ ———
_LOOKS_LIKE_FENCE = re.compile(r"^[ \t]*[-—－─–]{2,}[ \t]*$", re.M)


def split_front_matter(text: str, rel: str) -> tuple[str | None, str, int, list[Diagnostic]]:
    """Split a note into (front matter text, body, line offset, diagnostics).

    The line offset is what to pass to ``parse_yaml(..., line_offset=)``: the front matter's
    first line is file line ``offset + 1`` (always 1, for the opening ``---``).  Without a
    complete ``---`` block the front matter is None and the whole text is the body.
    """
    if not text.strip():
        return None, text, 0, [error("Y011", rel, "活动记录是空的", line=1, col=1)]
    if not _OPEN.match(text):
        first = text.split("\n", 1)[0]
        if _LOOKS_LIKE_FENCE.match(first):
            message = "第一行的 --- 要用半角减号“-”，不能是全角“－”或破折号“—”"
        elif not first.strip():
            message = "第一行必须是 ---（信息块前面不能有空行）"
        else:
            message = "活动记录的第一行必须是 ---，下面写 title、date 等信息，再用一行 --- 结束"
        return None, text, 0, [error("Y013", rel, message, line=1, col=1)]
    start = text.index("\n") + 1 if "\n" in text else len(text)
    close = _CLOSE.search(text, start)
    if close is None:
        fence = _LOOKS_LIKE_FENCE.search(text, start)
        if fence is not None:
            line = text.count("\n", 0, fence.start()) + 1
            message = "信息块的结束行 --- 要用半角减号“-”，不能是全角“－”或破折号“—”"
        else:
            line = text.rstrip("\n").count("\n") + 1
            message = "第 1 行的 --- 开始了信息块，但没有找到结束它的 --- 行"
        return None, text, 0, [error("Y013", rel, message, line=line, col=1)]
    front = text[start : close.start()]
    body = text[close.end() + 1 :] if close.end() < len(text) else ""
    return front, body, 1, []


def read_note(
    path: Path, rel: str, max_bytes: int
) -> tuple[object | None, str, int, list[Diagnostic]]:
    """read_file + split_front_matter + parse_yaml → (front matter, body, line offset, diags).

    The front matter is a dict, or None when there are diagnostics.
    """
    text, diags = read_file(path, rel, max_bytes)
    if text is None:
        return None, "", 0, diags
    return parse_note(text, rel)


def parse_note(text: str, rel: str) -> tuple[object | None, str, int, list[Diagnostic]]:
    """The text half of :func:`read_note` (for notes that are already decoded)."""
    front, body, offset, diags = split_front_matter(text, rel)
    if front is None:
        return None, body, offset, diags
    value, diags = parse_yaml(front, rel, line_offset=offset)
    if diags:
        # An empty block is a missing block (Y013), not an empty file (Y011).
        diags = [
            error("Y013", rel, "--- 信息块是空的：请填写 title、date 等信息", line=1, col=1)
            if d.code == "Y011"
            else d
            for d in diags
        ]
        return None, body, offset, diags
    if not isinstance(value, dict):
        diag = top_level_not_mapping(front, rel, value, line_offset=offset, where="信息块")
        return None, body, offset, [diag]
    return value, body, offset, []


def locate_in_note(text: str, path: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """:func:`locate` for a whole note file: finds the front matter first."""
    try:
        front, _, offset, _ = split_front_matter(text, "")
    except Exception:
        return 1, 1
    if front is None:
        return 1, 1
    return locate(front, path, at_key=at_key, line_offset=offset)

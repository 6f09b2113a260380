"""Print diagnostics: ``text`` for people, ``github`` workflow commands for pull requests,
``json`` for tools.  Reporters are swappable objects so tests can capture what is said.

Positions are resolved here, lazily: only files that have diagnostics are re-read.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from .diagnostics import Diagnostic, Kind, mask_student_id

SEVERITY_LABEL = {"error": "错误", "warning": "警告"}


class SourceCache:
    """File texts by relative path, read at most once per run.  ``positions``: where the
    positions found are kept between runs (``read.positions.kept_in``), if anywhere."""

    def __init__(self, root: Path, positions: Path | None = None) -> None:
        self.root = root
        self.positions = positions
        self._texts: dict[str, str | None] = {}
        self._lines: dict[str, list[str]] = {}  # (a file with many findings is split once)

    def text(self, rel: str) -> str | None:
        from .read import read_file  # (the reader, when a source line is shown: see read)

        if rel not in self._texts:
            path = self.root / rel
            self._texts[rel] = read_file(path, rel, 1 << 30)[0] if path.is_file() else None
        return self._texts[rel]

    def line(self, rel: str, line: int) -> str | None:
        text = self.text(rel)
        if text is None or line < 1:
            return None
        lines = self._lines.get(rel)
        if lines is None:
            lines = self._lines[rel] = text.split("\n")
        return lines[line - 1] if line <= len(lines) else None


def resolve_positions(diags: Iterable[Diagnostic], sources: SourceCache) -> None:
    from .read.positions import kept_in
    from .workers import no_cycle_collection

    # (composing a file makes thousands of nodes, no cycles: with the collector on, the
    # 130 files of a province's warnings set off full collections, 0.1 s of the run)
    with kept_in(sources.positions), no_cycle_collection():
        _resolve_positions(diags, sources)


def _resolve_positions(diags: Iterable[Diagnostic], sources: SourceCache) -> None:
    from .read import locate, locate_in_note

    for d in diags:
        if d.line:
            continue
        text = sources.text(d.file)
        if text is None:
            d.line, d.col = 1, 1
            continue
        if d.file.endswith(".md"):
            d.line, d.col = locate_in_note(text, d.path, at_key=d.at_key)
        else:
            d.line, d.col = locate(text, d.path, at_key=d.at_key)


# Values that may identify a youth, as they can appear on a displayed source line.
_PERSONAL_VALUE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?(?:id|name|hometown)\s*:\s*)(?P<value>.+)$"
)
_LONG_DIGITS = re.compile(r"\d{6,}")


def redact_line(line: str) -> str:
    """Mask 学号 and names on a source line before it reaches a log."""
    match = _PERSONAL_VALUE.match(line)
    if match:
        value = match.group("value").strip().strip("\"'")
        line = match.group("lead") + (mask_student_id(value) if value.isdigit()
                                      else value[:1] + "*" * max(len(value) - 1, 0))
    return _LONG_DIGITS.sub(lambda m: mask_student_id(m.group()), line)


def summary_line(diags: list[Diagnostic]) -> str:
    counts = Counter((d.severity.value, d.kind) for d in diags)
    errors = counts[("error", Kind.DATA)] + counts[("error", Kind.COMPLIANCE)]
    warnings = counts[("warning", Kind.DATA)] + counts[("warning", Kind.COMPLIANCE)]
    if not diags:
        return "检查通过：没有发现问题。"
    return (
        f"共 {errors} 个错误（数据错误 {counts[('error', Kind.DATA)]} 个，"
        f"合规错误 {counts[('error', Kind.COMPLIANCE)]} 个），{warnings} 个警告。"
    )


class Reporter:
    """Base reporter: keeps what it was given (tests read ``.diagnostics``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.diagnostics: list[Diagnostic] = []

    def report(self, diags: list[Diagnostic], sources: SourceCache) -> None:
        resolve_positions(diags, sources)
        self.diagnostics = sorted(diags, key=Diagnostic.sort_key)
        if self.stream is not None:
            self.write(self.diagnostics, sources)

    def write(self, diags: list[Diagnostic], sources: SourceCache) -> None:  # pragma: no cover
        raise NotImplementedError

    def info(self, message: str) -> None:
        """Progress and notes for people; machine formats send them to stderr instead."""
        if self.stream is not None:
            sys.stderr.write(message + "\n")


class TextReporter(Reporter):
    def __init__(self, stream: TextIO | None = None, info_stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.info_stream = info_stream or stream

    def write(self, diags: list[Diagnostic], sources: SourceCache) -> None:
        out = self.stream
        assert out is not None
        for d in diags:
            out.write(f"{d.file}:{d.line}:{d.col}: {SEVERITY_LABEL[d.severity.value]} "
                      f"{d.code} {d.message}\n")
            source = sources.line(d.file, d.line)
            if source is not None and source.strip():
                shown = redact_line(source)
                gutter = f"{d.line:>5} | "
                out.write(f"{gutter}{shown}\n")
                caret_col = min(max(d.col, 1), len(shown) + 1)
                # Wide (CJK) characters take two terminal columns.
                pad = sum(2 if ord(ch) > 0x2E80 else 1 for ch in shown[: caret_col - 1])
                out.write(" " * (len(gutter) - 2) + "| " + " " * pad + "^\n")
            out.write(f"      提示：{d.hint}\n\n")
        out.write(summary_line(diags) + "\n")

    def info(self, message: str) -> None:
        if self.info_stream is not None:
            self.info_stream.write(message + "\n")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter):
    """GitHub Actions workflow commands: annotations on the pull request's diff."""

    def write(self, diags: list[Diagnostic], sources: SourceCache) -> None:
        out = self.stream
        assert out is not None
        for d in diags:
            props = ",".join([
                f"file={_escape_property(d.file)}",
                f"line={d.line}",
                f"col={d.col}",
                f"title={_escape_property(f'{d.code} {d.title}')}",
            ])
            message = _escape_data(f"{d.message}\n提示：{d.hint}")
            out.write(f"::{d.severity.value} {props}::{message}\n")
        out.write(summary_line(diags) + "\n")


class JsonReporter(Reporter):
    def write(self, diags: list[Diagnostic], sources: SourceCache) -> None:
        out = self.stream
        assert out is not None
        json.dump([as_dict(d) for d in diags], out, ensure_ascii=False, indent=2)
        out.write("\n")


def as_dict(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "severity": d.severity.value,
        "kind": d.kind.value,
        "file": d.file,
        "line": d.line,
        "col": d.col,
        "title": d.title,
        "message": d.message,
        "hint": d.hint,
        "cadre": d.cadre,
    }


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "github": GithubReporter,
    "json": JsonReporter,
}

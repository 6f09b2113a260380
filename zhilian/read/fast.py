"""The express lane for clean YAML: rapidyaml (C++) parses, emits JSON, ``json`` loads it.

About ten times faster than libyaml's composer, and naturally faithful to our reading rule
"every scalar is a string": rapidyaml does not type scalars.  It only *emits* plain scalars
that look like JSON numbers or booleans without quotes; ``parse_int``/``parse_float`` hand
us their original text back, and ``true``/``false`` can only come from exactly those words.

``yaml_reader.parse_yaml`` takes the lane only after its own gates found no input-method
slip and no possible anchor, alias or tag.  This module then guards against what rapidyaml
reads differently from libyaml or more leniently (found by fuzzing the two against each
other): document markers and directives, plain ``null``/``~`` (kept as strings by the
careful path), plain scalars rapidyaml emits as other text (``.5``, ``5.``, ``nan``,
``inf``), indicator characters starting a plain scalar, block-scalar headers other
than ``|``/``|-``/``|+``, escapes, control characters, and a missing final newline.  Any
parse error, duplicate key or JSON surprise falls back too, so diagnostics always come from
one place.

``tests/read/test_fast.py`` checks that the reader gives the same answer with and without
the lane, on tricky, generated, fuzzed and real files.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

try:  # an optional accelerator: without it everything still works, only slower
    import ryml  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover
    ryml = None

#: Returned when the express lane does not apply; the caller takes the careful path.
MISS: Any = object()

# Characters after which a closer look is needed.  A pure character class lets ``re`` scan in
# C; the few lines it hits (mostly Chinese comments) are then judged one by one.
# Escapes, tabs and control characters always take the careful path, as do NEL, LS and PS
# (line breaks to libyaml, text to rapidyaml) and what libyaml rejects as unprintable (C1
# controls, U+FFFE, U+FFFF).
_RARE = re.compile("[&*!~|>\\\\\t\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_NULL = re.compile(r"\bnull\b")
_BLANK_RUN = " " * 1024  # (none in real data; 100,000 took rapidyaml 3 s)
_BLOCK_HEADER_REST = re.compile(r"[+-]? *(?:#.*)?")
# Characters that cannot start a plain scalar in YAML 1.1 (rapidyaml is lenient about them),
# after an indicator and blanks; and indicators right after a flow opener or comma.  A line
# break is one of the indicators, so a scalar after a comment or on a later line is found
# from the break before it (":" is in the first class for a flow's ":" on a later line;
# elsewhere it is rare): the patterns skip no comments.  (Skipping them, with "#" both a
# comment's start and a character in one, a line of n "#" took 2ⁿ steps: a banner of 36 in
# a cadre's file hung the build.)
_PLAIN_ODD = re.compile(r"[:\-\n,][^\S\n]*[\]},?@`%:]")
_FLOW_ODD = re.compile(r"[\[{,][^\S\n]*[:?%@`]")
# Plain scalars rapidyaml *emits* as other text (found by fuzzing numbers and words against
# libyaml): a number with a leading or trailing point (``.5`` → ``0.5``, ``5.`` → ``5.0``)
# and the words of special floats (``nan`` → ``".nan"``, ``infinity`` → ``".inf"``).  Told
# from the emitted JSON (looking for them in the text cost 0.1 ms a file), where what could
# be such a number, or is such a word, sends the file to the careful path.
_MAYBE_REWRITTEN_NUMBER = re.compile(r"[-+]?0\.|.*\.0(?![0-9])")
_SPECIAL_FLOAT = re.compile(r'\.(?:nan|inf)"')


def _needs_care(text: str) -> bool:
    """True when the careful path could say something the express lane would not."""
    if not text.endswith("\n"):  # block scalars' last line break: the two parsers differ
        return True
    if _BLANK_RUN in text:  # rapidyaml takes n² steps on n blanks inside a plain scalar
        return True
    if text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return True
    if "null" in text and _NULL.search(text):
        return True
    if _FLOW_ODD.search(text) or _PLAIN_ODD.search(text) or text.lstrip()[:1] in "]},?@`%":
        return True
    for hit in _RARE.finditer(text):
        pos, char = hit.start(), hit.group()
        start = text.rfind("\n", 0, pos) + 1
        before = text[pos - 1] if pos > start else ""
        if char in "&*!~":
            # A bare `&` or `*` (no name) slips past the anchor gate; rapidyaml reads it as text.
            if before in ("", " ", "[", ",", "{") or (char == "~" and before in ":-"):
                return True
        elif char in "|>":
            # A block scalar header must be exactly `|`, `|-`, `|+` (and a comment); others,
            # e.g. indentation indicators, rapidyaml reads differently or too leniently.
            end = text.find("\n", pos)
            if not _BLOCK_HEADER_REST.fullmatch(text, pos + 1, end):
                return True
        else:  # backslash escapes, tabs, control characters, NEL/LS/PS
            return True
    return False


class _Duplicate(Exception):
    pass


def _mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs) or "" in result:  # duplicates; `:` alone (libyaml rejects it)
        raise _Duplicate
    return result


def _untyped(container: dict[str, Any] | list[Any]) -> None:
    """JSON booleans back to the words they were, in place (numbers already are, via
    parse_*); recursion only into containers, since most values are strings."""
    items = container.items() if container.__class__ is dict else enumerate(container)
    for key, value in items:
        kind = value.__class__
        if kind is bool:
            container[key] = "true" if value else "false"  # type: ignore[index]
        elif kind is dict or kind is list:
            _untyped(value)


def _float_text(text: str) -> str:
    if _MAYBE_REWRITTEN_NUMBER.match(text):
        raise ValueError(text)  # (rare in data: the careful path reads it as written)
    return text


_DECODER = json.JSONDecoder(object_pairs_hook=_mapping, parse_int=str, parse_float=_float_text)
_HAS_BOOL = re.compile(r"(?<![\"\w])(?:true|false)(?![\"\w])")


class QuietStderr:
    """rapidyaml prints parse errors to file descriptor 2 before raising; the careful path
    will report them properly, so the C++ message is noise.  Nested uses share the outermost
    one: a batch of files is parsed inside one (``read.batch``), since redirecting for
    each file took four system calls a file, 0.3 s of CPU for 23,000 of them."""

    depth = 0  # (one file descriptor 2 per process)

    def __enter__(self) -> None:
        QuietStderr.depth += 1
        if QuietStderr.depth == 1:
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        QuietStderr.depth -= 1
        if QuietStderr.depth == 0:
            os.dup2(self.saved, 2)
            os.close(self.saved)


def fast_parse(text: str) -> Any:
    """The plain value of ``text``, or :data:`MISS` when the careful path must decide."""
    if ryml is None or not text.strip() or _needs_care(text):
        return MISS
    try:
        with QuietStderr():  # (emitting too complains there: of nesting too deep)
            tree = ryml.parse_in_arena(text.encode("utf-8"))
            emitted = ryml.emit_json_malloc(tree, tree.root_id())
    except Exception:  # any rapidyaml complaint: let libyaml say it precisely
        return MISS
    if emitted is None:
        return MISS
    if isinstance(emitted, bytes):
        emitted = emitted.decode("utf-8")
    if (".nan" in emitted or ".inf" in emitted) and _SPECIAL_FLOAT.search(emitted):
        return MISS
    try:
        value = _DECODER.decode(emitted)
    except (_Duplicate, ValueError):
        return MISS
    if value.__class__ is not dict:  # data files are mappings; leave odd shapes to libyaml
        return MISS
    if ("true" in emitted or "false" in emitted) and _HAS_BOOL.search(emitted):
        _untyped(value)
    return value

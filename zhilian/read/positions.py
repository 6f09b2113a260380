"""Find where a key path sits in a YAML text — only for files that have diagnostics.

Stages after reading work on plain values and name problems by key path; resolving a path
to a line needs the composed nodes, which the fast path throws away.  Re-composing one small
file on demand is cheaper than carrying marks for every file.  A position once found is
kept by the text's hash: ``serve`` reports the same warnings build after build, and
re-composing their files was a tenth of a large rebuild.  The command line keeps them in
``.zhilian-cache/`` (:func:`kept_in`): a check after an edit repeats most earlier warnings.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from zhilian.read.cache_file import load_value, store_value
from zhilian.read.yaml_reader import _Composer, _where

_Found = tuple[bytes, tuple[str | int, ...], bool, int]
#: (text hash, path, at_key, line offset) → (line, col), the most recently used last.
_found: OrderedDict[_Found, tuple[int, int]] = OrderedDict()
_FOUND_MAX = 1 << 14  # bounds the memory of a long-running ``serve``
#: The positions asked for inside :func:`kept_in` (what it stores).
_asked: dict[_Found, tuple[int, int]] | None = None


@contextmanager
def kept_in(path: Path | None) -> Iterator[None]:
    """Use the positions stored in ``path`` by an earlier run, then store those asked for
    now (only they: the file follows the deployment).  Keyed by the text's hash, they can
    never point into an older version of a file; a damaged or missing file is no cache."""
    global _asked
    if path is None or _asked is not None:
        yield
        return
    stored = load_value(path)
    if not isinstance(stored, dict):
        stored = {}
    for key, found in stored.items():
        if type(found) is tuple and len(found) == 2 and all(type(n) is int for n in found):
            _found.setdefault(key, found)
    _asked = {}
    try:
        yield
        if _asked != stored:
            store_value(path, _asked)
    finally:
        _asked = None


@lru_cache(maxsize=16)  # several diagnostics in one file share one composition
def _compose(text: str) -> Any:
    try:
        return _Composer(text).get_single_node()
    except (yaml.YAMLError, UnicodeEncodeError, RecursionError):
        return None


def locate(
    text: str, path: tuple[str | int, ...], at_key: bool = False, line_offset: int = 0
) -> tuple[int, int]:
    """1-based (line, col) of the node at ``path`` (dict keys as str, list indexes as int).

    ``at_key`` points at the mapping key instead of its value (unknown fields).  When the path
    runs past what exists (a missing field), the deepest node that does exist is returned —
    for an empty value (``contact:``) that is its key.  Never raises; (1, 1) if the text does
    not parse.
    """
    try:
        text_hash = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        key = (text_hash.digest(), path, at_key, line_offset)
        found = _found.get(key)
        if found is not None:
            _found.move_to_end(key)
        else:
            found = _locate(text, path, at_key, line_offset)
            _found[key] = found
            if len(_found) > _FOUND_MAX:
                _found.popitem(last=False)
    except Exception:  # a position is a courtesy: it must never fail a run
        return 1, 1
    if _asked is not None:
        _asked[key] = found
    return found


def _locate(
    text: str, path: tuple[str | int, ...], at_key: bool, line_offset: int
) -> tuple[int, int]:
    node = _compose(text)
    if node is None:
        return 1, 1
    here = node.start_mark
    key_node: Any = None  # the key through which ``node`` was reached, if any
    for i, step in enumerate(path):
        child, child_key = _child(node, step)
        if child is None:
            break
        node, key_node = child, child_key
        empty = node.__class__ is ScalarNode and not node.value and not node.style
        if key_node is not None and ((at_key and i == len(path) - 1) or empty):
            here = key_node.start_mark  # the key itself; or `contact:` with nothing after it
        else:
            here = node.start_mark
    line, col = _where(text, here)
    return line + line_offset, col


def _child(node: Any, step: str | int) -> tuple[Any, Any]:
    if node.__class__ is MappingNode:
        want = str(step)
        found: tuple[Any, Any] = (None, None)
        for k, v in node.value:
            if k.__class__ is ScalarNode and k.value == want:
                found = (v, k)  # the last one wins, as in the parsed dict
        return found
    if node.__class__ is SequenceNode:
        try:
            index = int(step)
        except (TypeError, ValueError):
            return None, None
        if 0 <= index < len(node.value):
            return node.value[index], None
    return None, None

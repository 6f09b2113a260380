"""Pinyin of names (pypinyin), worked out once per name in a process.

Both views sort by it and the directory's filter matches it; a province has thousands of
names, and ``serve`` builds again and again with the same ones.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

_NAMES = 1 << 16  # bounds the memory of a long-running ``serve``


@lru_cache(maxsize=_NAMES)
def spelling(name: str) -> tuple[str, ...]:
    """The usual reading, one syllable per character (``lazy_pinyin``)."""
    return tuple(lazy_pinyin(name))


@lru_cache(maxsize=_NAMES)
def other_readings(name: str, limit: int = 8) -> tuple[tuple[str, ...], ...]:
    """Readings of a name other than :func:`spelling` (a polyphonic character in a name is
    often read differently: 林晟泽 is lin sheng ze, not lin cheng ze), at most ``limit``."""
    usual = spelling(name)
    readings = pinyin(name, style=Style.NORMAL, heteronym=True)
    combos = itertools.islice(itertools.product(*readings), limit + 1)
    return tuple(c for c in combos if c != usual)[:limit]

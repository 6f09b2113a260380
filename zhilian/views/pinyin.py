"""Pinyin of names (pypinyin), worked out once per name in a process.

Both views sort by it and the directory's filter matches it; a province has thousands of
names, and ``serve`` builds again and again with the same ones.
"""

from __future__ import annotations

import itertools
import os
from functools import lru_cache

# pypinyin's phrase dictionary (400,000 words) is a third of a small build's start-up and
# its only use is words, not names: the 35,000 names of the benchmark's deployment read the
# same without it.  Its documented switches leave it out and share the single-character
# table instead of copying it; they must be set before pypinyin is first imported.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

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

"""Pinyin of names (pypinyin), worked out once per name in a process, and kept by name in
the records between runs (:func:`learn_names`).

Both views and the report sort by it and the directory's filter matches it; a province has
thousands of names, and ``serve`` builds again and again with the same ones.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from ..records import cadre_names, digest_of

if TYPE_CHECKING:
    from ..pipeline import CheckResult

# pypinyin's phrase dictionary (400,000 words) is a third of a small build's start-up and
# its only use is words, not names: the 35,000 names of the benchmark's deployment read the
# same without it.  Its documented switches leave it out and share the single-character
# table instead of copying it; they must be set before pypinyin is first imported.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

_NAMES = 1 << 16  # bounds the memory of a long-running ``serve``

#: a name's :func:`spelling` and :func:`other_readings`
Readings = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]
#: the readings an earlier build worked out (:func:`learn_names`), by name
_learnt: dict[str, Readings] = {}


def spelling(name: str) -> tuple[str, ...]:
    """The usual reading, one syllable per character (``lazy_pinyin``)."""
    learnt = _learnt.get(name)
    return learnt[0] if learnt is not None else _spelling(name)


def other_readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Readings of a name other than :func:`spelling` (a polyphonic character in a name is
    often read differently: 林晟泽 is lin sheng ze, not lin cheng ze), at most eight."""
    learnt = _learnt.get(name)
    return learnt[1] if learnt is not None else _other_readings(name)


#: a Chinese character, or a run of anything else (digits, letters)
_CHARACTER_OR_RUN = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
    "|[^\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"
)


def _characters(name: str) -> list[str]:
    """``name`` as pypinyin's words: each character a word of its own, so that its reading
    never depends on whether pypinyin loaded its phrase dictionary (it does when imported
    before this module: 会计 was then kuai ji, else hui ji, and two processes of one build
    could sort a 分团委's units in two orders)."""
    return _CHARACTER_OR_RUN.findall(name)


@lru_cache(maxsize=_NAMES)
def _spelling(name: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin  # (imported only for a name not learnt: 0.04 s)

    return tuple(lazy_pinyin(_characters(name)))


@lru_cache(maxsize=_NAMES)
def _other_readings(name: str, limit: int = 8) -> tuple[tuple[str, ...], ...]:
    from pypinyin import Style, pinyin

    usual = _spelling(name)
    readings = pinyin(_characters(name), style=Style.NORMAL, heteronym=True)
    combos = itertools.islice(itertools.product(*readings), limit + 1)
    return tuple(c for c in combos if c != usual)[:limit]


def _readings(names: Iterable[str]) -> dict[str, Readings]:
    return {name: (_spelling(name), _other_readings(name)) for name in names}


def learn_names(result: CheckResult) -> None:
    """Take the readings of the cadres' names from the records, where they are kept by the
    names themselves (worked out again when one of them changed): after an edit that
    renamed no one, no process of the build imports pypinyin."""
    names = sorted(set(cadre_names(result.dep, result.records)))
    learnt = result.records.whole("name readings", digest_of(names), lambda: _readings(names))
    if len(_learnt) + len(learnt) > _NAMES:
        _learnt.clear()
    _learnt.update(learnt)

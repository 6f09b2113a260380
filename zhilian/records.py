"""Per-cadre results kept from one build to the next in a long-running process (``serve``).

Most of a build is a pass over every cadre: its status, its rule findings, its rows in the
views and the report.  After one file changed, only that cadre's results can differ, so each
stage asks :meth:`CadreRecords.get` for a cadre's result and computes it only when it is not
kept; the cross-cadre parts (overlap, consistency, dashboards) are then made from those
results, which is cheap.

An entry is found by the cadre's *inputs*, never by time: the paths and content keys of its
file and of its notes (``Deployment.sources``; a note's file name is its address), the
build's shared inputs (configuration, org files, surveys, photos, the date:
:func:`shared_inputs`) and whatever else the stage says the result depends on (``extra``,
e.g. every youth's 学号 for the privacy scan).  So a kept entry is always the result
computing it again would give.  The code cannot change within the process that keeps the
entries.

Without ``serve`` every build starts with empty records: they cost a dictionary lookup.
Processes forked for the public site and the annual report start from the parent's records;
what they add is sent back with their result (:meth:`added`, :meth:`merge`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .read.stamps import RACY_NS, signature

if TYPE_CHECKING:
    from .load import Deployment

T = TypeVar("T")

#: (stage, cadre id) → entries; an entry is (key, result)
Entries = dict[tuple[str, str], tuple[Hashable, Any]]


def digest_of(value: object) -> bytes:
    """A value's ``repr`` as a hash: how a per-cadre result (plain dataclasses, lists,
    strings: a stable text) enters a key of pages or of results made from every cadre's."""
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=20).digest()


def shared_inputs(dep: Deployment, today: dt.date) -> bytes:
    """What every cadre's results may depend on besides the cadre's own files."""
    digest = hashlib.blake2b(digest_size=16)
    photos = [(name, path, _signature(path)) for name, path in sorted(dep.photos.items())]
    for part in (dep.root, today, dep.config, dep.committees, dep.branches, dep.dorm_groups,
                 dep.surveys, photos):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.digest()


def _signature(path: Path) -> Hashable:
    """A photo's stat signature (its content is not hashed on every build), with the rule
    of ``read.stamps``: a file changed too recently to be told apart by it is never taken
    as unchanged."""
    try:
        st = path.stat()
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= time.time_ns() - RACY_NS:
        return os.urandom(16)
    return signature(st)


class CadreRecords:
    """Each stage's result for each cadre, with the inputs it was computed from."""

    def __init__(self, *, one_build: bool = False) -> None:
        """``one_build``: records that live for one build only (``python build.py``), so
        they need no inputs: a result is kept by stage, cadre and ``extra`` alone, and
        nothing is sent back from forked processes."""
        self.one_build = one_build
        self._entries: Entries = {}
        self._added: Entries = {}
        self._inputs: dict[str, bytes] = {}
        self._whole: dict[str, tuple[Hashable, Any]] = {}
        #: how many cadres' inputs differ from the last build's (every cadre's on a first
        #: build, and always with ``one_build``): what this build must compute again
        self.changed = 0

    def start(self, dep: Deployment, today: dt.date) -> None:
        """Take this build's inputs; entries of cadres no longer present are dropped."""
        if self.one_build:
            self.changed = len(dep.cadres)
            return
        shared = shared_inputs(dep, today)
        sources = dep.sources
        before = self._inputs
        self._inputs = {}
        kept = 0
        for cid in dep.cadres:
            # Each file's path with its content: a note's file name is its slug (its anchor
            # and address), so a note renamed with the same content is a change too.
            own = [(rel, sources.get(rel)) for rel in (
                dep.cadre_file(cid), *(note.rel for note in dep.notes.get(cid, ()))
            )]
            if not all(key for _, key in own):  # a file read without a content key is not kept
                continue
            inputs = hashlib.blake2b(shared + repr(own).encode("utf-8", "surrogatepass"),
                                     digest_size=20).digest()
            if before.get(cid) == inputs:
                # The previous build's object: every lookup then compares by identity
                # (thousands of them in a rebuild).
                inputs = before[cid]
                kept += 1
            self._inputs[cid] = inputs
        self.changed = len(dep.cadres) - kept
        if self._inputs.keys() != before.keys():  # (entries are only ever kept for these)
            self._entries = {k: v for k, v in self._entries.items() if k[1] in self._inputs}
        self._added = {}

    def get(self, stage: str, cadre_id: str, compute: Callable[[], T], extra: Hashable = None) -> T:
        """The result of ``stage`` for one cadre: kept, or ``compute()``d and kept."""
        key = (None if self.one_build else self._inputs.get(cadre_id), extra)
        found = self._entries.get((stage, cadre_id))
        if found is not None and found[0] == key:
            return found[1]  # type: ignore[no-any-return]
        value = compute()
        if key[0] is not None or self.one_build:  # a cadre without inputs is not kept
            self._entries[(stage, cadre_id)] = self._added[(stage, cadre_id)] = (key, value)
        return value

    def whole(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """A result made from every cadre's, kept (the latest one) by ``key``: a digest of
        all it depends on."""
        found = self._whole.get(name)
        if found is not None and found[0] == key:
            return found[1]  # type: ignore[no-any-return]
        value = compute()
        self._whole[name] = (key, value)
        return value

    def forked(self) -> None:
        """In a process just forked for part of the build: what it adds from now on is
        what :meth:`added` sends back."""
        self._added = {}

    def added(self) -> bytes:
        """What this process computed since :meth:`start` or :meth:`forked`, for the
        process that forked it (pickled: it only travels from a child to its parent)."""
        if self.one_build:
            return pickle.dumps({})
        return pickle.dumps(self._added, protocol=pickle.HIGHEST_PROTOCOL)

    def merge(self, added: bytes) -> None:
        """Keep what a forked process computed for the same build (:meth:`added`)."""
        entries: Entries = pickle.loads(added)
        for (stage, cadre_id), entry in entries.items():
            if entry[0][0] == self._inputs.get(cadre_id):
                self._entries[(stage, cadre_id)] = entry

    def __len__(self) -> int:
        return len(self._entries)

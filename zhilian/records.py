"""Per-cadre results kept from one build to the next: in memory by a long-running process
(``serve``), and in ``.zhilian-cache/records.pickle`` between runs of ``build.py``.

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
entries; the file is read only by the code and templates that wrote it (``code``).

A result read from the file or sent by another process stays pickled until a stage asks
for it: a rebuild after one edit asks for few of them (a cross-cadre result whose parts are
unchanged needs none of its parts), and the file is written back from the same bytes.  The
file is pickle, read only from the deployment's own cache folder: it is as trusted as the
code there (a pull request's check runs the pull request's code).

The records of 1,000 cadres take 27 MB (0.12 s to write).  The records file is a pickled
index — each result's place in the file — followed by the results themselves, pickled one
by one: it is mapped into memory, not read, and a result's bytes are read from the page
cache when a stage asks for it (the index of 34,000 results is read in 0.01 s; the file
was read whole, 0.035 s, and its results copied into every process that looked at them).
A build that changed a few of them writes only what differs from that file, to a second
one (``CHANGES_FILE``, plain pickle), which names the first by a token: once the changes
grow to an eighth of the whole, the whole is written again and the changes file removed.
Either file is replaced in one step (never changed in place: a mapped file must not shrink
under its reader), and changes made for another version of the first are ignored.

Records with ``one_build`` live for one build only, in memory (a renderer given no code
digest, tests); they cost a dictionary lookup.
Processes forked for the public site and the annual report start from the parent's records;
what they add is sent back with their result (:meth:`added`, :meth:`merge`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import mmap
import os
import pickle
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic_core import to_json

from .fingerprint import code_digest
from .paths import CACHE_DIR, templates_dir
from .read.stamps import RACY_NS, signature_of
from .workers import no_cycle_collection

if TYPE_CHECKING:
    from .load import Deployment

T = TypeVar("T")
V = TypeVar("V")

#: (stage, cadre id) → entries; an entry is (key, result)
Entries = dict[tuple[str, str], tuple[Hashable, Any]]

#: Not written to the file: every youth's 学号, name and attributes, which a rebuild needs
#: only when some cadre's list changed — then they are made again from the models (0.2 s
#: for 1,000 cadres) rather than read (and written after every build: 7 MB).  (No result
#: may hold a validated model: ``tests/core/test_records.py`` looks.)
NOT_KEPT_ON_DISK = frozenset({"listed youth", "youth attributes"})
#: changes when what the file holds changes shape (the code's digest covers the rest)
FILE_FORMAT = 6
#: how the records file starts: this, then the length of the pickled index (8 bytes)
FILE_MAGIC = b"zhilian-records\n"
#: in ``CACHE_DIR``: the records as some build left them, and what builds since changed
RECORDS_FILE = "records.pickle"
CHANGES_FILE = "records-changes.pickle"
#: the changes are written alone while they are at most this part of the records file
CHANGES_SHARE = 1 / 8


def digest_of(value: object) -> bytes:
    """A value's ``repr`` as a hash: how a per-cadre result (plain dataclasses, lists,
    strings: a stable text) enters a key of pages or of results made from every cadre's."""
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=20).digest()


def shared_inputs(dep: Deployment, today: dt.date) -> bytes:
    """What every cadre's results may depend on besides the cadre's own files."""
    digest = hashlib.blake2b(digest_size=16)
    photos = [(name, path, _signature(path)) for name, path in sorted(dep.photos.items())]
    for part in (dep.root, today, photos):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    # The validated models, whole, by pydantic's serializer (no field is left out of it):
    # their ``repr`` took 7 ms of every build for a province's 1,100 units, this takes 1.
    for models in (dep.config, dep.committees, dep.branches, dep.dorm_groups, dep.surveys):
        digest.update(to_json(models))
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
    return signature_of(st)


def cadre_names(dep: Deployment, records: CadreRecords) -> tuple[str, ...]:
    """Every cadre's name, in ``dep``'s order, kept per cadre: an unchanged cadre's model
    is neither needed nor validated for it (``load.Cadres``)."""
    cadres = dep.cadres
    return tuple(records.get("name", cid, lambda cid=cid: cadres[cid].name) for cid in cadres)


def kept_records(root: Path) -> CadreRecords:
    """The records a deployment keeps between runs, for the code and templates in use."""
    return CadreRecords(file=root / CACHE_DIR / RECORDS_FILE, code=code_digest(templates_dir(root)))


#: a cross-cadre result's name → (key, the result pickled)
Stored = dict[Any, tuple[Hashable, bytes]]
#: stage → cadre id → (``extra``, the result pickled) — or (``extra``, start, length) of
#: the result in the records file (``CadreRecords._blobs``): each made for the inputs the
#: records hold for that cadre (the file's ``inputs``).  By stage, with no key of its own,
#: an entry is fewer objects to read, and a stage no result of which changed is kept whole
#: (compared by identity on saving).
StoredByStage = dict[str, dict[str, tuple[Any, ...]]]


@dataclass(frozen=True)
class _Written:
    """The records file as this process last read or wrote it: what changes are told
    from (its entries are compared by identity: an entry kept as read is the same object)."""

    token: bytes
    entries: StoredByStage
    whole: Stored
    size: int
    clean: dict[str, bytes]


class CadreRecords:
    """Each stage's result for each cadre, with the inputs it was computed from."""

    def __init__(
        self, *, one_build: bool = False, file: Path | None = None, code: bytes = b""
    ) -> None:
        """``one_build``: records that live for one build only, so they need no inputs: a
        result is kept by stage, cadre and ``extra`` alone, and nothing is sent back from
        forked processes.  ``file``: where the records are kept between runs, read here
        when it was written by the same ``code`` (the digest of zhilian and the templates)."""
        self.one_build = one_build
        self._entries: Entries = {}
        self._added: Entries = {}
        self._inputs: dict[str, bytes] = {}
        self._whole: dict[str, tuple[Hashable, Any]] = {}
        self._whole_added: dict[str, tuple[Hashable, Any]] = {}
        #: results as pickled bytes (read from the file, or sent by a forked process): each
        #: unpickled when first asked for, and written back as it is while still valid —
        #: made for ``_stored_inputs`` (a stage's results are copied before they change:
        #: the records file as read keeps the ones read, see ``_Written``)
        self._stored: StoredByStage = {}
        #: the results part of the records file as read (mapped): where the entries of
        #: ``_stored`` that are (extra, start, length) are
        self._blobs: memoryview = memoryview(b"")
        self._stored_inputs: dict[str, bytes] = {}
        self._copied: set[str] = set()
        #: the cadres whose results may differ from the records file as read (the others'
        #: are the objects read: saving looks at these only), and the results computed here
        self._touched: set[str] = set()
        self._made: set[tuple[str, str]] = set()
        self._whole_stored: Stored = {}
        #: how many cadres' inputs differ from the last build's (every cadre's on a first
        #: build, and always with ``one_build``): what this build must compute again
        self.changed = 0
        self._file, self._code = file, code
        self._written: _Written | None = None
        self._dirty = False  # something the files do not hold yet
        #: the cadre files the last run validated without a finding (``load.Cadres``), and
        #: those whose entry may differ from the records file's
        self.clean: dict[str, bytes] = {}
        self._clean_touched: set[str] = set()
        if file is not None:
            self._read(file)

    def start(self, dep: Deployment, today: dt.date) -> None:
        """Take this build's inputs; entries of cadres no longer present are dropped."""
        if self.one_build:
            self.changed = len(dep.cadres)
            return
        if dep.clean != self.clean:
            self._clean_touched.update(dep.read)
            self.clean = dep.clean
            self._dirty = True
        shared = shared_inputs(dep, today)
        sources = dep.sources
        before = self._inputs
        self._inputs = {}
        kept = 0
        for cid in dep.cadres:
            # Each file's path with its content: a note's file name is its slug (its anchor
            # and address), so a note renamed with the same content is a change too.
            rels = [dep.cadre_file(cid), *(note.rel for note in dep.notes.get(cid, ()))]
            keys = [sources.get(rel) for rel in rels]
            if not all(keys):  # a file read without a content key is not kept
                continue
            # (the keys are of one length; joined, not ``repr``: 4 times faster)
            digest = hashlib.blake2b(shared, digest_size=20)
            digest.update("\0".join(rels).encode("utf-8", "surrogatepass") + b"\0")
            digest.update(b"".join(keys))  # type: ignore[arg-type]
            inputs = digest.digest()
            if before.get(cid) == inputs:
                # The previous build's object: every lookup then compares by identity
                # (thousands of them in a rebuild).
                inputs = before[cid]
                kept += 1
            self._inputs[cid] = inputs
        self.changed = len(dep.cadres) - kept
        if self._inputs.keys() != before.keys():  # (entries are only ever kept for these)
            present = self._inputs
            self._entries = {k: v for k, v in self._entries.items() if k[1] in present}
            self._stored = {
                stage: {cid: e for cid, e in by_cadre.items() if cid in present}
                for stage, by_cadre in self._stored.items()
            }
            self._copied = set(self._stored)
            self._dirty = True
        self._added, self._whole_added = {}, {}

    def inputs_of(self, cadre_id: str) -> bytes | None:
        """The digest of a cadre's inputs in this build (:meth:`start`): its files' paths
        and content keys with the shared inputs; None when not kept (``one_build``)."""
        return self._inputs.get(cadre_id)

    def get(self, stage: str, cadre_id: str, compute: Callable[[], T], extra: Hashable = None) -> T:
        """The result of ``stage`` for one cadre: kept, or ``compute()``d and kept."""
        key = (None if self.one_build else self._inputs.get(cadre_id), extra)
        name = (stage, cadre_id)
        found = self._entries.get(name)
        if found is not None and found[0] == key:
            return found[1]  # type: ignore[no-any-return]
        value = self._unpickled_entry(stage, cadre_id, key)
        if value is not _MISSING:
            self._entries[name] = (key, value)
            return value  # type: ignore[no-any-return]
        value = compute()
        if key[0] is not None or self.one_build:  # a cadre without inputs is not kept
            self._entries[name] = self._added[name] = (key, value)
            self._drop_stored(stage, cadre_id)
            self._made.add(name)
            self._dirty = True
        return value

    def kept_pickled(
        self, stage: str, cadre_id: str, extra: Hashable = None
    ) -> bytes | memoryview | None:
        """The result of ``stage`` for one cadre as read from the file, still pickled, if
        it holds for this build's inputs (and ``extra``): for a caller that may not need it
        unpickled (see ``views.public.KeptCadre``).  None otherwise, or when the result is
        at hand unpickled: :meth:`get` then costs nothing."""
        if self.one_build or (stage, cadre_id) in self._entries:
            return None
        return self._stored_for(stage, cadre_id, (self._inputs.get(cadre_id), extra))

    def _stored_for(
        self, stage: str, cadre_id: str, key: tuple[Any, Hashable]
    ) -> bytes | memoryview | None:
        """The stored (pickled) result of ``stage`` for a cadre if it was made for ``key``
        (its inputs, and ``extra``); else None."""
        by_cadre = self._stored.get(stage)
        found = by_cadre.get(cadre_id) if by_cadre is not None else None
        if (found is None or found[0] != key[1] or key[0] is None
                or self._stored_inputs.get(cadre_id) != key[0]):
            return None
        return self._data(found)

    def _data(self, entry: tuple[Any, ...]) -> bytes | memoryview:
        """A stored entry's pickled result: its bytes, or its place in the records file."""
        if len(entry) == 2:
            return entry[1]  # type: ignore[no-any-return]
        start = entry[1]
        return self._blobs[start:start + entry[2]]

    def whole(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """A result made from every cadre's, kept (the latest one) by ``key``: a digest of
        all it depends on."""
        found = self._whole.get(name)
        if found is not None and found[0] == key:
            return found[1]  # type: ignore[no-any-return]
        value = self._unpickled(self._whole_stored, name, key)
        if value is _MISSING:
            value = compute()
            self._whole_stored.pop(name, None)
            self._whole_added[name] = (key, value)
            self._dirty = True
        self._whole[name] = (key, value)
        return value  # type: ignore[no-any-return]

    def _unpickled_entry(self, stage: str, cadre_id: str, key: tuple[Any, Hashable]) -> Any:
        """The stored result of ``stage`` for a cadre if it was made for ``key`` (its
        inputs, and ``extra``); else ``_MISSING``."""
        data = self._stored_for(stage, cadre_id, key)
        if data is None:
            return _MISSING
        try:
            return pickle.loads(data)
        except Exception:  # a damaged file: whatever it raises, the result is made again
            self._drop_stored(stage, cadre_id)
            return _MISSING

    def _stage_to_change(self, stage: str) -> dict[str, tuple[Hashable, bytes]]:
        """``stage``'s stored results, copied first if they are the ones read (``_Written``
        compares with those by identity)."""
        if stage not in self._copied:
            self._copied.add(stage)
            self._stored[stage] = dict(self._stored.get(stage, ()))
        return self._stored[stage]

    def _drop_stored(self, stage: str, cadre_id: str) -> None:
        self._touched.add(cadre_id)
        by_cadre = self._stored.get(stage)
        if by_cadre is not None and cadre_id in by_cadre:
            del self._stage_to_change(stage)[cadre_id]

    def _store(self, name: tuple[str, str], key: tuple[bytes, Hashable], data: bytes) -> None:
        """Keep a result as pickled ``data``, made for ``key`` (this build's inputs)."""
        stage, cadre_id = name
        self._touched.add(cadre_id)
        if self._stored_inputs.get(cadre_id) != key[0]:
            # The cadre's stored results were made for other inputs: none of them holds now.
            for other in [s for s, by_cadre in self._stored.items() if cadre_id in by_cadre]:
                del self._stage_to_change(other)[cadre_id]
            self._stored_inputs[cadre_id] = key[0]
        self._stage_to_change(stage)[cadre_id] = (key[1], data)

    @staticmethod
    def _unpickled(stored: Stored, name: Any, key: Hashable) -> Any:
        """The stored cross-cadre result ``name`` if it was made for ``key``; else
        ``_MISSING``."""
        found = stored.get(name)
        if found is None or found[0] != key:
            return _MISSING
        try:
            return pickle.loads(found[1])
        except Exception:  # a damaged file: whatever it raises, the result is made again
            del stored[name]
            return _MISSING

    def forked(self) -> None:
        """In a process just forked for part of the build: what it adds from now on is
        what :meth:`added` sends back."""
        self._added, self._whole_added = {}, {}

    def added(self) -> bytes:
        """What this process computed since :meth:`start` or :meth:`forked`, for the
        process that forked it (pickled: it only travels from a child to its parent; each
        result on its own, for the parent to unpickle only what it asks for)."""
        if self.one_build:
            return _pickled(({}, {}))
        return _pickled((
            {name: (key, _pickled(value)) for name, (key, value) in self._added.items()},
            {name: (key, _pickled(value)) for name, (key, value) in self._whole_added.items()},
        ))

    def merge(self, added: bytes) -> None:
        """Keep what a forked process computed for the same build (:meth:`added`): as it
        came, for the file (this process asks for few of them), or unpickled when there is
        no file (``serve``, whose next rebuild asks for them all: better now than then)."""
        stored: Stored
        whole: Stored
        stored, whole = pickle.loads(added)
        for name, (key, data) in stored.items():
            if key[0] == self._inputs.get(name[1]):
                if self._file is None:
                    self._entries[name] = (key, pickle.loads(data))
                    self._drop_stored(*name)
                else:
                    self._store(name, key, data)
                    self._entries.pop(name, None)
                self._dirty = True
        for name, (key, data) in whole.items():  # (kept by a digest of all they depend on)
            if self._file is None:
                self._whole[name] = (key, pickle.loads(data))
            else:
                self._whole_stored[name] = (key, data)
                self._whole.pop(name, None)
            self._dirty = True

    def save(self) -> None:
        """Write the records (when they have a file, and something new): the results for
        this build's inputs, and the cross-cadre ones — to the changes file when they
        differ little from the records file (see the module's docstring)."""
        if self._file is None or not self._dirty:
            return
        inputs = self._inputs
        entries = self._entries_to_write()
        whole = dict(self._whole_stored)
        whole.update({name: (key, _pickled(value)) for name, (key, value) in self._whole.items()
                      if name not in whole})
        common = {"format": FILE_FORMAT, "code": self._code, "inputs": inputs, "clean": self.clean}
        written, changes = self._written, self._file.with_name(CHANGES_FILE)
        with contextlib.suppress(OSError):  # a read-only checkout builds fine without them
            self._file.parent.mkdir(parents=True, exist_ok=True)
            # What a run killed while writing left (another run writing now only loses its
            # write: the files are a cache).
            for name in (self._file.name, CHANGES_FILE):
                for stale in self._file.parent.glob(f".{name}.*.tmp"):
                    stale.unlink(missing_ok=True)
            if written is not None:
                changed, dropped = _changes_by_stage(written.entries, entries, self._touched)
                changed = {  # (as bytes: the changes file names no place in another file)
                    stage: {cid: (e[0], bytes(self._data(e))) for cid, e in by_cadre.items()}
                    for stage, by_cadre in changed.items()
                }
                whole_changed, whole_dropped = _changes(written.whole, whole)
                size = sum(len(data) for _, data in whole_changed.values()) + sum(
                    len(data) for by_cadre in changed.values() for _, data in by_cadre.values()
                )
                if size <= written.size * CHANGES_SHARE:
                    # (the clean files too, as what differs: all of them took 1.7 MB)
                    clean_changed, clean_dropped = self._clean_changes(written.clean)
                    _write(changes, [_pickled({
                        **common, "base": written.token, "entries": changed,
                        "dropped": dropped, "whole": whole_changed,
                        "whole dropped": whole_dropped,
                        "clean": clean_changed, "clean dropped": clean_dropped,
                    })])
                    self._dirty = False
                    return
            token = os.urandom(16)
            index, blobs = self._placed(entries)
            head = _pickled({**common, "token": token, "entries": index, "whole": whole})
            parts = [FILE_MAGIC, len(head).to_bytes(8, "little"), head, *blobs]
            _write(self._file, parts)
            changes.unlink(missing_ok=True)  # (made for the file just replaced: ignored)
            size = sum(map(len, parts))
            self._written = _Written(token, entries, whole, size, self.clean)
            # What was written is what is stored now (its stages copied before a change).
            self._stored, self._stored_inputs = dict(entries), dict(inputs)
            self._copied, self._touched, self._made = set(), set(), set()
            self._clean_touched = set()
        self._dirty = False

    def _clean_changes(self, before: dict[str, bytes]) -> tuple[dict[str, bytes], list[str]]:
        """:func:`_changes` of the clean files: only the files read since the records file
        was written can differ (23,000 entries compared took 8–11 ms of a rebuild), unless
        some went away altogether (then all are compared)."""
        now = self.clean
        ordered = sorted(self._clean_touched)
        changed = {rel: now[rel] for rel in ordered if rel in now and before.get(rel) != now[rel]}
        dropped = [rel for rel in ordered if rel in before and rel not in now]
        added = sum(1 for rel in changed if rel not in before)
        if len(before) - len(dropped) + added != len(now):  # (a file gone: not among them)
            return _changes(before, now, by_value=True)
        return changed, dropped

    def _placed(
        self, entries: StoredByStage
    ) -> tuple[StoredByStage, list[bytes | memoryview]]:
        """The records file's index of ``entries`` — (extra, start, length) of each result
        in the results part — and that part, in pieces."""
        blobs: list[bytes | memoryview] = []
        index: StoredByStage = {}
        start = 0
        for stage, by_cadre in entries.items():
            placed = index[stage] = {}
            for cid, entry in by_cadre.items():
                data = self._data(entry)
                placed[cid] = (entry[0], start, len(data))
                blobs.append(data)
                start += len(data)
        return index, blobs

    def _entries_to_write(self) -> StoredByStage:
        """The results for this build's inputs, by stage: the stored ones still valid (a
        stage none of whose cadres changed: as it is), and those computed here, pickled."""
        inputs, stored_inputs = self._inputs, self._stored_inputs
        stale = {cid for cid, digest in stored_inputs.items() if inputs.get(cid) != digest}
        self._touched |= stale
        entries: StoredByStage = {}
        for stage, by_cadre in self._stored.items():
            if any(cid in by_cadre for cid in stale):
                by_cadre = {cid: e for cid, e in by_cadre.items() if cid not in stale}
            if by_cadre:
                entries[stage] = by_cadre
        fresh: dict[str, dict[str, tuple[Hashable, bytes]]] = {}
        for stage, cid in sorted(self._made):
            key, value = self._entries.get((stage, cid), (None, None))
            if key is None or key[0] != inputs.get(cid) or stage in NOT_KEPT_ON_DISK:
                continue
            kept = entries.get(stage)
            if kept is None or cid not in kept:  # (else: read from the stored bytes)
                fresh.setdefault(stage, {})[cid] = (key[1], _pickled(value))
        for stage, made in fresh.items():
            entries[stage] = {**entries.get(stage, {}), **made}
        return entries

    def _read(self, file: Path) -> None:
        base, size = self._map_file(file)
        if base is None or not isinstance(base.get("token"), bytes):
            return
        inputs, entries, whole, clean = base["inputs"], base["entries"], base["whole"], base["clean"]
        if not _well_formed(inputs, entries, whole, clean, placed=True):
            return
        self._written = _Written(base["token"], entries, whole, size, clean)
        changes, _ = self._read_file(file.with_name(CHANGES_FILE))
        if changes is not None and changes.get("base") == base["token"]:
            try:
                inputs, clean_changed = changes["inputs"], changes["clean"]
                changed, whole_changed = changes["entries"], changes["whole"]
                dropped, whole_dropped = changes["dropped"], changes["whole dropped"]
                clean_dropped = changes["clean dropped"]
                if not (_well_formed(inputs, changed, whole_changed, clean_changed)
                        and all(isinstance(x, list)
                                for x in (dropped, whole_dropped, clean_dropped))):
                    raise ValueError
                entries, whole, clean = (
                    _applied_by_stage(entries, changed, dropped),
                    _applied(whole, whole_changed, whole_dropped),
                    _applied(clean, clean_changed, clean_dropped),
                )
                # (what differs from the records file: the next changes file says it again)
                self._touched = {cid for by_cadre in changed.values() for cid in by_cadre}
                self._touched.update(cid for _, cid in dropped)
                self._clean_touched = {*clean_changed, *clean_dropped}
            except Exception:  # damaged: the records as the file holds them
                inputs, entries, clean = base["inputs"], base["entries"], base["clean"]
                self._touched, self._clean_touched = set(), set()
        self._inputs = self._stored_inputs = inputs
        self._stored, self._whole_stored = dict(entries), dict(whole)
        self._copied = set()
        self.clean = clean

    def _read_file(self, file: Path) -> tuple[dict[str, Any] | None, int]:
        """The changes file's content if it is records written by this code (else None),
        and its size."""
        try:
            # (nothing to collect: the collector would rescan what is read)
            with open(file, "rb") as handle, no_cycle_collection():
                data = pickle.load(handle)
                size = os.fstat(handle.fileno()).st_size
            if data["format"] == FILE_FORMAT and data["code"] == self._code:
                return data, size
        except Exception:  # missing or damaged, whatever it raises: start empty
            pass
        return None, 0

    def _map_file(self, file: Path) -> tuple[dict[str, Any] | None, int]:
        """The records file's index if it was written by this code (else None), and its
        size; its results part becomes ``_blobs``, each entry's place checked to be in it."""
        try:
            with open(file, "rb") as handle:
                # (read on Windows, where a mapped file cannot be replaced)
                view = memoryview(
                    handle.read() if os.name == "nt"
                    else mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                )
            with no_cycle_collection():  # (34,000 entries: nothing to collect)
                data, blobs = _index_and_results(view)
            if not (data["format"] == FILE_FORMAT and data["code"] == self._code):
                return None, 0
            places = [e for by_cadre in data["entries"].values() for e in by_cadre.values()]
            if not (_all_are(places, tuple, 3)
                    and min(map(_START, places), default=0) >= 0
                    and min(map(_LENGTH, places), default=0) >= 0
                    and max(map(_end, places), default=0) <= len(blobs)):
                return None, 0
            self._blobs = blobs
            return data, len(view)
        except Exception:  # missing or damaged, whatever it raises: start empty
            return None, 0

    def __len__(self) -> int:
        stored = {(stage, cid) for stage, by_cadre in self._stored.items() for cid in by_cadre}
        return len(self._entries) + len(stored - self._entries.keys())


_MISSING = object()


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _changes(
    before: dict[Any, V], now: dict[Any, V], *, by_value: bool = False
) -> tuple[dict[Any, V], list[Any]]:
    """What differs in ``now`` from ``before``, and the names ``now`` no longer has.  An
    entry kept is the same object (compared by identity: the cross-cadre results);
    ``by_value``: compared by value (the clean files' keys, read afresh by each run)."""
    if by_value:
        changed = {name: value for name, value in now.items() if before.get(name) != value}
    else:
        changed = {name: value for name, value in now.items() if before.get(name) is not value}
    return changed, [name for name in before if name not in now]


def _changes_by_stage(
    before: StoredByStage, now: StoredByStage, touched: set[str]
) -> tuple[StoredByStage, list[tuple[str, str]]]:
    """:func:`_changes` of results by stage: a stage's results kept as read are the same
    object, and skipped whole; in the others, only the ``touched`` cadres' can differ."""
    changed: StoredByStage = {}
    dropped: list[tuple[str, str]] = []
    cadres = sorted(touched)
    for stage, by_cadre in now.items():
        was = before.get(stage)
        if was is by_cadre:
            continue
        if was is None:
            changed[stage] = by_cadre
            continue
        differ = {cid: by_cadre[cid] for cid in cadres
                  if cid in by_cadre and was.get(cid) is not by_cadre[cid]}
        if differ:
            changed[stage] = differ
        dropped += [(stage, cid) for cid in cadres if cid in was and cid not in by_cadre]
    for stage, was in before.items():
        if stage not in now:
            dropped += [(stage, cid) for cid in was]
    return changed, dropped


def _applied_by_stage(
    stored: StoredByStage, changed: StoredByStage, dropped: list[Any]
) -> StoredByStage:
    """``stored`` with the changes :func:`_changes_by_stage` found (an unchanged stage's
    results stay the same object)."""
    out = dict(stored)
    for stage, by_cadre in changed.items():
        out[stage] = {**out.get(stage, {}), **by_cadre}
    for stage, cid in dropped:
        if cid in out.get(stage, ()):
            out[stage] = {k: v for k, v in out[stage].items() if k != cid}
    return out


def _applied(stored: dict[Any, V], changed: dict[Any, V], dropped: list[Any]) -> dict[Any, V]:
    """``stored`` with the changes :func:`_changes` (or :meth:`CadreRecords.save`) found."""
    out = {**stored, **changed}
    for name in dropped:
        out.pop(name, None)
    return out


def _write(file: Path, parts: list[bytes] | list[bytes | memoryview]) -> None:
    """Replace ``file`` in one step (a run killed meanwhile leaves it as it was, and a
    process that mapped it keeps what it mapped)."""
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.writelines(parts)
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)


def _index_and_results(view: memoryview) -> tuple[dict[str, Any], memoryview]:
    """The records file's pickled index, unpickled, and its results part."""
    start = len(FILE_MAGIC) + 8
    if view[:len(FILE_MAGIC)] != FILE_MAGIC:
        raise ValueError("not a records file")
    length = int.from_bytes(view[len(FILE_MAGIC):start], "little")
    return pickle.loads(view[start:start + length]), view[start + length:]


def file_contents(file: Path) -> dict[str, Any]:
    """The records file as it holds them, each result's pickled bytes in place of where
    they are: for a reader outside a build (what the tests look into)."""
    data, blobs = _index_and_results(memoryview(file.read_bytes()))
    data["entries"] = {
        stage: {cid: (extra, bytes(blobs[start:start + length]))
                for cid, (extra, start, length) in by_cadre.items()}
        for stage, by_cadre in data["entries"].items()
    }
    return data


_START, _LENGTH = itemgetter(1), itemgetter(2)


def _end(place: tuple[Any, int, int]) -> int:
    """Where an entry's result ends in the records file's results part."""
    return place[1] + place[2]


def _bytes_by_name(value: object) -> bool:
    return isinstance(value, dict) and _all_are(list(value.values()), bytes)


def _all_are(values: list[Any], kind: type, length: int | None = None) -> bool:
    """Whether every one of ``values`` is a ``kind`` itself (of ``length`` items): their
    types and lengths gathered by C loops (34,000 entries, checked one by one, took 13 ms
    of every build's start)."""
    if not set(map(type, values)) <= {kind}:
        return False
    return length is None or set(map(len, values)) <= {length}


def _well_formed(
    inputs: object, entries: object, whole: object, clean: object, *, placed: bool = False
) -> bool:
    """What :meth:`CadreRecords.save` writes: lookups of anything else would raise
    (``placed``: the records file's index, whose entries' places :meth:`_map_file` checks)."""
    if not (_bytes_by_name(inputs) and _bytes_by_name(clean)
            and isinstance(entries, dict) and isinstance(whole, dict)
            and _all_are(list(entries), str) and _all_are(list(entries.values()), dict)):
        return False
    cadres = [cid for by_cadre in entries.values() for cid in by_cadre]
    entry_values = [entry for by_cadre in entries.values() for entry in by_cadre.values()]
    whole_values = list(whole.values())
    entries_ok = placed or (
        _all_are(entry_values, tuple, 2) and _all_are([data for _, data in entry_values], bytes)
    )
    return (
        entries_ok and _all_are(cadres, str)
        and _all_are(whole_values, tuple, 2) and _all_are([data for _, data in whole_values], bytes)
    )

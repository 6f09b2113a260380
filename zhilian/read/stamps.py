"""Files read before, known again by their stat signature instead of being read again.

Without it every run reads and hashes all 23,000 files of a province to find the one that
changed.  A file whose device, inode, size, modification and change time are as they were
when it was read is not read again — provided those times were at least :data:`RACY_NS`
older than that read: a file written again within the same clock tick would keep its
times (git's "racy clean" problem, which git's index avoids the same way).  Tools can set
the modification time (``touch -d``, ``cp -p``) but not the change time, so an edit always
shows; a file read too soon after its last change is simply read again next time.

The stamps are kept by folder: its files' names, their signatures (packed in one
``bytes``) and their hashes, so that a folder none of whose files changed — all but one
of a province's thousand after an edit — is judged by two comparisons of strings, not
file by file (:meth:`Stamps.folder`), and the stamps of 23,000 files are 1,000 entries
to read and write.

``serve`` keeps its stamps in memory; the command line keeps them in ``.zhilian-cache/``
(:meth:`Stamps.load`, :meth:`Stamps.save`).  What a stamp gives is only a content hash: the
caches it leads to stay keyed by content, and a missing or damaged stamp file costs a read.
The stamps are the fingerprint's walk's (``zhilian.fingerprint``); the load of the data
goes by the hashes that walk found (:meth:`Walk.hashed_under`): one stamp per file, one
file of them.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from zhilian.read.cache_file import load_value, store_value

#: A file changed less than this long before it was read is read again next time.
RACY_NS = 2_000_000_000
FORMAT = "zhilian-stamps-2"

Signature = tuple[int, int, int, int, int]

#: a stat result's signature (a C call: a folder's files' signatures are taken by ``map``)
signature_of: Callable[[os.stat_result], Signature] = attrgetter(
    "st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns"
)


def packed(signatures: tuple[Signature, ...]) -> bytes:
    """Signatures as one ``bytes``: equal exactly when they are (marshal's format 2 has no
    back-references, so equal values always give the same bytes)."""
    return marshal.dumps(signatures, 2)


def file_hash(raw: bytes) -> bytes:
    """A file's content hash, as the stamps keep it."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def is_racy(sig: Signature, read_at_ns: int) -> bool:
    """Whether a file of signature ``sig``, read at ``read_at_ns``, changed too shortly
    before for its signature to vouch for what was read."""
    return max(sig[3], sig[4]) >= read_at_ns - RACY_NS


#: a folder's stamps: the names of its files (``\0``-joined, in name order), their
#: signatures (:func:`packed`) and content hashes (None: not stamped, read again)
FolderStamps = tuple[str, bytes, tuple[bytes | None, ...]]


class Stamps:
    """Folder → the stamps of its files (:data:`FolderStamps`) read so far.

    :meth:`finish` forgets the folders not seen since the previous call, so the stamps
    follow the deployment as files come and go."""

    def __init__(self, known: dict[str, FolderStamps] | None = None) -> None:
        self._known = known or {}
        self._seen: dict[str, FolderStamps] = {}
        self._changed = False
        self._by_path: dict[str, tuple[bytes, int]] | None = None

    def folder(
        self, folder: str, names: str, sigs: bytes, signatures: tuple[Signature, ...]
    ) -> tuple[bytes | None, ...]:
        """The content hashes of the files of ``folder`` — ``names`` and ``sigs`` as in
        :data:`FolderStamps`, ``signatures`` unpacked — that are as they were when stamped;
        None for the others.  A folder whose names and signatures are all as stamped is
        answered whole."""
        found = self._known.get(folder)
        if found is None:
            return (None,) * len(signatures)
        if found[0] == names and found[1] == sigs:
            return found[2]
        # (stored pairs only: a damaged entry gives fewer, and those files are read again)
        stored = zip(_unpacked(found[1]), found[2], strict=False)
        before = dict(zip(found[0].split("\0"), stored, strict=False))
        hashes: list[bytes | None] = []
        for name, sig in zip(names.split("\0"), signatures, strict=True):
            old = before.get(name)
            hashes.append(old[1] if old is not None and old[0] == sig else None)
        return tuple(hashes)

    def keep(
        self, folder: str, names: str, sigs: bytes, hashes: tuple[bytes | None, ...]
    ) -> None:
        """The stamps of ``folder`` as a walk just saw it (None: a file not to vouch for:
        too new when read (:func:`is_racy`), or not read)."""
        stamped = (names, sigs, hashes)
        if self._known.get(folder) != stamped:
            self._changed = True
        self._seen[folder] = stamped

    def hashed(self, path: str) -> tuple[bytes, int] | None:
        """The content hash and size of a file the last walk (up to :meth:`finish`) vouched
        for or read (None: it did not, or the file was too new to be stamped)."""
        if self._by_path is None:
            self._by_path = self.hashed_in("", "")
        return self._by_path.get(path)

    def hashed_in(self, folder: str, root: str) -> dict[str, tuple[bytes, int]]:
        """:meth:`hashed` of every file under ``folder``, by path relative to ``root``
        (paths ending in a separator), in one pass."""
        start = len(root)
        found: dict[str, tuple[bytes, int]] = {}
        for path, (names, sigs, hashes) in self._known.items():
            base = f"{path}{os.sep}"
            if not base.startswith(folder):
                continue
            base = base[start:]
            try:
                sizes = [sig[2] for sig in _unpacked(sigs)]
            except (IndexError, TypeError):  # damaged: read again
                continue
            # (by C loops: 23,000 files; stored pairs only, as in ``folder``)
            pairs = zip(hashes, sizes, strict=False)
            stamped = zip(map(base.__add__, names.split("\0")), pairs, strict=False)
            if None in hashes:
                stamped = ((rel, pair) for rel, pair in stamped if pair[0] is not None)
            found.update(stamped)
        return found

    def add_all(self, files: Iterable[tuple[str, Signature, bytes, int]]) -> None:
        """After :meth:`finish`: stamp each of ``files`` — (path, its signature, the hash of
        the content read at the time given, taken before the read from a file of that
        signature) — that its folder's stamps hold with that signature."""
        by_folder: dict[str, dict[str, tuple[Signature, bytes, int]]] = {}
        for path, sig, content, read_at in files:
            folder, _, name = path.rpartition(os.sep)
            by_folder.setdefault(folder, {})[name] = (sig, content, read_at)
        for folder, read in by_folder.items():
            found = self._known.get(folder)
            if found is None:
                continue
            names, sigs, hashes = found
            updated = list(hashes)
            signatures = _unpacked(sigs)
            for i, (name, sig) in enumerate(zip(names.split("\0"), signatures, strict=False)):
                new = read.get(name)
                if new is not None and new[0] == sig and not is_racy(sig, new[2]):
                    updated[i] = new[1]
            if updated != list(hashes):
                self._known[folder] = (names, sigs, tuple(updated))
                self._changed = True
        self._by_path = None

    def finish(self) -> None:
        self._changed = self._changed or len(self._seen) != len(self._known)
        self._known, self._seen = self._seen, {}
        self._by_path = None

    @classmethod
    def load(cls, path: Path) -> Stamps:
        stored = load_value(path)
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == FORMAT):
            return cls()
        known = stored[1] if isinstance(stored[1], dict) else {}
        return cls({folder: entry for folder, entry in known.items() if _well_formed(entry)})

    def save(self, path: Path) -> None:
        """Store what :meth:`finish` kept, when it differs from what was loaded."""
        if not self._changed:
            return
        store_value(path, (FORMAT, self._known))
        self._changed = False


def _unpacked(sigs: bytes) -> tuple[Signature, ...]:
    """:func:`packed` undone; none when damaged (the files of that folder are read again)."""
    try:
        signatures = marshal.loads(sigs)
    except (EOFError, ValueError, TypeError):
        return ()
    return signatures if type(signatures) is tuple else ()


def _well_formed(entry: object) -> bool:
    """Whether ``entry`` is a folder's stamps as :meth:`Stamps.keep` makes them."""
    if not (type(entry) is tuple and len(entry) == 3):
        return False
    names, sigs, hashes = entry
    return (
        type(names) is str and type(sigs) is bytes and type(hashes) is tuple
        and len(hashes) == names.count("\0") + 1
        and set(map(type, hashes)) <= {bytes, type(None)}
    )


class Seen(NamedTuple):
    """A folder entry as a walk in another process saw it (what the load reads of an
    ``os.DirEntry``)."""

    name: str
    path: str
    folder: bool

    def is_dir(self) -> bool:
        return self.folder


#: a folder's entries, as ``os.scandir`` gives them or as :class:`Seen`
Entry = os.DirEntry[str] | Seen


@dataclass
class Walk:
    """What a walk over the deployment (the fingerprint's) has just seen: each file's
    hash and size (its stamps) and each folder's entries sorted by name, by path.  The load
    right after it takes them instead of listing, stat'ing and reading the files again."""

    stamps: Stamps
    folders: dict[str, list[Entry]] = field(default_factory=dict)
    #: where the stamps are kept between runs (``build.py``); None: in memory (``serve``)
    file: Path | None = None
    #: the walk was taken (in this process, or :meth:`adopted`): until then it tells nothing
    taken: bool = False
    #: of a walk taken in another process (:meth:`adopted`): each folder's (name, is a
    #: folder) pairs, made entries when asked for, and the files' hashes and sizes by path
    #: relative to ``root``
    listings: dict[str, list[tuple[str, bool]]] | None = None
    hashes: dict[str, tuple[bytes, int]] | None = None
    root: str = ""

    @classmethod
    def kept_in(cls, file: Path) -> Walk:
        return cls(Stamps.load(file), file=file)

    def finish(self) -> None:
        """The walk is over: the stamps follow it (and are stored, when kept in a file)."""
        self.stamps.finish()
        if self.file is not None:
            self.stamps.save(self.file)
        self.taken = True

    def hashed_under(self, root: str) -> Callable[[str], tuple[bytes, int] | None]:
        """A file's content hash and size as this walk found them (``Stamps.hashed``), by
        its path relative to ``root`` (a folder's path ending in a separator)."""
        if self.hashes is not None and root == self.root:
            return self.hashes.get  # (one lookup per file of a province: no more)
        hashed = self.stamps.hashed
        return lambda rel: hashed(root + rel)

    def entries(self, folder: str) -> list[Entry] | None:
        """The entries of ``folder`` (a path as the walk named it), None if not walked."""
        found = self.folders.get(folder)
        if found is None and self.listings is not None and folder in self.listings:
            found = self.folders[folder] = [
                Seen(name, f"{folder}{os.sep}{name}", is_dir)
                for name, is_dir in self.listings[folder]
            ]
        return found

    def names(self, folder: str) -> list[str] | None:
        """The names in ``folder``, sorted, None if not walked (a folder of 20 notes among
        a thousand needs no more)."""
        if self.listings is not None and folder in self.listings:
            return [name for name, _ in self.listings[folder]]
        found = self.folders.get(folder)
        return None if found is None else [entry.name for entry in found]

    def findings(self, root: str, under: str) -> bytes:
        """What a load needs of this walk, for another process (:meth:`adopted`): the
        entries of the folders under ``under``, and the hashes and sizes of their files by
        path relative to ``root`` (both paths ending in a separator)."""
        listings = {
            folder: [(entry.name, entry.is_dir()) for entry in entries]
            for folder, entries in self.folders.items() if folder.startswith(under)
        }
        return marshal.dumps((listings, self.stamps.hashed_in(under, root), root))

    @classmethod
    def adopted(cls, findings: bytes) -> Walk:
        """The walk another process took, from its :meth:`findings` (as they are: the
        load asks for little of it but the hashes)."""
        listings, hashes, root = marshal.loads(findings)
        return cls(Stamps(), taken=True, listings=listings, hashes=hashes, root=root)

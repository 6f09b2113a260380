"""Files read before, known again by their stat signature instead of being read again.

Without it every run reads and hashes all 23,000 files of a province to find the one that
changed.  A file whose device, inode, size, modification and change time are as they were
when it was read is not read again — provided those times were at least :data:`RACY_NS`
older than that read: a file written again within the same clock tick would keep its
times (git's "racy clean" problem, which git's index avoids the same way).  Tools can set
the modification time (``touch -d``, ``cp -p``) but not the change time, so an edit always
shows; a file read too soon after its last change is simply read again next time.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from zhilian.read.cache_file import load_value, store_value

#: A file changed less than this long before it was read is read again next time.
RACY_NS = 2_000_000_000
FORMAT = "zhilian-stamps-1"

Signature = tuple[int, int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_hash(raw: bytes) -> bytes:
    """A file's content hash, as the stamps keep it."""
    return hashlib.blake2b(raw, digest_size=16).digest()


class Stamps:
    """Path → (signature, content hash) of the files read so far.

    :meth:`finish` forgets the paths not seen since the previous call, so the stamps follow
    the deployment as files come and go."""

    def __init__(self, known: dict[str, tuple[Signature, bytes]] | None = None) -> None:
        self._known = known or {}
        self._seen: dict[str, tuple[Signature, bytes]] = {}
        self._changed = False

    def get(self, path: str, sig: Signature) -> bytes | None:
        found = self._known.get(path)
        if found is None or found[0] != sig:
            return None
        self._seen[path] = found
        return found[1]

    def hashed(self, path: str) -> tuple[bytes, int] | None:
        """The content hash and size of a file the last walk (up to :meth:`finish`) vouched
        for or read (None: it did not, or the file was too new to be stamped)."""
        found = self._known.get(path)
        return (found[1], found[0][2]) if found is not None else None

    def hashed_in(self, folder: str, root: str) -> dict[str, tuple[bytes, int]]:
        """:meth:`hashed` of every file under ``folder``, by path relative to ``root``
        (paths ending in a separator), in one pass."""
        start = len(root)
        return {
            path[start:]: (found[1], found[0][2])
            for path, found in self._known.items() if path.startswith(folder)
        }

    def put(self, path: str, sig: Signature, content_hash: bytes, read_at_ns: int) -> None:
        """``content_hash`` is of the content read at ``read_at_ns`` (taken before the read)
        from a file whose signature was ``sig`` (taken before that)."""
        _dev, _ino, _size, mtime, ctime = sig
        if max(mtime, ctime) < read_at_ns - RACY_NS:
            self._seen[path] = (sig, content_hash)
            self._changed = True

    def add(self, path: str, sig: Signature, content_hash: bytes, read_at_ns: int) -> None:
        """:meth:`put` after :meth:`finish`: kept with the stamps the walk left."""
        self.put(path, sig, content_hash, read_at_ns)
        self._known.update(self._seen)
        self._seen = {}

    def finish(self) -> None:
        self._changed = self._changed or len(self._seen) != len(self._known)
        self._known, self._seen = self._seen, {}

    @classmethod
    def load(cls, path: Path) -> Stamps:
        stored = load_value(path)
        if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == FORMAT):
            return cls()
        known = stored[1] if isinstance(stored[1], dict) else {}
        return cls({
            path: entry for path, entry in known.items()
            if type(entry) is tuple and len(entry) == 2 and type(entry[1]) is bytes
        })

    def save(self, path: Path) -> None:
        """Store what :meth:`finish` kept, when it differs from what was loaded."""
        if not self._changed:
            return
        store_value(path, (FORMAT, self._known))
        self._changed = False


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

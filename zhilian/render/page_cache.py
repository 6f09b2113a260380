"""Pages are not rendered again when nothing they show has changed (incremental builds).

A page's key hashes everything its bytes depend on: zhilian's code and the templates, and
the page's inputs as the renderer names them (view objects, content keys of the source
files).  The rendered bytes are kept as they are in ``.zhilian-cache/pages/<key>.<checksum>`` (a
damaged entry is rendered again), so that the site's file can be a hard link to the entry
instead of a second copy (:class:`~zhilian.write.Stored`: creating a file cost 0.35 ms here,
and a province's site has 3,000 such pages); a cached page
can only ever be returned for exactly the inputs it was rendered from; a key that misses an
input would be a bug, which ``tests/core/test_incremental.py`` looks for by comparing
incremental builds with cold ones after edits of every kind of file.  Entries no build
used are removed after each build; deleting the folder is always safe.

A page asked for with its path in the site is not even read when the site's manifest says
that file is already this page (:class:`~zhilian.write.SiteManifest`): the writer links it.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import pickle
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..write import UNCHANGED, SiteManifest, Stored, Unchanged, date_back

#: what a process's page cache used and placed (:meth:`PageCache.merge`)
PagesUsed = tuple[set[str], int, dict[str, str], set[str]]

#: an entry's name is ``<key>.<checksum>``, the checksum this many hex digits
_CHECKSUM_DIGITS = 8


def _checksum(data: bytes) -> str:
    """CRC-32: it finds damage (an entry changed through a link to it, cut short), which is
    all it is for (the key says what the entry is); a quarter of blake2b's time, 0.15 s of
    a cold build's 250 MB of pages."""
    return f"{zlib.crc32(data):08x}"


class PageCache:
    """``PageCache(None)`` renders everything (no folder: every lookup misses).  ``site``:
    the manifest of the site being rebuilt, for :meth:`get` with a path."""

    def __init__(
        self, folder: Path | None, code: bytes = b"", site: SiteManifest | None = None
    ) -> None:
        self.folder, self.code, self.site = folder, code, site
        self.used: set[str] = set()
        self.hits = self.misses = 0
        #: path in the site → key of the page written there (for the next manifest), and
        #: the paths whose file the manifest vouched for (:data:`UNCHANGED`: linked as it is)
        self.placed: dict[str, str] = {}
        self.kept: set[str] = set()
        self._names: dict[str, str] | None = None  # key → entry's name, listed when needed

    def _entries(self) -> dict[str, str]:
        if self._names is None:
            assert self.folder is not None
            try:
                names = os.listdir(self.folder)
            except OSError:
                names = []
            self._names = {n.partition(".")[0]: n for n in names if not n.startswith(".")}
        return self._names

    def sent(self) -> PagesUsed:
        """What this cache used and placed, for :meth:`merge` in another process."""
        return self.used, self.hits, self.placed, self.kept

    def merge(self, used: set[str], hits: int, placed: dict[str, str], kept: set[str]) -> None:
        """Count what another process's cache of the same folder used (kept by prune)."""
        self.used.update(used)
        self.hits += hits
        self.placed.update(placed)
        self.kept.update(kept)

    def place(self, path: str, key: str) -> None:
        """The page of ``key`` goes to ``path`` of the site (relative to it)."""
        self.placed[path] = key

    def key(self, kind: str, *inputs: Any) -> str:
        """The key of a page of ``kind`` made from ``inputs`` (bytes, or anything pickle
        takes: an input that pickles differently only costs a render, never a stale page)."""
        digest = hashlib.blake2b(self.code, digest_size=20)
        digest.update(kind.encode())
        for part in inputs:
            data = part if isinstance(part, bytes) else pickle.dumps(part, protocol=5)
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str, path: str | None = None) -> bytes | Unchanged | None:
        """The page of ``key``: None if it must be rendered; :data:`UNCHANGED` when the
        site's file ``path`` already is that page (``path`` is placed either way)."""
        self.used.add(key)
        if self.folder is None:
            return None
        if path is not None:
            if self.site is not None and self.site.unchanged(path, key):
                self.hits += 1
                self.place(path, key)
                self.kept.add(path)
                return UNCHANGED
            self.place(path, key)  # rendered or read: it is the page of ``key`` either way
        name = self._entries().get(key)
        entry = f"{self.folder}{os.sep}{name}"
        data = None
        if name is not None:
            with contextlib.suppress(OSError), open(entry, "rb") as handle:
                data = handle.read()
        if data is None or name != f"{key}.{_checksum(data)}":
            self.misses += 1  # missing or damaged: render it
            return None
        self.hits += 1
        return Stored(data, entry)

    def put(self, key: str, data: bytes) -> bytes:
        """Keep ``data`` as the page of ``key``; returned as :class:`~zhilian.write.Stored`,
        for the site's file to be a link to the entry (the same bytes when not kept)."""
        if self.folder is None:
            return data
        name = f"{key}.{_checksum(data)}"
        entry = f"{self.folder}{os.sep}{name}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = f"{self.folder}{os.sep}.{key}.{os.getpid()}.tmp"
            with open(tmp, "wb") as handle:
                handle.write(data)
                date_back(handle.fileno())  # (for the site's file, a link to the entry)
            os.replace(tmp, entry)
        except OSError:
            return data  # a read-only checkout builds fine, just without the cache
        self._entries()[key] = name
        return Stored(data, entry)

    def _get_value(self, key: str) -> Any:
        """A value kept with :mod:`marshal` (None when missing or unreadable)."""
        data = self.get(key)
        assert not isinstance(data, Unchanged)  # (asked for without a path)
        try:
            return marshal.loads(data) if data is not None else None
        except (EOFError, ValueError, TypeError):
            return None

    def get_files(self, key: str) -> dict[str, bytes] | None:
        """Several files kept under one key (see :meth:`put_files`); the entries they were
        made from count as used too."""
        value = self._get_value(key)
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict)):
            return None
        files, made_from = value
        self.used.update(made_from)
        return files

    def put_files(self, key: str, files: dict[str, bytes], made_from: Iterable[str] = ()) -> None:
        """``made_from``: keys of entries the files were made from (a workbook's sheets),
        kept while these files are: the next files made need them."""
        self.put(key, marshal.dumps((files, sorted(made_from))))

    def memo(self, kind: str, inputs: Any, compute: Callable[[Any], Any]) -> Any:
        """``compute(inputs)``, kept by the key of ``inputs`` (results marshal can store)."""
        key = self.key(kind, inputs)
        value = self._get_value(key)
        if value is None:
            value = compute(inputs)
            self.put(key, marshal.dumps(value))
        return value

    def prune(self) -> None:
        """Forget the pages of inputs that no longer exist (keeps the folder one build big),
        and entries of an older format (no checksum in the name)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for entry in os.scandir(self.folder):
            key, dot, check = entry.name.partition(".")
            if key not in self.used or not dot or len(check) != _CHECKSUM_DIGITS:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

"""Files a long-running process (``serve``) has read, known again by their stat signature.

Without it a ``serve`` rebuild reads and hashes every file of a province (23,000) to find
the one that changed.  A file whose device, inode, size, modification and change time are
as they were when it was read is not read again — provided those times were at least
:data:`RACY_NS` older than that read: a file written again within the same clock tick would
keep its times (git's "racy clean" problem, which git avoids the same way).  Tools can set
the modification time (``touch -d``) but not the change time, so an edit always shows.

Only ``serve`` uses stamps, for the process's lifetime; the command line has no earlier
read in memory, and every cache on disk stays keyed by content.
"""

from __future__ import annotations

import os
from typing import Generic, TypeVar

#: A file changed less than this long before it was read is read again next time.
RACY_NS = 2_000_000_000

Signature = tuple[int, int, int, int, int]
V = TypeVar("V")


def signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Stamps(Generic[V]):
    """Path → (signature, what was learnt from the content: a hash) of the files read so far.

    :meth:`finish` forgets the paths not seen since the previous call, so the memory follows
    the deployment as files come and go."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Signature, V]] = {}
        self._seen: dict[str, tuple[Signature, V]] = {}

    def get(self, path: str, sig: Signature) -> V | None:
        found = self._known.get(path)
        if found is None or found[0] != sig:
            return None
        self._seen[path] = found
        return found[1]

    def put(self, path: str, sig: Signature, value: V, read_at_ns: int) -> None:
        """``value`` was learnt from the content read at ``read_at_ns`` (taken before the
        read), of a file whose signature was ``sig`` (taken before that)."""
        _dev, _ino, _size, mtime, ctime = sig
        if max(mtime, ctime) < read_at_ns - RACY_NS:
            self._seen[path] = (sig, value)

    def finish(self) -> None:
        self._known, self._seen = self._seen, {}

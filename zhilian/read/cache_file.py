"""One value in one file of ``.zhilian-cache/``, stored with :mod:`marshal`.

Every such file is only ever an accelerator: a missing, damaged or unwritable one costs
speed, never a wrong result, so neither function raises.  A file is replaced atomically
(a temporary file renamed over it), so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any


def load_value(path: Path) -> Any:
    """The value stored in ``path``; None when there is none or it cannot be read."""
    try:
        return marshal.loads(path.read_bytes())  # one read: much faster than marshal.load
    except (OSError, EOFError, ValueError, TypeError):
        return None


def store_value(path: Path, value: Any, version: int = marshal.version) -> None:
    """Replace ``path`` with ``value`` (plain values only: what marshal stores), in the
    marshal format ``version``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # a read-only checkout works fine, just without the cache
    try:
        with os.fdopen(fd, "wb") as handle:
            marshal.dump(value, handle, version)
        os.replace(tmp, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)

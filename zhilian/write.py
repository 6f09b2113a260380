"""Stage 6: write the whole site atomically (as Lektor does).

Everything is written into a fresh sibling directory first; only when that succeeded is it
swapped in place of the old ``site/``.  A failed build therefore leaves the last good site
exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

Files = Mapping[str, bytes]  # path relative to the output directory (POSIX) → content


def write_files(dest: Path, files: Files) -> None:
    made: set[Path] = set()
    for rel in sorted(files):
        path = dest / rel
        parent = path.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        path.write_bytes(files[rel])


def write_site(out: Path, files: Files, extra: Callable[[Path], None] | None = None) -> None:
    """Write ``files`` (and whatever ``extra(tmp_dir)`` adds) to ``out``, atomically."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        write_files(tmp, files)
        if extra is not None:
            extra(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; a web server must be able to read it
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

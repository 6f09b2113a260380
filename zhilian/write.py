"""Stage 6: write the whole site atomically (as Lektor does).

Everything is written into a fresh sibling directory first; only when that succeeded is it
swapped in place of the old ``site/``.  A failed build therefore leaves the last good site
exactly as it was.  Files identical to the old site's are hard links to them (the old
directory is removed after the swap, so nothing is shared for long).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

Files = Mapping[str, bytes]  # path relative to the output directory (POSIX) → content


def temporary_dir(parent: Path, prefix: str) -> Path:
    """A fresh folder ``<prefix><pid>-<random>`` in ``parent``: the process id in its name
    lets :func:`remove_abandoned` tell it from one still in use."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def remove_abandoned(parent: Path, prefix: str) -> None:
    """Remove the folders :func:`temporary_dir` made in ``parent`` for processes that are
    gone: a build killed outright (SIGKILL, out of memory) cannot remove its own."""
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix) and e.is_dir()]
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def link_tree(source: Path, dest: Path) -> None:
    """Put the files under ``source`` — a cache's, never changed in place — under ``dest``
    as hard links (copies where the file system has none)."""
    shutil.copytree(source, dest, dirs_exist_ok=True, copy_function=_link_or_copy)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_files(dest: Path, files: Files, previous: Path | None = None) -> None:
    """Write ``files`` under ``dest``.  A file whose bytes equal the same path's under
    ``previous`` (the last build) is hard-linked instead: reading and comparing is much
    cheaper than writing, and most files of a rebuild are unchanged."""
    made: set[Path] = set()
    for rel in sorted(files):
        path = dest / rel
        parent = path.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        data = files[rel]
        if previous is not None and _link_if_same(previous / rel, path, data):
            continue
        path.write_bytes(data)


def _link_if_same(old: Path, new: Path, data: bytes) -> bool:
    try:
        if old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
    except OSError:  # no such file, or a file system without hard links: just write
        return False
    return True


class SiteWriter:
    """A new site under construction in a fresh sibling directory of ``out`` (``tmp``):
    parts are written into it as they are ready — by this process or a forked one —, and
    :meth:`commit` swaps it in place of ``out``; leaving the ``with`` block any other way
    removes it and leaves ``out`` as it was."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{self.out.name}.new-"
        for left in (prefix, f".{self.out.name}.old-"):  # see commit
            remove_abandoned(self.out.parent, left)
        self.tmp = temporary_dir(self.out.parent, prefix)
        self.committed = False

    def write(self, files: Files, folder: str = "") -> None:
        """Write ``files`` (paths relative to ``folder`` of the site)."""
        previous = self.out / folder if self.out.is_dir() else None
        write_files(self.tmp / folder, files, previous=previous)

    def commit(self) -> None:
        os.chmod(self.tmp, 0o755)  # mkdtemp makes 0700; a web server must be able to read it
        old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
        if self.out.exists():
            os.replace(self.out, old)
        os.replace(self.tmp, self.out)
        self.committed = True
        shutil.rmtree(old, ignore_errors=True)

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)


def write_site(out: Path, files: Files, extra: Callable[[Path], None] | None = None) -> None:
    """Write ``files`` (and whatever ``extra(tmp_dir)`` adds) to ``out``, atomically."""
    with SiteWriter(out) as site:
        site.write(files)
        if extra is not None:
            extra(site.tmp)
        site.commit()

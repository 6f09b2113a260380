"""Stage 6: write the whole site atomically (as Lektor does).

Everything is written into a fresh sibling directory first; only when that succeeded is it
swapped in place of the old ``site/``.  A failed build therefore leaves the last good site
exactly as it was.  Files identical to the old site's are hard links to them (the old
directory is removed after the swap — or put aside, for the next build to remove while it
reads the data —, so nothing is shared for long), and a page kept in
the page cache is a hard link to its entry (:class:`Stored`), which is never changed in
place.  Which files those
are is known without reading them when the :class:`SiteManifest` vouches for them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from .read.cache_file import load_value, store_value
from .read.stamps import RACY_NS
from .workers import signals_held


class Unchanged:
    """A file of the new site that is, byte for byte, the previous site's file at the same
    path (:meth:`SiteManifest.unchanged` said so): linked, never read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()


class Stored(bytes):
    """Bytes that are also the whole content of the file ``path`` (a page-cache entry,
    never changed in place): the writer links that file instead of writing them again."""

    path: str

    def __new__(cls, data: bytes, path: str) -> Stored:
        stored = super().__new__(cls, data)
        stored.path = path
        return stored


#: path relative to the output directory (POSIX) → content
Files = Mapping[str, bytes | Unchanged]


def temporary_dir(parent: Path, prefix: str) -> Path:
    """A fresh folder ``<prefix><pid>-<random>`` in ``parent``: the process id in its name
    lets :func:`remove_abandoned` tell it from one still in use."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def remove_abandoned(parent: Path, prefix: str, also: int | None = None) -> None:
    """Remove the folders :func:`temporary_dir` made in ``parent`` for processes that are
    gone (``also``: and for that one): a build killed outright (SIGKILL, out of memory)
    cannot remove its own."""
    for path in _abandoned(parent, prefix, also):
        shutil.rmtree(path, ignore_errors=True)


def _abandoned(parent: Path, prefix: str, also: int | None) -> list[str]:
    """The paths of the folders ``<prefix><pid>-…`` in ``parent`` whose process is gone or
    is ``also``, in name order."""
    try:
        with os.scandir(parent) as entries:
            return sorted(
                e.path for e in entries
                if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)
                and _ended(e.name[len(prefix):], also)
            )
    except OSError:
        return []


def _ended(name: str, builder: int | None) -> bool:
    """Whether the process named by ``<pid>-…`` is ``builder`` or gone."""
    pid = name.split("-", 1)[0]
    return pid.isdigit() and (int(pid) == builder or not _alive(int(pid)))


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
    except OSError:  # (not copy2: a folder at ``target`` must fail, not receive a copy)
        shutil.copyfile(source, target)
        shutil.copystat(source, target)


def write_files(dest: Path, files: Files, previous: Path | None = None) -> None:
    """Write ``files`` under ``dest``.  A file whose bytes equal the same path's under
    ``previous`` (the last build) is hard-linked instead: reading and comparing is much
    cheaper than writing, and most files of a rebuild are unchanged.  (Plain strings, not
    ``Path``: a site has thousands of files.)"""
    base = f"{dest}{os.sep}"
    old_base = f"{previous}{os.sep}" if previous is not None else None
    made: set[str] = set()
    for rel in sorted(files):
        path = base + rel
        parent = os.path.dirname(path)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        old = old_base + rel if old_base is not None else None
        try:
            _put(path, files[rel], old)
        except IsADirectoryError:  # a folder of the old site, reused (see SpareFolders)
            shutil.rmtree(path)
            _put(path, files[rel], old)


def _put(path: str, data: bytes | Unchanged, old: str | None) -> None:
    """One file of :func:`write_files`: ``old`` is the same path in the previous site."""
    if isinstance(data, Unchanged):
        assert old is not None  # only a previous site's file is ever unchanged
        _link_or_copy(old, path)
        return
    # A page-cache entry is these bytes: linked without reading anything (then the old
    # site's file, if it is the same, which takes reading it).
    linked = isinstance(data, Stored) and _linked(data.path, path)
    if not linked and (old is None or not _link_if_same(old, path, data)):
        with open(path, "wb") as handle:
            handle.write(data)
            date_back(handle.fileno())


def _linked(source: str, target: str) -> bool:
    try:
        os.link(source, target)
    except OSError:  # gone meanwhile, another file system, no hard links: write
        return False
    return True


def _link_if_same(old: str, new: str, data: bytes) -> bool:
    try:
        if os.stat(old).st_size != len(data):
            return False
        with open(old, "rb") as handle:
            if handle.read() != data:
                return False
    except OSError:  # no such file: just write
        return False
    return _linked(old, new)


_MANIFEST_FORMAT = "zhilian-site-manifest-1"
#: (page key, inode, size, modification time) of a file of the built site
ManifestEntry = tuple[str, int, int, int]


def date_back(fd: int) -> None:
    """Date a file just written back past the racy window of :class:`SiteManifest`, so that
    the manifest this build leaves vouches for it (a cold build writes most of its files in
    its last seconds: else the next build would read them all again).  No later write can
    give a file this time again, so an edit still shows."""
    past = time.time_ns() - SiteManifest.racy_ns - 1_000_000_000
    os.utime(fd, ns=(past, past))


class SiteManifest:
    """Which cached page each file of the last built site is (its page-cache key), with the
    file's inode, size and modification time when that build ended.  A build that makes the
    same key for the same path takes the file as it is (:data:`UNCHANGED`): it neither
    reads the cached page nor compares it with the old file — a thousand cadre pages of
    120 kB each, read twice.

    The file must still have the inode, size and modification time recorded, as rsync and
    make trust size and time (the inode adds that the file was not replaced); the change
    time cannot count, since linking the file into each new site changes it.  A file
    modified within :data:`RACY_NS` before the manifest was taken is not vouched for: an
    edit in the same clock tick would keep its time (``read.stamps`` explains the rule).
    Kept in ``.zhilian-cache/`` (never in the site, which is deployed); missing, damaged or
    about another folder, it vouches for nothing and the build reads and compares as
    before."""

    racy_ns = RACY_NS

    def __init__(self, out: Path, cache_dir: Path | None) -> None:
        self.out = out
        name = hashlib.blake2b(str(out).encode(), digest_size=8).hexdigest()
        self.path = cache_dir / f"site-{name}.manifest" if cache_dir is not None else None
        stored = load_value(self.path) if self.path is not None else None
        valid = isinstance(stored, tuple) and len(stored) == 3 and stored[0] == _MANIFEST_FORMAT
        self._entries: dict[str, ManifestEntry] = (
            stored[2] if valid and stored[1] == str(out) and isinstance(stored[2], dict) else {}
        )

    def unchanged(self, rel: str, key: str) -> bool:
        """Whether the site's file ``rel`` (relative to it) is the page of ``key``."""
        entry = self._entries.get(rel)
        if entry is None or entry[0] != key:
            return False
        try:
            st = os.stat(f"{self.out}{os.sep}{rel}")
        except OSError:
            return False
        return (st.st_ino, st.st_size, st.st_mtime_ns) == entry[1:]

    def save(self, pages: Mapping[str, str], kept: Collection[str] = ()) -> None:
        """Record the site just built: ``pages`` maps its files (relative) to page keys;
        ``kept``: those :meth:`unchanged` vouched for, linked as they were — their entries
        hold as they are (3,000 stat calls fewer after one edit)."""
        if self.path is None:
            return
        entries: dict[str, ManifestEntry] = {}
        racy = time.time_ns() - self.racy_ns
        base = f"{self.out}{os.sep}"
        known = self._entries
        for rel, key in pages.items():
            if rel in kept:
                entry = known.get(rel)
                if entry is not None and entry[0] == key:
                    entries[rel] = entry
                    continue
            try:
                st = os.stat(base + rel)
            except OSError:
                continue
            if st.st_mtime_ns < racy:
                entries[rel] = (key, st.st_ino, st.st_size, st.st_mtime_ns)
        store_value(self.path, (_MANIFEST_FORMAT, str(self.out), entries))


class SpareFolders:
    """The folders of the site a build replaced, emptied of their files, for the next build
    of the same process to write into (``serve``): a new folder cost 0.2–0.8 ms on this
    machine's disk, a hard link 0.01 ms, and a site has a few hundred folders (the write
    stage of a rebuild took 0.05 s instead of 0.08 s).  Only files are
    removed, so nothing of the old site can reach the new one; folders left empty are
    removed before the swap (:func:`remove_empty_folders`).  Named as the old site was
    (``.<site>.old-<pid>-…``): should the process be killed, a later build removes it."""

    def __init__(self) -> None:
        self.folder: str | None = None

    def keep(self, old: Path) -> None:
        """Empty ``old`` of its files and keep its folders (a folder it cannot empty goes)."""
        self.close()
        try:
            remove_files(str(old))
        except OSError:
            shutil.rmtree(old, ignore_errors=True)
            return
        self.folder = str(old)

    def take(self, out: Path, prefix: str) -> Path | None:
        """The kept folders, renamed ``<prefix><pid>-…`` beside ``out``; None if there are
        none (or they are gone, or were kept for another site)."""
        folder, self.folder = self.folder, None
        if folder is None or os.path.dirname(folder) != str(out.parent):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            return None
        return _moved_beside(Path(folder), out, prefix)

    def close(self) -> None:
        """Remove the kept folders (``serve`` ends)."""
        folder, self.folder = self.folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def remove_files(folder: str) -> None:
    """Remove every file under ``folder``, keep the folders (links are files here)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                remove_files(entry.path)
            else:
                os.unlink(entry.path)


def remove_empty_folders(folder: str) -> bool:
    """Remove the folders under ``folder`` that hold no file, deepest first; whether
    ``folder`` itself is then empty (it is kept)."""
    empty = True
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and remove_empty_folders(entry.path):
                os.rmdir(entry.path)
            else:
                empty = False
    return empty


class SiteWriter:
    """A new site under construction in a fresh sibling directory of ``out`` (``tmp``):
    parts are written into it as they are ready — by this process or a forked one —, and
    :meth:`commit` swaps it in place of ``out``; leaving the ``with`` block any other way
    removes it and leaves ``out`` as it was."""

    def __init__(
        self, out: Path, spare: SpareFolders | None = None, aside: Path | None = None,
        folders: Path | None = None,
    ) -> None:
        """``aside``: where :meth:`commit` puts the replaced site, for a later build to remove
        (:func:`remove_replaced`) while a core is idle, instead of removing it then;
        ``folders``: the folders of the site as it is, made beside it (:func:`folders_like`),
        for this one to be written into."""
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{self.out.name}.new-"
        for left in (prefix, f".{self.out.name}.old-", f".{self.out.name}{FOLDERS_INFIX}"):
            remove_abandoned(self.out.parent, left)  # (see commit and folders_like)
        self.spare, self.aside = spare, aside
        taken = spare.take(self.out, prefix) if spare is not None else None
        if folders is not None:  # (named after this process: not abandoned above)
            made = None if taken is not None else _moved_beside(folders, self.out, prefix)
            if made is None:  # not wanted, or not movable: nobody else would remove them
                shutil.rmtree(folders, ignore_errors=True)
            taken = taken or made
        self.tmp = taken or temporary_dir(self.out.parent, prefix)
        self.reused = taken is not None  # folders made already, no file in them
        self.committed = False

    def write(self, files: Files, folder: str = "") -> None:
        """Write ``files`` (paths relative to ``folder`` of the site)."""
        previous = self.out / folder if self.out.is_dir() else None
        write_files(self.tmp / folder, files, previous=previous)

    def commit(self, defer: Callable[[Callable[[], None]], None] | None = None) -> None:
        """Swap the new site in; the old one is removed then, or handed to ``defer`` to be
        removed later (``serve`` does it once the browser has been told), its folders kept
        for the next build when there are ``spare`` folders; otherwise put ``aside``, if
        given (on another file system, removed then)."""
        os.chmod(self.tmp, 0o755)  # mkdtemp makes 0700; a web server must be able to read it
        if self.reused:  # the folders of files this site no longer has
            remove_empty_folders(str(self.tmp))
        # (pid first, as remove_abandoned reads it: a removal not done is done by a later build)
        old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            # Ctrl-C between the two renames would leave no site at all: held, it is taken
            # once the new one is in place.
            with signals_held():
                if self.out.exists():
                    os.replace(self.out, old)
                os.replace(self.tmp, self.out)
                self.committed = True
        finally:
            if self.committed:
                self._remove_old(old, defer)

    def _remove_old(self, old: Path, defer: Callable[[Callable[[], None]], None] | None) -> None:
        if self.spare is not None:
            remove = partial(self.spare.keep, old)
        elif defer is None and self.aside is not None and _put_aside(old, self.aside):
            return
        else:
            remove = partial(shutil.rmtree, old, ignore_errors=True)
        if defer is None:
            remove()
        else:
            defer(remove)

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)


#: the names of the sites put aside (``SiteWriter(aside=…)``): the process id, as
#: :func:`remove_abandoned` reads it, then a random part
REPLACED_PREFIX = "site-"


def _put_aside(old: Path, aside: Path) -> bool:
    """Move the replaced site ``old`` into ``aside`` (a rename: same file system only)."""
    try:
        aside.mkdir(parents=True, exist_ok=True)
        os.rename(old, aside / f"{REPLACED_PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
    except OSError:
        return False
    return True


def remove_replaced(aside: Path, builder: int) -> None:
    """Remove the sites put aside in ``aside`` by builds that are over: those of processes
    that are gone, and those of ``builder`` (the process building now, which builds one
    site at a time)."""
    remove_abandoned(aside, REPLACED_PREFIX, also=builder)


#: beside the site: the folders made for a build's new site by :func:`folders_like`
FOLDERS_INFIX = ".folders-"


def folders_like(out: Path, dest: str) -> bool:
    """Make ``dest`` — a new folder beside ``out``, named ``.<site>.folders-<pid>-…`` after
    the process building, see :func:`remove_abandoned` — holding the same folders as
    ``out``, and no file, for the next site to be written into (``SiteWriter(folders=…)``):
    made by another process while a core is idle, since a site's 230 folders took
    0.03–0.04 s to make in the busiest part of a rebuild.  Whether it is all there."""
    try:
        os.mkdir(dest)
        _copy_folders(str(out), dest)
    except OSError:
        shutil.rmtree(dest, ignore_errors=True)
        return False
    return True


def folders_ahead(out: Path, dest: str, aside: Path, builder: int) -> bool:
    """Make ``dest`` hold the folders of a site and no file, as :func:`folders_like` does,
    and remove the sites earlier builds put ``aside`` (:func:`remove_replaced`): one of
    those, emptied of its files, becomes ``dest`` — its 4,200 files unlinked, instead of
    its 230 folders removed too and as many made again (0.05–0.1 s of system time here);
    without one, the folders of ``out`` are made.  Only folders are kept, so nothing of an
    old site can reach the new one.  Whether ``dest`` is all there."""
    recycled = _recycled(aside, dest, builder)
    remove_replaced(aside, builder)
    return recycled or folders_like(out, dest)


def _recycled(aside: Path, dest: str, builder: int) -> bool:
    """A site put aside by a build that is over, emptied of its files and renamed ``dest``."""
    for folder in _abandoned(aside, REPLACED_PREFIX, builder):
        try:
            remove_files(folder)
            os.rename(folder, dest)  # (not on another file system: removed below)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        return True
    return False


def _copy_folders(source: str, dest: str) -> None:
    with os.scandir(source) as entries:
        folders = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
    for name in folders:
        os.mkdir(f"{dest}{os.sep}{name}")
        _copy_folders(f"{source}{os.sep}{name}", f"{dest}{os.sep}{name}")


def _moved_beside(folder: Path, out: Path, prefix: str) -> Path | None:
    """``folder`` renamed ``<prefix><pid>-…`` beside ``out``; None if it cannot be."""
    taken = f"{out.parent}{os.sep}{prefix}{os.getpid()}-{os.urandom(4).hex()}"
    try:
        os.rename(folder, taken)
    except OSError:
        return None
    return Path(taken)


def write_site(out: Path, files: Files, extra: Callable[[Path], None] | None = None) -> None:
    """Write ``files`` (and whatever ``extra(tmp_dir)`` adds) to ``out``, atomically."""
    with ExitStack() as stack:
        with signals_held():  # made and put on the stack at once (see ``build._Ahead``)
            site = stack.enter_context(SiteWriter(out))
        site.write(files)
        if extra is not None:
            extra(site.tmp)
        site.commit()

"""Answer a run whose inputs have not changed since the last one from a memo.

``build`` skips the render and ``check`` skips the reading when nothing that shapes their
result has changed: the memo holds the fingerprint and the diagnostics it produced, which
are reported again as they were.

The fingerprint hashes the content of every file of the deployment except build output and
caches, plus the templates in use, zhilian's own code, ``--today`` and the output folder.
Content, not modification times alone: two saves within one clock tick must not look
alike.  A file's content hash is taken again unless its stat signature is the one recorded
when it was last read, and that read came well after its last change (``read.stamps``,
as git's index does): the reading of 23,000 files (0.3 s) becomes listing them (0.1 s).
A first run, with no memo to compare with, does not wait for that reading: its walk lists
the cadre and note files without reading them, the load reads them at once, and the
fingerprint is completed with the hashes of what the load read (:class:`Unread`).
The memo lives under ``.zhilian-cache/`` (safe to delete) and is written only after a run
succeeded, so a failed build never marks stale output as current.  Pull-request checks
(``--base``) never use it: they depend on git, not only on the working tree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from .diagnostics import Diagnostic, Severity
from .paths import CACHE_DIR
from .read.stamps import Signature, Stamps, Walk, file_hash, is_racy, packed, signature_of
from .workers import Background, enter_held, no_cycle_collection

#: Folders at the top of the deployment (or of the templates) that are no input: output,
#: caches, tools.  Only there: below, a name like ``site`` may be a cadre's notes folder.
SKIP_DIRS = frozenset({
    ".git", CACHE_DIR, ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis",
    ".ruff_cache", ".cache", "node_modules", "test-artifacts", "site",
})
#: ... and anywhere
SKIP_ANYWHERE = frozenset({"__pycache__"})
PACKAGE = Path(__file__).resolve().parent
STAMPS_FILE = "stamps-all.marshal"
_NAME = attrgetter("name")  # (a folder's entries in name order: 1,000 folders a walk)


#: (path relative to the deployment, content hash) of the data files, in the walk's order;
#: the hash is None while a first run has not read the file yet (:class:`Unread`)
DataFiles = list[tuple[str, bytes | None]]


def is_data_file(rel: str) -> bool:
    """Whether ``rel`` names a cadre's file or a note, as only the load reads them: those
    the load itself can stand for in a first run's fingerprint (:class:`Unread`).  Not a
    name starting with a dot, which the load skips (``._a.yml`` that macOS leaves on shared
    drives, editors' backups): left to the load, it would never be read, and a first run
    with one would never be remembered."""
    folder, _, name = rel.rpartition("/")
    return _is_data(name, _data_suffix(f"{folder}/"))


def _is_data(name: str, suffix: str | None) -> bool:
    """Whether the file ``name``, in a folder whose data files end in ``suffix``, is one."""
    return suffix is not None and name.endswith(suffix) and not name.startswith(".")


def _data_suffix(prefix: str) -> str | None:
    """The ending of the data files (:func:`is_data_file`) in the folder ``prefix`` names
    (relative, ending in "/"), None when it holds none."""
    parts = prefix.split("/")
    if parts[0] != "data":
        return None
    if len(parts) == 3 and parts[1] == "cadres":
        return ".yml"
    if len(parts) == 4 and parts[1] == "notes" and not parts[2].startswith("."):
        return ".md"
    return None


@dataclass
class Unread:
    """The data files a first run's walk left unread (it has no memo to compare with, so
    the fingerprint is needed only once the run is done): the load reads them at once
    instead of after the walk, and their hashes are the load's (:meth:`Fingerprint.final`).
    By (path relative to the deployment): the file's path, its stat signature and when
    it was taken (for the stamps)."""

    files: dict[str, tuple[str, Signature, int]] = field(default_factory=dict)


def _walk(
    digest: hashlib._Hash,  # type: ignore[name-defined]
    folder: str,
    prefix: str,
    out: str,
    stamps: Stamps | None = None,
    folders: dict[str, list[os.DirEntry[str]]] | None = None,
    data: DataFiles | None = None,
    unread: Unread | None = None,
) -> None:
    """Hash every file under ``folder``, each folder's files in name order, then its
    folders; ``prefix`` is its path relative to the base (plain strings and ``scandir``:
    per-file ``Path`` work cost more than the reading).  With ``stamps``, a file unchanged
    since it was last read is not read again; ``folders`` collects each folder's sorted
    entries (see ``read.stamps.Walk``).  ``data``: where the data files go instead of
    ``digest`` (:func:`is_data_file`), and ``unread``: where those go that would have to
    be read (a first run's)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=_NAME)
    except OSError:
        return
    if folders is not None:
        folders[folder] = entries
    files = [entry for entry in entries if not entry.is_dir(follow_symlinks=False)]
    if files:
        suffix = _data_suffix(prefix) if data is not None else None
        left = unread if suffix is not None else None
        contents = _content_hashes(files, folder, stamps, prefix, suffix, left)
        for entry, content in zip(files, contents, strict=True):
            if content is None:  # (unreadable)
                continue
            name = entry.name
            # (``_is_data``, written out: 23,000 files a walk)
            if data is not None and suffix is not None and name.endswith(suffix) \
                    and name[0] != ".":
                data.append((prefix + name, content or None))  # (b"": left to the load)
            else:
                digest.update(f"{prefix}{name}\0".encode())
                digest.update(content)
    skip = SKIP_ANYWHERE if prefix else SKIP_DIRS
    for entry in entries:
        # (like os.walk: links to folders are not followed)
        if entry.is_dir(follow_symlinks=False) and entry.name not in skip and entry.path != out:
            _walk(digest, entry.path, f"{prefix}{entry.name}/", out, stamps, folders, data, unread)


def _content_hashes(
    files: list[os.DirEntry[str]],
    folder: str,
    stamps: Stamps | None,
    prefix: str,
    suffix: str | None,
    unread: Unread | None,
) -> list[bytes | None]:
    """The content hash of each of a folder's ``files`` (None: unreadable).  With
    ``stamps``, those they vouch for are not read: the regular files' signatures are taken
    and compared with the stamps all at once (``Stamps.folder``); a link is read each
    time, its own signature saying nothing of what it points to.  With ``unread``, a data
    file (ending in ``suffix``) that would have to be read is noted there instead, and b""
    given."""
    if stamps is None:
        return [_read_hash(entry.path) for entry in files]
    regular = [entry for entry in files if entry.is_file(follow_symlinks=False)]
    stats = _stats([entry.path for entry in regular])
    if None in stats:  # (gone since the folder was listed: unreadable, as it is)
        regular = [entry for entry, st in zip(regular, stats, strict=True) if st is not None]
        stats = [st for st in stats if st is not None]
    signatures = tuple(map(signature_of, stats))  # type: ignore[arg-type]
    names = "\0".join(entry.name for entry in regular)
    sigs = packed(signatures)
    hashes = stamps.folder(folder, names, sigs, signatures)
    by_name: dict[str, bytes | None] = {}
    if None in hashes:
        read_at = time.time_ns()  # (after the signatures were taken, before any read)
        kept = list(hashes)
        for i, (entry, sig, content) in enumerate(zip(regular, signatures, hashes, strict=True)):
            if content is not None:
                continue
            name = entry.name
            if unread is not None and _is_data(name, suffix):
                unread.files[prefix + name] = (entry.path, sig, read_at)
                by_name[name] = b""
                continue
            content = by_name[name] = _read_hash(entry.path)
            if content is not None and not is_racy(sig, read_at):
                kept[i] = content
        hashes = tuple(kept)
    if regular:
        stamps.keep(folder, names, sigs, hashes)
    if len(regular) == len(files) and not by_name:
        return list(hashes)  # (each file a regular one the stamps vouch for: most folders)
    found = dict(zip(names.split("\0"), hashes, strict=True)) if regular else {}
    found.update(by_name)  # (read now, or left to the load)
    return [
        found[entry.name] if entry.name in found
        else None if entry.is_file(follow_symlinks=False)  # (gone meanwhile)
        else _read_hash(entry.path)  # a link, or another kind of file
        for entry in files
    ]


def _stats(paths: list[str]) -> list[os.stat_result | None]:
    """``os.lstat`` of each path (by ``map``: a C loop), None for one that is gone."""
    try:
        return list(map(os.lstat, paths))
    except OSError:
        pass
    found: list[os.stat_result | None] = []
    for path in paths:
        try:
            found.append(os.lstat(path))
        except OSError:
            found.append(None)
    return found


def _read_hash(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return file_hash(handle.read())
    except OSError:
        return None


def _with_data(rest: bytes, data: DataFiles) -> str:
    """The fingerprint: the other inputs' digest, then the data files'."""
    digest = hashlib.blake2b(rest, digest_size=20)
    for rel, content in data:
        assert content is not None
        digest.update(f"{rel}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _take(
    root: Path, out: Path, templates: Path, today: dt.date, walk: Walk, unread: Unread | None
) -> tuple[bytes, DataFiles]:
    """The digest of the inputs but the data files, and the data files' hashes (see
    :func:`fingerprint`)."""
    digest = hashlib.blake2b(digest_size=20)
    out_path = os.path.realpath(out)
    digest.update(f"{today.isoformat()}\0{out_path}\n".encode())
    data: DataFiles = []
    for base in dict.fromkeys((root.resolve(), templates.resolve(), PACKAGE)):
        digest.update(f"[{base}]\n".encode())
        found = data if base == root.resolve() else None
        _walk(digest, str(base), "", out_path, walk.stamps, walk.folders, found, unread)
    walk.finish()
    return digest.digest(), data


def fingerprint(
    root: Path, out: Path, templates: Path, today: dt.date, walk: Walk | None = None
) -> str:
    """``walk``: the stamps to go by and the folder listings to fill (``serve`` keeps its
    stamps in memory; ``build`` hands its walk on to the load); without, the stamps kept
    in the cache."""
    if walk is None:
        walk = Walk.kept_in(root / CACHE_DIR / STAMPS_FILE)
    return _with_data(*_take(root, out, templates, today, walk, None))


#: what a first run's walk leaves to finish (:meth:`Fingerprint.final`): the digest of the
#: other inputs, the data files' hashes (None: unread) and the unread files
Unfinished = tuple[bytes, DataFiles, dict[str, tuple[str, Signature, int]]]


class Fingerprint:
    """The inputs' fingerprint as :func:`fingerprinted` takes it: :meth:`current` waits for
    it, :meth:`remembered` compares it with the memo, :meth:`ready` tells whether either
    would wait; :meth:`walked` waits for the walk, :meth:`final` gives the fingerprint of
    the inputs a run read (which a first run's walk leaves to the load: :class:`Unread`)."""

    def __init__(
        self, take: Callable[[], tuple[str | None, Walk, Unfinished | None]],
        elsewhere: Background | None,
        kept: bool, name: str, root: Path,
    ) -> None:
        """``kept``: whether the memo ``name`` exists (else there is nothing to compare)."""
        self._take, self._elsewhere, self._kept = take, elsewhere, kept
        self._name, self._root = name, root
        self._value: str | None = None
        self._walk: Walk | bytes | None = None  # (bytes: ``Walk.findings``, adopted if asked)
        self._unfinished: Unfinished | None = None
        self._taken = False

    @property
    def first(self) -> bool:
        """A first run: no memo to compare with, so the run goes on whatever the walk finds."""
        return not self._kept

    def ready(self) -> bool:
        """Whether :meth:`current` would not wait for another process (taken here, it
        costs the same whenever it is taken: nothing is gained by importing first)."""
        return self._elsewhere is None or not self._elsewhere.running()

    def _wait(self) -> None:
        if not self._taken:
            taken = self._elsewhere.result() if self._elsewhere is not None else self._take()
            self._value, self._walk, self._unfinished = taken
            self._taken = True

    def current(self) -> str:
        """The fingerprint of a walk that read every file (with a memo to compare with)."""
        self._wait()
        assert self._value is not None, "a first run's fingerprint is final() only"
        return self._value

    def walked(self) -> Walk | None:
        """The walk, once taken: to be called before the data is read."""
        self._wait()
        if isinstance(self._walk, bytes):
            with no_cycle_collection():  # (23,000 files' listings and hashes: no garbage)
                self._walk = Walk.adopted(self._walk)
        return self._walk

    def final(self, sources: dict[str, bytes]) -> str | None:
        """The fingerprint of the inputs as the run read them: a first run's walk left
        the data files to the load, whose content keys (``sources``: by path relative to
        the deployment) stand in for them — None when one was not read (the run is not
        remembered then), and their stamps are kept now.  Taken once: the same after."""
        self._wait()
        if self._unfinished is None:
            return self._value
        rest, data, unread = self._unfinished
        self._unfinished = None
        read = {rel: key[:-1] for rel, key in sources.items() if rel in unread and key}
        stamps = Stamps.load(self._root / CACHE_DIR / STAMPS_FILE)
        stamps.add_all(
            (path, sig, read[rel], read_at) for rel, (path, sig, read_at) in unread.items()
            if rel in read
        )
        stamps.save(self._root / CACHE_DIR / STAMPS_FILE)
        if len(read) == len(unread):
            self._value = _with_data(rest, [(rel, content or read[rel]) for rel, content in data])
        return self._value

    def remember(self, sources: dict[str, bytes], diags: list[Diagnostic]) -> None:
        """Keep ``diags`` as the answer for the inputs the run read (:meth:`final`; a run
        that did not read every data file the walk left to it is not remembered)."""
        current = self.final(sources)
        if current is not None:
            remember(self._root, self._name, current, diags)

    def remembered(self) -> list[Diagnostic] | None:
        """The diagnostics the memo holds if the inputs are unchanged since, else None
        (without a memo, at once)."""
        if not self._kept:
            return None
        return recall(self._root, self._name, self.current())


@contextmanager
def fingerprinted(
    root: Path,
    name: str,
    out: Path,
    templates: Path,
    today: dt.date,
    stamps: Stamps | None = None,
    *,
    parallel: bool = True,
) -> Iterator[Fingerprint]:
    """The inputs' fingerprint, and whether the memo ``name`` holds it.

    With workers (``parallel``) it is taken in a forked process, which hands back its
    walk's findings (``Walk.findings``): this one meanwhile imports what a build needs,
    and when the memo holds the fingerprint (the inputs are unchanged), answers from it
    as soon as it is taken.  A first run (no memo) needs it only for the memo written
    after the run: its walk leaves the data files to the load (:class:`Unread`), which then
    need not wait for 23,000 files to be read twice.  Either way the run must call
    ``walked()`` before it reads the data — a fingerprint taken after a file was read could
    hold an edit the output lacks, and mark that output current —, and ``remember()``
    after.  The process is stopped if the run fails.  ``stamps``: kept in memory
    (``serve``): the fingerprint is then taken here, at once; otherwise they are kept in
    the cache (``STAMPS_FILE``)."""
    kept = stamps is not None or _memo_path(root, name).is_file()
    if stamps is not None:
        walk = Walk(stamps)
        value = fingerprint(root, out, templates, today, walk)
        yield Fingerprint(lambda: (value, walk, None), None, kept, name, root)
        return

    def take() -> tuple[str | None, Walk, Unfinished | None]:
        walk = Walk.kept_in(root / CACHE_DIR / STAMPS_FILE)
        unread = None if kept else Unread()  # (a first run: the load reads the data files)
        rest, data = _take(root, out, templates, today, walk, unread)
        if unread is not None and unread.files:
            return None, walk, (rest, data, unread.files)
        return _with_data(rest, data), walk, None

    def take_elsewhere() -> tuple[str | None, bytes | None, Unfinished | None]:
        value, walk, unfinished = take()
        if kept and value is not None and recall(root, name, value) is not None:
            return value, None, None  # unchanged: the run is answered from the memo
        base = f"{root.resolve()}{os.sep}"
        return value, walk.findings(base, f"{base}data{os.sep}"), unfinished

    with ExitStack() as stack:
        elsewhere = enter_held(stack, lambda: Background(take_elsewhere)) if parallel else None
        yield Fingerprint(take, elsewhere, kept, name, root)


def code_digest(templates: Path) -> bytes:
    """zhilian's own code and the templates in use: what turns the same data into pages."""
    digest = hashlib.blake2b(digest_size=16)
    for base in (templates.resolve(), PACKAGE):
        digest.update(f"[{base.name}]\n".encode())
        _walk(digest, str(base), "", "")
    return digest.digest()


def _memo_path(root: Path, name: str) -> Path:
    key = hashlib.blake2b(name.encode(), digest_size=6).hexdigest()
    return root / CACHE_DIR / f"memo-{key}.json"


def recall(root: Path, name: str, current: str) -> list[Diagnostic] | None:
    """The diagnostics of the last run called ``name`` if its fingerprint was ``current``."""
    try:
        memo = json.loads(_memo_path(root, name).read_text(encoding="utf-8"))
        if memo.get("fingerprint") != current:
            return None
        return [
            Diagnostic(d["code"], Severity(d["severity"]), d["file"], d["message"], d["hint"],
                       d["line"], d["col"], cadre=d["cadre"])
            for d in memo["diagnostics"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(root: Path, name: str, current: str, diags: list[Diagnostic]) -> None:
    """Keep ``diags`` (positions resolved) as the answer for ``current``."""
    path = _memo_path(root, name)
    memo = {
        "fingerprint": current,
        "diagnostics": [
            {"code": d.code, "severity": d.severity.value, "file": d.file, "message": d.message,
             "hint": d.hint, "line": d.line, "col": d.col, "cadre": d.cadre}
            for d in diags
        ],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(memo, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass  # only costs a full run next time

"""Read many data files at once: a content-hash cache, then parallel parsing of the rest.

1. Every file is hashed: by the walk just before (the fingerprint's, which reads only the
   files its stamps do not vouch for: ``read.stamps``), else read and hashed here.
2. Files whose hash is in the cache get their parsed value from it — the cache holds only
   plain values (dicts, lists, strings) of files that parsed without a diagnostic, keyed by
   the hash of the file's bytes and its kind, for one reader version; so it can never be a
   source of stale output, and deleting ``.zhilian-cache/`` is always safe.
3. The others are parsed — in worker processes when there are many, a chunk at a time
   while this process reads on (results come back in order, so the outcome is the same as
   a serial run), here otherwise.

Validation stays in the calling process, which takes the results as they come: pydantic
models cost more to send between processes than to build.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhilian.diagnostics import DataChanged, Diagnostic
from zhilian.read.cache_file import load_value, store_value
from zhilian.read.fast import QuietStderr
from zhilian.read.front_matter import parse_note
from zhilian.read.stamps import file_hash
from zhilian.read.yaml_reader import decode, parse_yaml, read_bytes, top_level_not_mapping
from zhilian.workers import worker_count, worker_pool

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Bump when a change to the reader could change a parsed value.
READER_VERSION = "3"
#: the parsed values, with the reader version that parsed them
CACHE_FILE = "parsed.marshal"
#: Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 1500
#: Fewer newly parsed files than this do not rewrite the parsed cache (``_worth_storing``).
REWRITE_MIN_FILES = 20
#: The text handed to a worker at once, in characters: chunks of about the same work (by
#: count, a chunk of cadre files, 100 youth each, took 20 times one of notes, and the
#: results are taken in order).  The first full chunk starts the workers: a warm run with a
#: few files to parse parses them here.
CHUNK_CHARS = 250_000


@dataclass(slots=True)
class FileRead:
    rel: str
    value: Any = None  # the plain value (a note's front matter), None on error
    body: str = ""  # a note's Markdown body
    diags: list[Diagnostic] = field(default_factory=list)
    digest: bytes = b""  # content key of the text (what later stages key their caches on)
    #: a file the caller chose not to have parsed now (``defer``): :meth:`parsed` gives it
    later: Later | None = None
    is_note: bool = False  # (known for a deferred file only)

    def parsed(self) -> tuple[Any, str]:
        """The value and body (of a deferred file: from the cache, or read again)."""
        if self.later is None:
            return self.value, self.body
        return self.later.parsed(self.rel, self.is_note, self.digest)


class ParsedCache:
    """The parsed values of files read before, by content key (``CACHE_FILE``), read from
    disk only once it is worth it: a rebuild that defers every unchanged file (``defer``)
    parses its few changed ones, and the few deferred ones a stage asks for, itself."""

    #: files parsed rather than looked up before the cache file is read (26 MB at 1,000
    #: cadres, 0.25 s: the time of parsing some 250 cadre files or 2,500 notes)
    PARSED_BEFORE_READING = 50

    def __init__(self, path: Path | None, values: dict[bytes, tuple[Any, str]] | None = None):
        self._path, self._values = path, values
        self._spared = 0

    def worth_reading(self) -> bool:
        """Whether to look a file up here (else parse it): always once the file is read."""
        if self._values is None and self._spared < self.PARSED_BEFORE_READING:
            self._spared += 1
            return False
        return True

    @property
    def loaded(self) -> bool:
        return self._values is not None

    @property
    def values(self) -> dict[bytes, tuple[Any, str]]:
        if self._values is None:
            self._values = _load_cache(self._path)
        return self._values

    def get(self, key: bytes) -> tuple[Any, str] | None:
        return self.values.get(key)


@dataclass(slots=True)
class Later:
    """Where the deferred files of one read are: their parsed values in the cache, else
    the files themselves (one for all of them: a province defers 23,000 files)."""

    cache: ParsedCache
    base: str  # the root's path, ending in a separator
    max_bytes: int

    def parsed(self, rel: str, is_note: bool, key: bytes) -> tuple[Any, str]:
        found = self.cache.get(key) if self.cache.worth_reading() else None
        if found is not None:
            return found
        raw, diags = read_bytes(self.base + rel, rel, self.max_bytes)
        if raw is None or diags or content_key(is_note, file_hash(raw)) != key:
            raise DataChanged(rel)
        text, diags = decode(raw, rel)
        if text is None or diags:  # (the same bytes decoded cleanly before)
            raise DataChanged(rel)
        read = parse_text(rel, is_note, text)
        if read.value is None or read.diags:  # the same content parsed cleanly before
            raise DataChanged(rel)
        return read.value, read.body


def content_key(is_note: bool, hashed: bytes) -> bytes:
    """A data file's content key, which the caches and records go by: the hash of its bytes
    (``read.stamps.file_hash``: a walk that vouched for the file gives it unread) and its
    kind (the same bytes are parsed otherwise as a note)."""
    return hashed + (b"n" if is_note else b"y")


def walked_key(found: tuple[bytes, int] | None, is_note: bool, max_bytes: int) -> bytes | None:
    """The content key of a file from its hash and size as a walk found them (``hashed``);
    None when the walk did not, or the file is over the size limit (it is read then, and
    reported: Y010)."""
    return content_key(is_note, found[0]) if found is not None and found[1] <= max_bytes else None


def parse_text(rel: str, is_note: bool, text: str) -> FileRead:
    """Parse one decoded file: a YAML mapping, or a note's front matter and body."""
    if is_note:
        front, body, _offset, diags = parse_note(text, rel)
        return FileRead(rel, front, body, diags)
    value, diags = parse_yaml(text, rel)
    if value is not None and not isinstance(value, dict):
        return FileRead(rel, None, "", [top_level_not_mapping(text, rel, value)])
    return FileRead(rel, value, "", diags)


#: A file to parse: its path, whether it is a note, its text and its content key.
ToParse = tuple[str, bool, str, bytes]


def _parse_chunk(chunk: list[ToParse]) -> list[FileRead]:
    reads = []
    with QuietStderr():  # (nothing else here writes to it: findings are returned)
        for rel, is_note, text, key in chunk:
            read = parse_text(rel, is_note, text)
            read.digest = key
            reads.append(read)
    return reads


#: A chunk parsed by a worker, as it travels back: every read's fields with :mod:`marshal`
#: (None in the place of a read with findings), and those few reads pickled, by index.
#: Pickling the values took ten times marshal's time: some 1.2 s of CPU in a cold build of
#: 1,000 cadres, half of it in the process that validates them while the workers wait.
Sent = tuple[bytes, dict[int, FileRead]]


def _parse_chunk_to_send(chunk: list[ToParse]) -> Sent:
    reads = _parse_chunk(chunk)
    try:
        return marshal.dumps(
            [None if r.diags else (r.rel, r.value, r.body, r.digest) for r in reads]
        ), {i: r for i, r in enumerate(reads) if r.diags}
    except ValueError:  # a value marshal does not store (none the readers make): pickled
        return marshal.dumps([None] * len(reads)), dict(enumerate(reads))


def _received(sent: Sent) -> list[FileRead]:
    packed, others = sent
    reads = []
    for i, plain in enumerate(marshal.loads(packed)):
        if plain is None:
            reads.append(others[i])
        else:
            rel, value, body, key = plain
            reads.append(FileRead(rel, value, body, [], key))
    return reads


def _load_cache(path: Path | None) -> dict[bytes, tuple[Any, str]]:
    """The parsed values in ``path`` if this reader version parsed them (a damaged cache,
    or another version's, is just a cold start): by content key, and in chunks as the
    workers sent them (:data:`Sent`: a cold run writes those as they came)."""
    cache = load_value(path) if path is not None else None
    if not (isinstance(cache, tuple) and len(cache) == 3 and cache[0] == READER_VERSION
            and isinstance(cache[1], dict) and isinstance(cache[2], list)):
        return {}
    values: dict[bytes, tuple[Any, str]] = cache[1]
    try:
        for packed in cache[2]:
            for plain in marshal.loads(packed):
                if plain is not None:
                    _rel, value, body, key = plain
                    values[key] = (value, body)
    except (EOFError, ValueError, TypeError):
        return {}
    return values


def stream_files(
    root: Path,
    files: list[tuple[str, bool]],
    max_bytes: int,
    *,
    jobs: int = 0,
    cache_dir: Path | None = None,
    kept: dict[bytes, tuple[Any, str]] | None = None,
    carried: dict[bytes, tuple[Any, str]] | None = None,
    defer: Callable[[str, bytes], bool] | None = None,
    hashed: Callable[[str], tuple[bytes, int] | None] | None = None,
    deferred_notes: Callable[[list[tuple[str, bytes]], Later], None] | None = None,
    write_later: list[Callable[[], None]] | None = None,
) -> Iterator[FileRead]:
    """Read ``files`` ((path relative to root, is a note) pairs): their results, in order.

    The files to parse go to worker processes a chunk at a time while this process reads
    on, and the results come back as they are ready: the caller validates the first files
    while the workers parse the last (with the three at once, a cold check of 1,000 cadres
    took 3.9 s instead of 4.5: one stage after the other left a core idle).

    ``hashed(path)``: a file's hash and size as the walk of this run just before found them
    (``read.stamps.Walk.hashed_under``; None: not found): a file whose parsed value is at
    hand, or that is deferred, is then not even read.  ``kept``: the parsed values a
    long-running process (``serve``) holds in memory; used instead of reading the cache
    file when it has any, and updated to this run's entries.  The cache is written once the
    last result has been taken.  ``carried``: the parsed values of files the caller took
    from elsewhere (``load``'s kept cadres), kept as if they had been read.
    ``defer(path, key)``: whether a file of that content is to be parsed only if its
    :meth:`FileRead.parsed` is called (the cache file is then read only if something
    asks: ``ParsedCache``).  ``deferred_notes(found, later)``: the deferred notes, as
    (path, content key) pairs, handed over at once before the first result instead of
    yielded one by one (a province defers 22,000 of them after an edit).  ``write_later``:
    where the cache file's write goes instead of being done after the last result (the caller
    does it when a core is free: ``pipeline.check``).
    """
    cache_path = cache_dir / CACHE_FILE if cache_dir is not None else None
    cache = ParsedCache(cache_path, kept or None)
    used: dict[bytes, tuple[Any, str]] = dict(carried) if carried else {}
    deferred: list[bytes] = []
    workers = worker_count(jobs) if len(files) >= PARALLEL_MIN_FILES else 1
    # What each file gives, in order: its result, or where in the parsed chunks it will be.
    slots: list[FileRead | tuple[int, int]] = []
    chunks: list[Future[Sent] | list[FileRead]] = []
    todo: list[ToParse] = []  # the chunk being gathered
    todo_chars = 0
    parsed = 0  # files handed to the parser
    # The chunks as the workers sent them, and the keys of their values: the cache file
    # takes them as they are (writing 26 MB of values afresh took 0.2 s of a cold build).
    received: list[bytes] = []
    in_received: set[bytes] = set()
    with ExitStack() as stack:
        submit: Callable[..., Future[Sent]] | None = None
        base = f"{root}{os.sep}"
        later = Later(cache, base, max_bytes)
        set_aside: list[tuple[str, bytes]] = []  # (for ``deferred_notes``)
        for rel, is_note in files:
            key = walked_key(hashed(rel) if hashed is not None else None, is_note, max_bytes)
            if key is None or defer is None or not defer(rel, key):
                read = _read_one(base + rel, rel, is_note, max_bytes, later, defer, key)
                if not isinstance(read, FileRead):  # to parse
                    slots.append((len(chunks), len(todo)))
                    todo.append(read)
                    todo_chars += len(read[2])
                    parsed += 1
                    if todo_chars >= CHUNK_CHARS and workers > 1:
                        if submit is None:  # the first full chunk: there is enough to parse
                            submit = stack.enter_context(worker_pool(workers))
                        chunks.append(submit(_parse_chunk_to_send, todo))
                        todo, todo_chars = [], 0
                    continue
                if read.later is None:
                    slots.append(read)
                    continue
                key = read.digest  # (deferred: its content is the one found clean)
            if is_note and deferred_notes is not None:
                set_aside.append((rel, key))
                deferred.append(key)
            else:
                slots.append(FileRead(rel, digest=key, later=later, is_note=is_note))
        if todo:
            chunks.append(submit(_parse_chunk_to_send, todo) if submit else _parse_chunk(todo))
        if deferred_notes is not None:
            deferred_notes(set_aside, later)
        for slot in slots:
            if isinstance(slot, FileRead):
                read = slot
            else:
                index, offset = slot
                chunk = chunks[index]
                if not isinstance(chunk, list):  # (a future: parsed by a worker)
                    sent = chunk.result()
                    chunk = chunks[index] = _received(sent)
                    received.append(sent[0])
                    in_received.update(r.digest for r in chunk if not r.diags)
                read = chunk[offset]
            if read.later is not None:
                deferred.append(read.digest)
            elif read.value is not None and not read.diags and read.digest:
                used[read.digest] = (read.value, read.body)
            yield read

    # (the cache file is not read only to be rewritten after a few edits)
    cached = len(cache.values) if cache.loaded else None
    if cache_path is not None and _worth_storing(parsed, len(used) + len(deferred), cached):
        values = cache.values
        used.update((key, values[key]) for key in deferred if key in values)
        # (only the entries still used; in marshal's format 2, without shared references:
        # their bookkeeping took half of the time, and the file is read by few runs)
        rest = {key: value for key, value in used.items() if key not in in_received}
        write = partial(store_value, cache_path, (READER_VERSION, rest, received), 2)
        if write_later is None:
            write()
        else:
            write_later.append(write)
    if kept is not None:  # (``serve`` defers nothing)
        kept.clear()
        kept.update(used)


def _worth_storing(parsed: int, used: int, cached: int | None) -> bool:
    """Whether to rewrite the parsed-value cache: not after a few edits (26 MB at 1,000
    cadres, written in 0.2 s, for files parsed in a millisecond each: they are parsed again
    until enough have changed) while the entries no file uses any more (old versions of
    edited files) are a tenth of it or less.  ``cached``: None when the cache file was not
    read (then only enough edits are worth reading it for)."""
    if cached is None:
        return parsed >= REWRITE_MIN_FILES
    stale = cached - (used - parsed)
    return cached == 0 or parsed >= REWRITE_MIN_FILES or stale > cached // 10


def _read_one(
    path: str,
    rel: str,
    is_note: bool,
    max_bytes: int,
    later: Later,
    defer: Callable[[str, bytes], bool] | None = None,
    key: bytes | None = None,
) -> FileRead | ToParse:
    """The result of one file when it is at hand (cached, deferred or unreadable);
    otherwise what :func:`_parse_chunk` needs to parse it.  ``later``: where a deferred
    file's value will be; ``key``: its content key as the walk just before found it (the
    file is then not read when its parsed value is in the cache)."""
    cache = later.cache
    if key is not None and (defer is None or cache.worth_reading()):
        hit = cache.get(key)
        if hit is not None:
            return FileRead(rel, hit[0], hit[1], [], key)
    raw, diags = read_bytes(path, rel, max_bytes)
    if raw is None:
        return FileRead(rel, None, "", diags)
    key = content_key(is_note, file_hash(raw))  # (what was read, whatever the walk found)
    text, diags = decode(raw, rel)
    if text is None:
        return FileRead(rel, None, "", diags)
    if defer is not None:
        if defer(rel, key):  # (the walk had not hashed it, its content is the same)
            return FileRead(rel, digest=key, later=later, is_note=is_note)
        if not cache.worth_reading():  # (a changed file, most likely not in it)
            return (rel, is_note, text, key)
    hit = cache.get(key)
    if hit is not None:
        return FileRead(rel, hit[0], hit[1], [], key)
    return (rel, is_note, text, key)



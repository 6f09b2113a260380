"""Read many data files at once: a content-hash cache, then parallel parsing of the rest.

1. Every file is read and hashed in this process (cheap: ~40 µs a file).
2. Files whose hash is in the cache get their parsed value from it — the cache holds only
   plain values (dicts, lists, strings) of files that parsed without a diagnostic, keyed by
   the hash of the reader version, the file kind and the text; so it can never be a source
   of stale output, and deleting ``.zhilian-cache/`` is always safe.
3. The others are parsed — in worker processes when there are many (results come back in
   order, so the outcome is the same as a serial run), here otherwise.

Validation stays in the calling process: pydantic models cost more to send between
processes than to build.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhilian.diagnostics import Diagnostic
from zhilian.read.cache_file import load_value, store_value
from zhilian.read.front_matter import parse_note
from zhilian.read.stamps import Signature, Stamps, signature
from zhilian.read.yaml_reader import parse_yaml, read_file, top_level_not_mapping
from zhilian.workers import parallel_map, worker_count

#: Bump when a change to the reader could change a parsed value.
READER_VERSION = "1"
CACHE_FILE = "parsed.marshal"
#: The stamps give content keys, which name the reader version: another version's stamps
#: could lead to its own parsed values, still in the cache file the first time.
STAMPS_FILE = "stamps-data-{version}.marshal"
#: Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 1500


@dataclass(slots=True)
class FileRead:
    rel: str
    value: Any = None  # the plain value (a note's front matter), None on error
    body: str = ""  # a note's Markdown body
    diags: list[Diagnostic] = field(default_factory=list)
    digest: bytes = b""  # content key of the text (what later stages key their caches on)


def _key(is_note: bool, text: str) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{READER_VERSION}:{int(is_note)}:".encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.digest()


def parse_text(rel: str, is_note: bool, text: str) -> FileRead:
    """Parse one decoded file: a YAML mapping, or a note's front matter and body."""
    if is_note:
        front, body, _offset, diags = parse_note(text, rel)
        return FileRead(rel, front, body, diags)
    value, diags = parse_yaml(text, rel)
    if value is not None and not isinstance(value, dict):
        return FileRead(rel, None, "", [top_level_not_mapping(text, rel, value)])
    return FileRead(rel, value, "", diags)


def _parse_chunk(chunk: list[tuple[str, bool, str]]) -> list[FileRead]:
    return [parse_text(rel, is_note, text) for rel, is_note, text in chunk]


def _load_cache(path: Path | None) -> dict[bytes, tuple[Any, str]]:
    cache = load_value(path) if path is not None else None
    return cache if isinstance(cache, dict) else {}  # a damaged cache is just a cold start


def _chunks(items: list[tuple[str, bool, str]], jobs: int) -> Iterable[list[tuple[str, bool, str]]]:
    size = max(50, len(items) // (jobs * 8))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_files(
    root: Path,
    files: list[tuple[str, bool]],
    max_bytes: int,
    *,
    jobs: int = 0,
    cache_dir: Path | None = None,
    kept: dict[bytes, tuple[Any, str]] | None = None,
    stamps: Stamps | None = None,
) -> dict[str, FileRead]:
    """Read ``files`` ((path relative to root, is a note) pairs) → results by path.

    ``kept``: the parsed values a long-running process (``serve``) holds in memory; used
    instead of reading the cache file when it has any, and updated to this run's entries.
    ``stamps`` (``serve`` too): the content keys of files read before, by stat signature —
    an unchanged file whose parsed value is at hand is then not even read; without, they
    are kept in ``cache_dir`` (``read.stamps``).
    """
    cache_path = cache_dir / CACHE_FILE if cache_dir is not None else None
    stamps_path = None
    if cache_dir is not None and stamps is None:
        stamps_path = cache_dir / STAMPS_FILE.format(version=READER_VERSION)
        stamps = Stamps.load(stamps_path)
    cache = kept if kept else _load_cache(cache_path)
    results: dict[str, FileRead] = {}
    used: dict[bytes, tuple[Any, str]] = {}
    todo: list[tuple[str, bool, str]] = []
    keys: dict[str, bytes] = {}
    base = f"{root}{os.sep}"
    for rel, is_note in files:
        path = base + rel  # a str: Path() per file is costly
        if stamps is not None:
            sig = _signature(path, max_bytes)
            key = stamps.get(rel, sig) if sig is not None else None
            hit = cache.get(key) if key is not None else None
            if hit is not None:
                results[rel] = FileRead(rel, hit[0], hit[1], [], key)
                used[key] = hit
                continue
            read_at = time.time_ns()
        text, diags = read_file(path, rel, max_bytes)
        if text is None:
            results[rel] = FileRead(rel, None, "", diags)
            continue
        key = _key(is_note, text)
        if stamps is not None and sig is not None:
            stamps.put(rel, sig, key, read_at)
        hit = cache.get(key)
        if hit is not None:
            results[rel] = FileRead(rel, hit[0], hit[1], [], key)
            used[key] = hit
        else:
            keys[rel] = key
            todo.append((rel, is_note, text))

    workers = worker_count(jobs)
    if len(todo) >= PARALLEL_MIN_FILES and workers > 1:
        # The workers need nothing but the texts sent.
        chunks = list(_chunks(todo, workers))
        parsed = [r for chunk in parallel_map(_parse_chunk, chunks, workers) for r in chunk]
    else:
        parsed = _parse_chunk(todo)
    for result in parsed:
        result.digest = keys[result.rel]
        results[result.rel] = result
        if not result.diags and result.value is not None:
            used[keys[result.rel]] = (result.value, result.body)

    if cache_path is not None and (todo or len(used) != len(cache)):
        store_value(cache_path, used)  # only the entries this deployment still uses
    if kept is not None:
        kept.clear()
        kept.update(used)
    if stamps is not None:
        stamps.finish()
        if stamps_path is not None:
            stamps.save(stamps_path)
    return results


def _signature(path: str, max_bytes: int) -> Signature | None:
    """The stat signature of a regular file within the size limit (what ``read_file``
    would accept); None otherwise, and then the file is read and judged as usual."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        return None
    return signature(st)

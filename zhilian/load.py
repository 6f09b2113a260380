"""Stage 1–2: read every data file and validate it into models.

Everything is read before anything is written (as Pelican does): a :class:`Deployment`
holds the whole validated data set, and the diagnostics list holds every problem found on
the way, so one run reports them all.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import operator
import os
import re
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from .diagnostics import Diagnostic, error, warning
from .model.config import SiteConfig
from .model.data import (
    Branch,
    BranchesFile,
    Cadre,
    Committee,
    CommitteesFile,
    DormGroup,
    DormGroupsFile,
    NoteFront,
    SurveyFile,
    SurveyResult,
)
from .model.validate import validate
from .paths import CACHE_DIR
from .read import read_yaml as read_mapping
from .read.batch import READER_VERSION, FileRead, Later, stream_files, walked_key
from .read.cache_file import load_value, store_value
from .read.stamps import Entry, Stamps, Walk
from .records import CadreRecords

M = TypeVar("M", bound=BaseModel)

CONFIG_FILE = "site_config.yml"
CADRE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NOTE_NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
SURVEY_NAME_RE = re.compile(r"^(\d{4})\.yml$")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")

#: in ``CACHE_DIR``: the parsed values of the few other data files (org, surveys) as the
#: last run found them, by path and content (:func:`_read_few`)
FEW_FILE = "parsed-few.marshal"

#: the few files' parsed values by path and content → (value, the reader's diagnostics)
FewParsed = dict[tuple[str, bytes], tuple[Any, list[Diagnostic]]]


@dataclass
class Note:
    cadre: str
    rel: str  # data/notes/<cadre>/<file>.md
    slug: str  # file stem: <date>-<slug>
    front: NoteFront
    body: str  # Markdown, untrusted


class DeferredNote(Note):
    """A note whose file a run validated without a finding, unchanged since: its front
    matter is validated when first read (``Cadres`` says why).  Such a note's date is the
    one its file name starts with (else S011 would have been a finding)."""

    def __init__(self, cadre: str, rel: str, slug: str, key: bytes, later: Later) -> None:
        # (``front`` and ``body``: when first asked for)
        self.cadre, self.rel, self.slug, self._key, self._later = cadre, rel, slug, key, later

    def __getattr__(self, name: str) -> Any:  # only for what the instance lacks
        if name not in ("front", "body"):
            raise AttributeError(name)
        value, self.body = self._later.parsed(self.rel, True, self._key)
        self.front = _revalidated(NoteFront, value, self.rel)
        return getattr(self, name)


def _revalidated(model: type[M], value: Any, rel: str) -> M:
    """The model of a deferred file, which validated without a finding before."""
    instance, diags = validate(model, value, rel)
    if instance is None or diags:  # the same content and code: cannot happen
        raise RuntimeError(f"{rel} 与上次验证的结果不同")
    return instance


_SLUG = operator.attrgetter("slug")
_NAME = operator.attrgetter("name")


def _note_order(note: Note) -> tuple[dt.date, str]:
    """Notes by date, then name (a deferred note's date from its name: not validated)."""
    if isinstance(note, DeferredNote) and "front" not in note.__dict__:
        return dt.date.fromisoformat(note.slug[:10]), note.slug
    return note.front.date, note.slug


class Cadres(MutableMapping[str, Cadre]):
    """The cadres by id, in their files' order.  A cadre whose file a run validated without a
    finding, unchanged since (the same content key), is validated again only when first
    looked up: a rebuild after an edit of another cadre looks up only that one, as every
    stage's result for the others is in the records (``records``)."""

    def __init__(self) -> None:
        self._cadres: dict[str, Cadre | FileRead] = {}

    def defer(self, cadre_id: str, read: FileRead) -> None:
        self._cadres[cadre_id] = read

    def __getitem__(self, cadre_id: str) -> Cadre:
        found = self._cadres[cadre_id]
        if isinstance(found, FileRead):
            found = self._cadres[cadre_id] = _revalidated(Cadre, found.parsed()[0], found.rel)
        return found

    def __setitem__(self, cadre_id: str, cadre: Cadre) -> None:
        self._cadres[cadre_id] = cadre

    def __delitem__(self, cadre_id: str) -> None:
        del self._cadres[cadre_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cadres)

    def __len__(self) -> int:
        return len(self._cadres)

    def __contains__(self, cadre_id: object) -> bool:
        return cadre_id in self._cadres


@dataclass
class Deployment:
    root: Path
    config: SiteConfig
    committees: dict[str, Committee] = field(default_factory=dict)
    branches: dict[str, Branch] = field(default_factory=dict)
    dorm_groups: dict[str, DormGroup] = field(default_factory=dict)
    cadres: MutableMapping[str, Cadre] = field(default_factory=Cadres)  # id → cadre, by id
    notes: dict[str, list[Note]] = field(default_factory=dict)  # cadre id → notes by date
    surveys: dict[int, dict[str, SurveyResult]] = field(default_factory=dict)
    photos: dict[str, Path] = field(default_factory=dict)  # file name → path
    sources: dict[str, bytes] = field(default_factory=dict)  # cadre/note file → content key
    #: cadre or note file → content key, of the files validated without a finding: the next
    #: run validates them only when looked at (``Cadres``, ``DeferredNote``)
    clean: dict[str, bytes] = field(default_factory=dict)
    #: the cadre and note files this load read (the others, deferred, are in ``clean`` as
    #: an earlier run left them: only these can have changed there)
    read: list[str] = field(default_factory=list)

    @staticmethod
    def cadre_file(cadre_id: str) -> str:
        return f"data/cadres/{cadre_id}.yml"


@dataclass
class CadreLoad:
    """What one cadre's files (its file, then its notes) gave a load: taken as it is by a
    later load while every one of those files has the same content key (``serve``)."""

    files: tuple[tuple[str, bytes], ...]  # (path, content key) of each file, in load order
    cadre: Cadre | None
    notes: list[Note]
    #: the files' diagnostics (files with some only): copies no later stage has changed
    #: (they set positions and owners on the ones they get)
    diags: dict[str, list[Diagnostic]]


@dataclass
class Memo:
    """What a long-running process (``serve``) keeps from one build to the next, so that a
    rebuild parses and validates only the files that changed.

    Both maps are keyed by file content (``FileRead.digest``; the validations by path too,
    as their diagnostics name the file), never by time, so a memo cannot make a build stale;
    each load keeps only the entries it used.  Validated models are shared between builds:
    no stage changes a model after validation.  The fingerprint's stamps give a file's
    content hash without reading it while its stat signature is unchanged (``read.stamps``
    says why that is safe).
    """

    parsed: dict[bytes, tuple[Any, str]] = field(default_factory=dict)
    #: by model, content and path (a file renamed with the same content is validated again)
    validated: dict[tuple[type[BaseModel], bytes, str], tuple[Any, list[Diagnostic]]] = field(
        default_factory=dict
    )
    used: dict[tuple[type[BaseModel], bytes, str], tuple[Any, list[Diagnostic]]] = field(
        default_factory=dict
    )
    #: the content hashes of every file the fingerprint reads, by stat signature (see
    #: ``read.stamps``): the load goes by them too
    fingerprint_stamps: Stamps = field(default_factory=Stamps)
    #: each stage's per-cadre results (``records``)
    records: CadreRecords = field(default_factory=CadreRecords)
    #: each cadre's load result, by the content keys of its files (:func:`load`)
    cadres: dict[str, CadreLoad] = field(default_factory=dict)
    #: the few other data files (org, surveys) parsed, by path and content (:func:`_read_few`)
    few: FewParsed = field(default_factory=dict)
    #: the digest of the code and templates of the last build that succeeded (``build``)
    built_with: bytes = b""

    def validate(self, model: type[M], read: FileRead) -> tuple[M | None, list[Diagnostic]]:
        key = (model, read.digest, read.rel)
        found = self.validated.get(key)
        if found is None:
            found = validate(model, read.value, read.rel)
        self.used[key] = found
        # Later stages set positions and owners on diagnostics: each build gets copies.
        return found[0], [copy.copy(d) for d in found[1]]

    def keep(self, files: tuple[tuple[str, bytes], ...]) -> None:
        """Keep the validations of a cadre's files (its file, then its notes) that a load
        took with the rest of its result (:attr:`cadres`): should one of them change, the
        others are not validated again."""
        validated, used = self.validated, self.used
        for index, (rel, digest) in enumerate(files):
            key = (NoteFront if index else Cadre, digest, rel)
            found = validated.get(key)
            if found is not None:
                used[key] = found

    def finish(self) -> None:
        self.validated, self.used = self.used, {}


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def read_yaml(root: Path, path: Path, max_bytes: int) -> tuple[Any, list[Diagnostic]]:
    """Read one YAML data file whose top level must be a mapping."""
    value, _text, diags = read_mapping(path, _rel(root, path), max_bytes)
    return value, diags


def _read_few(
    dep: Deployment, path: Path, known: FewParsed, kept: FewParsed
) -> tuple[Any, list[Diagnostic]]:
    """``read_yaml`` of an org or survey file, unless ``known`` has its parse (by content:
    ``serve``'s memo, or the cache file); ``kept`` collects what this load used, for the
    next."""
    max_bytes = dep.config.limits.max_file_bytes
    try:
        key = (str(path), hashlib.blake2b(path.read_bytes(), digest_size=16).digest())
    except OSError:
        return read_yaml(dep.root, path, max_bytes)
    found = known.get(key) or read_yaml(dep.root, path, max_bytes)
    kept[key] = found
    # (the value is shared, as validation never changes one; later stages set positions
    # on diagnostics: copies)
    return found[0], [copy.copy(d) for d in found[1]]


def load_config(root: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, [error("X001", CONFIG_FILE, "找不到站点配置文件 site_config.yml", line=1, col=1)]
    raw, diags = read_yaml(root, path, 1_048_576)
    if raw is None:
        return None, diags
    config, schema_diags = validate(SiteConfig, raw, CONFIG_FILE)
    for d in schema_diags:
        d.hint = d.hint or "按手册“站点配置”修改 site_config.yml。"
    return config, diags + schema_diags


class ConfigError(Exception):
    """site_config.yml is missing or invalid (or git cannot answer): exit code 2."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("site_config.yml 有误")
        self.diagnostics = diagnostics


def read_config(root: Path) -> SiteConfig:
    config, diags = load_config(root)
    if config is None or any(d.is_error for d in diags):
        raise ConfigError(diags)
    return config


def _load_org(dep: Deployment, diags: list[Diagnostic], known: FewParsed, kept: FewParsed) -> None:
    specs: list[tuple[str, type[Any], str, dict[str, Any]]] = [
        ("committees", CommitteesFile, "分团委", dep.committees),
        ("branches", BranchesFile, "团支部", dep.branches),
        ("dorm_groups", DormGroupsFile, "宿舍团小组", dep.dorm_groups),
    ]
    for key, model, label, target in specs:
        path = dep.root / "data" / "org" / f"{key}.yml"
        rel = _rel(dep.root, path)
        if not path.is_file():
            diags.append(error("Y015", rel, f"缺少{label}名单文件 {rel}", line=1, col=1))
            continue
        raw, file_diags = _read_few(dep, path, known, kept)
        diags += file_diags
        if raw is None:
            continue
        parsed, schema_diags = validate(model, raw, rel)
        diags += schema_diags
        if parsed is None:
            continue
        for index, unit in enumerate(getattr(parsed, key)):
            if unit.id in target:
                diags.append(
                    error("R008", rel, f"{label}编号“{unit.id}”重复", path=(key, index, "id"))
                )
            target[unit.id] = unit


def _cadre_id(rel: str) -> str:
    """The id in a cadre file's path, ``data/cadres/<id>.yml`` (strings: 1,000 ``Path``
    objects cost 0.01 s)."""
    return rel.rsplit("/", 1)[1].removesuffix(".yml")


def _cadre_files(data: _DataFolder, diags: list[Diagnostic]) -> list[str]:
    """data/cadres/<id>.yml paths (relative), reporting misnamed files."""
    found = []
    for name in data.names_at(f"{data.path}{os.sep}cadres"):
        rel = f"data/cadres/{name}"
        if name.startswith(".") or name.lower() == "readme.md":
            continue
        stem, suffix = os.path.splitext(name)
        if suffix != ".yml" or not CADRE_ID_RE.match(stem):
            diags.append(
                error("Y014", rel, f"团干部文件名“{name}”不符合约定 <编号>.yml", line=1, col=1)
            )
            continue
        found.append(rel)
    return found


def _note_files(data: _DataFolder, diags: list[Diagnostic], known: set[str]) -> list[str]:
    """data/notes/<cadre>/<date>-<slug>.md paths (relative), reporting misplaced files.
    (Plain strings and ``scandir``: a province has 20,000+ notes.)"""
    found = []
    for cadre_dir in data.entries("notes"):
        if cadre_dir.name.startswith("."):
            continue
        cadre_id = cadre_dir.name
        if not cadre_dir.is_dir():
            diags.append(
                error("Y014", f"data/notes/{cadre_id}", "活动记录应放在 data/notes/<编号>/ 文件夹中",
                      line=1, col=1)
            )
            continue
        for name in data.names_at(cadre_dir.path):
            rel = f"data/notes/{cadre_id}/{name}"
            if name.startswith("."):
                continue
            if not NOTE_NAME_RE.match(name):
                diags.append(
                    error("Y014", rel, f"活动记录文件名“{name}”应为 YYYY-MM-DD-名称.md",
                          line=1, col=1, cadre=cadre_id)
                )
            elif cadre_id not in known:
                diags.append(
                    error("R004", rel, f"文件夹 data/notes/{cadre_id}/ 没有对应的团干部文件 "
                          f"data/cadres/{cadre_id}.yml", line=1, col=1, cadre=cadre_id)
                )
            else:
                found.append(rel)
    return found


class _DataFolder:
    """The folders under ``data/``: listed here, or taken from the walk just before
    (the fingerprint's), whose paths are the resolved root's."""

    def __init__(self, root: Path, walked: Walk | None) -> None:
        self.walked = walked
        self.root = f"{root.resolve() if walked else root}{os.sep}"
        self.path = f"{self.root}data"
        #: a data file's hash and size as the walk found them (``rel``: ``data/…``), if it did
        self.hashed: Callable[[str], tuple[bytes, int] | None] = (
            walked.hashed_under(self.root) if walked is not None else lambda rel: None
        )

    def entries(self, name: str) -> list[os.DirEntry[str]]:
        return self.entries_at(f"{self.path}{os.sep}{name}")

    def entries_at(self, folder: str) -> list[Entry]:
        """The entries of ``folder`` sorted by name ([] when it is not a folder)."""
        if self.walked is not None:
            seen = self.walked.entries(folder)
            if seen is not None:
                return seen
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=_NAME)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def names_at(self, folder: str) -> list[str]:
        """The names in ``folder``, sorted ([] when it is not a folder)."""
        names = self.walked.names(folder) if self.walked is not None else None
        return names if names is not None else [entry.name for entry in self.entries_at(folder)]


def _validated(
    model: type[M], read: FileRead, cadre_id: str, diags: list[Diagnostic], memo: Memo | None
) -> M | None:
    """The model of one cadre's file (or note); its diagnostics are that cadre's."""
    found = list(read.diags)
    instance = None
    if read.value is not None:
        if memo is not None and read.digest:
            instance, schema_diags = memo.validate(model, read)
        else:
            instance, schema_diags = validate(model, read.value, read.rel)
        found += schema_diags
    for d in found:
        d.cadre = cadre_id
    diags += found
    return instance


def _add_cadre(
    dep: Deployment, read: FileRead, diags: list[Diagnostic], memo: Memo | None
) -> None:
    cadre_id = _cadre_id(read.rel)
    if read.later is not None and isinstance(dep.cadres, Cadres):  # (deferred by the reader)
        dep.cadres.defer(cadre_id, read)
        dep.clean[read.rel] = read.digest
        return
    found = len(diags)
    cadre = _validated(Cadre, read, cadre_id, diags, memo)
    if cadre is not None:
        dep.cadres[cadre_id] = cadre
        if len(diags) == found and read.digest:
            dep.clean[read.rel] = read.digest


def _add_note(
    dep: Deployment, read: FileRead, diags: list[Diagnostic], memo: Memo | None
) -> None:
    _, cadre_id, name = read.rel.rsplit("/", 2)  # data/notes/<cadre>/<name>.md
    slug = name.removesuffix(".md")
    found = len(diags)
    front = _validated(NoteFront, read, cadre_id, diags, memo)
    if front is None:
        return
    named = name[:10]
    if front.date.isoformat() != named:
        diags.append(
            warning("S011", read.rel, f"文件名中的日期 {named} 与 date {front.date.isoformat()} "
                    "不一致", path=("date",), cadre=cadre_id)
        )
    dep.notes[cadre_id].append(Note(cadre_id, read.rel, slug, front, read.body))
    if len(diags) == found and read.digest:
        dep.clean[read.rel] = read.digest


def _add_deferred_notes(dep: Deployment, found: list[tuple[str, bytes]], later: Later) -> None:
    """The notes the reader deferred (``stream_files``), unchanged since a run found them
    clean: made here in a loop of their own (a province has 22,000 of them)."""
    notes, sources, clean = dep.notes, dep.sources, dep.clean
    for rel, key in found:
        _, cadre_id, name = rel.rsplit("/", 2)  # data/notes/<cadre>/<name>.md
        notes[cadre_id].append(DeferredNote(cadre_id, rel, name.removesuffix(".md"), key, later))
        sources[rel] = clean[rel] = key


def _load_surveys(
    dep: Deployment, diags: list[Diagnostic], known: FewParsed, kept: FewParsed
) -> None:
    folder = dep.root / "data" / "surveys"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        rel = _rel(dep.root, path)
        match = SURVEY_NAME_RE.match(path.name)
        if not match:
            if not path.name.startswith("."):
                diags.append(error("Y014", rel, "调查结果文件名应为 <年份>.yml", line=1, col=1))
            continue
        raw, file_diags = _read_few(dep, path, known, kept)
        diags += file_diags
        if raw is None:
            continue
        survey, schema_diags = validate(SurveyFile, raw, rel)
        diags += schema_diags
        if survey is not None:
            dep.surveys[int(match.group(1))] = survey.root


def _load_photos(dep: Deployment) -> None:
    folder = dep.root / "data" / "photos"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix.lower() in PHOTO_SUFFIXES and path.is_file():
            dep.photos[path.name] = path


def load(
    root: Path,
    config: SiteConfig,
    *,
    jobs: int = 0,
    cache: bool = True,
    memo: Memo | None = None,
    clean: dict[str, bytes] | None = None,
    walked: Walk | None = None,
    write_later: list[Callable[[], None]] | None = None,
) -> tuple[Deployment, list[Diagnostic]]:
    """Read and validate every data file under ``root``; never raises on bad data.

    The many files (cadres, notes) are read in one batch — cached by content and parsed
    in parallel when there are many (``zhilian.read.batch``); the few (org, surveys) here.
    With a ``memo`` (``serve``), unchanged files are neither parsed nor validated again.
    ``clean``: the cadre and note files an earlier run validated without a finding, by
    content key (``Deployment.clean`` of that run): the reader defers those unchanged, and
    they are validated when looked at (``Cadres``, ``DeferredNote``).  ``walked``: a walk
    over the files just taken (the fingerprint's): its folder listings stand in for the
    load's own, and the content hashes it found give a file's key without reading it
    (without a walk, every file is read).  ``write_later``: see ``read.batch.stream_files``.
    """
    dep = Deployment(root=root, config=config)
    diags: list[Diagnostic] = []
    # The org and survey files' parses, by content: kept in memory by ``serve``, in a
    # small cache file by ``build`` and ``check`` (parsing them took 15 ms of a rebuild).
    few_file = root / CACHE_DIR / FEW_FILE if cache and memo is None else None
    known = memo.few if memo is not None else _stored_few(few_file)
    few: FewParsed = {}
    _load_org(dep, diags, known, few)
    data = _DataFolder(root, walked)
    cadre_files = _cadre_files(data, diags)
    # Notes of a cadre whose file fails validation still belong to a known cadre.
    note_files = _note_files(data, diags, {_cadre_id(rel) for rel in cadre_files})
    files = [(rel, False) for rel in cadre_files] + [(rel, True) for rel in note_files]
    for rel in note_files:  # (the notes by cadre, in the folders' order)
        dep.notes.setdefault(rel.split("/", 3)[2], [])
    groups = _by_cadre(files) if memo is not None else {}
    reused = _reusable(dep, groups, memo, data) if memo is not None else {}
    skipped = {rel for load in reused.values() for rel, _ in load.files}
    reads = stream_files(
        root,
        [(rel, is_note) for rel, is_note in files if rel not in skipped] if skipped else files,
        config.limits.max_file_bytes,
        jobs=jobs,
        cache_dir=root / CACHE_DIR if cache else None,
        kept=memo.parsed if memo is not None else None,
        hashed=data.hashed if walked is not None else None,
        carried=_parsed(reused, memo),
        # (``serve`` keeps the validated models in its memo instead of deferring any)
        defer=(lambda rel, key: clean.get(rel) == key) if clean and memo is None else None,
        deferred_notes=partial(_add_deferred_notes, dep),
        write_later=write_later,
    )
    # With a memo, each file's diagnostics are kept apart: they go with its cadre's result.
    per_file: dict[str, list[Diagnostic]] = {}
    validated: set[str] = set()  # the cadres with a note validated now
    with closing(reads):  # on an error here, the workers stop at once
        # validated as they come, while the last files are being parsed
        for read in reads:
            dep.sources[read.rel] = read.digest
            if read.later is None:
                dep.read.append(read.rel)
            found = per_file.setdefault(read.rel, []) if memo is not None else diags
            if read.rel.startswith("data/notes/"):
                _add_note(dep, read, found, memo)
                if read.later is None:
                    validated.add(read.rel.rsplit("/", 2)[1])
            else:
                _add_cadre(dep, read, found, memo)
    if memo is not None:
        _keep_loads(dep, groups, reused, per_file, memo)
        diags += [d for rel, _ in files for d in per_file.get(rel, ())]  # in the files' order
        memo.finish()
    for cid in [cid for cid, notes in dep.notes.items() if not notes]:
        del dep.notes[cid]  # (a cadre whose notes all failed: as if it had none)
    for cid, notes in dep.notes.items():
        # Deferred notes' dates are their names' first ten characters (ISO dates): their
        # names alone give the order (23,000 dates parsed cost 0.03 s).
        notes.sort(key=_note_order if memo is not None or cid in validated else _SLUG)
    _load_surveys(dep, diags, known, few)
    if memo is not None:
        memo.few = few
    elif few_file is not None and few.keys() != known.keys():
        clean = {key: value for key, (value, found) in few.items() if not found}
        store_value(few_file, (READER_VERSION, clean))
    _load_photos(dep)
    return dep, diags


def _stored_few(file: Path | None) -> FewParsed:
    """What :func:`load` stored in ``file``: the parses of the few files that had no
    finding (empty when missing, damaged or made by another reader)."""
    stored = load_value(file) if file is not None else None
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == READER_VERSION
            and isinstance(stored[1], dict)):
        return {}
    return {key: (value, []) for key, value in stored[1].items()}


def _by_cadre(files: list[tuple[str, bool]]) -> dict[str, list[str]]:
    """The files of each cadre (its file, then its notes), in the files' order."""
    groups: dict[str, list[str]] = {}
    for rel, _ in files:
        groups.setdefault(rel.split("/", 3)[2].removesuffix(".yml"), []).append(rel)
    return groups


def _reusable(
    dep: Deployment, groups: dict[str, list[str]], memo: Memo, data: _DataFolder
) -> dict[str, CadreLoad]:
    """The cadres whose every file the walk just before found with the same content keys
    as the kept load result: that result is taken as it is (the walk's stat calls are all
    a rebuild of ``serve`` spends on them)."""
    max_bytes, sources = dep.config.limits.max_file_bytes, dep.sources
    reused = {}
    for cid, rels in groups.items():
        kept = memo.cadres.get(cid)
        if kept is None or len(kept.files) != len(rels):
            continue
        for (rel, key), listed in zip(kept.files, rels, strict=True):
            is_note = rel.startswith("data/notes/")
            if rel != listed or walked_key(data.hashed(rel), is_note, max_bytes) != key:
                break
        else:
            reused[cid] = kept
            sources.update(kept.files)
            memo.keep(kept.files)
    return reused


def _parsed(
    reused: dict[str, CadreLoad], memo: Memo | None
) -> dict[bytes, tuple[Any, str]] | None:
    """The parsed values the memo holds of the reused cadres' files (kept for the next)."""
    if memo is None or not reused:
        return None
    parsed = memo.parsed
    return {
        key: parsed[key] for load in reused.values() for _, key in load.files if key in parsed
    }


def _keep_loads(
    dep: Deployment,
    groups: dict[str, list[str]],
    reused: dict[str, CadreLoad],
    per_file: dict[str, list[Diagnostic]],
    memo: Memo,
) -> None:
    """Put the reused cadres' results into ``dep`` and ``per_file``, in the files' order,
    and keep this load's result of every cadre for the next."""
    cadres, notes = dep.cadres, dep.notes
    dep.cadres, dep.notes = {}, {}
    kept: dict[str, CadreLoad] = {}
    for cid, rels in groups.items():
        load = reused.get(cid)
        if load is None:
            found = {rel: [copy.copy(d) for d in per_file[rel]] for rel in rels if per_file[rel]}
            load = CadreLoad(
                tuple((rel, dep.sources.get(rel, b"")) for rel in rels),
                cadres.get(cid), notes.get(cid, []), found,
            )
        else:
            per_file.update({rel: [copy.copy(d) for d in found] for rel, found in load.diags.items()})
        if load.cadre is not None:
            dep.cadres[cid] = load.cadre
        if load.notes:
            dep.notes[cid] = list(load.notes)
        if all(key for _, key in load.files):  # a file read without a content key is not kept
            kept[cid] = load
    memo.cadres = kept


def today_default() -> dt.date:
    return dt.date.today()

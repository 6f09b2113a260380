"""Long sequences of random edits: every way of building must keep giving a cold build's
answer.

``test_incremental`` proves it for each kind of edit alone, from one state.  Here a seeded
sequence of small edits, several cadres at a time — a youth copied into a second cadre's
list or dropped from one, a political status or a name changed, a note made public or
private, a youth's name written into a note, notes added, renamed and deleted, consent
withdrawn, a unit renamed, a new photo, days passing — runs through three builds after
every step:

- ``serve``'s build process (its memo and per-cadre records kept from step to step; a
  rebuild after a small edit runs in one process, its workbook made by the helper);
- the command line with its caches (``--jobs 2``: the page cache, the parse cache, the
  memo);
- a cold build of a copy without any cache.

All three must exit alike, report the same diagnostics and, when they build, write the same
bytes; the command line run again with nothing changed (answered from its memo after a
success) must answer alike.  Some edits break a rule (a youth's attributes no longer agree
across files, a note names someone no longer listed, a public note names a youth, a value
no schema allows); the next step then undoes the breaking edit (or first renames the files
it broke, which the findings must then name), so the sequence also goes through failed
builds and the ones after them.

Found this way: ``serve`` kept a cadre's results while its notes' contents were the same,
though one had been renamed (a note's file name is its address: a stale page), and reported
a renamed broken file's findings at its old name (validations were kept by content alone).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.core.test_cache_parallel import tree
from tests.core.test_incremental import _replace
from zhilian import build, load, records
from zhilian.build import build_site
from zhilian.cli import make_parser
from zhilian.demo import generate
from zhilian.read import stamps
from zhilian.reporters import TextReporter
from zhilian.workers import Helper
from zhilian.write import SiteManifest, SpareFolders

TODAY = "2026-11-20"
#: a few short sequences here; for a longer hunt, e.g.
#: ``ZHILIAN_SEQ_SEEDS=1,2,3,4,5,6 ZHILIAN_SEQ_STEPS=30 pytest tests/core/test_edit_sequences.py``
SEEDS = [int(s) for s in os.environ.get("ZHILIAN_SEQ_SEEDS", "1,2").split(",")]
STEPS = int(os.environ.get("ZHILIAN_SEQ_STEPS", "14"))
REPO = Path(__file__).resolve().parents[2]
NAMES = ["欧阳青", "司马岚", "上官越", "诸葛晨", "皇甫宁"]
STATUSES = ["中共党员", "中共预备党员", "共青团员", "群众"]

Edit = Callable[[Path, random.Random], str]


def _cadres(root: Path) -> list[Path]:
    return sorted((root / "data" / "cadres").glob("*.yml"))


def _notes(root: Path) -> list[Path]:
    return sorted((root / "data" / "notes").rglob("*.md"))


def _entries(text: str) -> list[str]:
    """A cadre file's youth entries, each as written (``  - id: …`` and its lines)."""
    return re.findall(r"^  - id: .*\n(?:    .*\n)*", text.split("\nyouth:\n", 1)[1], re.M)


def _rewrite(path: Path, pattern: str, new: Callable[[re.Match[str]], str]) -> None:
    """The first match of ``pattern`` (lines: ``^`` and ``$``) becomes ``new(match)``."""
    found = re.search(pattern, path.read_text(encoding="utf-8"), re.M)
    assert found, (path, pattern)
    _replace(path, found.group(0), new(found))


def retitle(root: Path, rng: random.Random) -> str:
    cadre = rng.choice(_cadres(root))
    _rewrite(cadre, r"^title: .+$", lambda m: f"{m.group(0)}{rng.randrange(100)}")
    return cadre.stem


def rename_youth(root: Path, rng: random.Random) -> str:
    cadre = rng.choice(_cadres(root))
    named = [e for e in _entries(cadre.read_text("utf-8")) if "\n    name: " in e]
    entry = rng.choice(named)
    _replace(cadre, entry, re.sub(r"\n    name: \S+", f"\n    name: {rng.choice(NAMES)}", entry))
    return cadre.stem


def change_status(root: Path, rng: random.Random) -> str:
    cadre = rng.choice(_cadres(root))
    entry = rng.choice(_entries(cadre.read_text("utf-8")))
    status = rng.choice(STATUSES)
    _replace(cadre, entry, re.sub(r"political_status: \S+", f"political_status: {status}", entry))
    return cadre.stem


def copy_youth(root: Path, rng: random.Random) -> str:
    """Another cadre lists the same youth too (an overlap, and a second holder)."""
    source, target = rng.sample(_cadres(root), 2)
    entry = rng.choice(_entries(source.read_text("utf-8")))
    text = target.read_text("utf-8")
    target.write_text(text.rstrip("\n") + "\n" + entry, encoding="utf-8")
    return f"{source.stem} → {target.stem}"


def drop_youth(root: Path, rng: random.Random) -> str:
    cadre = rng.choice(_cadres(root))
    _replace(cadre, rng.choice(_entries(cadre.read_text("utf-8"))), "")
    return cadre.stem


def end_contact(root: Path, rng: random.Random) -> str:
    """A youth's contact ends (``until``): no longer on the current list."""
    cadre = rng.choice(_cadres(root))
    entry = rng.choice([e for e in _entries(cadre.read_text("utf-8")) if "until:" not in e])
    _replace(cadre, entry, entry + "    until: 2026-10-01\n")
    return cadre.stem


def toggle_public(root: Path, rng: random.Random) -> str:
    note = rng.choice(_notes(root))
    text = note.read_text("utf-8")
    flipped = ("public: false", "public: true") if "public: false" in text else (
        "public: true", "public: false")
    _replace(note, *flipped)
    return note.name


def name_in_note(root: Path, rng: random.Random) -> str:
    """A listed youth's name in a note's body: masked inside, an error if the note is
    public."""
    names = re.findall(r"^    name: (\S+)$", rng.choice(_cadres(root)).read_text("utf-8"), re.M)
    note = rng.choice(_notes(root))
    note.write_text(note.read_text("utf-8") + f"\n{rng.choice(names)}同学也参加了。\n", "utf-8")
    return note.name


def add_note(root: Path, rng: random.Random) -> str:
    template = rng.choice(_notes(root))
    copy = template.with_name(f"{template.name[:10]}-seq{rng.randrange(10_000)}.md")
    copy.write_text(template.read_text("utf-8"), encoding="utf-8")
    return copy.name


def rename_note(root: Path, rng: random.Random, note: Path | None = None) -> str:
    note = note or rng.choice(_notes(root))
    note.rename(note.with_name(f"{note.name[:10]}-moved{rng.randrange(10_000)}.md"))
    return note.name


def delete_note(root: Path, rng: random.Random) -> str:
    note = rng.choice(_notes(root))
    note.unlink()
    return note.name


def withdraw_consent(root: Path, rng: random.Random) -> str:
    cadre = rng.choice([c for c in _cadres(root) if "consent_on:" in c.read_text("utf-8")])
    _rewrite(cadre, r"^  consent_on: .+\n", lambda m: "")
    return cadre.stem


def rename_unit(root: Path, rng: random.Random) -> str:
    org = root / "data" / "org" / rng.choice(["branches.yml", "dorm_groups.yml"])
    name = rng.choice(re.findall(r"^    name: .+$", org.read_text("utf-8"), re.M))
    _replace(org, name, f"{name}{rng.randrange(10)}")
    return org.name


def change_level(root: Path, rng: random.Random) -> str:
    """校级 ↔ 系级: other quotas (a 系级 cadre needs a committee: else an error)."""
    cadre = rng.choice(_cadres(root))
    _rewrite(cadre, r"^level: (\S+)$",
             lambda m: "level: " + ("系级" if m.group(1) == "校级" else "校级"))
    return cadre.stem


def move_branch(root: Path, rng: random.Random) -> str:
    """A youth's 团支部 (and so major and grade) changes."""
    cadre = rng.choice(_cadres(root))
    entry = rng.choice([e for e in _entries(cadre.read_text("utf-8")) if "branch: " in e])
    branches = re.findall(r"^  - id: (\S+)", (root / "data/org/branches.yml").read_text("utf-8"),
                          re.M)
    _replace(cadre, entry, re.sub(r"branch: \S+", f"branch: {rng.choice(branches)}", entry))
    return cadre.stem


def drop_unit(root: Path, rng: random.Random) -> str:
    """A cadre no longer serves one of its dorm groups (the find pages change)."""
    cadre = rng.choice(_cadres(root))

    def fewer(units: re.Match[str]) -> str:
        kept = units.group(1).split(", ")
        kept.remove(rng.choice(kept))
        return f"  dorm_groups: [{', '.join(kept)}]"

    _rewrite(cadre, r"^  dorm_groups: \[(.+)\]$", fewer)
    return cadre.stem


def problem_status(root: Path, rng: random.Random) -> str:
    note = rng.choice([n for n in _notes(root) if "    status: " in n.read_text("utf-8")])
    _rewrite(note, r"^    status: \S+$",
             lambda m: f"    status: {rng.choice(['待处理', '已转交', '已解决'])}")
    return note.name


def since(root: Path, rng: random.Random) -> str:
    """A youth's contact starts later (perhaps after today: not yet current)."""
    cadre = rng.choice(_cadres(root))
    entry = rng.choice(_entries(cadre.read_text("utf-8")))
    start = rng.choice(["2026-11-19", "2026-11-21", "2025-01-01"])
    _replace(cadre, entry, re.sub(r"since: \S+", f"since: {start}", entry))
    return cadre.stem


def quota(root: Path, rng: random.Random) -> str:
    config = root / "site_config.yml"
    _rewrite(config, r"dorm_groups: (\d+), youth: (\d+)",
             lambda m: f"dorm_groups: {rng.randrange(3, 12)}, youth: {m.group(2)}")
    return "site_config.yml"


def survey(root: Path, rng: random.Random) -> str:
    path = rng.choice(sorted((root / "data" / "surveys").glob("*.yml")))
    found = rng.choice(re.findall(r"respondents: \d+", path.read_text("utf-8")))
    _replace(path, found, f"respondents: {rng.randrange(5, 60)}")
    return path.name


def change_committee(root: Path, rng: random.Random) -> str:
    """A 系级 cadre moves to another 分团委 (its find and committee pages change)."""
    cadre = rng.choice([c for c in _cadres(root) if "\ncommittee: " in c.read_text("utf-8")])
    committees = re.findall(r"^  - id: (\S+)", (root / "data/org/committees.yml").read_text(
        "utf-8"), re.M)
    _rewrite(cadre, r"^committee: \S+$", lambda m: f"committee: {rng.choice(committees)}")
    return cadre.stem


def change_phone(root: Path, rng: random.Random) -> str:
    """The vCard and its QR code change."""
    cadre = rng.choice(_cadres(root))
    text = cadre.read_text("utf-8")
    found = re.search(r"^  phone: .+$", text, re.M)
    phone = f'  phone: "139{rng.randrange(10**8):08d}"'
    if found:
        _replace(cadre, found.group(0), phone)
    else:
        _replace(cadre, "\ncontact:", "\ncontact:\n" + phone)
    return cadre.stem


def note_participants(root: Path, rng: random.Random) -> str:
    """A participant leaves a note, or one is added from the cadre's list (or not on it)."""
    note = rng.choice([n for n in _notes(root) if "\nyouth: [" in n.read_text("utf-8")])
    listed = _entries((root / "data" / "cadres" / f"{note.parent.name}.yml").read_text("utf-8"))

    def changed(found: re.Match[str]) -> str:
        ids = [i for i in found.group(1).split(", ") if i]
        if ids and rng.random() < 0.5:
            ids.remove(rng.choice(ids))
        else:
            ids.append(rng.choice([*re.findall(r'id: ("\d+")', "".join(listed)), '"2099000001"']))
        return f"youth: [{', '.join(ids)}]"

    _rewrite(note, r"^youth: \[(.*)\]$", changed)
    return note.name


def note_date(root: Path, rng: random.Random) -> str:
    note = rng.choice(_notes(root))
    _rewrite(note, r"^date: \S+$",
             lambda m: f"date: 2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}")
    return note.name


def new_login(root: Path, rng: random.Random) -> str:
    """A cadre's GitHub account changes, and CODEOWNERS is made again, as the handbook says."""
    cadre = rng.choice(_cadres(root))
    text = cadre.read_text("utf-8")
    login = f"github: seq-{rng.randrange(1000)}"
    found = re.search(r"^github: \S+$", text, re.M) or re.search(r"^since: \S+$", text, re.M)
    assert found
    _replace(cadre, found.group(0), login if found.group(0).startswith("github") else
          f"{found.group(0)}\n{login}")
    assert run_cli(root, "codeowners", today=TODAY).code == 0
    return cadre.stem


def rename_cadre(root: Path, rng: random.Random, target: Path | None = None) -> str:
    """A cadre's id changes (``target``'s, or a random one's): its file, its notes' folder
    and CODEOWNERS (which the command refuses to make, saying why, while a cadre file is
    broken: an earlier edit of the step may have broken one)."""
    cadre = target or rng.choice(_cadres(root))
    new = f"{cadre.stem}-x{rng.randrange(100)}"
    cadre.rename(cadre.with_name(f"{new}.yml"))
    notes = root / "data" / "notes" / cadre.stem
    if notes.is_dir():
        notes.rename(notes.with_name(new))
    for survey in sorted((root / "data" / "surveys").glob("*.yml")):
        text = survey.read_text("utf-8")
        survey.write_text(re.sub(rf"^{cadre.stem}:", f"{new}:", text, flags=re.M), "utf-8")
    made = run_cli(root, "codeowners", today=TODAY)
    assert made.code == 0 or "团干部文件有错误" in made.out, made.out
    return f"{cadre.stem} → {new}"


def photo(root: Path, rng: random.Random) -> str:
    """A cadre's photo: a new one, or new pixels under the same name."""
    from PIL import Image

    cadre = rng.choice(_cadres(root))
    name = f"{cadre.stem}.png"
    folder = root / "data" / "photos"
    folder.mkdir(exist_ok=True)
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    Image.new("RGB", (24, 32), colour).save(folder / name)
    if "\nphoto: " not in cadre.read_text("utf-8"):
        _rewrite(cadre, r"^since: \S+$", lambda m: f"{m.group(0)}\nphoto: {name}")
    return f"{cadre.stem} {colour}"


def break_schema(root: Path, rng: random.Random) -> str:
    """A value no schema allows, in a note or a cadre file: a data error."""
    path = rng.choice([*_cadres(root), *_notes(root)])
    if path.suffix == ".md":
        _rewrite(path, r"^kind: .+$", lambda m: "kind: 不存在的类型")
    else:
        _rewrite(path, r"^appointment: .+$", lambda m: "appointment: 不存在的方式")
    return path.name


#: (edit, how often it is drawn): mostly the small edits of a cadre's own files
EDITS: list[tuple[Edit, int]] = [
    (retitle, 3), (rename_youth, 2), (change_status, 2), (copy_youth, 2), (drop_youth, 2),
    (end_contact, 2), (toggle_public, 2), (name_in_note, 2), (add_note, 2), (rename_note, 1),
    (delete_note, 1), (withdraw_consent, 1), (rename_unit, 1), (change_level, 1),
    (move_branch, 1), (drop_unit, 1), (problem_status, 1), (since, 1), (quota, 1), (survey, 1),
    (change_committee, 1), (change_phone, 1), (note_participants, 2), (note_date, 1),
    (new_login, 1), (rename_cadre, 1), (break_schema, 1), (photo, 1),
]


def _inputs(root: Path) -> list[Path]:
    """The files the edits change: the data, the configuration and CODEOWNERS."""
    return [*sorted((root / "data").rglob("*")), root / "site_config.yml",
            root / ".github" / "CODEOWNERS"]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in _inputs(root) if p.is_file()}


def _restore(root: Path, files: dict[str, bytes]) -> None:
    """Put the files back as they were (added ones removed)."""
    for path in _inputs(root):
        if path.is_file() and path.relative_to(root).as_posix() not in files:
            path.unlink()
    for folder in sorted((root / "data").rglob("*"), reverse=True):  # (a cadre's, renamed)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for rel, data in files.items():
        path = root / rel
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _rename_changed(root: Path, before: dict[str, bytes], rng: random.Random) -> list[str]:
    """Rename the cadre and note files that differ from ``before``."""
    changed = [root / rel for rel, data in _snapshot(root).items()
               if rel.startswith("data/") and before.get(rel) != data]
    notes = [rename_note(root, rng, p) for p in changed if p.suffix == ".md"]
    cadres = [rename_cadre(root, rng, p) for p in changed if p.parent.name == "cadres"]
    return notes + cadres


def _cold(root: Path, tmp: Path, step: int, today: str) -> tuple[int, str, dict[str, str]]:
    copy = tmp / f"cold-{step}"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".zhilian-cache", "site", "out"))
    run = run_cli(copy, "build", "-q", "--jobs", "1", today=today)
    return run.code, run.out, tree(copy / "site") if run.code == 0 else {}


@pytest.mark.parametrize("clock", ["racy", "vouching"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_edit_sequences_build_as_a_cold_build_would(
    tmp_path: Path, seed: int, clock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clock``: the steps follow each other within seconds, so every file is "racy" —
    changed too recently for its stat signature to vouch for its content — and is read
    again.  ``vouching`` takes the racy window away (safe here: a step's build reads a file
    well after the clock tick of its last change), so the stamps, the site manifest and the
    photos' signatures are trusted as they are for files older than two seconds."""
    if clock == "vouching":
        monkeypatch.setattr(stamps, "RACY_NS", 0)
        monkeypatch.setattr(records, "RACY_NS", 0)
        monkeypatch.setattr(SiteManifest, "racy_ns", 0)
    root = tmp_path / "d"
    generate(root, cadres=8, seed=seed)
    shutil.copytree(REPO / "templates", root / "templates")
    monkeypatch.setattr(build, "LEAN_MAX_CHANGED", 3)  # of 8 cadres: both kinds of rebuild
    rng = random.Random(seed)
    helper = Helper()
    today = dt.date.fromisoformat(TODAY)
    memo, spare = load.Memo(), SpareFolders()

    def serve(reporter: TextReporter) -> int:
        """A build as ``serve``'s build process makes it (``serve._build_loop``): with its
        memo, its helper and the folders of the site it replaced; its chores after."""
        args = make_parser().parse_args(
            ["build", "--root", str(root), "--today", today.isoformat(), "-q"]
        )
        later: list[Callable[[], None]] = []
        args.memo, args.defer, args.spare, args.helper = memo, later.append, spare, helper
        code = build_site(args, reporter)
        for chore in later:
            chore()
        return code

    outcomes: list[int] = []
    undo: dict[str, bytes] | None = None
    renamed = False
    try:
        for step in range(STEPS):
            if undo is not None and not renamed and rng.random() < 0.5:
                # The files just broken, renamed with the same content: the findings must
                # name the new files.
                renamed = True
                done = "still broken, renamed: " + ", ".join(_rename_changed(root, undo, rng))
            elif undo is not None:  # the last step broke a rule: take it back
                _restore(root, undo)
                done, undo, renamed = "undone", None, False
            else:
                before = _snapshot(root)
                edits = rng.sample([e for e, w in EDITS for _ in range(w)], rng.choice([1, 1, 2]))
                done = "; ".join(f"{e.__name__}({e(root, rng)})" for e in edits)
                if rng.random() < 0.15:  # days pass: every date-dependent figure moves
                    today += dt.timedelta(days=rng.randrange(1, 40))
                    done += f"; today {today}"
            served = io.StringIO()
            code = serve(TextReporter(served))
            cli = run_cli(root, "build", "-q", "--jobs", "2", "--out", str(root / "out"),
                          today=today.isoformat())
            cold_code, cold_out, cold_site = _cold(root, tmp_path, step, today.isoformat())
            where = f"seed {seed}, step {step}: {done}"
            assert (code, cli.code) == (cold_code, cold_code), f"{where}\n{cold_out}"
            assert served.getvalue() == cli.out == cold_out, where
            # Again with nothing changed (from the memo, after a success): the same answer.
            again = run_cli(root, "build", "-q", "--out", str(root / "out"),
                            today=today.isoformat())
            assert (again.code, again.out) == (cli.code, cli.out), where
            if cold_code == 0:
                assert tree(root / "site") == tree(root / "out") == cold_site, where
            else:
                assert done != "undone", f"{where}: the state before built\n{cold_out}"
                if not renamed:
                    undo = before
            outcomes.append(cold_code)
    finally:
        spare.close()
        helper.close()
    assert 0 in outcomes  # (the sequence built sites, not only failed)

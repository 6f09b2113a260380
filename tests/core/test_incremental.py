"""Incremental builds: a page comes from the page cache only when nothing it shows changed.

After each kind of edit (a cadre's title or name, a youth's name, a note, a public note, a
new, deleted or renamed note, a problem's summary, a unit's name, a youth's dorm and that
dorm's name, the configuration, a survey, a template, the date), the incremental build of
the edited deployment must be byte-identical to a cold build of a copy without any cache,
and the pages of cadres the edit does not concern must not be rendered again.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import record_calls, run_cli
from tests.core.test_cache_parallel import tree
from zhilian import load
from zhilian.build import build_site
from zhilian.cli import make_parser
from zhilian.demo import generate
from zhilian.records import CadreRecords
from zhilian.render import internal
from zhilian.reporters import TextReporter
from zhilian.serve import DevServer
from zhilian.views.internal import cluster_keys, normalise_summary
from zhilian.write import SiteManifest

TODAY = "2026-11-20"
REPO = Path(__file__).resolve().parents[2]


def _build(root: Path, out: Path, *extra: str, today: str = TODAY) -> tuple[dict[str, str], str]:
    run = run_cli(root, "build", "--out", str(out), *extra, today=today)
    assert run.code == 0, run.out
    return tree(out), run.out


def _reused(message: str) -> int:
    found = re.search(r"(\d+) 个沿用上次的结果", message)
    return int(found.group(1)) if found else 0


def _cold(root: Path, tmp: Path, name: str, today: str = TODAY) -> dict[str, str]:
    """A build of a copy of ``root`` with no cache at all."""
    copy = tmp / f"cold-{name}"
    # (``.site.*``: the folder of an old site, which serve removes after it has answered)
    ignore = shutil.ignore_patterns(".zhilian-cache", "site", ".site.*", "out*")
    shutil.copytree(root, copy, ignore=ignore)
    return _build(copy, copy / "site", "--jobs", "1", today=today)[0]


def _first(root: Path, folder: str, pattern: str = "*") -> Path:
    return sorted((root / folder).glob(pattern))[0]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _retitle(root: Path) -> None:
    cadre = _first(root, "data/cadres", "*.yml")
    title = next(line for line in cadre.read_text("utf-8").splitlines() if line.startswith("title:"))
    _replace(cadre, title, title + "（增量测试）")


def _rename_cadre(root: Path) -> None:
    """Only the cadre's pages, cards and the overview rows that name it change (the
    figures stay): the overview page's key must hold each cadre's row, not just the totals."""
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[-1]
    name = next(line for line in cadre.read_text("utf-8").splitlines() if line.startswith("name:"))
    _replace(cadre, name, name + "某")


def _rename_youth(root: Path) -> None:
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[1]  # notes edited: the first
    name = re.search(r"name: (\S+)", cadre.read_text("utf-8").split("youth:", 1)[1])
    assert name
    _replace(cadre, f"name: {name.group(1)}", "name: 欧阳增量")


def _edit_note(root: Path) -> None:
    note = _first(root, "data/notes/" + _first(root, "data/notes").name, "*.md")
    # Names a person who is not (yet) a listed youth: shown as written until one is.
    note.write_text(note.read_text("utf-8") + "\n补充：欧阳增量同学也来了。\n", encoding="utf-8")


def _edit_public_note(root: Path) -> None:
    note = next(
        n for n in sorted((root / "data" / "notes").rglob("*.md"))
        if "\npublic: true" in n.read_text("utf-8")
    )
    title = re.search(r"^title: (.+)$", note.read_text("utf-8"), re.M)
    assert title
    _replace(note, title.group(0), f"title: {title.group(1)}（更新）")


def _add_note(root: Path) -> None:
    folder = sorted((root / "data" / "notes").iterdir())[2]
    template = sorted(folder.glob("*.md"))[0]
    text = template.read_text("utf-8").replace("public: true", "public: false")
    (folder / f"{template.name[:10]}-zengliang.md").write_text(text, encoding="utf-8")


def _delete_note(root: Path) -> None:
    folder = sorted((root / "data" / "notes").iterdir())[3]
    sorted(folder.glob("*.md"))[-1].unlink()


def _rename_note(root: Path) -> None:
    """The same content under another file name: a note's file name is its address (the
    anchor of a public note, the link to it), so its pages change though no content did."""
    note = next(
        n for n in sorted((root / "data" / "notes").rglob("*.md"))
        if "\npublic: true" in n.read_text("utf-8")
    )
    note.rename(note.with_name(f"{note.name[:10]}-renamed.md"))


def _problem(root: Path) -> None:
    note = next(
        n for n in sorted((root / "data" / "notes").rglob("*.md"))
        if "  - category:" in n.read_text("utf-8")
    )
    found = re.search(r"summary: (.+)", note.read_text("utf-8"))
    assert found
    _replace(note, found.group(0), f"summary: {found.group(1)}（补充说明）")


PROBLEM = re.compile(r"- category: (\S+)\n +summary: (.+)")


def _lone_issue(root: Path) -> tuple[Path, str, str]:
    """A problem one cadre raises like no other (no common issue) as its YAML, that cadre,
    and the note of another cadre with a problem."""
    raised: dict[tuple[str, str], set[str]] = {}
    for note in sorted((root / "data" / "notes").rglob("*.md")):
        for category, summary in PROBLEM.findall(note.read_text("utf-8")):
            raised.setdefault((category, summary), set()).add(note.parent.name)
    clusters: dict[tuple[str, str], tuple[str, int]] = {}  # common issues are per category
    for category in {c for c, _ in raised}:
        keys = sorted({normalise_summary(s) for c, s in raised if c == category})
        roots = dict(zip(keys, cluster_keys(keys), strict=True))
        for c, s in raised:
            if c == category:
                clusters[c, s] = (c, roots[normalise_summary(s)])
    sizes = Counter(clusters.values())
    (category, summary), by = next(
        (problem, by) for problem, by in sorted(raised.items())
        if len(by) == 1 and sizes[clusters[problem]] == 1
    )
    (other,) = by
    note = next(
        n for n in sorted((root / "data" / "notes").rglob("*.md"))
        if n.parent.name != other and PROBLEM.search(n.read_text("utf-8"))
    )
    return note, f"- category: {category}\n    summary: {summary}", other


def _join_common_issue(root: Path) -> None:
    """Another cadre raises the same problem: a common issue, which the page of the cadre
    who raised it first shows though its files did not change."""
    note, problem, _ = _lone_issue(root)
    found = PROBLEM.search(note.read_text("utf-8"))
    assert found
    _replace(note, found.group(0), problem)


def _rename_unit(root: Path) -> None:
    branches = root / "data" / "org" / "branches.yml"
    name = re.search(r"name: (\S+)", branches.read_text("utf-8"))
    assert name
    _replace(branches, f"name: {name.group(1)}", f"name: {name.group(1)}（改名）")


def _moved_youth(root: Path) -> tuple[Path, str]:
    """The cadre file and the youth entry that ``_move_youth`` edits."""
    files = sorted((root / "data" / "cadres").glob("*.yml"))
    everyone = "".join(p.read_text("utf-8") for p in files)
    cadre = files[4]
    # One no other cadre lists (a youth's units must agree across files: R006).
    return cadre, next(
        entry for entry in cadre.read_text("utf-8").split("youth:", 1)[1].split("\n  - ")[1:]
        if everyone.count(entry.split("\n", 1)[0]) == 1
    )


def _outside_dorm_group(root: Path) -> str:
    """A 宿舍团小组 that no cadre lists among its units."""
    listed = set(re.findall(r"[a-z]\d-\d+", "".join(
        line for p in (root / "data" / "cadres").glob("*.yml")
        for line in p.read_text("utf-8").splitlines() if line.startswith("  dorm_groups:")
    )))
    known = re.findall(r"^  - id: (\S+)", (root / "data/org/dorm_groups.yml").read_text("utf-8"), re.M)
    return next(d for d in known if d not in listed)


def _move_youth(root: Path) -> None:
    """A youth moves to a dorm none of the cadres contacts: the unit's name is then on the
    cadre's page only through the youth list (not through the cadre's own units)."""
    cadre, entry = _moved_youth(root)
    moved = re.sub(r"\n    dorm_group: \S+", "", entry) + f"\n    dorm_group: {_outside_dorm_group(root)}"
    _replace(cadre, entry, moved)


def _rename_dorm_group(root: Path) -> None:
    _, entry = _moved_youth(root)
    found = re.search(r"dorm_group: (\S+)", entry)
    assert found
    org = root / "data" / "org" / "dorm_groups.yml"
    name = re.search(rf"- id: {found.group(1)}\n    name: (\S+)", org.read_text("utf-8"))
    assert name
    _replace(org, name.group(0), f"{name.group(0)}（改名）")


def _config(root: Path) -> None:
    config = root / "site_config.yml"
    title = re.search(r"^  title: (.+)$", config.read_text("utf-8"), re.M)
    assert title
    _replace(config, title.group(0), f"  title: {title.group(1)}（新）")


def _survey(root: Path) -> None:
    survey = _first(root, "data/surveys", "*.yml")
    found = re.search(r"respondents: (\d+)", survey.read_text("utf-8"))
    assert found
    _replace(survey, found.group(0), f"respondents: {int(found.group(1)) + 1}")


def _template(root: Path) -> None:
    _replace(root / "templates" / "internal" / "cadre.html", "{% block main %}",
             "{% block main %}<!-- 增量 -->")


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("cadre title", _retitle),
    ("cadre name", _rename_cadre),
    ("note body", _edit_note),
    ("youth name", _rename_youth),  # another cadre's youth: masks the name in that note
    ("public note", _edit_public_note),
    ("new note", _add_note),
    ("deleted note", _delete_note),
    ("renamed note", _rename_note),
    ("problem summary", _problem),
    ("problem summary that makes a common issue", _join_common_issue),
    ("unit name", _rename_unit),
    ("youth's dorm group", _move_youth),
    ("name of a unit only a youth list shows", _rename_dorm_group),
    ("site_config.yml", _config),
    ("survey", _survey),
    ("template", _template),
]


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    root = tmp_path / "d"
    generate(root, cadres=10, seed=11)
    shutil.copytree(REPO / "templates", root / "templates")  # a deployment's own templates
    return root


@pytest.fixture
def manifest_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The site manifest vouches for files written just now (by default only for files
    older than the racy window: in these quick tests, it would never vouch for one)."""
    monkeypatch.setattr(SiteManifest, "racy_ns", 0)


@pytest.mark.parametrize("manifest", ["racy", "vouching"])
def test_incremental_builds_equal_cold_builds_after_every_kind_of_edit(
    deployment: Path, tmp_path: Path, manifest: str, request: pytest.FixtureRequest
) -> None:
    if manifest == "vouching":
        request.getfixturevalue("manifest_at_once")
    out = deployment / "out"
    before, _ = _build(deployment, out)
    for name, edit in EDITS:
        edit(deployment)
        after, _ = _build(deployment, out)
        assert after == _cold(deployment, tmp_path, name.replace(" ", "-")), name
        assert after != before, f"{name}: the edit must show somewhere"
        before = after
    # --today is an input too: every date-dependent figure moves.
    later, _ = _build(deployment, out, today="2026-12-20")
    assert later == _cold(deployment, tmp_path, "today", today="2026-12-20")


def test_editing_one_cadre_renders_only_that_cadres_page_again(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    render = internal._render_cadres

    def spy(ids: list[str]) -> list[bytes]:
        rendered.extend(ids)
        return render(ids)

    monkeypatch.setattr(internal, "_render_cadres", spy)
    out = deployment / "out"
    before, _ = _build(deployment, out)
    cadres = sorted(p.stem for p in (deployment / "data" / "cadres").glob("*.yml"))
    assert sorted(rendered) == cadres

    rendered.clear()
    _edit_note(deployment)
    edited = _first(deployment, "data/notes").name
    after, message = _build(deployment, out)
    assert rendered == [edited]
    assert _reused(message) >= len(cadres) - 1 + 1  # the other cadres' pages, the report
    pages = {f"internal/cadres/{cid}.html" for cid in cadres}
    assert {path for path in pages if before[path] != after[path]} == {
        f"internal/cadres/{edited}.html"
    }

    # A change that reaches every page (the 学号 and names masked in free text) renders
    # them all again, and the result is still what a cold build gives.
    rendered.clear()
    _rename_youth(deployment)
    renamed, _ = _build(deployment, out)
    assert sorted(rendered) == cadres
    assert renamed == _cold(deployment, tmp_path, "renamed")


def test_a_new_common_issue_changes_the_other_cadres_page(
    deployment: Path, tmp_path: Path
) -> None:
    """Common issues are found across cadres: the unedited cadre's page gains a mark."""
    out = deployment / "out"
    _build(deployment, out)
    _, _, other = _lone_issue(deployment)
    page = out / "internal" / "cadres" / f"{other}.html"
    marks = page.read_text("utf-8").count("共性问题")
    _join_common_issue(deployment)
    after, _ = _build(deployment, out)
    assert page.read_text("utf-8").count("共性问题") == marks + 1
    assert after == _cold(deployment, tmp_path, "common")


# serve's build process forks, which a process with threads (pytest's, once a browser test
# ran) must not: that variant runs serve in a fresh process, driven through stdin/stdout.
SERVE_DRIVER = """
import os, sys
from pathlib import Path
from zhilian import load
from zhilian.cli import make_parser
from zhilian.build import build_site
from zhilian.records import CadreRecords
from zhilian.reporters import TextReporter
from zhilian.serve import DevServer
from zhilian.views.internal import cluster_keys, normalise_summary
from zhilian.write import SiteManifest

root, log, today = sys.argv[1:]
validate = load.validate

def spy(model, raw, rel, **kw):  # inherited by the build process: it logs to a file
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(rel + "\\n")
    return validate(model, raw, rel, **kw)

load.validate = spy
args = make_parser().parse_args(["serve", "--root", root, "--today", today, "-q", "--port", "0"])
server = DevServer(args, TextReporter(open(os.devnull, "w", encoding="utf-8")))
server.bind()
server.start()
for _ in sys.stdin:
    ok = server.rebuild()
    builder = server._builder
    print(ok, builder is not None and builder.process.is_alive(), flush=True)
server.close()
print(builder is not None and builder.process.is_alive(), flush=True)
"""


@pytest.mark.parametrize("build_process", [True, False], ids=["build-process", "in-process"])
def test_serve_validates_only_changed_files_and_equals_cold_builds(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_process: bool
) -> None:
    """``serve`` keeps parsed and validated files in memory between builds: in its build
    process, or in-process where it cannot fork."""
    log = tmp_path / "validated.txt"

    def validated() -> list[str]:
        lines = log.read_text("utf-8").splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return lines

    if build_process:
        driver = subprocess.Popen(
            [sys.executable, "-c", SERVE_DRIVER, str(deployment), str(log), TODAY],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        )
        assert driver.stdin is not None and driver.stdout is not None

        def rebuild() -> bool:
            driver.stdin.write("\n")  # type: ignore[union-attr]
            driver.stdin.flush()  # type: ignore[union-attr]
            ok, forked = driver.stdout.readline().split()  # type: ignore[union-attr]
            assert forked == "True"  # built by serve's build process
            return ok == "True"
    else:
        validate = load.validate

        def spy(model: type, raw: object, rel: str, **kw: object) -> object:
            with log.open("a", encoding="utf-8") as handle:
                handle.write(rel + "\n")
            return validate(model, raw, rel, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(load, "validate", spy)
        args = make_parser().parse_args(
            ["serve", "--root", str(deployment), "--today", TODAY, "-q", "--port", "0"]
        )
        server = DevServer(args, TextReporter(io.StringIO()))
        rebuild = server.rebuild

    try:
        assert rebuild()
        notes = {p.relative_to(deployment).as_posix() for p in deployment.rglob("data/*/*/*.md")}
        assert notes <= set(validated())

        # Every kind of edit: serve also keeps each cadre's results of every stage
        # (``records``), which must never outlive what they were made from.
        for name, edit in EDITS:
            validated()  # forget the cold builds' (they run in this process)
            edit(deployment)
            assert rebuild(), name
            data = [rel for rel in validated() if rel.startswith(("data/notes", "data/cadres"))]
            if name in ("note body", "youth name", "new note", "deleted note", "unit name"):
                assert len(data) == (0 if name in ("deleted note", "unit name") else 1), name
            assert tree(deployment / "site") == _cold(deployment, tmp_path, f"serve-{name}"), name
    finally:
        if build_process:
            driver.stdin.close()  # type: ignore[union-attr]
            assert driver.stdout.readline().strip() == "False"  # type: ignore[union-attr]
            assert driver.wait(timeout=60) == 0
        else:
            server.close()


def test_serve_computes_again_only_what_an_edited_cadre_gives(
    deployment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one cadre's title changed, every per-cadre result of every stage (status, rule
    findings, view entries, cards…) of the other cadres is taken from the records."""
    computed: list[tuple[str, str]] = []
    get = CadreRecords.get

    def spy(self: CadreRecords, stage: str, cadre_id: str, compute: Any, extra: Any = None) -> Any:
        def counted() -> Any:
            computed.append((stage, cadre_id))
            return compute()

        return get(self, stage, cadre_id, counted, extra)

    monkeypatch.setattr(CadreRecords, "get", spy)
    whole = CadreRecords.whole
    made: list[str] = []

    def spy_whole(self: CadreRecords, name: str, key: Any, compute: Any) -> Any:
        def counted() -> Any:
            made.append(name)
            return compute()

        return whole(self, name, key, counted)

    monkeypatch.setattr(CadreRecords, "whole", spy_whole)
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "1"]
    )
    args.memo = load.Memo()
    assert build_site(args, TextReporter(io.StringIO())) == 0
    cadres = sorted(p.stem for p in (deployment / "data" / "cadres").glob("*.yml"))
    stages = {stage for stage, _ in computed}
    assert {cid for _, cid in computed} == set(cadres)
    assert {"status", "rule findings", "internal view", "public cadre",
            "listed youth", "youth attributes", "report row html"} <= stages
    assert {"holders", "overlap", "consistent youth"} <= set(made)

    computed.clear()
    made.clear()
    _retitle(deployment)
    assert build_site(args, TextReporter(io.StringIO())) == 0
    assert {cid for _, cid in computed} == {cadres[0]}
    again = [stage for stage, _ in computed]
    assert len(again) == len(set(again))  # each stage once (cards: on the pages made again)
    assert {"status", "rule findings", "internal view", "public cadre",
            "report row html"} <= set(again)
    assert set(again) <= stages
    # A title is nothing the rules across cadres look at: their findings are kept.
    assert not {"holders", "overlap", "consistent youth"} & set(made)


def test_serve_takes_the_load_of_unchanged_cadres_as_it_is(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every file's stamp vouching for it (here at once: by default only for files
    changed 2 s before they were read), a rebuild validates and maps the files of the
    edited cadre only, and still equals a cold build after every kind of edit."""
    from zhilian.read import stamps

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    added: list[str] = []
    for name in ("_add_cadre", "_add_note"):
        original = getattr(load, name)

        def spy(dep: Any, read: Any, *rest: Any, _original: Any = original) -> None:
            added.append(read.rel.split("/")[2].removesuffix(".yml"))
            _original(dep, read, *rest)

        monkeypatch.setattr(load, name, spy)
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "1"]
    )
    args.memo = load.Memo()
    assert build_site(args, TextReporter(io.StringIO())) == 0
    cadres = {p.stem for p in (deployment / "data" / "cadres").glob("*.yml")}
    assert set(added) == cadres
    for name, edit in EDITS:
        added.clear()
        edit(deployment)
        assert build_site(args, TextReporter(io.StringIO())) == 0, name
        assert len(set(added)) <= 1, name  # the edited cadre's files, if any
        if name in ("cadre title", "note body", "new note", "youth name"):
            assert len(set(added)) == 1, name
        assert tree(deployment / "site") == _cold(deployment, tmp_path, f"load-{name}"), name


@pytest.mark.parametrize("kept_in", ["serve", "the cache", "another process"])
def test_a_load_takes_the_file_hashes_of_the_walk_just_before_it(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_in: str
) -> None:
    """The fingerprint has just walked every file (with its stamps in ``serve``'s memory,
    or in the cache for ``build.py``, in this process or in another one with workers): the
    load that follows takes the hashes it found and its folder listings, and reads only
    the file that changed (and, for the pages of its cadre, that cadre's notes when they
    are not in memory).  A load with no walk just before it reads every file (an earlier
    walk's hash could be stale)."""
    from zhilian import workers
    from zhilian.read import batch, stamps

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    reads = record_calls(monkeypatch, batch, "read_bytes", 1)
    adopted: list[int] = []
    adopt = stamps.Walk.adopted.__func__  # type: ignore[attr-defined]

    def counted_adoption(cls: type[stamps.Walk], findings: bytes) -> stamps.Walk:
        walk = adopt(cls, findings)
        adopted.append(len(walk.listings or ()))
        return walk

    monkeypatch.setattr(stamps.Walk, "adopted", classmethod(counted_adoption))
    elsewhere = kept_in == "another process"
    assert not elsewhere or workers.can_fork()
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "2" if elsewhere else "1"]
    )
    if kept_in == "serve":
        args.memo = load.Memo()
    assert build_site(args, TextReporter(io.StringIO())) == 0
    data_files = [*deployment.glob("data/cadres/*.yml"), *deployment.glob("data/notes/*/*.md")]
    _retitle(deployment)
    reads.clear()
    adopted.clear()
    assert build_site(args, TextReporter(io.StringIO())) == 0
    edited = _first(deployment, "data/cadres", "*.yml")
    own = {p.relative_to(deployment).as_posix() for p in (edited, *(
        deployment / "data" / "notes" / edited.stem).glob("*.md"))}
    assert reads[0] == edited.relative_to(deployment).as_posix() and set(reads) <= own
    # (with workers, the folders under data/ are taken from the other process: each
    # cadre's notes, and more)
    assert adopted[0] > len(list(deployment.glob("data/notes/*"))) if elsewhere else not adopted
    assert tree(deployment / "site") == _cold(deployment, tmp_path, f"walk-{kept_in}")

    reads.clear()
    load.load(deployment, load.read_config(deployment), memo=load.Memo())
    assert len(reads) == len(data_files)


def test_serve_leaves_a_builds_last_chores_until_it_has_answered(
    deployment: Path, tmp_path: Path
) -> None:
    """``serve`` answers as soon as the new site is in place; removing the old site and the
    memos for the next build come after (``defer``), and then leave what a build would."""
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "1"]
    )
    chores: list[Callable[[], None]] = []
    args.memo, args.defer = load.Memo(), chores.append
    assert build_site(args, TextReporter(io.StringIO())) == 0
    for chore in chores:
        chore()
    chores.clear()
    _retitle(deployment)
    assert build_site(args, TextReporter(io.StringIO())) == 0
    assert chores
    assert list(deployment.glob(".site.old-*"))  # the site before, not removed yet
    assert tree(deployment / "site") == _cold(deployment, tmp_path, "deferred")
    for chore in chores:
        chore()
    assert not list(deployment.glob(".site.old-*"))
    again = run_cli(deployment, "build", today=TODAY)
    assert again.code == 0 and "输入没有变化" in again.out, again.out


@pytest.mark.parametrize("lean", [False, True], ids=["serial", "lean"])
def test_serve_finds_again_what_an_edit_breaks_across_cadres(
    deployment: Path, tmp_path: Path, lean: bool
) -> None:
    """The rules across cadres are kept while each cadre's part is the same: an edit of
    one youth listed by two cadres must still be found (R006), and its undoing too.  A
    rebuild the rules stop leaves the site as it was (``lean``: one that started the
    report's workbook in the helper before the rules ran)."""
    from zhilian.workers import Helper
    files = sorted((deployment / "data" / "cadres").glob("*.yml"))
    listed = {f: set(re.findall(r"id: \"?(\d{6,})", f.read_text("utf-8"))) for f in files}
    shared = next(
        (a, b, sid) for a in files for b in files if a != b for sid in sorted(listed[a] & listed[b])
    )
    edited, _, student_id = shared
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "2" if lean else "1"]
    )
    args.memo, args.helper = load.Memo(), Helper() if lean else None
    sent: list[str] = []
    if args.helper is not None:
        submit = args.helper.submit
        args.helper.submit = lambda fn, *a: sent.append(fn.__name__) or submit(fn, *a)

    def build() -> tuple[int, str]:
        stream = io.StringIO()
        return build_site(args, TextReporter(stream)), stream.getvalue()

    try:
        assert "R006" not in build()[1]
        before = tree(deployment / "site")
        original = edited.read_text("utf-8")
        block = original.split(student_id, 1)[1]
        name = re.search(r"name: (\S+)", block)
        assert name
        at = original.index(student_id) + len(student_id) + name.start()
        broken = original[:at] + name.group(0) + "甲" + original[at + len(name.group(0)):]
        # (the title too: the report changes, so its workbook is started, then not taken)
        edited.write_text(broken.replace("title: ", "title: 坏", 1), "utf-8")
        FORKED.clear()
        code, out = build()
        assert code != 0 and "R006" in out
        assert tree(deployment / "site") == before
        edited.write_text(original.replace("title: ", "title: 又", 1), "utf-8")
        code, out = build()
        assert code == 0 and "R006" not in out
        if lean:  # both rebuilds in one process, each starting a workbook in the helper
            assert not FORKED
            assert sent == ["workbook_and_sheets", "workbook_and_sheets"]
        assert tree(deployment / "site") == _cold(deployment, tmp_path, "undone")
    finally:
        if args.helper is not None:
            args.helper.close()


def test_parallel_rendering_equals_serial(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhilian.workers import can_fork

    # (A process with threads — the browser tests leave one — renders everything itself.)
    assert can_fork(), "worker processes cannot be started here: the test would prove nothing"
    serial, _ = _build(deployment, tmp_path / "serial", "--jobs", "1")
    shutil.rmtree(deployment / ".zhilian-cache")
    monkeypatch.setattr(internal, "POOL_MIN_PAGES", 1)  # force worker processes
    parallel, message = _build(deployment, tmp_path / "parallel", "--jobs", "2")
    assert _reused(message) == 0
    assert parallel == serial


def test_a_damaged_page_cache_entry_is_rendered_again(deployment: Path, tmp_path: Path) -> None:
    first, _ = _build(deployment, tmp_path / "first")
    # (the workbook's sheets are asked for only when the report is made again: left out)
    entries = [
        entry for entry in sorted((deployment / ".zhilian-cache" / "pages").iterdir())
        if b"<worksheet" not in entry.read_bytes()[:200]
    ]
    assert entries
    for entry in entries[::2]:
        data = entry.read_bytes()
        entry.write_bytes(data[:-40] + b"<p>garbage</p>" + data[-26:])
    # Without the records every entry is asked for again (with them, a result kept there,
    # such as the common issues, needs not its memo of clusters).
    for records in (deployment / ".zhilian-cache").glob("records*.pickle"):
        records.unlink()
    second, message = _build(deployment, tmp_path / "second")
    assert second == first
    assert _reused(message) == len(entries) - len(entries[::2])


def test_rewriting_a_site_links_unchanged_files_and_writes_changed_ones(tmp_path: Path) -> None:
    from zhilian.write import write_site

    out = tmp_path / "site"
    write_site(out, {"a.html": b"same", "b.html": b"old", "gone.html": b"x"})
    same = (out / "a.html").stat().st_ino
    write_site(out, {"a.html": b"same", "b.html": b"new", "c/d.html": b"added"})
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == {
        "a.html": b"same", "b.html": b"new", "c/d.html": b"added"
    }
    assert (out / "a.html").stat().st_ino == same  # linked, not written again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary left over


def _inodes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("*.html")}


@pytest.mark.parametrize("window", ["none", "as it is"])
def test_the_site_manifest_links_unchanged_pages_without_reading_them(
    deployment: Path, tmp_path: Path, window: str, request: pytest.FixtureRequest
) -> None:
    """Also with the racy window as it is (every page written a moment ago): the files a
    build writes are dated back past it (a cold build writes most pages in its last
    seconds, and the rebuild right after it would read them all again)."""
    if window == "none":
        request.getfixturevalue("manifest_at_once")
    out = deployment / "out"
    _build(deployment, out)
    before = _inodes(out)
    # Without the cached pages, only the manifest can tell that a page is unchanged.
    shutil.rmtree(deployment / ".zhilian-cache" / "pages")
    _edit_note(deployment)
    edited = _first(deployment, "data/notes").name
    after, message = _build(deployment, out)
    assert after == _cold(deployment, tmp_path, f"manifest-{window.replace(' ', '-')}")
    kept = {path for path, ino in _inodes(out).items() if before.get(path) == ino}
    cadre_pages = {p for p in before if p.startswith("internal/cadres/")}
    assert cadre_pages - kept == {f"internal/cadres/{edited}.html"}
    assert _reused(message) >= len(cadre_pages) - 1


def test_the_manifest_keeps_vouching_for_pages_linked_over_several_rebuilds(
    deployment: Path, tmp_path: Path, manifest_at_once: None
) -> None:
    """A page the manifest vouched for keeps its entry as it was, without a new look at the
    file: two rebuilds later (each without the cached pages) it is still the first build's
    file, while the pages of both edits were made again."""
    out = deployment / "out"
    _build(deployment, out)
    before = _inodes(out)
    edited = []
    for edit in (_edit_note, _retitle):
        shutil.rmtree(deployment / ".zhilian-cache" / "pages")
        edit(deployment)
        edited.append(f"internal/cadres/{_first(deployment, 'data/notes').name}.html")
        after, message = _build(deployment, out)
    assert after == _cold(deployment, tmp_path, "twice")
    kept = {path for path, ino in _inodes(out).items() if before.get(path) == ino}
    cadre_pages = {p for p in before if p.startswith("internal/cadres/")}
    assert cadre_pages - kept == set(edited)  # (both edits are of the first cadre)
    assert _reused(message) >= len(cadre_pages) - 1  # (vouched for: not read, not compared)


def test_a_site_file_changed_by_hand_is_not_taken_as_unchanged(
    deployment: Path, tmp_path: Path, manifest_at_once: None
) -> None:
    out = deployment / "out"
    _build(deployment, out)
    cadres = sorted(p.stem for p in (deployment / "data" / "cadres").glob("*.yml"))
    page = out / "internal" / "cadres" / f"{cadres[-1]}.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>hand-made</p></body>"))
    _retitle(deployment)  # another cadre: the page above is the same page of the cache
    after, _ = _build(deployment, out)
    assert b"hand-made" not in page.read_bytes()
    assert after == _cold(deployment, tmp_path, "by-hand")


def test_serve_writes_each_site_into_the_emptied_folders_of_the_one_before(
    tmp_path: Path,
) -> None:
    """``serve`` keeps the folders of the site a build replaced, without their files, for
    the next build (``SpareFolders``): that site must still be exactly what was written —
    no file of an older one, no folder left empty, a folder become a file."""
    from zhilian.write import SiteWriter, SpareFolders

    out, spare = tmp_path / "site", SpareFolders()

    def build(files: dict[str, bytes]) -> SiteWriter:
        with SiteWriter(out, spare) as site:
            site.write(files)
            site.commit()
        return site

    first = {"a/x.html": b"1", "gone/z.html": b"z", "c/d.html": b"d", "top.html": b"t"}
    assert not build(first).reused  # nothing kept yet
    assert not build(first).reused  # the first site's folders are kept from now on
    kept = Path(spare.folder or "")
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*")) == ["a", "c", "gone"]
    assert all(p.is_dir() for p in kept.rglob("*"))  # no file of the first site
    assert tree(out) == {k: hashlib.sha256(v).hexdigest() for k, v in first.items()}

    third = {"a/x.html": b"2", "c": b"a file now", "new/n.html": b"n"}
    assert build(third).reused
    assert {p.relative_to(out).as_posix() for p in out.rglob("*")} == {
        "a", "a/x.html", "c", "new", "new/n.html"
    }
    assert tree(out) == {k: hashlib.sha256(v).hexdigest() for k, v in third.items()}
    spare.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_rebuild_after_a_title_edit_reads_no_other_cadres_status(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cadre's status (its quotas, its current youth: the largest record) is read only
    for the cadres whose files changed: the quota rules keep their findings per cadre, a
    分团委's pending reasons and distinct youth are kept too.  A change to a youth list
    still reaches those counts (a cold build of the same files agrees).  Nor is another
    cadre's public entry or notes unpickled (``KeptCadre``, ``KeptNote``): its cards, page
    keys and parts of ``directory.json`` are kept."""
    from zhilian.views import public
    from zhilian.views.public import KeptCadre

    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "1"]
    )
    assert build_site(args, TextReporter(io.StringIO())) == 0
    asked: list[str] = []
    get = CadreRecords.get

    def spy(self: CadreRecords, stage: str, cadre_id: str, *rest: Any) -> Any:
        if stage == "status":
            asked.append(cadre_id)
        return get(self, stage, cadre_id, *rest)

    monkeypatch.setattr(CadreRecords, "get", spy)
    unpickled: list[str] = []
    whole, init = KeptCadre.whole, KeptCadre.__init__
    kept: list[str] = []
    monkeypatch.setattr(KeptCadre, "whole", lambda self: unpickled.append(self.id) or whole(self))
    monkeypatch.setattr(KeptCadre, "__init__", lambda self, cid, *a: kept.append(cid) or init(
        self, cid, *a))
    notes = public._KeptNotes.notes
    monkeypatch.setattr(public._KeptNotes, "notes", lambda self: unpickled.append("notes") or notes(
        self))
    kept_notes = public.KeptNote.__init__
    monkeypatch.setattr(public.KeptNote, "__init__", lambda self, *a: kept.append("note") or
                        kept_notes(self, *a))
    _retitle(deployment)
    assert build_site(args, TextReporter(io.StringIO())) == 0
    assert set(asked) == {_first(deployment, "data/cadres", "*.yml").stem}
    cadres = len(list((deployment / "data" / "cadres").glob("*.yml")))
    assert len([cid for cid in kept if cid != "note"]) == cadres - 1
    assert "note" in kept
    assert unpickled == []
    assert tree(deployment / "site") == _cold(deployment, tmp_path, "retitled")

    # One youth's contact ends: the cadre's quotas, its group's youth and pending reasons
    cadre = _first(deployment, "data/cadres", "*.yml")
    text = cadre.read_text("utf-8")
    first = text.index("\n  - id: ")
    end = text.index("\n", first + 1)
    cadre.write_text(text[:end] + "\n    until: 2026-01-01" + text[end:], "utf-8")
    assert build_site(args, TextReporter(io.StringIO())) == 0
    assert tree(deployment / "site") == _cold(deployment, tmp_path, "youth ended")


def test_a_build_writes_into_folders_made_ahead_like_the_sites_and_nothing_else(
    tmp_path: Path,
) -> None:
    """A build has the folders of the site as it is made in another process while it reads
    the data (``folders_like``), and writes the new site into them: the folders only —
    no file of the old site —, and what the new site no longer has goes before the swap."""
    from zhilian.write import FOLDERS_INFIX, SiteWriter, folders_like, write_site

    out = tmp_path / "site"
    first = {"a/x.html": b"1", "gone/deep/z.html": b"z", "c/d.html": b"d", "top.html": b"t"}
    write_site(out, first)
    made = tmp_path / f".site{FOLDERS_INFIX}{os.getpid()}-1"
    assert folders_like(out, str(made))
    assert sorted(p.relative_to(made).as_posix() for p in made.rglob("*")) == [
        "a", "c", "gone", "gone/deep"
    ]
    assert all(p.is_dir() for p in made.rglob("*"))

    second = {"a/x.html": b"2", "c": b"a file now", "new/n.html": b"n"}
    with SiteWriter(out, folders=made) as site:
        assert site.reused and not made.exists()  # taken, under the new site's name
        site.write(second)
        site.commit()
    assert {p.relative_to(out).as_posix() for p in out.rglob("*")} == {
        "a", "a/x.html", "c", "new", "new/n.html"
    }
    assert tree(out) == {k: hashlib.sha256(v).hexdigest() for k, v in second.items()}

    # Folders made for a build that did not take them (its process gone) go with the next.
    assert folders_like(out, str(tmp_path / f".site{FOLDERS_INFIX}999999999-0"))
    assert not folders_like(out, str(tmp_path / "no such folder" / "x"))
    write_site(out, second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_the_folders_made_ahead_are_those_of_a_site_put_aside_emptied_of_its_files(
    tmp_path: Path,
) -> None:
    """A build makes its folders from a site an earlier build put aside, emptied of every
    file (none of an old site may reach the new one), and removes the others put aside —
    but not one a build still running put there."""
    from zhilian.write import FOLDERS_INFIX, REPLACED_PREFIX, SiteWriter, folders_ahead, write_site

    out = tmp_path / "site"
    write_site(out, {"a/x.html": b"1", "c/d.html": b"d"})
    aside = tmp_path / "aside"
    aside.mkdir()
    put_aside = [aside / f"{REPLACED_PREFIX}99999999{n}-{n}" for n in (8, 9)]  # (builds over)
    write_site(put_aside[0], {"a/x.html": b"secret", "gone/deep/z.html": b"z", "top.html": b"t"})
    write_site(put_aside[1], {"b/y.html": b"y", "b/deeper/w.html": b"w"})
    running = aside / f"{REPLACED_PREFIX}{os.getppid()}-0"  # (a build still running)
    running.mkdir()
    made = tmp_path / f".site{FOLDERS_INFIX}{os.getpid()}-1"
    assert folders_ahead(out, str(made), aside, os.getpid())
    assert [p for p in made.rglob("*") if not p.is_dir()] == []
    assert sorted(p.relative_to(made).as_posix() for p in made.rglob("*")) == [
        "a", "gone", "gone/deep"
    ]
    assert list(aside.iterdir()) == [running]
    new = {"a/x.html": b"2", "new/n.html": b"n"}
    with SiteWriter(out, folders=made) as site:
        assert site.reused
        site.write(new)
        site.commit()
    assert tree(out) == {k: hashlib.sha256(v).hexdigest() for k, v in new.items()}
    assert {p.relative_to(out).as_posix() for p in out.rglob("*")} == {
        "a", "a/x.html", "new", "new/n.html"
    }

    # Nothing put aside: the folders of the site as it is.
    running.rmdir()
    again = tmp_path / f".site{FOLDERS_INFIX}{os.getpid()}-2"
    assert folders_ahead(out, str(again), aside, os.getpid())
    assert sorted(p.relative_to(again).as_posix() for p in again.rglob("*")) == ["a", "new"]


def test_a_committees_find_page_is_rendered_again_only_for_the_cards_it_shows(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``find/<分团委>/index.html`` shows the cards of the cadres serving that 分团委: kept
    from the page cache while they are the same, rendered again when one of them changes."""
    import yaml

    from zhilian.render import public

    rendered: list[str] = []
    render = public._Pages.render

    def spy(self: public._Pages, path: str, template: str, **kw: Any) -> None:
        rendered.append(path)
        render(self, path, template, **kw)

    monkeypatch.setattr(public._Pages, "render", spy)
    files = sorted((deployment / "data" / "cadres").glob("*.yml"))
    serves = {f: yaml.safe_load(f.read_text("utf-8"))["units"].get("committees") or []
              for f in files}
    serving = next(f for f in files if serves[f])
    committee = serves[serving][0]
    other = next(f for f in files if committee not in serves[f])
    page = f"find/{committee}/index.html"
    out = deployment / "out"
    _build(deployment, out, "--jobs", "1")  # (rendered in this process, seen by the spy)

    for cadre, shown in ((other, False), (serving, True)):
        rendered.clear()
        title = next(line for line in cadre.read_text("utf-8").splitlines()
                     if line.startswith("title:"))
        marker = f"标记{cadre.stem}"
        _replace(cadre, title, f"{title}{marker}")
        after, _ = _build(deployment, out, "--jobs", "1")
        assert (page in rendered) is shown, cadre.stem
        assert (marker in (out / "public" / page).read_text("utf-8")) is shown
    assert after == _cold(deployment, tmp_path, "committee-page")


def test_a_cached_page_is_written_once_the_site_links_it(deployment: Path) -> None:
    """A page kept in the page cache is the entry's file itself in the site (a hard link):
    creating a file costs far more than linking one, and the copy would be the same bytes.
    Entries of the older format (a checksum before the bytes, no checksum in the name) are
    removed by the next build."""
    out = deployment / "out-linked"
    folder = deployment / ".zhilian-cache" / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    older = folder / ("0" * 40)
    older.write_bytes(b"\0" * 16 + b"<html></html>")
    _build(deployment, out)
    entries = {p.stat().st_ino: p.name for p in folder.iterdir()}
    cadres = sorted(p.stem for p in (deployment / "data" / "cadres").glob("*.yml"))
    for cid in cadres:
        for page in (out / "internal" / "cadres" / f"{cid}.html",
                     out / "public" / "cadres" / f"{cid}.html"):
            name = entries.get(page.stat().st_ino)
            assert name is not None, page  # the entry itself
            check = name.partition(".")[2]
            assert check == f"{zlib.crc32(page.read_bytes()):08x}"
    assert not older.exists()


#: the edits every cadre's results depend on (org files, configuration, surveys) or every
#: page (templates)
EVERY_CADRE = ("unit name", "name of a unit only a youth list shows", "site_config.yml",
               "survey", "template")
#: the processes this one forked (every fork, from here on: a hook cannot be removed)
FORKED: list[int] = []
os.register_at_fork(after_in_parent=lambda: FORKED.append(os.getpid()))


def test_a_serve_rebuild_after_a_small_edit_runs_in_one_process(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` rebuilds after an edit of a few cadres in its build process alone, the
    workbook made by its helper meanwhile; an edit that every cadre's results or every page
    depend on (the org files, the configuration, a survey, a template) is built by several
    processes as before.  Either way the site equals a cold build's."""
    from zhilian import build
    from zhilian.workers import Helper, can_fork

    assert can_fork(), "processes cannot be forked here: the test would prove nothing"
    monkeypatch.setattr(build, "LEAN_MAX_CHANGED", 3)  # of the deployment's 10 cadres
    helper = Helper()
    sent: list[str] = []
    submit = helper.submit

    def spy(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        sent.append(fn.__name__)
        return submit(fn, *args)

    monkeypatch.setattr(helper, "submit", spy)
    args = make_parser().parse_args(
        ["build", "--root", str(deployment), "--today", TODAY, "-q", "--jobs", "2"]
    )
    args.memo, args.helper = load.Memo(), helper
    try:
        FORKED.clear()
        assert build_site(args, TextReporter(io.StringIO())) == 0
        assert FORKED and not sent  # the first build
        for name, edit in EDITS:
            FORKED.clear()
            sent.clear()
            edit(deployment)
            assert build_site(args, TextReporter(io.StringIO())) == 0, name
            if name in EVERY_CADRE:
                assert FORKED, name
                assert not sent, name
            else:
                assert not FORKED, name
            if name == "cadre title":  # (a title is in the report: made again)
                assert sent == ["workbook_and_sheets"]
            assert tree(deployment / "site") == _cold(deployment, tmp_path, f"lean-{name}"), name
    finally:
        helper.close()


def test_serve_names_a_broken_file_by_its_new_name_once_renamed(deployment: Path) -> None:
    """``serve`` keeps each file's validation; renamed with the same content, a broken file
    must be reported under its new name and at its line, as a fresh run reports it."""
    args = make_parser().parse_args(["build", "--root", str(deployment), "--today", TODAY, "-q"])
    args.memo = load.Memo()

    def build() -> tuple[int, str]:
        stream = io.StringIO()
        return build_site(args, TextReporter(stream)), stream.getvalue()

    assert build()[0] == 0
    note = _first(deployment, "data/notes/" + _first(deployment, "data/notes").name, "*.md")
    kind = re.search(r"^kind: .+$", note.read_text("utf-8"), re.M)
    assert kind
    _replace(note, kind.group(0), "kind: 不存在的类型")
    code, out = build()
    old = note.relative_to(deployment).as_posix()
    assert code != 0 and f"{old}:" in out
    renamed = note.rename(note.with_name(f"{note.name[:10]}-renamed.md"))
    code, out = build()
    fresh = run_cli(deployment, "check", "-q", today=TODAY)  # (the same findings, then
    assert code == fresh.code != 0                           # the build says it stopped)
    assert f"{old}:" not in out
    assert out.startswith(f"{renamed.relative_to(deployment).as_posix()}:4:7: 错误 S004")
    assert out.startswith(fresh.out) and "没有生成站点" in out.removeprefix(fresh.out)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_lowered_size_limit_reaches_files_the_stamps_know(
    deployment: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """A file unchanged since the last run is taken on its stamp, not read — but only
    while it is within the size limit: the configuration can lower the limit since, and
    then the next run must find the file too big (Y010) like a cold one."""
    from zhilian.read import stamps

    monkeypatch.setattr(stamps, "RACY_NS", 0)
    assert run_cli(deployment, "build", "--jobs", jobs, today=TODAY).code == 0
    biggest = max(deployment.glob("data/cadres/*.yml"), key=lambda p: p.stat().st_size)
    limit = biggest.stat().st_size - 1
    assert all(p.stat().st_size <= limit for p in deployment.glob("data/cadres/*.yml") if p != biggest)
    config = deployment / "site_config.yml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r"max_file_bytes: \d+", f"max_file_bytes: {limit}", text), "utf-8")
    again = run_cli(deployment, "build", "--jobs", jobs, today=TODAY)
    assert again.code == 1
    too_big = [d for d in again.reporter.diagnostics if d.code == "Y010"]
    assert [d.file for d in too_big] == [biggest.relative_to(deployment).as_posix()], again.out


def test_a_rebuild_that_renamed_no_one_spells_no_name(deployment: Path, tmp_path: Path) -> None:
    """The names' pinyin is kept in the records by the names: after a title edit no process
    of ``build.py`` imports pypinyin (0.04 s); after a rename, one does — and the rename
    shows in the directory's order and filter as in a cold build (see the edits above)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    log = tmp_path / "imports.log"
    (hook / "sitecustomize.py").write_text(
        "import os, sys\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pypinyin':\n"
        f"            with open({str(log)!r}, 'a') as f:\n"
        "                f.write(f'{os.getpid()}\\n')\n"
        "sys.meta_path.insert(0, Spy())\n",
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(REPO)])}

    def build() -> list[str]:
        log.unlink(missing_ok=True)
        done = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "--root", str(deployment), "--today", TODAY,
             "--quiet"], env=env, capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return log.read_text().split() if log.exists() else []

    assert build()  # the first build spells every name
    _retitle(deployment)
    assert build() == []
    _rename_cadre(deployment)
    assert len(build()) == 1  # in the build's process, before it forks

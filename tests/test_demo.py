"""The demo generator (``zhilian.demo``) and the committed sample deployment in ``data/``.

Every invariant is recomputed here from the files alone (YAML read with ``BaseLoader``,
validated with the pydantic models), independently of the generator's own bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhilian import demo
from zhilian.demo import generate
from zhilian.model.config import SiteConfig
from zhilian.model.data import (
    BranchesFile,
    Cadre,
    CommitteesFile,
    DormGroupsFile,
    NoteFront,
    SurveyFile,
)

# libyaml's BaseLoader when available: the same reading rules (every scalar a string)
FAST = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 20)
YOUTH_ATTRS = ("name", "branch", "major", "grade", "political_status", "family", "hometown",
               "dorm_group")  # fmt: skip
NOTE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
SCHEMA_OF = {
    "committees.yml": "committees.schema.json",
    "branches.yml": "branches.schema.json",
    "dorm_groups.yml": "dorm_groups.schema.json",
}


# --- reading --------------------------------------------------------------------------------


def _walk_nodes(node: yaml.Node, where: str) -> None:
    if isinstance(node, yaml.MappingNode):
        keys = [k.value for k, _ in node.value]
        dup = [k for k, n in Counter(keys).items() if n > 1]
        assert not dup, f"{where}: duplicate keys {dup}"
        for k, v in node.value:
            _walk_nodes(k, where)
            _walk_nodes(v, where)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk_nodes(item, where)


def _all_strings(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), where
            _all_strings(v, where)
    elif isinstance(value, list):
        for v in value:
            _all_strings(v, where)
    else:
        assert isinstance(value, str), f"{where}: {value!r} is not a string"


def read_yaml(text: str, where: str) -> Any:
    """Parse like the checker does, and insist on the hygiene the generator promises."""
    assert "\t" not in text, f"{where}: tab"
    assert "\u3000" not in text, f"{where}: full-width space"
    for event in yaml.parse(text, Loader=FAST):
        assert not isinstance(event, yaml.AliasEvent), f"{where}: alias"
        assert getattr(event, "anchor", None) is None, f"{where}: anchor"
        if isinstance(event, yaml.ScalarEvent | yaml.MappingStartEvent | yaml.SequenceStartEvent):
            assert event.tag is None, f"{where}: explicit tag {event.tag}"
    node = yaml.compose(text, Loader=FAST)
    _walk_nodes(node, where)
    data = yaml.load(text, Loader=FAST)
    _all_strings(data, where)
    assert isinstance(data, dict), f"{where}: top level is not a mapping"
    return data


def _schema_line(path: Path, root: Path, schema: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path}: no schema line"
    target = (path.parent / first[len(prefix) :]).resolve()
    assert target == (root / "schemas" / schema).resolve(), f"{path}: schema path {first}"


@dataclass
class NoteFile:
    path: Path
    front: NoteFront
    raw: dict[str, Any]
    body: str


@dataclass
class Deployment:
    root: Path
    config: SiteConfig
    committees: dict[str, Any] = field(default_factory=dict)
    branches: dict[str, Any] = field(default_factory=dict)
    dorms: dict[str, Any] = field(default_factory=dict)
    cadres: dict[str, Cadre] = field(default_factory=dict)
    raw_cadres: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, list[NoteFile]] = field(default_factory=dict)
    surveys: dict[str, dict[str, Any]] = field(default_factory=dict)

    def grace(self, cadre: Cadre) -> bool:
        return (TODAY - cadre.since).days < self.config.grace_days


def load(root: Path) -> Deployment:
    cfg_text = (root / "site_config.yml").read_text(encoding="utf-8")
    config = SiteConfig.model_validate(read_yaml(cfg_text, "site_config.yml"))
    _schema_line(root / "site_config.yml", root, "site_config.schema.json")
    d = Deployment(root, config)
    org = root / "data" / "org"
    models = {"committees.yml": CommitteesFile, "branches.yml": BranchesFile,
              "dorm_groups.yml": DormGroupsFile}  # fmt: skip
    parsed = {}
    for name, model in models.items():
        _schema_line(org / name, root, SCHEMA_OF[name])
        parsed[name] = model.model_validate(read_yaml((org / name).read_text("utf-8"), name))
    for attr, name, key in (("committees", "committees.yml", "committees"),
                            ("branches", "branches.yml", "branches"),
                            ("dorms", "dorm_groups.yml", "dorm_groups")):  # fmt: skip
        items = getattr(parsed[name], key)
        ids = [x.id for x in items]
        assert len(ids) == len(set(ids)), f"duplicate ids in {name}"
        setattr(d, attr, {x.id: x for x in items})
    for path in sorted((root / "data" / "cadres").glob("*.yml")):
        _schema_line(path, root, "cadre.schema.json")
        raw = read_yaml(path.read_text("utf-8"), path.name)
        d.raw_cadres[path.stem] = raw
        d.cadres[path.stem] = Cadre.model_validate(raw)
    for cid in d.cadres:
        d.notes[cid] = []
        for path in sorted((root / "data" / "notes" / cid).glob("*.md")):
            text = path.read_text("utf-8")
            assert text.startswith("---\n"), path
            end = text.index("\n---\n", 4)
            raw = read_yaml(text[4 : end + 1], path.name)
            d.notes[cid].append(NoteFile(path, NoteFront.model_validate(raw), raw, text[end + 5 :]))
    note_dirs = {p.name for p in (root / "data" / "notes").iterdir()}
    assert note_dirs <= set(d.cadres), "notes for an unknown cadre"
    for path in sorted((root / "data" / "surveys").glob("*.yml")):
        _schema_line(path, root, "survey.schema.json")
        raw = read_yaml(path.read_text("utf-8"), path.name)
        SurveyFile.model_validate(raw)
        d.surveys[path.stem] = raw
    return d


def snapshot(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


# --- the invariants -------------------------------------------------------------------------


def youth_major_grade(d: Deployment, y: Any) -> tuple[str, str]:
    if y.branch:
        b = d.branches[y.branch]
        return b.major, b.grade
    return y.major, y.grade


def public_texts(d: Deployment) -> list[tuple[str, str]]:
    out = []
    for cid, c in d.cadres.items():
        out.append((cid, " ".join([c.name, c.title, c.intro, c.contact.office or ""])))
        for n in d.notes[cid]:
            if n.front.public:
                out.append((str(n.path), n.front.title + "\n" + n.body))
    for x in [*d.committees.values(), *d.branches.values(), *d.dorms.values()]:
        out.append((x.id, x.name))
    return out


def check_invariants(d: Deployment) -> dict[str, Any]:
    """Assert every cross-file rule; return a few statistics for further assertions."""
    cfg = d.config
    stats: dict[str, Any] = {"below_quota": [], "history": 0, "entries": 0}
    # organisation references
    for b in d.branches.values():
        assert b.committee in d.committees, b.id
    for g in d.dorms.values():
        assert g.committee in d.committees, g.id
        if g.branch:
            assert d.branches[g.branch].committee == g.committee, g.id
    all_units = set(d.committees) | set(d.branches) | set(d.dorms)

    attrs: dict[str, tuple] = {}
    current_cadres: Counter[str] = Counter()
    names: set[str] = set()
    sids: set[str] = set()
    for cid, c in d.cadres.items():
        raw = d.raw_cadres[cid]
        assert raw["level"] in ("校级", "系级") and raw["appointment"] in ("专职", "兼职", "挂职")
        if raw["level"] == "系级":
            assert c.committee in d.committees, cid
        assert set(c.units.committees) <= set(d.committees), cid
        assert set(c.units.branches) <= set(d.branches), cid
        assert set(c.units.dorm_groups) <= set(d.dorms), cid
        assert c.contact.channels(), f"{cid}: no contact channel"
        if c.photo:
            assert (d.root / "data" / "photos" / c.photo).is_file(), c.photo
        raw_youth = {r["id"]: r for r in raw["youth"]}
        ids = [y.id for y in c.youth]
        assert len(ids) == len(set(ids)), f"{cid}: duplicate 学号"
        current = [y for y in c.youth if y.is_current(TODAY)]
        stats["entries"] += len(c.youth)
        stats["history"] += sum(1 for y in c.youth if y.until and y.until <= TODAY)
        for y in c.youth:
            yraw = raw_youth[y.id]
            assert y.political_status.label == yraw["political_status"]  # Chinese labels
            assert y.family in cfg.family_categories
            assert y.branch or (y.major and y.grade), f"{cid}: youth without branch or major"
            if y.branch:
                assert y.branch in d.branches
            if y.dorm_group:
                assert y.dorm_group in d.dorms
                if d.dorms[y.dorm_group].branch and y.branch:
                    assert d.dorms[y.dorm_group].branch == y.branch
            assert y.since >= c.since and (y.until is None or y.until > y.since)
            key = tuple(yraw.get(a) for a in YOUTH_ATTRS)
            assert attrs.setdefault(y.id, key) == key, f"学号 {y.id[:4]}…: attributes differ"
            if y.name:
                names.add(y.name)
            sids.add(y.id)
        for y in current:
            current_cadres[y.id] += 1
        # quotas and diversity (units, and the current youth behind them)
        q = cfg.quota(c.level)
        counts = {
            "committees": len(set(c.units.committees)),
            "branches": len(set(c.units.branches)),
            "dorm_groups": len(set(c.units.dorm_groups)),
            "youth": len(current),
        }
        div = {
            "majors": len({youth_major_grade(d, y)[0] for y in current}),
            "grades": len({youth_major_grade(d, y)[1] for y in current}),
            "political_statuses": len({y.political_status for y in current}),
            "family_categories": len({y.family for y in current}),
        }
        ok = all(counts[k] >= getattr(q, k) for k in counts) and all(
            div[k] >= getattr(cfg.diversity, k) for k in div
        )
        if not ok:
            stats["below_quota"].append(cid)
            assert d.grace(c), f"{cid}: below quota after the grace period: {counts} {div}"
        else:
            # the units served are backed by current youth
            assert {y.branch for y in current if y.branch} <= set(c.units.branches), cid
            assert set(c.units.branches) <= {y.branch for y in current}, cid
            assert {y.dorm_group for y in current if y.dorm_group} <= set(c.units.dorm_groups)
            assert set(c.units.dorm_groups) <= {y.dorm_group for y in current}, cid
            if c.units.committees:
                served = {d.branches[y.branch].committee for y in current if y.branch}
                assert served == set(c.units.committees), cid
    assert max(current_cadres.values()) <= cfg.max_cadres_per_youth
    stats["youth"] = len(attrs)

    # notes
    problems: list[tuple[str, Any, dt.date]] = []
    for cid, c in d.cadres.items():
        notes = d.notes[cid]
        assert notes, f"{cid}: no notes"
        by_id = {y.id: y for y in c.youth}
        dates = []
        for n in notes:
            f = n.front
            m = NOTE_NAME.match(n.path.name)
            assert m and m.group(1) == f.date.isoformat(), n.path
            assert c.since <= f.date <= TODAY, n.path
            assert n.raw["kind"] in {k.label for k in type(f.kind)}, n.path
            assert (f.channel is not None) == (n.raw["kind"] == "线上互动"), n.path
            assert set(f.units) <= all_units, n.path
            assert n.body.strip(), n.path
            for sid in f.youth:
                assert sid in by_id and by_id[sid].is_current(f.date), f"{n.path}: participant"
            for p in f.problems:
                problems.append((cid, p, f.date))
                if p.status.label == "已解决":
                    assert p.resolved_on and f.date <= p.resolved_on <= TODAY, n.path
                if p.status.label == "已转交":
                    assert p.forwarded_to, n.path
            dates.append(f.date)
        assert (TODAY - max(dates)).days <= cfg.activity.max_days_without_note, cid
        for year in range(c.since.year - 1, TODAY.year + 1):
            for camp in cfg.campaigns:
                start, end = camp.window(year)
                if c.since <= end < TODAY:
                    assert any(start <= x <= end for x in dates), f"{cid}: {camp.name} {year}"
    # privacy: no youth name or 学号 anywhere public
    for where, text in public_texts(d):
        grams = {text[i : i + k] for k in (2, 3, 4) for i in range(len(text) - k + 1)}
        assert not grams & names, f"{where}: a youth's name in public text"
        assert not any(s in text for s in re.findall(r"[0-9A-Za-z]{4,20}", text) if s in sids)
    stats["notes"] = sum(len(v) for v in d.notes.values())
    stats["problems"] = problems
    stats["categories"] = {p.category.label for _, p, _ in problems}
    stats["statuses"] = {p.status.label for _, p, _ in problems}
    raised_by: dict[str, set[str]] = defaultdict(set)
    for cid, p, _ in problems:
        raised_by[p.summary].add(cid)
    stats["common"] = sorted(s for s, who in raised_by.items() if len(who) >= 2)
    for year, rows in d.surveys.items():
        assert set(rows) <= set(d.cadres), year
    return stats


# --- generated deployments ------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen20")
    generate(out, 20, seed=7, today=TODAY)
    return out


@pytest.fixture(scope="module")
def generated_deployment(generated: Path) -> Deployment:
    return load(generated)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate(tmp_path / "a", 12, seed=3, today=TODAY)
    generate(tmp_path / "b", 12, seed=3, today=TODAY)
    generate(tmp_path / "c", 12, seed=4, today=TODAY)
    a, b, c = (snapshot(tmp_path / x) for x in "abc")
    assert len(a) > 150
    assert a == b
    assert a != c


def test_regenerating_replaces_stale_files_and_keeps_the_rest(tmp_path: Path) -> None:
    generate(tmp_path, 3, today=TODAY)
    before = snapshot(tmp_path)
    stale = tmp_path / "data" / "notes" / "nobody" / "2020-01-01-old.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    keep = tmp_path / "README.md"
    keep.write_text("mine", encoding="utf-8")
    generate(tmp_path, 3, today=TODAY)
    after = snapshot(tmp_path)
    assert not stale.exists()
    assert after.pop("README.md") == b"mine"
    assert after == before


def test_generated_files_are_clean_and_valid(
    generated: Path, generated_deployment: Deployment
) -> None:
    d = generated_deployment
    assert (generated / "site_config.yml").read_bytes() == (REPO / "site_config.yml").read_bytes()
    assert len(d.cadres) == 20
    assert len(d.committees) >= 6
    assert len(d.branches) >= 4 * len(d.committees)
    assert len(d.dorms) >= 10 * len(d.committees)
    # YAML written for people: units as flow lists, every 学号 / phone / QQ quoted
    for path in sorted((generated / "data" / "cadres").glob("*.yml")):
        text = path.read_text("utf-8")
        assert re.search(r"^  branches: \[[a-z0-9, -]+\]$", text, re.M), path
        assert not re.search(r"^  - id: [^\"]", text, re.M), path
        assert not re.search(r"^  (phone|qq): [^\"]", text, re.M), path
        assert not re.search(r"^\s+- \{", text, re.M), path  # no flow mappings in lists


def test_generated_invariants(generated_deployment: Deployment) -> None:
    d = generated_deployment
    stats = check_invariants(d)
    levels = Counter(c.level.label for c in d.cadres.values())
    assert levels["校级"] >= 2 and levels["系级"] >= 10
    assert stats["entries"] >= 20 * 60
    assert stats["history"] > 0
    assert stats["categories"] == {"思想困惑", "实际困难", "意见建议"}
    assert stats["statuses"] == {"待处理", "已转交", "已解决"}
    assert stats["common"], "no problem raised by several cadres"
    # about 5 % grace-period cadres below quota; everybody else meets every quota
    assert 1 <= len(stats["below_quota"]) <= 3
    # an overlap between cadres exists, so the 3-cadre limit was really exercised
    seen = Counter(y.id for c in d.cadres.values() for y in c.youth if y.is_current(TODAY))
    assert max(seen.values()) == d.config.max_cadres_per_youth


def test_existing_site_config_is_kept_and_used(tmp_path: Path) -> None:
    text = (REPO / "site_config.yml").read_text("utf-8")
    text = text.replace("family_categories: [城镇, 农村, 经济困难, 其他]",
                        "family_categories: [甲类, 乙类]")  # fmt: skip
    assert "甲类" in text
    (tmp_path / "site_config.yml").write_text(text, encoding="utf-8")
    generate(tmp_path, 3, seed=2, today=TODAY)
    assert (tmp_path / "site_config.yml").read_text("utf-8") == text
    d = load(tmp_path)
    assert {y.family for c in d.cadres.values() for y in c.youth} == {"甲类", "乙类"}
    check_invariants(d)


def test_cli(tmp_path: Path) -> None:
    assert demo.main(["--cadres", "2", "--out", str(tmp_path), "--seed", "5",
                      "--today", "2026-03-01"]) == 0  # fmt: skip
    assert len(list((tmp_path / "data" / "cadres").glob("*.yml"))) == 2
    for args in (["--out", str(tmp_path)], ["--sample", "--cadres", "3", "--out", str(tmp_path)]):
        with pytest.raises(SystemExit) as exc:
            demo.main(args)
        assert exc.value.code == 2


# --- the committed sample -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Deployment:
    if not (REPO / "data" / "cadres").is_dir():
        pytest.fail("data/ is missing: python -m zhilian.demo --sample --out .")
    return load(REPO)


def test_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate(tmp_path, 0, today=TODAY, sample=True)
    fresh = {k: v for k, v in snapshot(tmp_path).items() if k.startswith("data/")}
    committed = {k: v for k, v in snapshot(REPO / "data").items()}
    committed = {f"data/{k}": v for k, v in committed.items()}
    assert sorted(fresh) == sorted(committed), "regenerate: python -m zhilian.demo --sample --out ."
    assert fresh == committed, "regenerate: python -m zhilian.demo --sample --out ."


def test_sample_statistics(sample: Deployment) -> None:
    d = sample
    stats = check_invariants(d)
    assert len(d.committees) >= 6 and "math" in d.committees
    assert len(d.branches) >= 24
    assert len(d.dorms) >= 60
    levels = Counter(c.level.label for c in d.cadres.values())
    assert levels == {"校级": 4, "系级": 10}
    assert stats["entries"] >= 1000
    assert stats["history"] > 0
    assert stats["notes"] >= 40
    assert stats["categories"] == {"思想困惑", "实际困难", "意见建议"}
    assert stats["statuses"] == {"待处理", "已转交", "已解决"}
    assert "宿舍热水供应不稳定" in stats["common"]
    # exactly two 系级 cadres, appointed within the grace period, are below quota
    below = [d.cadres[cid] for cid in stats["below_quota"]]
    assert len(below) == 2
    assert all(c.level.label == "系级" and d.grace(c) for c in below)
    assert sorted(sum(y.is_current(TODAY) for y in c.youth) for c in below) == [35, 60]
    # one cadre has contact channels but no consent
    no_consent = [c for c in d.cadres.values() if c.contact.consent_on is None]
    assert len(no_consent) == 1 and no_consent[0].contact.channels()
    # most cadres have a GitHub login and an intro, about half a photo
    assert sum(bool(c.github) for c in d.cadres.values()) >= 10
    assert sum(bool(c.intro) for c in d.cadres.values()) >= 10
    assert 5 <= sum(bool(c.photo) for c in d.cadres.values()) <= 9
    # the three campaigns of the past year are all covered
    campaign_dates = {
        "一二·九 2025": (dt.date(2025, 11, 25), dt.date(2025, 12, 15)),
        "五四 2026": (dt.date(2026, 4, 20), dt.date(2026, 5, 15)),
        "国庆 2026": (dt.date(2026, 9, 20), dt.date(2026, 10, 15)),
    }
    all_dates = [n.front.date for ns in d.notes.values() for n in ns]
    for name, (start, end) in campaign_dates.items():
        assert sum(start <= x <= end for x in all_dates) >= 5, name
    assert any(n.front.public for ns in d.notes.values() for n in ns)
    assert {"2025", "2026"} <= set(d.surveys)
    size = sum(p.stat().st_size for p in (REPO / "data").rglob("*") if p.is_file())
    assert size < 1_500_000


def test_sample_photos(sample: Deployment) -> None:
    from PIL import Image

    photos = sorted((REPO / "data" / "photos").iterdir())
    assert {p.name for p in photos} == {c.photo for c in sample.cadres.values() if c.photo}
    with_gps = []
    for p in photos:
        with Image.open(p) as img:
            assert img.format in ("JPEG", "PNG") and p.suffix in (".jpg", ".png")
            assert 300 <= img.width <= 600 and 300 <= img.height <= 600
            if img.getexif().get_ifd(0x8825):
                with_gps.append(p)
    assert len(with_gps) == 1 and with_gps[0].suffix == ".jpg"

"""An independent recomputation of the internal figures, straight from the YAML files.

Nothing here imports zhilian: the files are read with PyYAML's BaseLoader (every scalar a
string) and the documented definitions (``zhilian.evaluation.metric_definitions_markdown``)
are implemented again from scratch, so a page that agrees with these numbers agrees with
the handbook, not merely with itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

LEVEL = {"校级": "school", "school": "school", "系级": "department", "department": "department"}
ONLINE = {"线上互动", "online"}
FORWARDED = {"已转交", "forwarded"}
RESOLVED = {"已解决", "resolved"}
OPEN = {"待处理", "open"}


#: PyYAML's BaseLoader (every scalar a string); its libyaml twin when available (speed).
BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def load(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=BaseLoader)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class Raw:
    config: dict
    committees: list[dict]
    branches: list[dict]
    dorm_groups: list[dict]
    cadres: dict[str, dict]
    notes: dict[str, list[dict]] = field(default_factory=dict)  # front matter only
    surveys: dict[int, dict[str, dict]] = field(default_factory=dict)

    def quota(self, cadre: dict) -> dict[str, int]:
        level = LEVEL[cadre["level"]]
        for key, value in self.config["quotas"].items():
            if LEVEL[key] == level:
                return {k: int(v) for k, v in value.items()}
        raise KeyError(level)

    @property
    def weights(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.config["evaluation"]["weights"].items()}

    @property
    def target(self) -> float:
        return float(self.config["evaluation"]["activity_target_notes_per_month"])


_FRONT = re.compile(r"\A(?:\ufeff)?---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)


@functools.cache
def read(root: Path) -> Raw:
    """The deployment's files (cached: the built fixtures are read-only)."""
    org = root / "data" / "org"
    raw = Raw(
        config=load(root / "site_config.yml"),  # type: ignore[arg-type]
        committees=load(org / "committees.yml")["committees"],  # type: ignore[index]
        branches=load(org / "branches.yml")["branches"],  # type: ignore[index]
        dorm_groups=load(org / "dorm_groups.yml")["dorm_groups"],  # type: ignore[index]
        cadres={p.stem: load(p) for p in sorted((root / "data" / "cadres").glob("*.yml"))},  # type: ignore[misc]
    )
    for folder in sorted((root / "data" / "notes").iterdir()):
        for path in sorted(folder.glob("*.md")):
            match = _FRONT.match(path.read_text(encoding="utf-8"))
            assert match, path
            front = yaml.load(match.group(1), Loader=BaseLoader)
            raw.notes.setdefault(folder.name, []).append(front)
    survey_dir = root / "data" / "surveys"
    for path in sorted(survey_dir.glob("*.yml")) if survey_dir.is_dir() else []:
        raw.surveys[int(path.stem)] = load(path) or {}  # type: ignore[assignment]
    return raw


# --- the documented definitions, again --------------------------------------------------


def current_ids(cadre: dict, on: dt.date) -> set[str]:
    return {
        y["id"]
        for y in cadre.get("youth", [])
        if day(y["since"]) <= on and ("until" not in y or on < day(y["until"]))
    }


def counts(cadre: dict, on: dt.date) -> dict[str, int]:
    units = cadre.get("units", {})
    school = LEVEL[cadre["level"]] == "school"
    return {
        "committees": len(set(units.get("committees", []))) if school else 0,
        "branches": len(set(units.get("branches", []))),
        "dorm_groups": len(set(units.get("dorm_groups", []))),
        "youth": len(current_ids(cadre, on)),
    }


def fulfilment(raw: Raw, cid: str, on: dt.date) -> float:
    quota, actual = raw.quota(raw.cadres[cid]), counts(raw.cadres[cid], on)
    parts = [
        1.0 if quota[k] == 0 else min(1.0, actual[k] / quota[k])
        for k in ("committees", "branches", "dorm_groups", "youth")
    ]
    return sum(parts) / len(parts)


def meets_quotas(raw: Raw, cid: str, on: dt.date) -> bool:
    quota, actual = raw.quota(raw.cadres[cid]), counts(raw.cadres[cid], on)
    return all(actual[k] >= quota[k] for k in quota)


def note_dates(raw: Raw, cid: str) -> list[dt.date]:
    return [day(n["date"]) for n in raw.notes.get(cid, [])]


def activity(raw: Raw, cid: str, on: dt.date, data_day: dt.date) -> float:
    since = day(raw.cadres[cid]["since"])
    start = max(since, on - dt.timedelta(days=365))
    n = sum(1 for d in note_dates(raw, cid) if start <= d <= on and d <= data_day)
    months = max(1.0, (on - start).days * 12 / 365)
    return min(1.0, n / months / raw.target)


def satisfaction(raw: Raw, cid: str, year: int) -> tuple[int, int, int] | None:
    for y in sorted(raw.surveys, reverse=True):
        entry = raw.surveys[y].get(cid) if y <= year else None
        if entry and int(entry["respondents"]) > 0:
            return y, int(entry["respondents"]), int(entry["satisfied"])
    return None


def composite(raw: Raw, f: float, a: float, s: float | None) -> float:
    w = raw.weights
    if s is None:
        return 100 * (w["fulfilment"] * f + w["activity"] * a) / (w["fulfilment"] + w["activity"])
    return 100 * (w["fulfilment"] * f + w["activity"] * a + w["satisfaction"] * s)


def assessment(
    raw: Raw, cid: str, on: dt.date, survey_year: int, data_day: dt.date | None = None
) -> tuple[float, float, float | None, float]:
    f = fulfilment(raw, cid, on)
    a = activity(raw, cid, on, data_day or on)
    sat = satisfaction(raw, cid, survey_year)
    s = sat[2] / sat[1] if sat else None
    return f, a, s, composite(raw, f, a, s)


def problems(
    raw: Raw, cid: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[dict]:
    out = []
    for note in raw.notes.get(cid, []):
        d = day(note["date"])
        if (start is None or start <= d) and (end is None or d <= end):
            out.extend(note.get("problems", []))
    return out


def status_of(problem: dict) -> str:
    value = problem.get("status", "待处理")
    if value in FORWARDED:
        return "已转交"
    if value in RESOLVED:
        return "已解决"
    assert value in OPEN, value
    return "待处理"


def overlap(raw: Raw, on: dt.date) -> dict[str, int]:
    holders: dict[str, int] = {}
    for cadre in raw.cadres.values():
        for sid in current_ids(cadre, on):
            holders[sid] = holders.get(sid, 0) + 1
    limit = int(raw.config["max_cadres_per_youth"])
    return {sid: n for sid, n in holders.items() if n > limit}


def campaign_windows(
    raw: Raw, start: dt.date, end: dt.date
) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """Each campaign's windows that begin within [start, end]."""
    out = {}
    for c in raw.config.get("campaigns", []):
        windows = []
        for year in range(start.year - 1, end.year + 1):
            m1, d1 = map(int, c["start"].split("-"))
            m2, d2 = map(int, c["end"].split("-"))
            s, e = dt.date(year, m1, d1), dt.date(year, m2, d2)
            if e < s:
                e = dt.date(year + 1, m2, d2)
            if start <= s <= end:
                windows.append((s, e))
        out[c["name"]] = windows
    return out


# --- reading pages ------------------------------------------------------------------------


class Tables(HTMLParser):
    """Every <table> of a page: rows of cells (text, attributes, hrefs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._stack.append({"attrs": a, "rows": []})
        elif tag == "tr" and self._stack:
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = {"text": "", "attrs": a, "hrefs": []}
            self._stack[-1]["rows"][-1].append(self._cell)
        elif tag == "a" and self._cell is not None:
            self._cell["hrefs"].append(a.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data


def tables(html: str) -> list[dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def table_by_id(html: str, ident: str) -> dict:
    return next(t for t in tables(html) if t["attrs"].get("id") == ident)


def table_by_class(html: str, cls: str) -> list[dict]:
    return [t for t in tables(html) if cls in (t["attrs"].get("class") or "").split()]

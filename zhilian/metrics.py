"""Per-cadre figures computed once and shared by the rules, the internal pages and the
annual report, so a number on a page is the number the checker judged."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial

from .load import Deployment
from .model.data import Branch, Cadre, Youth
from .model.enums import Level
from .records import CadreRecords

#: (quota key, Chinese label, diagnostic code)
QUOTAS: tuple[tuple[str, str, str], ...] = (
    ("committees", "分团委", "Q001"),
    ("branches", "团支部", "Q002"),
    ("dorm_groups", "宿舍团小组", "Q003"),
    ("youth", "青年", "Q004"),
)

#: (diversity key, Chinese label, diagnostic code)
DIVERSITY: tuple[tuple[str, str, str], ...] = (
    ("majors", "专业", "V001"),
    ("grades", "年级", "V002"),
    ("political_statuses", "政治面貌", "V003"),
    ("family_categories", "家庭情况", "V004"),
)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    code: str
    required: int
    actual: int

    @property
    def met(self) -> bool:
        return self.actual >= self.required

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.actual)

    @property
    def ratio(self) -> float:
        """Fulfilment of this measure, capped at 1 (a quota of 0 is always fulfilled)."""
        return 1.0 if self.required == 0 else min(1.0, self.actual / self.required)


@dataclass
class CadreStatus:
    """A cadre's figures on one day: no validated model in it, so that it is kept on disk
    with the other per-cadre results (``records``) and read back without the cadre's file."""

    cadre_id: str
    current_ids: list[str]  # the 学号 on the current list, each once, in the list's order
    quotas: list[Measure]
    diversity: list[Measure]
    #: diversity key → value → count (plain dicts: a ``Counter`` is rebuilt by Python code
    #: when a status is read from the records, 40 % of the time it took)
    breakdown: dict[str, dict[str, int]] = field(default_factory=dict)
    grace_end: dt.date = dt.date.min
    in_grace: bool = False

    @property
    def quotas_met(self) -> bool:
        return all(m.met for m in self.quotas)

    @property
    def fulfilment(self) -> float:
        """实现度: the mean of the quota ratios (each capped at 1)."""
        return sum(m.ratio for m in self.quotas) / len(self.quotas)


def major_and_grade(youth: Youth, dep: Deployment) -> tuple[str | None, str | None]:
    """A youth's major and grade: from the branch when given, else the explicit fields."""
    return major_and_grade_in(youth, dep.branches.get(youth.branch) if youth.branch else None)


def major_and_grade_in(youth: Youth, branch: Branch | None) -> tuple[str | None, str | None]:
    """:func:`major_and_grade`, the youth's branch looked up already."""
    if branch is not None:
        return youth.major or branch.major, youth.grade or branch.grade
    return youth.major, youth.grade


def cadre_status(cadre_id: str, cadre: Cadre, dep: Deployment, today: dt.date) -> CadreStatus:
    config = dep.config
    current = [y for y in cadre.youth if y.is_current(today)]
    # A 学号 listed twice is one person (R007 reports the duplicate).
    unique = list({y.id: y for y in current}.values())
    quota = config.quota(cadre.level)
    counts = {
        "committees": len(set(cadre.units.committees)) if cadre.level is Level.SCHOOL else 0,
        "branches": len(set(cadre.units.branches)),
        "dorm_groups": len(set(cadre.units.dorm_groups)),
        "youth": len(unique),
    }
    quotas = [
        Measure(key, label, code, getattr(quota, key), counts[key]) for key, label, code in QUOTAS
    ]
    # (counted by ``Counter`` from lists, in C: one update a youth and attribute took half
    # of a status's time; the first youth with a value still puts it first)
    known = [major_and_grade(y, dep) for y in unique]
    breakdown: dict[str, Counter[str]] = {
        "majors": Counter([major or "未知" for major, _ in known]),
        "grades": Counter([grade or "未知" for _, grade in known]),
        "political_statuses": Counter([y.political_status.label for y in unique]),
        "family_categories": Counter([y.family for y in unique]),
    }
    diversity = [
        Measure(key, label, code, getattr(config.diversity, key), len(breakdown[key]))
        for key, label, code in DIVERSITY
    ]
    grace_end = cadre.since + dt.timedelta(days=config.grace_days)
    return CadreStatus(
        cadre_id=cadre_id,
        current_ids=[y.id for y in unique],
        quotas=quotas,
        diversity=diversity,
        breakdown={key: dict(counts) for key, counts in breakdown.items()},
        grace_end=grace_end,
        in_grace=today < grace_end,
    )


def all_statuses(
    dep: Deployment, today: dt.date, records: CadreRecords | None = None
) -> Mapping[str, CadreStatus]:
    """Every cadre's status by id; with ``records``, each kept there and taken (or made
    again) when first looked up: see :class:`Statuses`."""
    if records is None:
        return {cid: status_of(cid, dep, today) for cid in dep.cadres}
    return Statuses(dep, today, records)


class Statuses(Mapping[str, CadreStatus]):
    """The cadres' statuses, each taken from the records (or made again: by id, a cadre is
    looked up only then, see ``load.Cadres``) when first asked for.  The processes a build
    forks for the public site and the annual report need none of them, so they start
    before the statuses are read (1,000 of them: 0.03 s)."""

    def __init__(self, dep: Deployment, today: dt.date, records: CadreRecords) -> None:
        self._ids = list(dep.cadres)
        self._dep, self._today, self._records = dep, today, records
        self._made: dict[str, CadreStatus] = {}

    def __getitem__(self, cadre_id: str) -> CadreStatus:
        found = self._made.get(cadre_id)
        if found is None:
            if cadre_id not in self._dep.cadres:
                raise KeyError(cadre_id)
            found = self._made[cadre_id] = self._records.get(
                "status", cadre_id, partial(status_of, cadre_id, self._dep, self._today)
            )
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def status_of(cadre_id: str, dep: Deployment, today: dt.date) -> CadreStatus:
    return cadre_status(cadre_id, dep.cadres[cadre_id], dep, today)


def cadres_per_youth(statuses: Mapping[str, CadreStatus]) -> dict[str, list[str]]:
    """学号 → the cadres whose current list holds it (sorted)."""
    holders: dict[str, list[str]] = {}
    for cid in sorted(statuses):
        for student_id in statuses[cid].current_ids:
            holders.setdefault(student_id, []).append(cid)
    return holders


def campaign_windows(
    dep: Deployment, since: dt.date, today: dt.date
) -> list[tuple[str, int, dt.date, dt.date]]:
    """Campaign windows that ended before ``today``, began on/after ``since`` and lie within
    the last year: (campaign name, year, start, end), oldest first."""
    windows = []
    for year in range(today.year - 1, today.year + 1):
        for campaign in dep.config.campaigns:
            start, end = campaign.window(year)
            if since <= start and end < today and (today - end).days <= 366:
                windows.append((campaign.name, year, start, end))
    return sorted(windows, key=lambda w: w[2])

"""The internal view: every figure the committee's progress pages show, computed once from
a :class:`~zhilian.pipeline.CheckResult` (all dates from ``result.today``).

Youth appear here only masked (李*, 2023****03).  Text written by cadres (note titles and
bodies, problem summaries) may mention a youth by name or 学号; :class:`Redactor` masks every
listed youth's name and 学号 in it before it reaches a template.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import operator
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from typing import TypeVar

from ..calendar import CalendarUnknown, Deadline, next_deadline, report_deadline
from ..diagnostics import mask_name, mask_student_id
from ..evaluation import (
    KEY_PHRASE_CHARS,
    SIMILARITY_RATIO,
    Assessment,
    assess,
    metric_definitions_markdown,
)
from ..load import Deployment, Note
from ..metrics import (
    DIVERSITY,
    QUOTAS,
    CadreStatus,
    major_and_grade_in,
    status_of,
)
from ..model.config import SiteConfig
from ..model.data import Cadre, Problem
from ..model.enums import NoteKind, ProblemCategory, ProblemStatus
from ..pipeline import CheckResult
from ..records import CadreRecords, digest_of
from ..render.markdown import render_markdown
from ..rules.base import current_ids
from ..rules.privacy import PersonalInfo
from .pinyin import spelling

T = TypeVar("T")

#: Group key of school-level cadres who belong to no 分团委.
SCHOOL_GROUP = ""
SCHOOL_GROUP_NAME = "校级（校团委）"


# --- masking ------------------------------------------------------------------------------


_ALNUM = re.compile(r"[0-9A-Za-z]+")
@functools.cache
def _cjk_run() -> re.Pattern[str]:
    return re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # (compiled when used: 1 ms)


def _mask_known(
    text: str,
    known: set[str],
    lengths: list[int],
    mask: Callable[[str], str],
    starts: re.Pattern[str] | None = None,
) -> str:
    """Replace each piece of ``text`` that is in ``known`` (left to right, the longest at
    a position first) by ``mask(piece)``; ``starts`` matches the characters a known piece
    can begin with, so only those positions are tried."""
    out, done = [], 0
    positions = range(len(text)) if starts is None else (m.start() for m in starts.finditer(text))
    for pos in positions:
        if pos < done:
            continue  # inside a piece masked already
        size = next((n for n in lengths if text[pos : pos + n] in known), 0)
        if size:
            out += (text[done:pos], mask(text[pos : pos + size]))
            done = pos + size
    out.append(text[done:])
    return "".join(out)


@dataclass(frozen=True)
class MaskPlan:
    """What :class:`Redactor` works out from the listed 学号 and names once (0.03 s for
    100,000 youth; kept between builds without the names themselves, which the privacy
    index holds already)."""

    cjk_lengths: list[int]
    first_chars: str  # the characters a CJK name begins with
    other_names: list[str]  # names not all CJK, the longest first
    id_lengths: list[int]

    @classmethod
    def of(cls, known: PersonalInfo) -> MaskPlan:
        cjk_run = _cjk_run()
        cjk = [n for n in known.names if cjk_run.fullmatch(n)]
        return cls(
            cjk_lengths=sorted({len(n) for n in cjk}, reverse=True),
            first_chars="".join(sorted({n[0] for n in cjk})),
            other_names=sorted(
                (n for n in known.names if not cjk_run.fullmatch(n)), key=lambda n: (-len(n), n)
            ),
            id_lengths=sorted({len(i) for i in known.ids if len(i) >= 6}, reverse=True),
        )


class Redactor:
    """Masks every listed youth's 学号 and name (2+ characters) in free text."""

    def __init__(self, known: PersonalInfo, plan: MaskPlan | None = None) -> None:
        """``known``: the same index the privacy rule scans public text with; ``plan``:
        ``MaskPlan.of(known)``, when kept."""
        self.ids, self.names = known.ids, known.names
        self.known = known
        plan = plan or MaskPlan.of(known)
        self.cjk_lengths, self.other_names = plan.cjk_lengths, plan.other_names
        self.id_lengths = plan.id_lengths
        first_chars = plan.first_chars
        self.name_starts = re.compile(f"[{re.escape(first_chars)}]") if first_chars else None

    @property
    def digest(self) -> bytes:
        """Changes exactly when what gets masked does (the listed 学号 and names)."""
        return self.known.digest

    def _ids(self, match: re.Match[str]) -> str:
        token = match.group()
        if token in self.ids:
            return mask_student_id(token)
        if not self.id_lengths or len(token) < self.id_lengths[-1]:
            return token  # too short to hold one (most tokens: tag names, numbers)
        # A 学号 glued to other letters or digits ("学号2023010203号" is split at the CJK
        # characters already; "id2023010203" is not): mask any listed 学号 of 6+ characters
        # inside the token (checking each substring of a 学号 length: no scan over all ids).
        return _mask_known(token, self.ids, self.id_lengths, mask_student_id)

    def __call__(self, text: str | None) -> str:
        if not text:
            return text or ""
        text = _ALNUM.sub(self._ids, text)
        if self.name_starts is not None:  # a CJK name lies within one run of CJK characters
            text = _mask_known(text, self.names, self.cjk_lengths, mask_name, self.name_starts)
        for name in self.other_names:
            if name in text:
                text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", mask_name(name), text)
        return text


# --- view models ----------------------------------------------------------------------------


@dataclass
class MaskedYouth:
    """A row of a cadre's youth table, its fields in the columns' order (made by position:
    ``_masked_youth``, 100,000 of them)."""

    sid: str  # masked 学号
    name: str  # masked name ("" when not given)
    major: str
    grade: str
    political_status: str
    family: str
    branch: str
    dorm_group: str
    since: dt.date
    until: dt.date | None
    current: bool


@dataclass
class QuotaBar:
    key: str
    label: str
    actual: int
    required: int
    ratio: float
    met: bool
    shortfall: int
    state: str  # 达标 | 期内 | 已逾期 | 不考核 (a requirement of 0)
    due: dt.date


@dataclass
class DiversityView:
    key: str
    label: str
    actual: int
    required: int
    met: bool
    breakdown: list[tuple[str, int]]


@dataclass
class ProblemItem:
    cadre_id: str
    cadre_name: str
    note_date: dt.date
    note_anchor: str
    note_title: str
    category: ProblemCategory
    summary: str
    status: ProblemStatus
    forwarded_to: str
    resolved_on: dt.date | None
    age: int | None  # days since the note, for unresolved items
    cluster: int | None = None  # index into InternalView.common when a common issue

    @cached_property
    def key(self) -> str:
        """The summary as common issues compare it (:func:`normalise_summary`): worked out
        once, and kept with the item's view (a rebuild then normalises the edited only)."""
        return normalise_summary(self.summary)


@dataclass
class NoteView:
    anchor: str
    date: dt.date
    title: str
    kind: str
    online: bool
    channel: str
    units: list[str]
    participants: int
    campaign: str
    public: bool
    body_html: str
    problems: list[ProblemItem]


@dataclass
class CampaignCell:
    state: str  # 有记录 | 缺 | 进行中 | 未开始 | 任职前
    notes: int

    @property
    def ok(self) -> bool:
        return self.state == "有记录"


@dataclass
class CampaignWindow:
    key: str
    name: str
    year: int
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.year} {self.name}"


@dataclass
class CadreView:
    id: str
    name: str
    level: str
    level_key: str
    appointment: str
    title: str
    group_key: str
    group_name: str
    since: dt.date
    grace_end: dt.date
    in_grace: bool
    quotas: list[QuotaBar]
    all_met: bool
    diversity: list[DiversityView]
    committees: list[tuple[str, str]]
    branches: list[tuple[str, str]]
    dorm_groups: list[tuple[str, str]]
    assessment: Assessment
    problems: list[ProblemItem]  # newest note first
    surveys: list[tuple[int, int, int, float | None]]  # year, respondents, satisfied, ratio
    campaigns: list[CampaignCell]  # aligned with InternalView.windows
    sort_key: tuple[str, ...] = ()

    @property
    def fulfilment(self) -> float:
        return self.assessment.fulfilment

    @property
    def required_youth(self) -> int:
        return next((q.required for q in self.quotas if q.key == "youth"), 0)


@dataclass(frozen=True)
class CadreRow:
    """What the pages about every cadre take of one: made with its :class:`CadreView` and
    kept beside it, so that a rebuild reads a cadre's whole view only for the pages that
    show more of it (its own, its 分团委's, the problem lists when they change)."""

    id: str
    name: str
    sort_key: tuple[str, ...]
    group_key: str
    level_key: str
    all_met: bool
    fulfilment: float
    composite: float | None
    in_grace: bool
    grace_end: dt.date
    committees: tuple[str, ...]
    branches: tuple[str, ...]
    dorm_groups: tuple[str, ...]
    campaigns: tuple[CampaignCell, ...]
    problems: int
    open_problems: int

    @classmethod
    def of(cls, view: CadreView) -> CadreRow:
        return cls(
            view.id, view.name, view.sort_key, view.group_key, view.level_key, view.all_met,
            view.fulfilment, view.assessment.composite, view.in_grace, view.grace_end,
            tuple(u for u, _ in view.committees), tuple(u for u, _ in view.branches),
            tuple(u for u, _ in view.dorm_groups), tuple(view.campaigns), len(view.problems),
            sum(1 for p in view.problems if p.status is ProblemStatus.OPEN),
        )


class Lazy(Mapping[str, T]):
    """Values by cadre id, in a given order, each made when first asked for."""

    def __init__(self, order: Iterable[str], make: Callable[[str], T]) -> None:
        self._order = list(order)
        self._known = set(self._order)
        self._make = make
        self._made: dict[str, T] = {}

    def __getitem__(self, cadre_id: str) -> T:
        if cadre_id not in self._made:
            if cadre_id not in self._known:
                raise KeyError(cadre_id)
            self._made[cadre_id] = self._make(cadre_id)
        return self._made[cadre_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class CadreViews(Lazy["CadreView"]):
    """Every cadre's view in display order, each read from the records when first asked
    for, with the common issue of each of its problems marked on it (``mark_clusters``)."""

    def __init__(self, order: Iterable[str], view_of: Callable[[str], CadreView]) -> None:
        super().__init__(order, lambda cid: self._mark(view_of(cid)))
        self._clusters: dict[str, tuple[int | None, ...]] = {}

    def mark_clusters(self, clusters: dict[str, tuple[int | None, ...]]) -> None:
        """Each problem's common issue (``ProblemItem.cluster``), by cadre."""
        self._clusters = clusters
        for view in self._made.values():
            self._mark(view)

    def _mark(self, view: CadreView) -> CadreView:
        marks = self._clusters.get(view.id, ())
        for index, item in enumerate(view.problems):
            item.cluster = marks[index] if index < len(marks) else None
        return view


@dataclass
class CadreDetail:
    """What only the cadre's own page shows, and the costly part of it (masking every youth
    row, rendering and masking every note): built only for a page that is rendered."""

    youth: list[MaskedYouth]
    history: list[tuple[dt.date, int]]
    notes: list[NoteView]  # newest first


@dataclass
class GroupView:
    key: str  # committee id, or SCHOOL_GROUP
    name: str
    rows: list[CadreRow]
    is_committee: bool
    views: CadreViews = field(repr=False, compare=False)
    branches: list[tuple[str, str, str, str, list[str]]] = field(default_factory=list)
    dorm_groups: list[tuple[str, str, list[str]]] = field(default_factory=list)
    served_by: list[str] = field(default_factory=list)  # 校级 cadres listing this committee
    current_youth: int = 0
    complete: bool = False
    pending: list[tuple[str, str]] = field(default_factory=list)  # (cadre id, why)

    @property
    def cadres(self) -> list[CadreView]:
        """The group's cadres' whole views (read for its page only)."""
        return [self.views[row.id] for row in self.rows]

    @property
    def fulfilment(self) -> float | None:
        if not self.rows:
            return None
        return sum(c.fulfilment for c in self.rows) / len(self.rows)

    @property
    def met(self) -> int:
        return sum(1 for c in self.rows if c.all_met)

    @property
    def branch_gaps(self) -> int:
        return sum(1 for b in self.branches if not b[4])

    @property
    def dorm_gaps(self) -> int:
        return sum(1 for d in self.dorm_groups if not d[2])

    @property
    def gaps(self) -> int:
        """Units of this 分团委 that no cadre serves (coverage gaps)."""
        return self.branch_gaps + self.dorm_gaps


@dataclass
class LevelRow:
    key: str
    label: str
    cadres: int
    met: int
    fulfilment: float | None


@dataclass
class OverlapRow:
    sid: str  # masked
    cadres: list[str]


@dataclass
class MonthRow:
    label: str  # YYYY-MM
    by_kind: dict[str, int]
    online: int
    offline: int

    @property
    def total(self) -> int:
        return self.online + self.offline


@dataclass
class CommonIssue:
    category: ProblemCategory
    summaries: list[str]
    cadres: list[str]
    items: list[ProblemItem]

    @property
    def open(self) -> int:
        return sum(1 for p in self.items if p.status is ProblemStatus.OPEN)


@dataclass(frozen=True)
class KeptIssue:
    """A common issue as it is kept between builds: its problems by where they are."""

    category: ProblemCategory
    summaries: list[str]
    cadres: list[str]
    refs: list[tuple[str, int]]  # (cadre id, index in its view's problems)
    open: int


class IssueView:
    """A common issue for the pages: its problems are read from the cadres' views when a
    page shows them."""

    def __init__(self, kept: KeptIssue, views: CadreViews) -> None:
        self.category, self.summaries, self.cadres = kept.category, kept.summaries, kept.cadres
        self.open = kept.open
        self._refs, self._views = kept.refs, views

    @cached_property
    def items(self) -> list[ProblemItem]:
        return [self._views[cid].problems[index] for cid, index in self._refs]


@dataclass
class SurveyYear:
    year: int
    cadres: int
    respondents: int
    satisfied: int

    @property
    def ratio(self) -> float | None:
        return self.satisfied / self.respondents if self.respondents else None


@dataclass
class InternalView:
    today: dt.date
    config: SiteConfig
    cadres: CadreViews  # id → view, in display order (pinyin of the name)
    rows: dict[str, CadreRow]  # the same order
    groups: list[GroupView]
    levels: list[LevelRow]
    overlap: list[OverlapRow]
    windows: list[CampaignWindow]
    months: list[MonthRow]
    kinds: list[tuple[str, str]]  # (key, label) of NoteKind
    common: list[IssueView]
    clusters: dict[str, tuple[int | None, ...]]  # each cadre's problems' common issues
    surveys: list[SurveyYear]
    deadline: Deadline | None  # the next deadline (on or after today)
    deadline_error: str | None  # why the next deadline is unknown
    past_deadline: Deadline | None  # this year's deadline once it has passed
    definitions_html: str
    report_year: int
    redact: Redactor  # masks free text; the cadre pages' details need it
    report_files: list[str] = field(default_factory=list)  # filled by the renderer

    @property
    def committees(self) -> list[GroupView]:
        return [g for g in self.groups if g.is_committee]

    @cached_property
    def places(self) -> dict[str, int]:
        """Each cadre's place in display order (a page that names a few cadres lists them
        in this order without going through all the rows)."""
        return {cid: place for place, cid in enumerate(self.rows)}

    @cached_property
    def problems(self) -> list[ProblemItem]:
        """Every cadre's problems, the oldest first (read from every view: for the problem
        lists' page only)."""
        items = (p for cid, row in self.rows.items() if row.problems for p in self.cadres[cid].problems)
        return sorted(items, key=_problem_order)

    @property
    def fulfilment(self) -> float | None:
        rows = list(self.rows.values())
        return sum(c.fulfilment for c in rows) / len(rows) if rows else None

    @property
    def below_quota(self) -> list[CadreRow]:
        rows = [c for c in self.rows.values() if not c.all_met]
        return sorted(rows, key=lambda c: (c.in_grace, c.grace_end, c.sort_key))

    @property
    def by_composite(self) -> list[CadreRow]:
        return sorted(self.rows.values(), key=lambda c: (-(c.composite or 0.0), c.sort_key))

    @property
    def window_totals(self) -> list[tuple[int, int]]:
        """Per campaign window: (cadres with a note, cadres for whom it counts)."""
        totals = []
        for i in range(len(self.windows)):
            cells = [c.campaigns[i] for c in self.rows.values()]
            totals.append(
                (
                    sum(1 for c in cells if c.ok),
                    sum(1 for c in cells if c.state in ("有记录", "缺", "进行中")),
                )
            )
        return totals

    @property
    def incomplete(self) -> list[GroupView]:
        return [g for g in self.committees if not g.complete]

    @property
    def open_problems(self) -> int:
        return sum(row.open_problems for row in self.rows.values())


# --- helpers --------------------------------------------------------------------------------


def pinyin_key(name: str, ident: str) -> tuple[str, ...]:
    return (" ".join(spelling(name)), name, ident)


def note_anchors(notes: list[Note]) -> dict[str, str]:
    """slug → the note's anchor on its cadre page: ``note-<n>`` by position (date order).
    Never the file name: a cadre may have put a 学号 into it."""
    return {note.slug: f"note-{index}" for index, note in enumerate(notes, start=1)}


def campaign_of(config: SiteConfig, day: dt.date) -> str:
    """The campaign (五四 / 国庆 / 一二·九) whose window holds ``day``, or ""."""
    for campaign in config.campaigns:
        for year in (day.year - 1, day.year):
            start, end = campaign.window(year)
            if start <= day <= end:
                return campaign.name
    return ""


def current_windows(config: SiteConfig, today: dt.date) -> list[CampaignWindow]:
    """Every campaign window of the previous and the current year, oldest first."""
    windows = []
    for year in (today.year - 1, today.year):
        for campaign in config.campaigns:
            start, end = campaign.window(year)
            windows.append(CampaignWindow(campaign.key, campaign.name, year, start, end))
    return sorted(windows, key=lambda w: (w.start, w.key))


def campaign_cell(
    window: CampaignWindow, since: dt.date, dates: list[dt.date], today: dt.date
) -> CampaignCell:
    inside = sum(1 for d in dates if window.start <= d <= min(window.end, today))
    if inside:
        return CampaignCell("有记录", inside)
    if window.start > today:
        return CampaignCell("未开始", 0)
    if window.start < since:  # as the A002 rule: windows that began before appointment
        return CampaignCell("任职前", 0)
    if window.end >= today:
        return CampaignCell("进行中", 0)
    return CampaignCell("缺", 0)


def contact_history(cadre: Cadre, today: dt.date) -> list[tuple[dt.date, int]]:
    """(date, number of youth in contact from that date on): a step function from the
    first ``since`` (or the appointment) to ``today``; the last point is ``today``."""
    unique = list({y.id: y for y in cadre.youth}.values())
    delta: Counter[dt.date] = Counter()
    for y in unique:
        delta[y.since] += 1
        if y.until is not None:
            delta[y.until] -= 1
    points: list[tuple[dt.date, int]] = []
    count = 0
    for day in sorted({*delta, cadre.since, today}):
        count += delta[day]
        if day > today:
            break
        if not points or points[-1][1] != count or day == today:
            points.append((day, count))
    return points


def quota_state(status: CadreStatus, met: bool, required: int = 1) -> str:
    if required == 0:
        return "不考核"
    if met:
        return "达标"
    return "期内" if status.in_grace else "已逾期"


@lru_cache(maxsize=1 << 16)  # 17,000 problems at 1,000 cadres, the same each rebuild
def normalise_summary(text: str) -> str:
    """Summaries compared for common issues: NFKC, no punctuation/symbols/spaces, lower."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


def _grams(text: str) -> set[str]:
    n = KEY_PHRASE_CHARS
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def similar(a: str, b: str) -> bool:
    """The same issue: equal, a shared key phrase, or a difflib ratio ≥ 0.6 (normalised)."""
    return a == b or bool(_grams(a) & _grams(b)) or _ratio_reaches(a, b, Counter(a), Counter(b))


def _ratio_reaches(a: str, b: str, count_a: Counter[str], count_b: Counter[str]) -> bool:
    """``SequenceMatcher(None, a, b).ratio() >= SIMILARITY_RATIO``, trying difflib's own
    upper bounds first — from the lengths, then from the character counts, computed once
    per text by the caller — as building the matcher is what costs."""
    length = len(a) + len(b)
    if 2.0 * min(len(a), len(b)) / length < SIMILARITY_RATIO:  # real_quick_ratio
        return False
    common = sum(min(n, count_b[ch]) for ch, n in count_a.items() if ch in count_b)
    if 2.0 * common / length < SIMILARITY_RATIO:  # quick_ratio
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILARITY_RATIO


def cluster_keys(keys: list[str]) -> list[int]:
    """Union–find over distinct normalised summaries: each key's cluster (its smallest
    index).  Keys sharing a key phrase are joined through an index of their n-grams
    (linear); the remaining pairs — none of which share one — by difflib's ratio."""
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first_with: dict[str, int] = {}
    for index, key in enumerate(keys):
        for gram in _grams(key):
            if gram in first_with:
                union(index, first_with[gram])
            else:
                first_with[gram] = index
    counts = [Counter(key) for key in keys]
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if find(i) != find(j) and _ratio_reaches(keys[i], keys[j], counts[i], counts[j]):
                union(i, j)
    return [find(i) for i in range(len(keys))]


Clustering = Callable[[list[str]], list[int]]


def common_issues(
    items: list[ProblemItem], min_cadres: int, cluster: Clustering = cluster_keys
) -> list[CommonIssue]:
    """Clusters of similar problems (same category; similarity is transitive) raised by at
    least ``min_cadres`` different cadres.  Marks each member's ``cluster``."""
    found: list[CommonIssue] = []
    by_category: dict[ProblemCategory, list[ProblemItem]] = defaultdict(list)
    for item in items:
        item.cluster = None  # (an item kept from the previous build may have had one)
        by_category[item.category].append(item)
    for category in ProblemCategory:
        members = by_category.get(category, [])
        keys = sorted({p.key for p in members})
        roots = cluster(keys)
        clusters: dict[int, list[ProblemItem]] = defaultdict(list)
        index_of = {key: i for i, key in enumerate(keys)}
        for item in members:
            clusters[roots[index_of[item.key]]].append(item)
        for root in sorted(clusters):
            group = clusters[root]
            cadres = sorted({p.cadre_id for p in group})
            if len(cadres) >= min_cadres:
                found.append(
                    CommonIssue(
                        category,
                        sorted({p.summary for p in group}),
                        cadres,
                        sorted(group, key=_problem_order),
                    )
                )
    found.sort(key=lambda c: (not c.open, -len(c.cadres), c.category.value, c.summaries))
    for index, issue in enumerate(found):
        for item in issue.items:
            item.cluster = index
    return found


def _common_issues(
    result: CheckResult, views: CadreViews, cluster: Clustering, masked: bytes
) -> tuple[list[IssueView], dict[str, tuple[int | None, ...]]]:
    """The common issues, and each cadre's problems' issue: kept while every cadre's
    problems are the same (then no view is read).  ``masked``: the digest of what the
    views' text is masked with (each cadre's problems' digest is kept by it too)."""
    records, min_cadres = result.records, result.config.problems.common_issue_min_cadres

    def digest(cid: str) -> bytes:
        return digest_of([(p.category, p.summary, p.status, p.note_date, p.note_anchor)
                          for p in views[cid].problems])

    parts = tuple(
        (cid, records.get("problems digest", cid, partial(digest, cid), masked)) for cid in views
    )

    def compute() -> tuple[list[KeptIssue], dict[str, tuple[int | None, ...]]]:
        items, where = [], {}
        for cid in views:
            for index, item in enumerate(views[cid].problems):
                items.append(item)
                where[id(item)] = (cid, index)
        items.sort(key=_problem_order)  # (as the problem lists order them)
        found = common_issues(items, min_cadres, cluster)
        kept = [
            KeptIssue(c.category, c.summaries, c.cadres, [where[id(p)] for p in c.items], c.open)
            for c in found
        ]
        clusters = {
            cid: tuple(p.cluster for p in views[cid].problems)
            for cid in views if any(p.cluster is not None for p in views[cid].problems)
        }
        return kept, clusters

    kept, clusters = records.whole("common issues", (parts, min_cadres), compute)
    return [IssueView(issue, views) for issue in kept], clusters


def _problem_order(p: ProblemItem) -> tuple[object, ...]:
    return (p.note_date, p.cadre_id, p.note_anchor, p.summary)


def unresolved(problem: Problem) -> bool:
    return problem.status is not ProblemStatus.RESOLVED


# --- building -------------------------------------------------------------------------------


def _group_of(cadre: Cadre, dep: Deployment) -> str:
    return cadre.committee if cadre.committee in dep.committees else SCHOOL_GROUP


def _group_name(key: str, dep: Deployment) -> str:
    return dep.committees[key].name if key in dep.committees else SCHOOL_GROUP_NAME


def _masked_name(name: str) -> str:
    """李明 → 李*; a one-character name is hidden entirely."""
    return mask_name(name) if len(name) > 1 else "*" * len(name)


def _masked_youth(cadre: Cadre, dep: Deployment, today: dt.date) -> list[MaskedYouth]:
    """The current youth first, then by start and 学号.  (Made for 100,000 youth at 1,000
    cadres: each one's status is taken once, the rows built by position.)"""
    branches, dorm_groups = dep.branches, dep.dorm_groups
    listed = [(not y.is_current(today), y.since, y.id, y) for y in cadre.youth]
    listed.sort(key=_BEFORE_YOUTH)
    rows = []
    for ended, _, sid, y in listed:
        branch = branches.get(y.branch) if y.branch else None
        major, grade = major_and_grade_in(y, branch)
        dorm = dorm_groups.get(y.dorm_group) if y.dorm_group else None
        rows.append(
            MaskedYouth(
                mask_student_id(sid), _masked_name(y.name or ""), major or "未知",
                grade or "未知", y.political_status.label, y.family,
                branch.name if branch else "", dorm.name if dorm else "",
                y.since, y.until, not ended,
            )
        )
    return rows


_BEFORE_YOUTH = operator.itemgetter(0, 1, 2)


def _problem_items(
    cid: str,
    cadre: Cadre,
    notes: list[Note],
    today: dt.date,
    redact: Redactor,
    anchors: dict[str, str],
) -> dict[str, list[ProblemItem]]:
    """note slug → its problem items."""
    out: dict[str, list[ProblemItem]] = {}
    for note in notes:
        items = []
        for problem in note.front.problems:
            items.append(
                ProblemItem(
                    cadre_id=cid,
                    cadre_name=cadre.name,
                    note_date=note.front.date,
                    note_anchor=anchors[note.slug],
                    note_title=redact(note.front.title),
                    category=problem.category,
                    summary=redact(problem.summary),
                    status=problem.status,
                    forwarded_to=redact(problem.forwarded_to or ""),
                    resolved_on=problem.resolved_on,
                    age=max(0, (today - note.front.date).days) if unresolved(problem) else None,
                )
            )
        out[note.slug] = items
    return out


def _cadre_view(
    cid: str,
    status: CadreStatus,
    assessment: Assessment,
    dep: Deployment,
    today: dt.date,
    windows: list[CampaignWindow],
    redact: Redactor,
) -> CadreView:
    cadre = dep.cadres[cid]
    notes = dep.notes.get(cid, [])
    anchors = note_anchors(notes)
    problems = _problem_items(cid, cadre, notes, today, redact, anchors)
    quotas = [
        QuotaBar(
            m.key,
            m.label,
            m.actual,
            m.required,
            m.ratio,
            m.met,
            m.shortfall,
            quota_state(status, m.met, m.required),
            status.grace_end,
        )
        for m in status.quotas
    ]
    diversity = [
        DiversityView(
            m.key,
            m.label,
            m.actual,
            m.required,
            m.met,
            sorted(status.breakdown[m.key].items(), key=lambda kv: (-kv[1], kv[0])),
        )
        for m in status.diversity
    ]
    surveys = []
    for year in sorted(dep.surveys):
        result = dep.surveys[year].get(cid)
        if result is not None:
            ratio = result.satisfied / result.respondents if result.respondents else None
            surveys.append((year, result.respondents, result.satisfied, ratio))
    dates = [n.front.date for n in notes]
    group = _group_of(cadre, dep)
    return CadreView(
        id=cid,
        name=cadre.name,
        level=cadre.level.label,
        level_key=cadre.level.value,
        appointment=cadre.appointment.label,
        title=cadre.title,
        group_key=group,
        group_name=_group_name(group, dep),
        since=cadre.since,
        grace_end=status.grace_end,
        in_grace=status.in_grace,
        quotas=quotas,
        all_met=status.quotas_met,
        diversity=diversity,
        committees=[(u, _unit_name(u, dep)) for u in sorted(set(cadre.units.committees))],
        branches=[(u, _unit_name(u, dep)) for u in sorted(set(cadre.units.branches))],
        dorm_groups=[(u, _unit_name(u, dep)) for u in sorted(set(cadre.units.dorm_groups))],
        assessment=assessment,
        problems=[p for n in reversed(notes) for p in problems.get(n.slug, [])],
        surveys=surveys,
        campaigns=[campaign_cell(w, cadre.since, dates, today) for w in windows],
        sort_key=pinyin_key(cadre.name, cid),
    )


def cadre_detail(view: CadreView, dep: Deployment, today: dt.date, redact: Redactor) -> CadreDetail:
    """The youth table, contact history and notes timeline of one cadre's page."""
    cadre = dep.cadres[view.id]
    notes = dep.notes.get(view.id, [])
    anchors = note_anchors(notes)
    problems: dict[str, list[ProblemItem]] = defaultdict(list)
    for item in view.problems:  # the very items the problem lists show (with their cluster)
        problems[item.note_anchor].append(item)
    note_views = []
    for note in reversed(notes):
        front = note.front
        anchor = anchors[note.slug]
        note_views.append(
            NoteView(
                anchor=anchor,
                date=front.date,
                title=redact(front.title),
                kind=front.kind.label,
                online=front.kind is NoteKind.ONLINE,
                channel=front.channel.label if front.channel else "",
                units=[_unit_name(u, dep) for u in front.units],
                participants=len(set(front.youth)),
                campaign=campaign_of(dep.config, front.date),
                public=front.public,
                body_html=redact(render_markdown(note.body)),
                problems=problems.get(anchor, []),
            )
        )
    return CadreDetail(
        youth=_masked_youth(cadre, dep, today),
        history=contact_history(cadre, today),
        notes=note_views,
    )


def _unit_name(unit_id: str, dep: Deployment) -> str:
    for table in (dep.branches, dep.dorm_groups, dep.committees):
        if unit_id in table:
            return table[unit_id].name  # type: ignore[attr-defined, no-any-return]
    return unit_id


def _months(result: CheckResult) -> list[MonthRow]:
    """Notes per calendar month (the last 12, this month included) by kind: kept while
    every cadre's counts are the same (a rebuild after an edit that adds no note)."""
    dep, today, records = result.dep, result.today, result.records

    def counts_of(cid: str) -> dict[tuple[int, int, str], int]:
        notes = dep.notes.get(cid, [])
        return records.get("note months", cid, partial(_note_months, notes, today))

    return result.context.across(
        "note months", counts_of, partial(_month_rows, dep, today, counts_of), today
    )


def _month_rows(
    dep: Deployment, today: dt.date, counts_of: Callable[[str], dict[tuple[int, int, str], int]]
) -> list[MonthRow]:
    keys = []
    year, month = today.year, today.month
    for _ in range(12):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    counts: dict[tuple[int, int], Counter[str]] = {k: Counter() for k in keys}
    for cid in dep.cadres:  # (notes of no cadre are a data error: no site is built)
        for (year, month, kind), n in counts_of(cid).items():
            if (year, month) in counts:
                counts[(year, month)][kind] += n
    rows = []
    for key in keys:
        c = counts[key]
        online = c[NoteKind.ONLINE.value]
        rows.append(MonthRow(f"{key[0]}-{key[1]:02d}", dict(c), online, sum(c.values()) - online))
    return rows


def _note_months(notes: list[Note], today: dt.date) -> dict[tuple[int, int, str], int]:
    """A cadre's notes up to ``today`` by (year, month, kind)."""
    counts: Counter[tuple[int, int, str]] = Counter()
    for note in notes:
        d = note.front.date
        if d <= today:
            counts[(d.year, d.month, note.front.kind.value)] += 1
    return dict(counts)


def _completion(
    group: GroupView,
    dep: Deployment,
    statuses: Mapping[str, CadreStatus],
    deadline: Deadline | None,
    today: dt.date,
    records: CadreRecords,
) -> None:
    """A 分团委 is complete when each of its cadres meets every quota today and — with the
    youth dates known now — still on the next report deadline."""
    pending = []
    if not group.rows:
        pending.append(("", "没有团干部"))
    due = deadline.deadline if deadline is not None and deadline.deadline > today else None
    for view in group.rows:
        # (kept per cadre: a rebuild reads no unchanged cadre's status for it)
        reason = records.get(
            "pending reason", view.id,
            partial(_pending_reason, view.id, dep, statuses, due, records), due,
        )
        if reason:
            pending.append((view.id, reason))
    group.pending = pending
    group.complete = not pending


def _pending_reason(
    cadre_id: str,
    dep: Deployment,
    statuses: Mapping[str, CadreStatus],
    due: dt.date | None,
    records: CadreRecords,
) -> str:
    """Why a cadre keeps its 分团委 from being complete (empty when nothing does): a quota
    not met today, or — ``due``: the next report deadline, if still ahead — one that its
    youth's dates will leave unmet then."""
    status = statuses[cadre_id]
    reasons = []
    if not status.quotas_met:
        reasons.append(
            "今天未达标："
            + "、".join(f"{m.label}差 {m.shortfall}" for m in status.quotas if not m.met)
        )
    if due is not None:
        later = records.get("status on", cadre_id, partial(status_of, cadre_id, dep, due), due)
        if status.quotas_met and not later.quotas_met:
            reasons.append(
                "截止日将不达标："
                + "、".join(f"{m.label}差 {m.shortfall}" for m in later.quotas if not m.met)
            )
    if reasons and status.in_grace:
        reasons.append(f"期内（至 {status.grace_end.isoformat()}）")
    return "；".join(reasons)


def _current_youth_per_group(
    result: CheckResult, members_of: Mapping[str, list[CadreRow]]
) -> dict[str, int]:
    """Each group's distinct youth on its members' current lists, counted again only when
    some cadre's current list or a group's members changed (``RuleContext.across``, from
    the parts the rules' holders are made of): otherwise 800 cadres' statuses were read
    for it after one edit (0.03–0.05 s)."""
    members = tuple((key, tuple(row.id for row in rows)) for key, rows in members_of.items())
    statuses = result.statuses

    def count() -> dict[str, int]:
        return {
            key: len({sid for cid in ids for sid in statuses[cid].current_ids})
            for key, ids in members
        }

    ctx = result.context
    return ctx.across("holders", partial(current_ids, ctx), count, members,
                      result="current youth per group")


def build_internal_view(result: CheckResult, cluster: Clustering = cluster_keys) -> InternalView:
    """``cluster`` groups problem summaries (the incremental build passes a memoised one)."""
    dep, today, config, records = result.dep, result.today, result.config, result.records
    known = result.context.personal
    redact = Redactor(known, records.whole("mask plan", known.digest, partial(MaskPlan.of, known)))
    windows = current_windows(config, today)

    def cadre_view(cid: str) -> CadreView:
        status = result.statuses[cid]
        return _cadre_view(cid, status, assess(status, dep, today), dep, today, windows, redact)

    # Free text is masked with every listed youth's names: the views depend on them all.
    def view_of(cid: str) -> CadreView:
        return records.get("internal view", cid, partial(cadre_view, cid), redact.digest)

    rows_of = {
        cid: records.get("internal row", cid, lambda cid=cid: CadreRow.of(view_of(cid)), redact.digest)
        for cid in dep.cadres
    }
    rows = dict(sorted(rows_of.items(), key=lambda item: item[1].sort_key))
    views = CadreViews(rows, view_of)
    common, clusters = _common_issues(result, views, cluster, redact.digest)
    views.mark_clusters(clusters)

    try:
        deadline, deadline_error = next_deadline(today, config), None
    except CalendarUnknown as exc:
        deadline, deadline_error = None, f"{exc}。{exc.hint}"
    try:
        past: Deadline | None = report_deadline(today.year, config)
    except CalendarUnknown:
        past = None
    if past is not None and past.deadline >= today:
        past = None

    serving: dict[str, dict[str, list[str]]] = {"branches": {}, "dorm_groups": {}, "committees": {}}
    for row in rows.values():  # (from the rows: the cadres' files are not looked at again)
        for kind in serving:
            for unit in getattr(row, kind):
                serving[kind].setdefault(unit, []).append(row.id)

    # Each group's cadres and units, sorted out once (not once per 分团委: 67 of them)
    members_of: dict[str, list[CadreRow]] = {}
    for row in rows.values():
        members_of.setdefault(row.group_key, []).append(row)
    branches_of: dict[str, list[tuple[str, str, str, str, list[str]]]] = {}
    for b in sorted(dep.branches.values(), key=lambda b: b.id):
        branches_of.setdefault(b.committee, []).append(
            (b.id, b.name, b.major, b.grade, serving["branches"].get(b.id, []))
        )
    dorm_groups_of: dict[str, list[tuple[str, str, list[str]]]] = {}
    for d in sorted(dep.dorm_groups.values(), key=lambda d: d.id):
        dorm_groups_of.setdefault(d.committee, []).append(
            (d.id, d.name, serving["dorm_groups"].get(d.id, []))
        )

    current_youth = _current_youth_per_group(result, members_of)
    groups = []
    school = members_of.get(SCHOOL_GROUP, [])
    if school:
        groups.append(GroupView(SCHOOL_GROUP, SCHOOL_GROUP_NAME, school, False, views))
    for key, committee in dep.committees.items():
        members = members_of.get(key, [])
        group = GroupView(key, committee.name, members, True, views)
        group.branches = branches_of.get(key, [])
        group.dorm_groups = dorm_groups_of.get(key, [])
        group.served_by = serving["committees"].get(key, [])
        group.current_youth = current_youth.get(key, 0)
        _completion(group, dep, result.statuses, deadline, today, records)
        groups.append(group)

    levels = []
    for level_key, label in (("school", "校级"), ("department", "系级")):
        members = [row for row in rows.values() if row.level_key == level_key]
        levels.append(
            LevelRow(
                level_key,
                label,
                len(members),
                sum(v.all_met for v in members),
                sum(v.fulfilment for v in members) / len(members) if members else None,
            )
        )

    limit = config.max_cadres_per_youth
    over = result.context.over_limit(limit)
    overlap = [
        OverlapRow(mask_student_id(sid), holders)
        for sid, holders in sorted(over, key=lambda kv: (-len(kv[1]), kv[0]))
    ]

    surveys = []
    for year in sorted(dep.surveys, reverse=True):
        entries = [r for cid, r in dep.surveys[year].items() if cid in dep.cadres]
        surveys.append(
            SurveyYear(
                year,
                len(entries),
                sum(r.respondents for r in entries),
                sum(r.satisfied for r in entries),
            )
        )

    return InternalView(
        today=today,
        config=config,
        cadres=views,
        rows=rows,
        groups=groups,
        levels=levels,
        overlap=overlap,
        windows=windows,
        months=_months(result),
        kinds=[(k.value, k.label) for k in NoteKind],
        common=common,
        clusters=clusters,
        surveys=surveys,
        deadline=deadline,
        deadline_error=deadline_error,
        past_deadline=past,
        definitions_html=render_markdown(metric_definitions_markdown(config)),
        report_year=today.year,
        redact=redact,
    )


__all__ = [
    "DIVERSITY", "QUOTAS", "CadreDetail", "InternalView", "Redactor", "build_internal_view",
    "cadre_detail", "cluster_keys",
]

"""Stage 5 (internal): the committee's progress pages under ``site/internal``.

Charts are inline SVG drawn here at build time (no chart library, no CDN, nothing fetched);
each chart has a text alternative and its numbers are also in a table next to it.  The
pages load one stylesheet and one small script from ``assets/`` (the CSP allows nothing
else); without JavaScript every table is still there, in a sensible static order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pydantic_core import to_json

from ..annual import report_file_names
from ..calendar import CalendarUnknown, report_deadline
from ..evaluation import KEY_PHRASE_CHARS, SIMILARITY_RATIO, Assessment
from ..load import Deployment
from ..model.enums import ProblemCategory, ProblemStatus
from ..pipeline import CheckResult
from ..records import digest_of
from ..views.internal import (
    CadreView,
    CampaignCell,
    GroupView,
    InternalView,
    Lazy,
    MaskedYouth,
    ProblemItem,
    QuotaBar,
    build_internal_view,
    cadre_detail,
    cluster_keys,
)
from ..workers import Elsewhere, no_cycle_collection, parallel_map, worker_count
from ..write import Unchanged
from .env import environment, escape
from .page_cache import PageCache

ASSETS = ("internal.css", "internal.js")
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)

STATE_COLOURS = {"达标": "#2e7d32", "期内": "#b26a00", "已逾期": "#c62828", "不考核": "#9aa5b1"}
#: Okabe–Ito: distinguishable with colour-blindness; one per note kind.
KIND_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F7F7F",
)
INK, GRID, TRACK = "#1f2933", "#d0d7de", "#e8ecef"


def _f(value: float) -> str:
    """A short, stable number for SVG coordinates."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: int, height: int, label: str, body: list[str], cls: str = "chart") -> Markup:
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def progress_svg(actual: int, required: int, state: str) -> Markup:
    """A quota as a bar: current / required (full at the requirement)."""
    width, height = 240, 14
    ratio = 1.0 if required == 0 else min(1.0, actual / required)
    colour = STATE_COLOURS.get(state, INK)
    return Markup(
        f'<svg class="bar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="{height}" rx="3" fill="{TRACK}"/>'
        f'<rect width="{_f(width * ratio)}" height="{height}" rx="3" fill="{colour}"/></svg>'
    )


def ratio_svg(value: float | None) -> Markup:
    """A small 0–100% bar for tables."""
    width, height = 80, 10
    ratio = 0.0 if value is None else max(0.0, min(1.0, value))
    colour = STATE_COLOURS["达标"] if ratio >= 1 else "#3b6ea5"
    return Markup(
        f'<svg class="mini" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{width}" height="{height}" rx="2" fill="{TRACK}"/>'
        f'<rect width="{_f(width * ratio)}" height="{height}" rx="2" fill="{colour}"/></svg>'
    )


def hbar_chart(rows: list[tuple[str, float | None]], label: str) -> Markup:
    """Horizontal bars for ratios 0..1 (fulfilment by level or 分团委)."""
    left, bar_w, row_h, top = 130, 300, 24, 8
    width = left + bar_w + 60
    height = top * 2 + row_h * max(1, len(rows)) + 16
    body = []
    for tick in (0, 0.5, 1):
        x = left + bar_w * tick
        body.append(
            f'<line x1="{_f(x)}" y1="{top}" x2="{_f(x)}" y2="{height - 18}" stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{_f(x)}" y="{height - 4}" font-size="11" fill="{INK}" '
            f'text-anchor="middle">{int(tick * 100)}%</text>'
        )
    for i, (name, value) in enumerate(rows):
        y = top + i * row_h
        short = name if len(name) <= 11 else name[:10] + "…"
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" font-size="12" fill="{INK}" '
            f'text-anchor="end">{escape(short)}</text>'
        )
        body.append(f'<rect x="{left}" y="{y + 4}" width="{bar_w}" height="16" fill="{TRACK}"/>')
        if value is not None:
            colour = STATE_COLOURS["达标"] if value >= 1 else "#3b6ea5"
            body.append(
                f'<rect x="{left}" y="{y + 4}" width="{_f(bar_w * value)}" height="16" '
                f'fill="{colour}"/>'
            )
        shown = "—" if value is None else f"{value * 100:.0f}%"
        body.append(
            f'<text x="{left + bar_w + 6}" y="{y + 16}" font-size="12" fill="{INK}">{shown}</text>'
        )
    return _svg(width, height, label, body)


def month_chart(view: InternalView) -> Markup:
    """Notes per month (last 12 months), stacked by kind."""
    left, top, plot_w, plot_h = 36, 10, 640, 180
    width, height = left + plot_w + 10, top + plot_h + 30
    peak = max([m.total for m in view.months] + [1])
    step = max(1, -(-peak // 4))
    top_value = step * 4
    body = []
    for k in range(5):
        value = step * k
        y = top + plot_h - plot_h * value / top_value
        body.append(
            f'<line x1="{left}" y1="{_f(y)}" x2="{left + plot_w}" y2="{_f(y)}" stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{_f(y + 4)}" font-size="11" fill="{INK}" '
            f'text-anchor="end">{value}</text>'
        )
    slot = plot_w / max(1, len(view.months))
    for i, month in enumerate(view.months):
        x = left + i * slot + slot * 0.15
        base = top + plot_h
        for (key, _), colour in zip(view.kinds, KIND_COLOURS, strict=False):
            count = month.by_kind.get(key, 0)
            if not count:
                continue
            h = plot_h * count / top_value
            base -= h
            body.append(
                f'<rect x="{_f(x)}" y="{_f(base)}" width="{_f(slot * 0.7)}" '
                f'height="{_f(h)}" fill="{colour}"/>'
            )
        body.append(
            f'<text x="{_f(x + slot * 0.35)}" y="{top + plot_h + 16}" font-size="11" '
            f'fill="{INK}" text-anchor="middle">{month.label[2:]}</text>'
        )
    total = sum(m.total for m in view.months)
    return _svg(width, height, f"最近 12 个月每月活动记录数（按类型堆叠），共 {total} 条", body)


def step_chart(points: list[tuple[dt.date, int]], required: int, today: dt.date) -> Markup:
    """Contact size over time (from the youth's since/until) with the quota as a line."""
    left, top, plot_w, plot_h = 40, 12, 640, 170
    width, height = left + plot_w + 16, top + plot_h + 34
    if not points:
        points = [(today, 0)]
    start, end = points[0][0], today
    span = max(1, (end - start).days)
    peak = max([c for _, c in points] + [required, 1])

    def x(day: dt.date) -> float:
        return left + plot_w * (day - start).days / span

    def y(count: float) -> float:
        return top + plot_h - plot_h * count / peak

    body = []
    for value in sorted({0, required, peak}):
        body.append(
            f'<line x1="{left}" y1="{_f(y(value))}" x2="{left + plot_w}" '
            f'y2="{_f(y(value))}" stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{_f(y(value) + 4)}" font-size="11" fill="{INK}" '
            f'text-anchor="end">{value}</text>'
        )
    if required:
        body.append(
            f'<line x1="{left}" y1="{_f(y(required))}" x2="{left + plot_w}" '
            f'y2="{_f(y(required))}" stroke="#c62828" stroke-dasharray="6 4"/>'
        )
        body.append(
            f'<text x="{left + plot_w}" y="{_f(y(required) - 5)}" font-size="11" '
            f'fill="#c62828" text-anchor="end">指标 {required}</text>'
        )
    path = [f"M{_f(x(points[0][0]))} {_f(y(points[0][1]))}"]
    for (_, prev), (day, count) in itertools.pairwise(points):
        path.append(f"H{_f(x(day))}V{_f(y(count))}" if count != prev else f"H{_f(x(day))}")
    path.append(f"H{_f(x(end))}")
    body.append(f'<path d="{"".join(path)}" fill="none" stroke="#0072B2" stroke-width="2"/>')
    for day, anchor in ((start, "start"), (end, "end")):
        body.append(
            f'<text x="{_f(x(day))}" y="{top + plot_h + 18}" font-size="11" '
            f'fill="{INK}" text-anchor="{anchor}">{day.isoformat()}</text>'
        )
    current = points[-1][1]
    label = (
        f"联系青年人数变化：{start.isoformat()} 至 {end.isoformat()}，"
        f"目前 {current} 人，指标 {required} 人"
    )
    return _svg(width, height, label, body)


def youth_rows(rows: Iterable[MaskedYouth]) -> Markup:
    """The rows of a cadre's youth table (``templates/internal/cadre.html``).

    Made here, not in the template: a province lists 100,000 youth, and Jinja2 spent 1.3 s
    on their ten cells each (an escape call and an attribute lookup per cell); here a row's
    cells are escaped in one call, joined by NUL, which escaping leaves alone and which only a
    row whose text already holds one (then escaped cell by cell) could confuse."""
    out = []
    for y in rows:
        cells = (
            y.sid, y.name, y.major, y.grade, y.political_status, y.family, y.branch,
            y.dorm_group, y.since.isoformat(), y.until.isoformat() if y.until else "",
        )
        joined = "\0".join(cells)
        if joined.count("\0") == len(cells) - 1:
            text = str(escape(joined)).replace("\0", "</td><td>")
        else:
            text = "</td><td>".join(map(escape, cells))
        ended = "" if y.current else ' class="ended"'
        out.append(f"      <tr{ended}><td>{text}</td></tr>\n")
    return Markup("".join(out))


def history_rows(points: Iterable[tuple[dt.date, int]]) -> Markup:
    """The rows of a cadre's contact-history table (``templates/internal/cadre.html``), made
    here for the reason of :func:`youth_rows`: a point per youth's start or end, 100,000 at
    1,000 cadres.  (Dates and numbers: nothing to escape.)"""
    return Markup("".join(
        f'        <tr><td>{day.isoformat()}</td><td class="num">{count}</td></tr>\n'
        for day, count in points
    ))


def problem_rows(items: Iterable[ProblemItem], cadres: dict[str, CadreView]) -> Markup:
    """The rows of a problem table (``templates/internal/problems.html``), made here for
    the reason of :func:`youth_rows`: 17,000 problems at 1,000 cadres."""
    out = []
    for p in items:
        cid, anchor = escape(p.cadre_id), escape(p.note_anchor)
        date = p.note_date.isoformat()
        tag = (
            f' <a class="tag" href="#common-{p.cluster + 1}">共性问题</a>'
            if p.cluster is not None else ""
        )
        age = "" if p.age is None else str(p.age)
        out.append(
            f'      <tr data-category="{escape(p.category.value)}">\n'
            f'        <td data-sort="{date}">{date}</td>\n'
            f"        <td>{escape(p.category.label)}</td>\n"
            f"        <td>{escape(p.summary)}{tag}</td>\n"
            f'        <td data-sort="{escape(cadres[p.cadre_id].sort_key[0])}">'
            f'<a href="cadres/{cid}.html">{escape(p.cadre_name)}</a></td>\n'
            f'        <td><a href="cadres/{cid}.html#{anchor}">{escape(p.note_title)}</a></td>\n'
            f"        <td>{escape(p.forwarded_to)}</td>\n"
            f"        <td>{p.resolved_on.isoformat() if p.resolved_on else ''}</td>\n"
            f'        <td class="num" data-sort="{age or -1}">{age}</td>\n'
            "      </tr>\n"
        )
    return Markup("".join(out))


def kind_swatch(colour: str) -> Markup:
    return Markup(
        f'<svg class="swatch" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" '
        f'focusable="false" xmlns="http://www.w3.org/2000/svg"><rect width="12" height="12" '
        f'fill="{colour}"/></svg>'
    )


def report_css(templates: Path) -> str:
    return (templates / "internal" / "assets" / "report.css").read_text(encoding="utf-8")


def _page(env: Any, name: str, root: str, **context: Any) -> bytes:
    html = env.get_template(f"internal/{name}").render(
        root=root, csp=Markup(CSP), page=name, **context
    )
    return html.encode("utf-8")


#: Below this many cadre pages to render, starting worker processes costs more than it saves.
POOL_MIN_PAGES = 200


def render_internal(
    result: CheckResult,
    templates: Path,
    *,
    pages: PageCache | None = None,
    jobs: int = 0,
    busy: Callable[[], bool] = lambda: False,
    report: Callable[[], dict[str, bytes]] | None = None,
    write: Callable[[dict[str, bytes]], None] | None = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> dict[str, bytes | Unchanged | None]:
    """Every file under ``site/internal`` (keys relative to it).  With ``write``, the cadre
    pages rendered anew are written with it by the process that rendered them, and are
    None here (120 kB a page: sending them back to this one, to be written here, was most
    of a cold build's last second, when every other process had finished).

    The cadre pages — most of the work — and the annual report come from ``pages`` when
    nothing they show changed; the other cadre pages are rendered, in worker processes when
    there are many.  The overview pages are made afresh (they summarise every cadre).
    While ``busy()`` (the caller's other processes are at work), cadre pages are rendered
    here; worker processes take the rest only after: each process holds copies of the
    memory pages it touched, and the build's memory grows with every process running.

    ``report``: the annual report's files, when the caller has them made meanwhile
    (:func:`annual_report`); asked for last, as the pages need only the files' names.
    Otherwise they are made here.  ``meanwhile()``: what the caller has to do that this
    process can do while worker processes render the last cadre pages (it would wait)."""
    pages = pages or PageCache(None)
    # Clustering similar problems compares every pair: kept while the summaries are the same.
    with no_cycle_collection():
        view = build_internal_view(
            result, lambda keys: pages.memo("clusters", keys, cluster_keys)
        )
    files: dict[str, bytes | Unchanged | None] = {}
    report_error = _report_error(result)
    view.report_files = [] if report_error else sorted(report_file_names(result.today.year))

    env = environment(templates)
    common = {
        "view": view,
        "site": result.config.site,
        "today": view.today,
        "progress_svg": progress_svg,
        "ratio_svg": ratio_svg,
        "kind_colours": dict(zip([k for k, _ in view.kinds], KIND_COLOURS, strict=True)),
        "kind_swatch": kind_swatch,
        "youth_rows": youth_rows,
        "history_rows": history_rows,
        "problem_rows": problem_rows,
        "report_error": report_error,
        "categories": list(ProblemCategory),
        "similarity": SIMILARITY_RATIO,
        "key_phrase": KEY_PHRASE_CHARS,
    }
    # What every kept page shows besides its slice of the view (zhilian's code and the
    # templates are in every key already).
    settings = json.dumps(
        [result.config.model_dump(mode="json"), report_error], ensure_ascii=False, default=str
    )
    level_chart = hbar_chart([(r.label, r.fulfilment) for r in view.levels], "按级别的平均实现度")
    group_chart = hbar_chart([(g.name, g.fulfilment) for g in view.groups], "按分团委的平均实现度")
    # The overview page shows a few figures of each cadre: kept while those are the same
    # (a cadre's title, contacts or notes' text are not among them).
    # (each made from the cadre's view only when a key or the page needs it)
    index_cadres = Lazy(view.rows, lambda cid: IndexCadre.of(view.cadres[cid]))
    index_shown = {
        cid: result.records.get(
            "index shown", cid, lambda cid=cid: digest_of(index_cadres[cid]), view.redact.digest
        )
        for cid in view.rows
    }
    files["index.html"] = _kept_page(
        env, pages, settings, "index.html", "index.html", "",
        IndexPageView(view, index_cadres, index_shown), common,
        level_chart=level_chart, group_chart=group_chart, month_chart=month_chart(view),
    )
    # Each cadre's part of the view as hashes, for page keys: kept per cadre, with the
    # common-issue marks of its problems (they come from every cadre's problems).
    hashes = {
        cid: result.records.get(
            "internal shown", cid, lambda cid=cid: _shown(view.cadres[cid]),
            (view.redact.digest, view.clusters.get(cid, ())),
        )
        for cid in view.rows
    }
    shown = {cid: whole for cid, (whole, _) in hashes.items()}
    problems = {cid: listed for cid, (_, listed) in hashes.items()}
    files["problems.html"] = _kept_page(
        env, pages, settings, "problems.html", "problems.html", "",
        ProblemsPageView(view, problems), common,
    )
    for group in view.committees:
        files[_committee_path(group.key)] = _committee_page(
            env, pages, settings, view, group, common, shown
        )
    for name in ASSETS:
        files[f"assets/{name}"] = (templates / "internal" / "assets" / name).read_bytes()

    shared = _shared_inputs(result.dep, view, settings)
    files.update(
        _cadre_pages(
            result, view, templates, common, pages, shared, shown, jobs, busy, write, meanwhile
        )
    )
    report_files = report() if report else annual_report(result, templates, pages)()
    assert sorted(report_files) == view.report_files  # the names the pages link to
    files.update({f"report/{k}": v for k, v in report_files.items()})
    return files


def _report_error(result: CheckResult) -> str | None:
    """Why there is no annual report this year (its deadline cannot be computed), or None."""
    try:
        report_deadline(result.today.year, result.config)
    except CalendarUnknown as exc:
        return f"{exc}。{exc.hint}"
    return None


def annual_report(
    result: CheckResult,
    templates: Path,
    pages: PageCache,
    elsewhere: Elsewhere | None = None,
) -> Callable[[], dict[str, bytes]]:
    """The annual report of ``result.today``'s year: the call that gives its files (HTML,
    CSV, XLSX), kept while its figures are the same; none when its deadline cannot be
    computed (:func:`_report_error` says why).  It needs the checked data only, so ``build``
    has it made meanwhile.  ``elsewhere``: starts the workbook in another process (see
    ``workers.Helper``); the other files are made when the returned call is."""
    from ..annual import build_report, report_digest, report_files_of, workbook_and_sheets

    try:
        report = build_report(result, result.today.year)
    except CalendarUnknown:
        return dict
    key = pages.key("report", report_digest(report))
    kept = pages.get_files(key)
    if kept is not None:
        return lambda: kept
    job = (workbook_and_sheets, report, pages.folder, pages.code)
    made = elsewhere(*job) if elsewhere is not None else partial(*job)

    def files() -> dict[str, bytes]:
        workbook, sheets = made()
        pages.used.update(sheets)  # (the sheets it took or kept, for prune to keep)
        found = report_files_of(report, templates, result.records, pages.code, workbook)
        pages.put_files(key, found, made_from=sheets)
        return found

    return files


class CadrePageView:
    """All a cadre page may read of the whole view (the template gets this instead of
    :class:`InternalView`, so its page key below cannot miss an input it uses)."""

    def __init__(self, view: InternalView) -> None:
        self.today, self.windows = view.today, view.windows
        self.report_files, self.report_year = view.report_files, view.report_year

    def key(self) -> tuple[Any, ...]:
        return (self.today, self.windows, self.report_files, self.report_year)


class NamesPageView(CadrePageView):
    """A page that also names other cadres: ``cadres`` holds just those."""

    def __init__(self, view: InternalView, ids: Iterable[str]) -> None:
        super().__init__(view)
        places, rows = view.places, view.rows
        wanted = sorted(places.keys() & set(ids), key=places.__getitem__)
        self.cadres = {cid: rows[cid] for cid in wanted}

    def key(self) -> tuple[Any, ...]:
        names = [(cid, c.name, c.sort_key) for cid, c in self.cadres.items()]
        return (*super().key(), names)


@dataclass(frozen=True)
class IndexCadre:
    """What the overview page (``index.html``) shows of a cadre."""

    id: str
    name: str
    group_name: str
    level: str
    all_met: bool
    grace_end: dt.date
    in_grace: bool
    quotas: list[QuotaBar]
    assessment: Assessment
    campaigns: list[CampaignCell]
    sort_key: tuple[str, ...]

    @classmethod
    def of(cls, cadre: CadreView) -> IndexCadre:
        return cls(*(getattr(cadre, f.name) for f in fields(cls)))


@dataclass(frozen=True)
class IndexGroup:
    """What the overview page shows of a 分团委 (or the 校级 group)."""

    key: str
    name: str
    is_committee: bool
    cadres: tuple[str, ...]
    met: int
    fulfilment: float | None
    gaps: int
    complete: bool
    pending: list[tuple[str, str]]

    @classmethod
    def of(cls, group: GroupView) -> IndexGroup:
        return cls(
            group.key, group.name, group.is_committee, tuple(c.id for c in group.rows),
            group.met, group.fulfilment, group.gaps, group.complete, group.pending,
        )


@dataclass(frozen=True)
class CommonFlag:
    open: int  # the open problems of a common issue: all the overview page counts


class IndexPageView(CadrePageView):
    """All the overview page may read of the whole view; ``shown``: each cadre's
    :class:`IndexCadre` as a hash, for the key (kept per cadre, like the cadre itself), so
    that ``cadres`` are made only when the page is rendered."""

    def __init__(
        self, view: InternalView, cadres: Lazy[IndexCadre], shown: dict[str, bytes]
    ) -> None:
        super().__init__(view)
        self.cadres, self._shown = cadres, [shown[cid] for cid in cadres]
        self.config = view.config
        self._below_quota = [c.id for c in view.below_quota]
        self._by_composite = [c.id for c in view.by_composite]
        self.groups = [IndexGroup.of(g) for g in view.groups]
        self.incomplete = [IndexGroup.of(g) for g in view.incomplete]
        self.committees = [g.key for g in view.committees]
        self.common = [CommonFlag(c.open) for c in view.common]
        self.fulfilment, self.open_problems = view.fulfilment, view.open_problems
        self.overlap, self.levels, self.months = view.overlap, view.levels, view.months
        self.kinds, self.surveys, self.window_totals = view.kinds, view.surveys, view.window_totals
        self.deadline, self.deadline_error = view.deadline, view.deadline_error
        self.past_deadline, self.definitions_html = view.past_deadline, view.definitions_html

    @property
    def below_quota(self) -> list[IndexCadre]:
        return [self.cadres[cid] for cid in self._below_quota]

    @property
    def by_composite(self) -> list[IndexCadre]:
        return [self.cadres[cid] for cid in self._by_composite]

    def key(self) -> tuple[Any, ...]:
        # (the configuration is in every kept page's key: ``settings``)
        return (
            *super().key(), list(self.cadres), self._shown, self._below_quota, self._by_composite,
            self.groups, self.incomplete, self.committees, self.common, self.fulfilment,
            self.open_problems, self.overlap, self.levels, self.months, self.kinds,
            self.surveys, self.window_totals, self.deadline, self.deadline_error,
            self.past_deadline, self.definitions_html,
        )


class ProblemsPageView(NamesPageView):
    """All the problem lists page may read of the whole view; ``problems``: each cadre's
    problems as a hash (:func:`_shown`)."""

    def __init__(self, view: InternalView, problems: dict[str, bytes]) -> None:
        super().__init__(view, (cid for cid, row in view.rows.items() if row.problems))
        self._view, self.common = view, view.common
        self.config = view.config
        self._shown = [problems[cid] for cid in self.cadres]

    def key(self) -> tuple[Any, ...]:
        # A common issue's items are cadres' problems, in ``_shown`` already with the
        # issue each belongs to (its ``cluster``): the issue needs only its own fields.
        issues = [(c.category, c.summaries, c.cadres) for c in self.common]
        return (*super().key(), self._shown, issues)

    @property
    def problems(self) -> list[ProblemItem]:
        return self._view.problems  # (read from every cadre's view: when rendered only)

    # Made once for the template (jinja2's filters took 0.2 s over 17,000 problems), and
    # only when the page is rendered, not when it is kept.
    @cached_property
    def by_status(self) -> list[tuple[ProblemStatus, list[ProblemItem]]]:
        """Each status's problems in its table's order (the oldest unresolved first)."""
        found = [(s, [p for p in self.problems if p.status is s]) for s in ProblemStatus]
        for status, items in found:
            if status is not ProblemStatus.RESOLVED:
                items.sort(key=lambda p: p.age or 0, reverse=True)
        return found

    @cached_property
    def counts(self) -> Counter[tuple[ProblemStatus, ProblemCategory]]:
        """The number of problems of each (status, category)."""
        return Counter((p.status, p.category) for p in self.problems)


def _kept_page(
    env: Any,
    pages: PageCache,
    settings: str,
    path: str,
    name: str,
    root: str,
    page_view: CadrePageView,
    common: dict[str, Any],
    inputs: Any = (),
    **context: Any,
) -> bytes | Unchanged:
    """``_page`` (of template ``name``, for file ``path``) from the page cache when
    ``settings``, ``page_view`` (all the template may read of the whole view) and ``inputs``
    (what ``context`` holds) are unchanged."""
    key = pages.key(f"internal/{name}", settings, repr(page_view.key()), repr(inputs))
    page = pages.get(key, f"internal/{path}")
    if page is None:
        page = pages.put(key, _page(env, name, root, **{**common, "view": page_view, **context}))
    return page


def _committee_page(
    env: Any,
    pages: PageCache,
    settings: str,
    view: InternalView,
    group: GroupView,
    common: dict[str, Any],
    shown: dict[str, bytes],
) -> bytes | Unchanged:
    named = [
        *group.served_by,
        *(cid for cid, _ in group.pending),
        *(cid for *_, by in group.branches for cid in by),
        *(cid for *_, by in group.dorm_groups for cid in by),
    ]
    page_view = NamesPageView(view, named)
    # The group as its fields, with its cadres' hashes for the cadres themselves.
    inputs = [
        [shown[c.id] for c in group.rows] if f.name == "rows" else getattr(group, f.name)
        for f in fields(group) if f.name != "views"
    ]
    return _kept_page(
        env, pages, settings, _committee_path(group.key), "committee.html", "../", page_view,
        common, inputs, group=group,
    )


def _committee_path(key: str) -> str:
    return f"committees/{key}.html"


def _shared_inputs(dep: Deployment, view: InternalView, settings: str) -> bytes:
    """Inputs of every cadre page besides the cadre's own: ``settings``, the unit names,
    the set of names and 学号 masked in free text, the page's slice of the whole view —
    as a hash, made once (125 kB at 1,000 cadres: hashed into each page's key, 0.15 s).
    The units by pydantic's serializer, in Rust (1,100 ``model_dump`` calls took 6 ms)."""
    digest = hashlib.blake2b(settings.encode(), digest_size=20)
    for table in (dep.committees, dep.branches, dep.dorm_groups):
        digest.update(b"\0" + to_json(table))
    digest.update(b"\0" + repr(CadrePageView(view).key()).encode())
    digest.update(view.redact.digest)
    return digest.digest()


def _own_sources(result: CheckResult, cadre_id: str) -> bytes:
    """Content keys of the cadre's file and notes (and the notes' names: date and slug):
    as the records hold them, hashed with the build's shared inputs, when they do."""
    kept = result.records.inputs_of(cadre_id)
    if kept is not None:
        return kept
    dep = result.dep
    rels = [Deployment.cadre_file(cadre_id)] + [n.rel for n in dep.notes.get(cadre_id, [])]
    return b"".join(rel.encode() + b"\0" + dep.sources.get(rel, b"?") for rel in rels)


# The renderer's state, inherited by forked workers (nothing is sent to them but ids).
_JOB: dict[str, Any] = {}


def _render_cadres(ids: list[str]) -> dict[str, bytes | None]:
    """The pages of the cadres ``ids``, each kept in the page cache; with a ``write`` they
    are written at once, and only their names come back (with None)."""
    result, view, env, common = _JOB["result"], _JOB["view"], _JOB["env"], _JOB["common"]
    keys, pages, write = _JOB["keys"], _JOB["pages"], _JOB["write"]
    page_view = CadrePageView(view)
    made = {}
    for cid in ids:
        cadre = view.cadres[cid]
        detail = cadre_detail(cadre, result.dep, view.today, view.redact)
        page = _page(
            env,
            "cadre.html",
            "../",
            cadre=cadre,
            detail=detail,
            history_chart=step_chart(detail.history, cadre.required_youth, view.today),
            **{**common, "view": page_view},
        )
        made[_cadre_path(cid)] = pages.put(keys[cid], page)
    if write is None:
        return dict(made)
    write(made)
    return dict.fromkeys(made)


def _cadre_path(cadre_id: str) -> str:
    return f"cadres/{cadre_id}.html"


def _cadre_pages(
    result: CheckResult,
    view: InternalView,
    templates: Path,
    common: dict[str, Any],
    pages: PageCache,
    shared: bytes,
    shown: dict[str, bytes],
    jobs: int,
    busy: Callable[[], bool],
    write: Callable[[dict[str, bytes]], None] | None,
    meanwhile: Callable[[], None] = lambda: None,
) -> dict[str, bytes | Unchanged | None]:
    """The cadre pages; ``shared`` is what their keys hold besides each cadre's own (its
    files and ``shown``).  With ``write``, the pages rendered anew are written with it
    (None here).  ``meanwhile``: see :func:`render_internal`."""
    keys: dict[str, str] = {}
    out: dict[str, bytes | Unchanged | None] = {}
    for cid in view.cadres:
        keys[cid] = pages.key("internal/cadre.html", shared, _own_sources(result, cid), shown[cid])
        page = pages.get(keys[cid], f"internal/{_cadre_path(cid)}")
        if page is not None:
            out[_cadre_path(cid)] = page
    todo = [cid for cid in view.cadres if _cadre_path(cid) not in out]
    _JOB.update(result=result, view=view, env=environment(templates), common=common,
                keys=keys, pages=pages, write=write)
    made: dict[str, bytes | Unchanged | None] = {}
    try:
        while len(made) < len(todo) and busy():  # the cores are taken: render here meanwhile
            made.update(_render_cadres([todo[len(made)]]))
        rest = todo[len(made) :]
        workers = worker_count(jobs)
        if len(rest) >= POOL_MIN_PAGES and workers > 1:
            size = -(-len(rest) // (workers * 4))
            chunks = [rest[i : i + size] for i in range(0, len(rest), size)]
            for chunk in parallel_map(_render_cadres, chunks, workers, meanwhile):
                made.update(chunk)
        else:
            made.update(_render_cadres(rest))
    finally:
        _JOB.clear()
    out.update(made)
    return {_cadre_path(cid): out[_cadre_path(cid)] for cid in view.cadres}


def _shown(cadre: CadreView) -> tuple[bytes, bytes]:
    """The cadre's part of the view, and its problems, as hashes of their ``repr`` (plain
    dataclasses: a stable text; 0.1 s for 1,000 cadres, made again only for cadres that
    changed).  The problem lists page does not show a cadre's title, for one."""
    return digest_of(cadre), digest_of(cadre.problems)

"""The annual report (``python build.py report [--year Y] [--out DIR]``): per 分团委 and in
total, each cadre's contact status on the report deadline, as printable HTML, CSV (UTF-8
with BOM, for Excel) and XLSX (one sheet per 分团委 plus a 汇总 sheet).

Report year Y is due on the Nth working day after the National Day holiday of Y
(:mod:`zhilian.calendar`).  Quotas, diversity and 实现度 are counted on that day; notes,
campaign notes and problems over the academic year that ended before it (1 Sep Y-1 to
31 Aug Y, and not after ``--today``); 活跃度 over the 12 months before the deadline;
满意度 from the latest survey of a year ≤ Y.  Every file is deterministic: no wall-clock
time anywhere (the XLSX's document times are the deadline, its ZIP entries 1980-01-01).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from .calendar import CalendarUnknown, Deadline, academic_year, default_report_year, report_deadline
from .diagnostics import error
from .evaluation import Assessment, activity, composite, satisfaction
from .load import Deployment
from .metrics import DIVERSITY, QUOTAS, Measure, cadre_status
from .model.enums import NoteKind, ProblemStatus
from .paths import templates_dir
from .pipeline import CheckResult, ConfigError
from .records import CadreRecords, digest_of
from .reporters import Reporter

if TYPE_CHECKING:
    from .render.page_cache import PageCache

SUMMARY_SHEET = "汇总"
#: the temporary folders of XlsxWriter's parts: ``<prefix><pid>-…`` (``write.temporary_dir``)
SCRATCH_PREFIX = "zhilian-xlsx-"


@dataclass(frozen=True)
class DeadlineStatus:
    """What the report shows of a cadre's status on the deadline: figures only, no youth (a
    row is kept between ``serve``'s builds and sent back from the process that made it)."""

    quotas: tuple[Measure, ...]
    diversity: tuple[Measure, ...]
    grace_end: dt.date

    @property
    def quotas_met(self) -> bool:
        return all(m.met for m in self.quotas)


@dataclass
class RowFacts:
    """What a cadre's line of the report is made of (:func:`_row_cells`)."""

    group_key: str
    group_name: str
    cadre_id: str
    name: str
    level: str
    appointment: str
    title: str
    status: DeadlineStatus
    notes: int
    online: int
    campaigns: dict[str, int]  # campaign key → notes in its window within the academic year
    raised: int
    forwarded: int
    resolved: int
    assessment: Assessment

    @property
    def offline(self) -> int:
        return self.notes - self.online


@dataclass
class ReportRow:
    """A cadre's line of the report as it is kept (per cadre, in the records): its cells,
    and the figures its group's totals add up — not the models they came from (unpickling
    1,000 rows with them took 0.03 s of every rebuild)."""

    group_key: str
    group_name: str
    cadre_id: str
    #: the rows' order within a group (pinyin of the name: made with the row, which is
    #: kept per cadre, and not for every row of every build)
    sort_key: tuple[str, ...]
    table: RowTable
    notes: int
    raised: int
    forwarded: int
    resolved: int
    youth: int  # the youth contacted on the deadline
    quotas_met: bool
    respondents: int | None  # of the satisfaction survey (None: no survey)
    satisfied: int | None
    fulfilment: float
    composite: float | None

    @classmethod
    def of(cls, facts: RowFacts, campaigns: list[str], sort_key: tuple[str, ...]) -> ReportRow:
        """``campaigns``: the keys of the report's campaigns, in its order."""
        cells = _row_cells(campaigns, facts)
        status, assessment, sat = facts.status, facts.assessment, facts.assessment.satisfaction
        return cls(
            facts.group_key, facts.group_name, facts.cadre_id, sort_key,
            RowTable(cells, [_width(_text(cell)) for cell in cells], digest_of(cells)),
            facts.notes, facts.raised, facts.forwarded, facts.resolved,
            next(m.actual for m in status.quotas if m.key == "youth"), status.quotas_met,
            sat.respondents if sat else None, sat.satisfied if sat else None,
            assessment.fulfilment, assessment.composite,
        )


@dataclass
class ReportGroup:
    key: str
    name: str
    rows: list[ReportRow]
    #: its line of the summary (:func:`summary_cells`: the digest, the CSV, the workbook
    #: and the page each show it)
    cells: list[Cell] | None = field(default=None, init=False, repr=False, compare=False)

    def total(self, attr: str) -> int:
        return sum(int(getattr(r, attr)) for r in self.rows)

    @cached_property
    def youth(self) -> int:
        return sum(r.youth for r in self.rows)

    # (each asked for by the summary, the page and the digest: counted once; the rows of a
    # group never change once it is made)
    @cached_property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.quotas_met)

    @cached_property
    def respondents(self) -> int:
        return sum(r.respondents for r in self.rows if r.respondents is not None)

    @cached_property
    def satisfied(self) -> int:
        return sum(r.satisfied for r in self.rows if r.satisfied is not None)

    @cached_property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.respondents if self.respondents else None

    @cached_property
    def fulfilment(self) -> float | None:
        return sum(r.fulfilment for r in self.rows) / len(self.rows) if self.rows else None

    @cached_property
    def composite(self) -> float | None:
        values = [r.composite for r in self.rows if r.composite is not None]
        return sum(values) / len(values) if values else None


@dataclass
class Report:
    year: int
    today: dt.date
    deadline: Deadline
    period: tuple[dt.date, dt.date]  # notes counted: academic year, cut at today
    campaigns: list[tuple[str, str, list[tuple[dt.date, dt.date]]]]  # key, name, windows
    groups: list[ReportGroup]
    organization: str
    title: str

    @property
    def rows(self) -> list[ReportRow]:
        return [r for g in self.groups for r in g.rows]

    @cached_property
    def total(self) -> ReportGroup:
        return ReportGroup("", "合计", self.rows)

    @property
    def provisional(self) -> bool:
        """The deadline is still ahead: figures use the data as it stands today."""
        return self.today < self.deadline.deadline


# --- computing --------------------------------------------------------------------------------


def _campaign_windows(
    dep: Deployment, start: dt.date, end: dt.date
) -> list[tuple[str, str, list[tuple[dt.date, dt.date]]]]:
    """Each campaign's windows that begin within the academic year."""
    out = []
    for campaign in dep.config.campaigns:
        windows = [campaign.window(y) for y in range(start.year - 1, end.year + 1)]
        out.append((campaign.key, campaign.name, [w for w in windows if start <= w[0] <= end]))
    return out


def build_report(result: CheckResult, year: int) -> Report:
    """Raises :class:`CalendarUnknown` when the year's holiday schedule is unknown."""
    from .views.internal import SCHOOL_GROUP, SCHOOL_GROUP_NAME

    dep, today = result.dep, result.today
    deadline = report_deadline(year, result.config)
    ay_start, ay_end = academic_year(year)
    period = (ay_start, min(ay_end, today))
    campaigns = _campaign_windows(dep, ay_start, ay_end)
    # A row depends on its cadre's files, the config, org and surveys (the record's
    # inputs) and the year: the deadline, period and campaign windows follow from these.
    make_row = partial(_report_row, dep, today, deadline.deadline, year, period, campaigns)
    rows: dict[str, list[ReportRow]] = {}
    for cid in dep.cadres:  # (looked up only when its row is made again: ``load.Cadres``)
        row = result.records.get("report row", cid, partial(make_row, cid), year)
        rows.setdefault(row.group_key, []).append(row)
    order = ([SCHOOL_GROUP] if SCHOOL_GROUP in rows else []) + list(dep.committees)
    groups = [
        ReportGroup(
            key,
            dep.committees[key].name if key else SCHOOL_GROUP_NAME,
            sorted(rows.get(key, []), key=lambda r: r.sort_key),
        )
        for key in order
    ]
    return Report(
        year,
        today,
        deadline,
        period,
        campaigns,
        groups,
        result.config.site.organization,
        result.config.site.title,
    )


def _report_row(
    dep: Deployment,
    today: dt.date,
    on: dt.date,
    year: int,
    period: tuple[dt.date, dt.date],
    campaigns: list[tuple[str, str, list[tuple[dt.date, dt.date]]]],
    cid: str,
) -> ReportRow:
    from .views.internal import SCHOOL_GROUP, SCHOOL_GROUP_NAME, pinyin_key

    cadre = dep.cadres[cid]
    status = cadre_status(cid, cadre, dep, on)
    notes = dep.notes.get(cid, [])
    in_period = [n for n in notes if period[0] <= n.front.date <= period[1]]
    problems = [p for n in in_period for p in n.front.problems]
    act = activity(cadre.since, [n for n in notes if n.front.date <= today], on, dep.config)
    sat = satisfaction(dep, cid, year)
    assessment = Assessment(
        cid,
        status.fulfilment,
        act,
        sat,
        composite(dep.config, status.fulfilment, act.score, sat and sat.score),
    )
    group = cadre.committee if cadre.committee in dep.committees else SCHOOL_GROUP
    facts = RowFacts(
        group_key=group,
        group_name=dep.committees[group].name if group else SCHOOL_GROUP_NAME,
        cadre_id=cid,
        name=cadre.name,
        level=cadre.level.label,
        appointment=cadre.appointment.label,
        title=cadre.title,
        status=DeadlineStatus(tuple(status.quotas), tuple(status.diversity), status.grace_end),
        notes=len(in_period),
        online=sum(1 for n in in_period if n.front.kind is NoteKind.ONLINE),
        campaigns={
            key: sum(
                1
                for n in notes
                if n.front.date <= today and any(s <= n.front.date <= e for s, e in windows)
            )
            for key, _, windows in campaigns
        },
        raised=len(problems),
        forwarded=sum(1 for p in problems if p.status is ProblemStatus.FORWARDED or p.forwarded_to),
        resolved=sum(1 for p in problems if p.status is ProblemStatus.RESOLVED),
        assessment=assessment,
    )
    return ReportRow.of(facts, [key for key, _, _ in campaigns], pinyin_key(cadre.name, cid))


# --- table (shared by CSV, XLSX and the HTML) -------------------------------------------------

Cell = str | int | float | None


def _round(value: float | None) -> int | float | None:
    """One decimal; a whole number as an int (as Excel reads it back: 82, not 82.0)."""
    if value is None:
        return None
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _pct(value: float | None) -> int | float | None:
    return None if value is None else _round(value * 100)


def header(report: Report) -> list[str]:
    cols = ["分团委", "编号", "姓名", "级别", "任职方式", "职务"]
    for _, label, _ in QUOTAS:
        cols += [f"联系{label}数", f"{label}要求"]
    cols += ["指标全部达标", "逐步达到期限"]
    cols += [f"{label}数" for _, label, _ in DIVERSITY]
    cols += ["学年活动记录", "线上互动", "线下活动"]
    cols += [f"{name}活动记录" for _, name, _ in report.campaigns]
    cols += ["提出问题", "已转交", "已解决"]
    cols += ["调查年份", "参与调查人数", "满意人数", "满意度(%)"]
    cols += ["实现度(%)", "活跃度(%)", "综合评价"]
    return cols


@dataclass
class RowTable:
    """A row in the report's tables, made once with the row and kept with it (per cadre:
    see :func:`_report_row`), for the 40,000 cells of a province."""

    cells: list[Cell]  # the digest, the CSV, the workbook and the page show them
    widths: list[int]  # each cell's width in Excel's columns (:func:`to_xlsx`)
    digest: bytes  # of the cells, for the report's key (:func:`report_digest`)


def _row_cells(campaigns: list[str], row: RowFacts) -> list[Cell]:
    """``campaigns``: the keys of the report's campaigns, in its order."""
    s, a = row.status, row.assessment
    cells: list[Cell] = [
        row.group_name,
        row.cadre_id,
        row.name,
        row.level,
        row.appointment,
        row.title,
    ]
    for m in s.quotas:
        cells += [m.actual, m.required]
    cells += ["是" if s.quotas_met else "否", s.grace_end.isoformat()]
    cells += [m.actual for m in s.diversity]
    cells += [row.notes, row.online, row.offline]
    cells += [row.campaigns[key] for key in campaigns]
    cells += [row.raised, row.forwarded, row.resolved]
    sat = a.satisfaction
    cells += [
        sat.year if sat else None,
        sat.respondents if sat else None,
        sat.satisfied if sat else None,
        _pct(sat.score) if sat else None,
    ]
    cells += [
        _pct(a.fulfilment),
        _pct(a.activity.score),
        _round(a.composite),
    ]
    return cells


SUMMARY_HEADER = [
    "分团委",
    "团干部数",
    "指标全部达标人数",
    "联系青年合计",
    "学年活动记录",
    "提出问题",
    "已转交",
    "已解决",
    "参与调查人数",
    "满意人数",
    "满意度(%)",
    "平均实现度(%)",
    "平均综合评价",
]


def summary_cells(group: ReportGroup) -> list[Cell]:
    if group.cells is None:
        group.cells = _summary_cells(group)
    return group.cells


def _summary_cells(group: ReportGroup) -> list[Cell]:
    return [
        group.name,
        len(group.rows),
        group.met,
        group.youth,
        group.total("notes"),
        group.total("raised"),
        group.total("forwarded"),
        group.total("resolved"),
        group.respondents,
        group.satisfied,
        _pct(group.satisfaction),
        _pct(group.fulfilment),
        _round(group.composite),
    ]


def html_parts(report: Report) -> list[tuple[str, list[int]]]:
    """The report's columns split into two printable tables (indices into ``header``)."""
    first_activity = 6 + 2 * len(QUOTAS) + 2 + len(DIVERSITY)
    return [
        ("联系指标与多样性（截止日）", [2, 3, 4, 5, *range(6, first_activity)]),
        ("活动、问题与评价", [2, *range(first_activity, len(header(report)))]),
    ]


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


# --- files ------------------------------------------------------------------------------------


def to_csv(report: Report) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header(report))
    for row in report.rows:
        writer.writerow([_text(c) for c in row.table.cells])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid sheet name for ``name``, unique among ``used`` (casefolded, as Excel compares
    them: "Math" and "math" cannot both be sheets)."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")[:31] or "Sheet"
    title, n = clean, 2
    while title.casefold() in used:
        suffix = f"({n})"
        title, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def to_xlsx(report: Report, sheets: PageCache | None = None) -> bytes:
    """The report as a workbook: a summary sheet, then a sheet per 分团委 (XlsxWriter: it
    wrote the province's report in a third of openpyxl's time, 0.2 s against 0.55 s).

    ``sheets``: a page cache that keeps each 分团委's sheet by its cells.  After one edit
    XlsxWriter then writes the summary and the changed sheets only, and the others' XML is
    taken from the cache (1,000 cadres, 68 sheets: 0.25 → 0.07 s).  For a sheet's XML to
    depend on its own cells only, its strings are written in the cells, not in a table the
    sheets share: XlsxWriter's ``constant_memory`` mode, which keeps its parts in temporary
    files (:func:`_memory_folder`).  The archive is then written again from its parts, the
    same way whether a sheet was kept or written (:func:`_archive`).

    Deterministic: the archive's entries carry the fixed 1980-01-01 time and the document
    its deadline as creation and modification time."""
    from .write import remove_abandoned, temporary_dir

    # Its parts' files: in a folder named after this process, removed when the workbook is
    # made or the build stopped (``workers.child_signals``), else by a later workbook.
    parent = Path(_memory_folder() or tempfile.gettempdir())
    remove_abandoned(parent, SCRATCH_PREFIX)
    scratch = temporary_dir(parent, SCRATCH_PREFIX)
    try:
        return _workbook(report, sheets, str(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _workbook(report: Report, sheets: PageCache | None, scratch: str) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    # A cadre's text that looks like a formula ("=HYPERLINK(…)"), a number or a URL stays
    # text, as in the CSV: nothing a cadre wrote may run or change meaning in Excel.
    book = xlsxwriter.Workbook(buf, {
        "constant_memory": True, "tmpdir": scratch,
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    heading = book.add_format({
        "bold": True, "bg_color": "#DDEBF7", "pattern": 1, "text_wrap": True, "valign": "vcenter",
    })
    bold = book.add_format({"bold": True})

    def add_sheet(
        name: str, head: list[str], rows: list[list[Cell]], widths: list[list[int]],
        last_bold: bool = False,
    ) -> None:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, head, heading)
        for index, values in enumerate(rows, start=1):
            sheet.write_row(index, 0, values, bold if last_bold and index == len(rows) else None)
        sheet.freeze_panes(1, 0)
        # (each column's widest cell: the columns of the rows' widths, by zip)
        columns = zip([_width(title) for title in head], *widths, strict=True)
        for col, width in enumerate(map(max, columns)):
            sheet.set_column(col, col, min(40, width + 2))

    # The summary comes first, always written: the formats are numbered in the order
    # they are first used, so the kept sheets' XML refers to the same numbers.
    used = {SUMMARY_SHEET}
    summary = [summary_cells(g) for g in report.groups] + [summary_cells(report.total)]
    summary_widths = [[_width(_text(cell)) for cell in cells] for cells in summary]
    add_sheet(SUMMARY_SHEET, SUMMARY_HEADER, summary, summary_widths, last_bold=True)
    head = header(report)
    kept: dict[str, bytes] = {}  # member of the archive → a kept sheet's XML
    made: dict[str, str] = {}  # member → key of a sheet written now
    for number, group in enumerate(report.groups, start=2):
        title = _sheet_title(group.name, used)
        cells = [r.table.cells for r in group.rows]
        widths = [r.table.widths for r in group.rows]
        member = f"xl/worksheets/sheet{number}.xml"
        key, found = "", None
        if sheets is not None:  # (repr: the same cells give the same text in any process)
            shown = repr((title, head, cells, widths)).encode()
            key = sheets.key("xlsx sheet", xlsxwriter.__version__, shown)
            found = sheets.get(key)
        if isinstance(found, bytes):
            book.add_worksheet(title)  # (empty: its XML is replaced by the kept one)
            kept[member] = found
        else:
            add_sheet(title, head, cells, widths)
            made[member] = key
    book.set_properties({
        "title": f"{report.year} 年度团干部直接联系青年情况报告",
        "author": report.organization,
        "created": dt.datetime.combine(report.deadline.deadline, dt.time()),
    })
    book.close()
    return _archive(buf.getvalue(), kept, made, sheets)


@functools.cache
def _memory_folder() -> str | None:
    """A temporary folder in memory (``/dev/shm``) where the system has one and ``TMPDIR``
    does not say otherwise: XlsxWriter's 140 part files cost 0.06 s of system time on disk
    here, about nothing there; else None, the system's temporary folder."""
    shm = "/dev/shm"
    if "TMPDIR" not in os.environ and os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def _archive(
    written: bytes, kept: dict[str, bytes], made: dict[str, str], sheets: PageCache | None
) -> bytes:
    """The archive XlsxWriter ``written``, its members in the same order, with the ``kept``
    sheets' XML in place of their empty ones; the sheets it wrote (``made``: member → key)
    are kept in ``sheets``.  Each entry is dated 1980-01-01, as XlsxWriter's in-memory mode
    does (its temporary-file mode dates them by the local time zone)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(written)) as source, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        missing = set(kept) - set(source.namelist())
        assert not missing, f"XlsxWriter named its sheets otherwise: {sorted(missing)}"
        for member in source.namelist():
            data = kept.get(member)
            if data is None:
                data = source.read(member)
                if sheets is not None and member in made:
                    sheets.put(made[member], data)
            info = zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buf.getvalue()


def workbook_and_sheets(
    report: Report, folder: Path | None, code: bytes
) -> tuple[bytes, set[str]]:
    """:func:`to_xlsx` with the sheets kept in the page cache ``folder`` (made with
    ``code``), for another process: also returned, the keys of the sheets (for the
    building process's cache to keep them)."""
    from .render.page_cache import PageCache

    sheets = PageCache(folder, code)
    return to_xlsx(report, sheets), sheets.used


@functools.cache
def _wide_chars() -> re.Pattern[str]:
    """Characters two columns wide in Excel (CJK and beyond).  (Compiled when first used:
    a class of such ranges takes 1–3 ms to compile, which every build paid importing.)"""
    return re.compile("[\u2e81-\U0010ffff]")


def _width(text: str) -> int:
    return len(text) + len(_wide_chars().findall(text))


def style_hash(css: str) -> str:
    import base64

    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def to_html(
    report: Report, templates: Path, records: CadreRecords | None = None, code: bytes = b""
) -> bytes:
    """The report as a web page.  A cadre's table rows are made once per cadre and kept by
    ``records`` (``serve``: an edit renders one cadre's rows, not a province's 2,000), with
    what they depend on besides the cadre's files: the templates (``code``, the digest of
    zhilian's code and templates) and the report's columns."""
    from .render.env import environment
    from .render.internal import report_css

    css = report_css(templates)
    env = environment(templates)
    head, parts = header(report), html_parts(report)
    records = records if records is not None and code else CadreRecords(one_build=True)
    # Loaded when asked for: a deployment's older copy of report.html does not ask.
    row_macro = functools.cache(lambda: env.get_template("internal/_report_row.html").module.row)

    def row_html(row: ReportRow) -> list[str]:
        values = [_text(cell) for cell in row.table.cells]
        return [row_macro()(values, cols, head) for _, cols in parts]

    depends = (code, report.year, report.campaigns, head, parts)
    html = env.get_template("internal/report.html").render(
        report=report,
        header=head,
        row_html=lambda row: records.get(
            "report row html", row.cadre_id, partial(row_html, row), depends
        ),
        summary_header=SUMMARY_HEADER,
        summary_cells=summary_cells,
        parts=parts,
        css=css,
        css_hash=style_hash(css),
        text=_text,
        definitions=_report_definitions(report),
    )
    return html.encode("utf-8")


def _report_definitions(report: Report) -> list[str]:
    s, e = report.period
    return [
        f"上报截止日：{report.deadline.description}",
        f"联系指标、多样性、实现度按截止日 {report.deadline.deadline.isoformat()} 当天正在联系的"
        "青年和所联系的单位计算。",
        f"学年活动记录、提出问题统计 {s.isoformat()} 至 {e.isoformat()}（上一学年，不晚于数据日期）"
        "的活动记录；集中活动记录统计该学年中各集中活动时间窗口内的记录。",
        "“已转交”为状态是已转交或填写了转交部门的问题，“已解决”为状态是已解决的问题（按当前状态）。",
        f"活跃度按截止日前 12 个月计算；满意度取 {report.year} 年及以前最近一次调查的结果；"
        "综合评价的计算方法见内部页面“指标说明”。",
    ]


def report_files(result: CheckResult, year: int, templates: Path) -> dict[str, bytes]:
    """``report-<Y>.html|csv|xlsx``; raises :class:`CalendarUnknown`."""
    report = build_report(result, year)
    return report_files_of(report, templates)


def report_digest(report: Report) -> str:
    """Everything the report's files show, as text: equal digests give equal files (the
    incremental build keys the files on it; the rows' models are far too big to hash, and
    their cells are there by the digests kept with them)."""
    return repr(
        (
            report.year, report.today, report.deadline, report.period, report.campaigns,
            report.organization, report.title, report.provisional, header(report),
            [(g.key, g.name, g.met, [r.table.digest for r in g.rows],
              summary_cells(g)) for g in report.groups],
            summary_cells(report.total), _report_definitions(report),
        )
    )


def report_file_names(year: int) -> list[str]:
    """The report's files: ``report-<Y>.html``, ``.csv`` and ``.xlsx``."""
    return [f"report-{year}.{kind}" for kind in ("html", "csv", "xlsx")]


def report_files_of(
    report: Report,
    templates: Path,
    records: CadreRecords | None = None,
    code: bytes = b"",
    workbook: bytes | None = None,
) -> dict[str, bytes]:
    """The report's files; ``records`` and ``code``: see :func:`to_html`; ``workbook``:
    :func:`to_xlsx` of ``report`` when it was made elsewhere."""
    html, csv, xlsx = report_file_names(report.year)
    return {
        html: to_html(report, templates, records, code), csv: to_csv(report),
        xlsx: workbook if workbook is not None else to_xlsx(report),
    }


def calendar_diagnostic(exc: CalendarUnknown) -> ConfigError:
    return ConfigError(
        [
            error(
                "X001",
                "site_config.yml",
                str(exc),
                hint=exc.hint,
                path=("report", "holiday_overrides"),
                at_key=True,
            )
        ]
    )


def run_report(args: argparse.Namespace, reporter: Reporter) -> int:
    """``build.py report``: 0 written, 1 data errors (nothing written), 2 configuration."""
    from .cli import EXIT_ERRORS, EXIT_OK, report_config_error, run_check
    from .pipeline import read_config
    from .write import write_files

    today = args.today or dt.date.today()
    year = args.year or default_report_year(today)
    try:
        report_deadline(year, read_config(args.root))
    except ConfigError as exc:
        return report_config_error(exc, args, reporter)
    except CalendarUnknown as exc:
        return report_config_error(calendar_diagnostic(exc), args, reporter)
    code, result = run_check(args, reporter)
    if result is None:
        return code
    if result.data_errors:
        reporter.info("存在数据错误，没有生成年度报告。")
        return EXIT_ERRORS
    files = report_files_of(build_report(result, year), templates_dir(args.root))
    out = args.out or args.root / "site" / "internal" / "report"
    write_files(out, files)
    if not args.quiet:
        deadline = report_deadline(year, result.config).deadline
        reporter.info(f"已生成 {year} 年度报告（上报截止日 {deadline.isoformat()}）：{out}")
        for name in sorted(files):
            reporter.info(f"  {name}")
    return EXIT_OK


__all__ = [
    "Report", "build_report", "report_digest", "report_file_names", "report_files",
    "report_files_of", "run_report",
]

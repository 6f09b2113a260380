"""The annual report's deadline: the Nth working day after the National Day holiday.

Working days follow the official calendar of the State Council (国务院办公厅 notice on
holiday arrangements), including make-up workdays (调休上班) on weekends, as published in
the ``chinesecalendar`` package.  For a year that package does not know (a new year whose
schedule was published after the installed release), ``site_config.yml`` gives it in
``report.holiday_overrides``::

    report:
      holiday_overrides:
        2028: {national_day_last_day: 2028-10-07, makeup_workdays: [2028-09-30, 2028-10-08]}

An override wins over the package (the committee's own reading of the notice is final);
under an override the holiday ends on ``national_day_last_day`` and a day after it is a
working day when it is a Monday–Friday or listed in ``makeup_workdays``.

A year neither knows raises :class:`CalendarUnknown` — a configuration problem the caller
reports as a diagnostic (exit code 2), never a traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model.config import SiteConfig

#: The holiday names chinesecalendar uses inside the National Day break (in 2025 the
#: Mid-Autumn Festival sat in the middle of it; in 2023 it began it).
_NATIONAL_DAY_NAMES = frozenset({"National Day", "Mid-autumn Festival"})


class CalendarUnknown(Exception):
    """Neither chinesecalendar nor ``report.holiday_overrides`` knows the year."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"不知道 {year} 年国庆节的放假安排：已安装的 chinesecalendar 没有 {year} 年的数据，"
            f"site_config.yml 的 report.holiday_overrides 中也没有 {year}"
        )
        self.year = year

    @property
    def hint(self) -> str:
        y = self.year
        return (
            f"按国务院办公厅发布的 {y} 年放假通知，在 site_config.yml 的 "
            f"report.holiday_overrides 中加入“{y}: {{national_day_last_day: {y}-10-07, "
            "makeup_workdays: [调休上班的日期]}”（日期按通知填写）；"
            "或升级 chinesecalendar（pip install -U chinesecalendar）。"
        )


@dataclass(frozen=True)
class Deadline:
    year: int
    holiday_last_day: dt.date  # the last day of the National Day holiday
    deadline: dt.date  # the Nth working day after it
    working_days: int  # N
    source: str  # "chinesecalendar" | "site_config.yml"
    makeup_workdays: tuple[dt.date, ...]  # make-up workdays between the holiday and the deadline

    @property
    def description(self) -> str:
        """One Chinese sentence, printed on the report and the dashboard."""
        made_up = (
            "（含调休上班日 " + "、".join(d.isoformat() for d in self.makeup_workdays) + "）"
            if self.makeup_workdays
            else ""
        )
        origin = (
            "国务院办公厅放假安排（chinesecalendar）"
            if self.source == "chinesecalendar"
            else "site_config.yml 中 report.holiday_overrides 给出的放假安排"
        )
        return (
            f"{self.year} 年国庆假期 {self.holiday_last_day.isoformat()} 结束，之后第 "
            f"{self.working_days} 个工作日{made_up}为 {self.deadline.isoformat()}；依据{origin}。"
        )


class _Calendar:
    """is_workday for the days after the holiday, and where the holiday ends."""

    def __init__(self, year: int, config: SiteConfig) -> None:
        self.year = year
        override = config.report.holiday_overrides.get(year)
        if override is not None:
            self.source = "site_config.yml"
            self.last_day = override.national_day_last_day
            makeup = set(override.makeup_workdays)
            self._is_workday = lambda d: d.weekday() < 5 or d in makeup
            self._is_makeup = lambda d: d in makeup and d.weekday() >= 5
            return
        try:
            import chinese_calendar as cc

            cc.is_workday(dt.date(year, 10, 1))
        except (NotImplementedError, ImportError):
            raise CalendarUnknown(year) from None
        self.source = "chinesecalendar"
        self.last_day = _last_holiday_day(year, cc)
        self._is_workday = cc.is_workday
        self._is_makeup = lambda d: d.weekday() >= 5 and cc.is_workday(d)

    def nth_workday_after(self, start: dt.date, n: int) -> tuple[dt.date, list[dt.date]]:
        day, count, makeup = start, 0, []
        while count < n:
            day += dt.timedelta(days=1)
            try:
                working = self._is_workday(day)
            except NotImplementedError:  # the count ran into a year the package lacks
                raise CalendarUnknown(day.year) from None
            if working:
                count += 1
                if self._is_makeup(day):
                    makeup.append(day)
        return day, makeup


def _last_holiday_day(year: int, cc: object) -> dt.date:
    """The last day of the run of National Day holidays that contains October 1."""
    day = dt.date(year, 10, 1)
    while True:
        nxt = day + dt.timedelta(days=1)
        on_holiday, name = cc.get_holiday_detail(nxt)  # type: ignore[attr-defined]
        if not (on_holiday and name in _NATIONAL_DAY_NAMES):
            return day
        day = nxt


def report_deadline(year: int, config: SiteConfig) -> Deadline:
    """The report deadline of ``year``; raises :class:`CalendarUnknown`."""
    cal = _Calendar(year, config)
    n = config.report.working_days_after_national_day
    deadline, makeup = cal.nth_workday_after(cal.last_day, n)
    return Deadline(year, cal.last_day, deadline, n, cal.source, tuple(makeup))


def next_deadline(today: dt.date, config: SiteConfig) -> Deadline:
    """The first deadline on or after ``today`` (this year's, or next year's once it passed)."""
    current = report_deadline(today.year, config)
    if today <= current.deadline:
        return current
    return report_deadline(today.year + 1, config)


def default_report_year(today: dt.date) -> int:
    """The report year of ``--today``: the academic year whose National Day falls in
    today's calendar year (the report is due after that National Day)."""
    return today.year


def academic_year(year: int) -> tuple[dt.date, dt.date]:
    """The academic year a report of ``year`` accounts for: 1 September of ``year - 1``
    to 31 August of ``year`` — the year that ended just before the reporting National Day
    (it holds that year's 国庆, 一二·九 and 五四 campaigns)."""
    return dt.date(year - 1, 9, 1), dt.date(year, 8, 31)

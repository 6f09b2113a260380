"""The report deadline: the Nth working day after the National Day holiday, on the official
calendar (with make-up workdays), overrides for unknown years, and a clear diagnostic for a
year nobody knows.

The expected dates are computed here by hand from the State Council's published schedules,
not from the chinesecalendar package:

- 2025 (国办发明电〔2024〕12号): National Day + Mid-Autumn Oct 1–8; make-up workdays
  Sun Sep 28 and Sat Oct 11.
- 2026 (State Council notice of Nov 2025): National Day Oct 1–7; make-up workdays
  Sun Sep 20 and Sat Oct 10.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from zhilian.calendar import CalendarUnknown, report_deadline
from zhilian.pipeline import read_config

PUBLISHED = {
    2025: (dt.date(2025, 10, 8), {dt.date(2025, 9, 28), dt.date(2025, 10, 11)}),
    2026: (dt.date(2026, 10, 7), {dt.date(2026, 9, 20), dt.date(2026, 10, 10)}),
}


def by_hand(last_holiday: dt.date, makeup: set[dt.date], n: int) -> dt.date:
    """Count working days after the holiday: Mon–Fri, plus make-up Saturdays/Sundays."""
    day, count = last_holiday, 0
    while count < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 or day in makeup:
            count += 1
    return day


def set_report(root: Path, text: str) -> None:
    """Replace the ``report:`` block of site_config.yml."""
    path = root / "site_config.yml"
    config = path.read_text(encoding="utf-8")
    new, n = re.subn(r"^report:\n(?:[ #].*\n|\n)*?(?=^\S)", text, config, flags=re.MULTILINE)
    assert n == 1
    path.write_text(new, encoding="utf-8")


def test_hand_computation_itself() -> None:
    # 2025: Oct 9 Thu, 10 Fri, 11 Sat (make-up), 13 Mon, 14 Tue
    assert by_hand(*PUBLISHED[2025], 5) == dt.date(2025, 10, 14)
    # 2026: Oct 8 Thu, 9 Fri, 10 Sat (make-up), 12 Mon, 13 Tue
    assert by_hand(*PUBLISHED[2026], 5) == dt.date(2026, 10, 13)


@pytest.mark.parametrize("year", [2025, 2026])
def test_deadline_matches_the_published_schedule(sample: Path, year: int) -> None:
    config = read_config(sample)
    n = config.report.working_days_after_national_day
    last, makeup = PUBLISHED[year]
    got = report_deadline(year, config)
    assert got.holiday_last_day == last
    assert got.deadline == by_hand(last, makeup, n)
    assert got.source == "chinesecalendar"
    # the make-up Saturday between the holiday and the deadline is named on the report
    assert set(got.makeup_workdays) == {d for d in makeup if last < d <= got.deadline}


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, dt.date(2025, 10, 9)), (3, dt.date(2025, 10, 11)), (4, dt.date(2025, 10, 13))],
)
def test_number_of_working_days_comes_from_the_config(
    sample: Path, n: int, expected: dt.date
) -> None:
    set_report(sample, f"report:\n  working_days_after_national_day: {n}\n")
    assert report_deadline(2025, read_config(sample)).deadline == expected


def test_override_for_a_year_the_package_does_not_know(sample: Path) -> None:
    set_report(
        sample,
        "report:\n  working_days_after_national_day: 5\n  holiday_overrides:\n"
        "    2031: {national_day_last_day: 2031-10-07, "
        "makeup_workdays: [2031-09-28, 2031-10-11]}\n",
    )
    got = report_deadline(2031, read_config(sample))
    # Oct 8 Wed, 9 Thu, 10 Fri, 11 Sat (make-up), 13 Mon
    assert got.deadline == dt.date(2031, 10, 13)
    assert got.source == "site_config.yml"
    assert got.makeup_workdays == (dt.date(2031, 10, 11),)
    assert "site_config.yml" in got.description

    # a report ahead of its deadline uses today's data and says so
    result = run_cli(sample, "report", "--year", "2031", "--out", str(sample / "out"))
    assert result.code == 0, result.out
    html = (sample / "out" / "report-2031.html").read_text(encoding="utf-8")
    assert "2031年10月13日" in html
    assert "截止日尚未到" in html


def test_unknown_year_is_a_configuration_diagnostic(sample: Path) -> None:
    with pytest.raises(CalendarUnknown):
        report_deadline(2031, read_config(sample))
    out = sample / "out"
    result = run_cli(sample, "report", "--year", "2031", "--out", str(out), fmt="json")
    assert result.code == 2
    diags = [d for d in json.loads(result.out) if d["code"] == "X001"]
    assert len(diags) == 1
    assert diags[0]["file"] == "site_config.yml" and diags[0]["line"] >= 1
    assert "2031" in diags[0]["message"] and "holiday_overrides" in diags[0]["hint"]
    assert "Traceback" not in result.out
    assert not out.exists()

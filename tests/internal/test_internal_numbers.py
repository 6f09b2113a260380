"""The numbers on the internal pages and in the annual report equal an independent
recomputation from the YAML files (see ``independent.py``), for the sample deployment and
for a generated one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DATE

from . import independent as ind

TODAY = SAMPLE_DATE
#: Hand-computed from the State Council's 2026 schedule (National Day Oct 1–7, make-up
#: workday Sat Oct 10): Oct 8, 9, 10, 12, 13 → the 5th working day.
DEADLINE_2026 = dt.date(2026, 10, 13)
#: The academic year report 2026 accounts for.
AY_2026 = (dt.date(2025, 9, 1), dt.date(2026, 8, 31))

QUOTA_LABELS = {
    "分团委": "committees",
    "团支部": "branches",
    "宿舍团小组": "dorm_groups",
    "青年": "youth",
}


def page(root: Path, rel: str) -> str:
    return (root / "site" / "internal" / rel).read_text(encoding="utf-8")


def cadre_of(cell: dict) -> str:
    href = next(h for h in cell["hrefs"] if h and h.startswith("cadres/"))
    return href.removeprefix("cadres/").removesuffix(".html")


def test_cadre_pages_show_quota_counts(deployment: Path) -> None:
    raw = ind.read(deployment)
    for cid, cadre in raw.cadres.items():
        html = page(deployment, f"cadres/{cid}.html")
        (table,) = ind.table_by_class(html, "quotas")
        expected_actual = ind.counts(cadre, TODAY)
        quota = raw.quota(cadre)
        seen = {}
        for row in table["rows"][1:]:
            key = QUOTA_LABELS[row[0]["text"].strip()]
            actual, required = map(int, re.match(r"\s*(\d+) / (\d+)", row[2]["text"]).groups())
            seen[key] = (actual, required)
        assert seen == {k: (expected_actual[k], quota[k]) for k in QUOTA_LABELS.values()}, cid
        # the youth list: current + ended, masked
        n_current = len(ind.current_ids(cadre, TODAY))
        assert f"当前 {n_current} 人，共 {len(cadre.get('youth', []))} 人" in html


def test_dashboard_evaluation_matches(deployment: Path) -> None:
    raw = ind.read(deployment)
    html = page(deployment, "index.html")
    table = ind.table_by_id(html, "evaluation-table")
    rows = table["rows"][1:]
    assert len(rows) == len(raw.cadres)
    composites = []
    for row in rows:
        cid = cadre_of(row[0])
        f, a, s, c = ind.assessment(raw, cid, TODAY, TODAY.year)
        assert float(row[3]["attrs"]["data-sort"]) == pytest.approx(f, abs=1e-6), cid
        assert float(row[8]["attrs"]["data-sort"]) == pytest.approx(a, abs=1e-6), cid
        got_s = float(row[9]["attrs"]["data-sort"])
        assert (None if got_s == -1 else got_s) == (
            None if s is None else pytest.approx(s, abs=1e-6)
        ), cid
        assert float(row[10]["attrs"]["data-sort"]) == pytest.approx(c, abs=1e-5), cid
        assert row[10]["text"].strip() == f"{c:.1f}"
        # notes in the last 12 months (or since appointment), online / offline
        since = ind.day(raw.cadres[cid]["since"])
        start = max(since, TODAY - dt.timedelta(days=365))
        notes = [n for n in raw.notes.get(cid, []) if start <= ind.day(n["date"]) <= TODAY]
        online = sum(1 for n in notes if n["kind"] in ind.ONLINE)
        assert [int(row[i]["text"]) for i in (4, 5, 6)] == [len(notes), online, len(notes) - online]
        past = [d for d in ind.note_dates(raw, cid) if d <= TODAY]
        assert row[7]["text"].strip() == (str((TODAY - max(past)).days) if past else "无记录")
        composites.append(c)
    # the static order (no JavaScript) is by composite, best first
    assert composites == sorted(composites, reverse=True)

    overall = sum(ind.fulfilment(raw, cid, TODAY) for cid in raw.cadres) / len(raw.cadres)
    assert re.search(rf"<dt>平均实现度</dt><dd>{overall * 100:.0f}%</dd>", html)
    met = sum(ind.meets_quotas(raw, cid, TODAY) for cid in raw.cadres)
    assert f"<dt>指标全部达标</dt><dd>{met} / {len(raw.cadres)}</dd>" in html
    assert f"未达到联系指标的团干部（{len(raw.cadres) - met}）" in html
    assert re.search(rf"的青年（{len(ind.overlap(raw, TODAY))}）</h2>", html)


def test_dashboard_fulfilment_by_level_and_committee(deployment: Path) -> None:
    raw = ind.read(deployment)
    html = page(deployment, "index.html")
    by_level = next(t for t in ind.tables(html) if t["rows"][0][0]["text"] == "级别")
    for row in by_level["rows"][1:]:
        level = ind.LEVEL[row[0]["text"]]
        ids = [cid for cid, c in raw.cadres.items() if ind.LEVEL[c["level"]] == level]
        assert int(row[1]["text"]) == len(ids)
        assert int(row[2]["text"]) == sum(ind.meets_quotas(raw, cid, TODAY) for cid in ids)
        if ids:
            mean = sum(ind.fulfilment(raw, cid, TODAY) for cid in ids) / len(ids)
            assert row[3]["text"] == f"{mean * 100:.0f}%"
    names = {c["id"]: c["name"] for c in raw.committees}
    shown = re.search(r"下一个截止日：(\d+)年(\d+)月(\d+)日", html)
    next_deadline = dt.date(*map(int, shown.groups())) if shown else None
    if next_deadline is None:
        assert "无法计算下一个上报截止日" in html
    by_group = next(
        t
        for t in ind.tables(html)
        if t["rows"][0][0]["text"] == "分团委" and t["rows"][0][-1]["text"] == "状态"
    )
    for row in by_group["rows"][1:]:
        href = row[0]["hrefs"][0] if row[0]["hrefs"] else None
        if href is None:  # 校级 cadres without a 分团委
            ids = [cid for cid, c in raw.cadres.items() if c.get("committee") not in names]
        else:
            key = href.removeprefix("committees/").removesuffix(".html")
            assert row[0]["text"] == names[key]
            ids = [cid for cid, c in raw.cadres.items() if c.get("committee") == key]
            # a 分团委 is complete when all its cadres meet their quotas today and on the
            # next deadline (when one is known: 2027's is not in chinesecalendar 1.11)
            days = [TODAY] + ([next_deadline] if next_deadline else [])
            complete = bool(ids) and all(ind.meets_quotas(raw, cid, d) for cid in ids for d in days)
            assert row[5]["text"] == ("已完成" if complete else "未完成"), key
        assert int(row[1]["text"]) == len(ids)
        mean = sum(ind.fulfilment(raw, cid, TODAY) for cid in ids) / len(ids)
        assert row[3]["text"] == f"{mean * 100:.0f}%"


def test_committee_pages_show_coverage_gaps(deployment: Path) -> None:
    raw = ind.read(deployment)
    served_b = {b for c in raw.cadres.values() for b in c.get("units", {}).get("branches", [])}
    served_d = {d for c in raw.cadres.values() for d in c.get("units", {}).get("dorm_groups", [])}
    for committee in raw.committees:
        key = committee["id"]
        html = page(deployment, f"committees/{key}.html")
        branches = [b for b in raw.branches if b["committee"] == key]
        dorms = [d for d in raw.dorm_groups if d["committee"] == key]
        gap_b = sum(1 for b in branches if b["id"] not in served_b)
        gap_d = sum(1 for d in dorms if d["id"] not in served_d)
        assert f"团支部（{len(branches)}，无人联系 {gap_b}）" in html
        assert f"宿舍团小组（{len(dorms)}，无人联系 {gap_d}）" in html
        assert f"<dt>无人联系的单位</dt><dd>{gap_b + gap_d} 个</dd>" in html
        members = [cid for cid, c in raw.cadres.items() if c.get("committee") == key]
        youth = (
            set().union(*(ind.current_ids(raw.cadres[c], TODAY) for c in members))
            if members
            else set()
        )
        assert f"<dt>当前联系青年（去重）</dt><dd>{len(youth)} 人</dd>" in html
        for cid in members:
            assert f'href="../cadres/{cid}.html"' in html


def test_problem_list_counts(deployment: Path) -> None:
    raw = ind.read(deployment)
    html = page(deployment, "problems.html")
    all_problems = [p for cid in raw.cadres for p in ind.problems(raw, cid)]
    summary = next(t for t in ind.tables(html) if t["rows"][0][0]["text"] == "状态")
    for row in summary["rows"][1:]:
        status = row[0]["text"]
        mine = [p for p in all_problems if ind.status_of(p) == status]
        assert int(row[-1]["text"]) == len(mine), status
    # every open item shows its age: days from its note's date to today
    for cid in raw.cadres:
        for note in raw.notes.get(cid, []):
            for p in note.get("problems", []):
                if ind.status_of(p) != "已解决":
                    age = (TODAY - ind.day(note["date"])).days
                    assert re.search(rf'data-sort="{age}">{age}</td>', html)


def report_rows(root: Path) -> tuple[list[str], list[dict[str, str]]]:
    data = (root / "site" / "internal" / "report" / "report-2026.csv").read_bytes()
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    head = next(reader)
    return head, [dict(zip(head, r, strict=True)) for r in reader]


def test_annual_report_matches(deployment: Path) -> None:
    raw = ind.read(deployment)
    _, rows = report_rows(deployment)
    assert sorted(r["编号"] for r in rows) == sorted(raw.cadres)
    html = page(deployment, "report/report-2026.html")
    assert "2026年10月13日" in html and DEADLINE_2026.isoformat() in html
    windows = ind.campaign_windows(raw, *AY_2026)
    names = {c["id"]: c["name"] for c in raw.committees}
    for row in rows:
        cid = row["编号"]
        cadre = raw.cadres[cid]
        assert row["分团委"] == names.get(cadre.get("committee"), "校级（校团委）")
        actual = ind.counts(cadre, DEADLINE_2026)
        quota = raw.quota(cadre)
        for label, key in QUOTA_LABELS.items():
            assert int(row[f"联系{label}数"]) == actual[key], (cid, key)
            assert int(row[f"{label}要求"]) == quota[key]
        assert row["指标全部达标"] == ("是" if ind.meets_quotas(raw, cid, DEADLINE_2026) else "否")
        notes = [
            n
            for n in raw.notes.get(cid, [])
            if AY_2026[0] <= ind.day(n["date"]) <= min(AY_2026[1], TODAY)
        ]
        online = sum(1 for n in notes if n["kind"] in ind.ONLINE)
        assert (int(row["学年活动记录"]), int(row["线上互动"]), int(row["线下活动"])) == (
            len(notes),
            online,
            len(notes) - online,
        ), cid
        for name, spans in windows.items():
            expected = sum(
                1
                for d in ind.note_dates(raw, cid)
                if d <= TODAY and any(s <= d <= e for s, e in spans)
            )
            assert int(row[f"{name}活动记录"]) == expected, (cid, name)
        items = ind.problems(raw, cid, AY_2026[0], min(AY_2026[1], TODAY))
        forwarded = sum(1 for p in items if ind.status_of(p) == "已转交" or p.get("forwarded_to"))
        resolved = sum(1 for p in items if ind.status_of(p) == "已解决")
        assert (int(row["提出问题"]), int(row["已转交"]), int(row["已解决"])) == (
            len(items),
            forwarded,
            resolved,
        ), cid
        f, a, s, c = ind.assessment(raw, cid, DEADLINE_2026, 2026, data_day=TODAY)
        sat = ind.satisfaction(raw, cid, 2026)
        if sat is None:
            assert row["调查年份"] == row["满意度(%)"] == ""
        else:
            assert (int(row["调查年份"]), int(row["参与调查人数"]), int(row["满意人数"])) == sat
            assert float(row["满意度(%)"]) == pytest.approx(round(s * 100, 1))
        assert float(row["实现度(%)"]) == pytest.approx(round(f * 100, 1))
        assert float(row["活跃度(%)"]) == pytest.approx(round(a * 100, 1))
        assert float(row["综合评价"]) == pytest.approx(round(c, 1)), cid
    # the total row of the summary equals the sums of the rows
    total_youth = sum(ind.counts(c, DEADLINE_2026)["youth"] for c in raw.cadres.values())
    assert re.search(
        rf"<th scope=\"row\">合计</th><td>{len(raw.cadres)}</td><td>\d+</td>"
        rf"<td>{total_youth}</td>",
        html,
    )

"""The annual report's files: CSV for Excel (BOM), XLSX equal to the CSV, deterministic."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import run_cli

REPORT = ("report-2026.html", "report-2026.csv", "report-2026.xlsx")


def csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def text(value: object) -> str:
    return "" if value is None else str(value)


def test_build_writes_the_current_report(built_sample: Path) -> None:
    folder = built_sample / "site" / "internal" / "report"
    assert sorted(p.name for p in folder.iterdir()) == sorted(REPORT)
    index = (built_sample / "site" / "internal" / "index.html").read_text(encoding="utf-8")
    for name in REPORT:
        assert f'href="report/{name}"' in index


def test_xlsx_equals_csv(built_sample: Path) -> None:
    folder = built_sample / "site" / "internal" / "report"
    rows = csv_rows(folder / "report-2026.csv")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["分团委", "编号", "姓名"]
    assert len(body) == len(list((built_sample / "data" / "cadres").glob("*.yml")))
    assert all(len(r) == len(header) for r in body)

    wb = load_workbook(folder / "report-2026.xlsx")
    assert wb.sheetnames[0] == "汇总"
    summary = wb["汇总"]
    srows = [[text(c) for c in row] for row in summary.iter_rows(values_only=True)]
    groups = [r[0] for r in srows[1:-1]]  # every 分团委 (and 校级), in report order
    assert [r[0] for r in body] == sorted(
        (r[0] for r in body), key=groups.index
    )  # the CSV is in the same order
    assert len(wb.sheetnames) == 1 + len(groups)
    from_sheets = []
    for sheet_name, group in zip(wb.sheetnames[1:], groups, strict=True):
        ws = wb[sheet_name]
        values = [[text(c) for c in row] for row in ws.iter_rows(values_only=True)]
        assert values[0] == header
        assert {r[0] for r in values[1:]} <= {group}
        assert sheet_name == group[:31]
        from_sheets += values[1:]
        # the header row: bold, filled, frozen; columns sized
        assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDEBF7") for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["C"].width >= 6
        # (columns of one width are stored as one range: min..max)
        widths = {col: dim.width for dim in ws.column_dimensions.values()
                  for col in range(dim.min, dim.max + 1)}
        for col, cells in enumerate(zip(*values, strict=True), start=1):  # (header included)
            widest = max(_display_width(cell) for cell in cells)
            assert abs(widths[col] - min(40, widest + 2)) < 1, (sheet_name, col, widest)
    assert from_sheets == body

    assert srows[0][:2] == ["分团委", "团干部数"]
    assert srows[-1][0] == "合计"
    assert all(c.font.bold for c in summary[summary.max_row])
    assert int(srows[-1][1]) == len(body)
    youth_col = header.index("联系青年数")
    assert int(srows[-1][3]) == sum(int(r[youth_col]) for r in body)
    for row in srows[1:-1]:
        mine = [r for r in body if r[0] == row[0]]
        assert int(row[1]) == len(mine)
        assert int(row[3]) == sum(int(r[youth_col]) for r in mine)


def test_report_command_is_deterministic(sample: Path, tmp_path: Path) -> None:
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = run_cli(sample, "report", "--out", str(out))
        assert result.code == 0, result.out
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert sorted(outs[0]) == sorted(REPORT)
    assert outs[0] == outs[1]
    with zipfile.ZipFile(io.BytesIO(outs[0]["report-2026.xlsx"])) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = load_workbook(io.BytesIO(outs[0]["report-2026.xlsx"])).properties
    assert props.created.date().isoformat() == props.modified.date().isoformat() == "2026-10-13"


def test_report_default_output_and_other_year(sample: Path) -> None:
    result = run_cli(sample, "report", "--year", "2025")
    assert result.code == 0, result.out
    folder = sample / "site" / "internal" / "report"
    assert sorted(p.name for p in folder.iterdir()) == [
        "report-2025.csv",
        "report-2025.html",
        "report-2025.xlsx",
    ]
    html = (folder / "report-2025.html").read_text(encoding="utf-8")
    assert "2025年10月14日" in html  # the 5th working day after Oct 1–8, 2025
    assert "2024-09-01 至 2025-08-31" in html
    assert '<meta name="robots" content="noindex,nofollow">' in html
    assert "@page" in html and "A4" in html


def test_report_refuses_data_errors(sample: Path, tmp_path: Path) -> None:
    cadre = next((sample / "data" / "cadres").glob("*.yml"))
    cadre.write_text(cadre.read_text(encoding="utf-8") + "\nwechatt: oops\n", encoding="utf-8")
    result = run_cli(sample, "report", "--out", str(tmp_path / "out"))
    assert result.code == 1
    assert "S001" in result.codes
    assert not (tmp_path / "out").exists()


def test_xlsx_keeps_formula_like_text_as_text(sample: Path) -> None:
    """A cadre's text that looks like a formula or an error value must not run in Excel."""
    import datetime as dt

    from zhilian.annual import build_report, header, to_xlsx
    from zhilian.pipeline import check

    report = build_report(check(sample, dt.date(2026, 11, 20)), 2026)
    row, columns = report.groups[0].rows[0], header(report)
    title = '=HYPERLINK("http://example.com","点我")'
    row.table.cells[columns.index("职务")], row.table.cells[columns.index("姓名")] = title, "#N/A"
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    cells = {
        c.value: c.data_type for ws in book.worksheets for r in ws.iter_rows() for c in r
    }
    assert cells[title] == "s"
    assert cells["#N/A"] == "s"


def test_xlsx_sheet_names_differing_only_in_case_stay_apart(sample: Path) -> None:
    """Excel compares sheet names without case: "Math" and "math" need two names."""
    import datetime as dt

    from zhilian.annual import build_report, to_xlsx
    from zhilian.pipeline import check

    report = build_report(check(sample, dt.date(2026, 11, 20)), 2026)
    assert len(report.groups) >= 2
    report.groups[0].name, report.groups[1].name = "Math Committee", "MATH committee"
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames[1:3] == ["Math Committee", "MATH committee(2)"]


def test_a_workbook_made_from_kept_sheets_is_the_one_made_whole(
    sample: Path, tmp_path: Path
) -> None:
    """Each 分团委's sheet is kept by its cells: after an edit only the changed one is
    written again, and the workbook is byte for byte the one made without the cache."""
    import datetime as dt

    from zhilian.annual import build_report, header, to_xlsx
    from zhilian.pipeline import check
    from zhilian.render.page_cache import PageCache

    report = build_report(check(sample, dt.date(2026, 11, 20)), 2026)
    assert len(report.groups) >= 2
    first = PageCache(tmp_path / "pages", b"code")
    assert to_xlsx(report, first) == to_xlsx(report)
    assert first.misses == len(report.groups) and first.hits == 0

    edited = report.groups[1]
    edited.rows[0].table.cells[header(report).index("职务")] = "新的职务"
    again = PageCache(tmp_path / "pages", b"code")
    workbook = to_xlsx(report, again)
    assert workbook == to_xlsx(report)
    assert again.misses == 1 and again.hits == len(report.groups) - 1
    book = load_workbook(io.BytesIO(workbook))
    assert "新的职务" in {c.value for r in book[book.sheetnames[2]].iter_rows() for c in r}


def test_the_workbooks_scratch_files_go_and_so_do_those_a_killed_build_left(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XlsxWriter's part files (constant_memory) live in a folder named after the process
    making the workbook: removed when it is made, and a later workbook removes those of a
    process that is gone."""
    import datetime as dt

    from zhilian import annual
    from zhilian.pipeline import check

    shm = tmp_path / "shm"
    shm.mkdir()
    monkeypatch.setattr(annual, "_memory_folder", lambda: str(shm))
    left = shm / f"{annual.SCRATCH_PREFIX}999999999-x"  # (no such process)
    left.mkdir()
    (left / "tmp123").write_bytes(b"")
    report = annual.build_report(check(sample, dt.date(2026, 11, 20)), 2026)
    assert load_workbook(io.BytesIO(annual.to_xlsx(report))).sheetnames[0] == "汇总"
    assert list(shm.iterdir()) == []


def _display_width(text: str) -> int:
    """How many columns Excel gives ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

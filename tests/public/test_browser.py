"""The public site in real Chromium at phone size (375 × 812, as in WeChat's browser):
layout, tap targets, the filter, the find-my-cadre flow by clicking, the copy button,
no request outside the site, no console error, and axe-core accessibility checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import axe_serious, static_server

from .util import SCHOOL, Server, public_dir, sample_cadres, sample_org

PHONE = {"width": 375, "height": 812}
AXE_PAGES = ["index.html", "find/index.html", "news.html", "404.html"]

TAP_TARGETS_JS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a, button, input')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width <= 1 || r.height <= 1 || style.visibility === 'hidden') continue; // not shown
    if (r.height < 44) small.push(`${el.tagName} "${el.textContent.trim()}" ${r.height}px`);
  }
  return small;
}"""

VISIBLE_CARDS_JS = """() => [...document.querySelectorAll('.card')]
  .filter(c => c.getClientRects().length > 0).map(c => c.id.slice(2))"""


@pytest.fixture(scope="module")
def site(built_sample: Path) -> Iterator[Server]:
    with static_server(public_dir(built_sample)) as base:
        yield Server(base)


class Watch:
    """Every request the page makes and every console error / page error."""

    def __init__(self, page: Any, base: str) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []

        def on_route(route: Any) -> None:
            url = route.request.url
            if url.startswith(base) or url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        page.route("**/*", on_route)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # ERR_ABORTED: a fetch (e.g. the favicon) cancelled by the next click's navigation
        page.on(
            "requestfailed",
            lambda r: (
                r.failure != "net::ERR_ABORTED" and self.failed.append(f"{r.failure} {r.url}")
            ),
        )
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))

    def assert_clean(self) -> None:
        assert self.outside == []
        assert self.errors == []
        assert self.failed == []


@pytest.fixture
def phone(browser: Any, site: Server) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    watch = Watch(page, site.base)
    yield page, watch
    context.close()


def test_directory_on_a_phone(
    phone: tuple[Any, Watch], site: Server, built_sample: Path, artifacts: Path
) -> None:
    page, watch = phone
    cadres = sample_cadres(built_sample)
    page.goto(site.base + "index.html")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert sorted(page.evaluate(VISIBLE_CARDS_JS)) == sorted(cadres)
    assert page.evaluate(TAP_TARGETS_JS) == []
    assert page.locator("#q").is_visible()  # app.js showed the filter box
    page.screenshot(path=str(artifacts / "public-index-375.png"), full_page=False)

    # filter: a name, its pinyin initials, a dorm name, nonsense, cleared
    some_id, some = next((c, d) for c, d in cadres.items() if d["level"] not in SCHOOL)
    page.fill("#q", some["name"])
    assert page.evaluate(VISIBLE_CARDS_JS) == [some_id]
    assert page.locator("#q-count").inner_text() == "找到 1 位团干部"
    from pypinyin import lazy_pinyin

    page.fill("#q", "".join(lazy_pinyin(some["name"])).upper())
    assert some_id in page.evaluate(VISIBLE_CARDS_JS)
    org = sample_org(built_sample)
    dorm = next(
        u
        for u in org["dorm_groups"]
        if any(u["id"] in (d.get("units") or {}).get("dorm_groups", []) for d in cadres.values())
    )
    serving = sorted(
        c for c, d in cadres.items() if dorm["id"] in (d.get("units") or {}).get("dorm_groups", [])
    )
    page.fill("#q", dorm["name"])
    assert sorted(page.evaluate(VISIBLE_CARDS_JS)) == serving
    empty_groups = page.evaluate("""() => [...document.querySelectorAll('[data-group]')]
        .filter(g => !g.hidden && !g.querySelector('.card:not([hidden])')).length""")
    assert empty_groups == 0
    page.fill("#q", "没有这个人zzz")
    assert page.evaluate(VISIBLE_CARDS_JS) == []
    assert page.locator("#q-empty").is_visible()
    page.fill("#q", "")
    assert sorted(page.evaluate(VISIBLE_CARDS_JS)) == sorted(cadres)
    watch.assert_clean()


def test_copy_button_copies_and_says_so(phone: tuple[Any, Watch], site: Server) -> None:
    page, watch = phone
    page.goto(site.base + "index.html")
    button = page.locator("button.copy").first
    value = button.get_attribute("data-copy")
    assert button.is_visible()
    assert button.locator(".label").inner_text() == "复制"
    button.click()
    page.wait_for_function(
        "() => document.querySelector('button.copy .label').textContent === '已复制'"
    )
    assert page.locator("#toast").inner_text().startswith("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == value
    watch.assert_clean()


def test_copy_falls_back_without_the_clipboard_api(phone: tuple[Any, Watch], site: Server) -> None:
    page, watch = phone
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.goto(site.base + "index.html")
    page.locator("button.copy").first.click()
    page.wait_for_function("() => document.getElementById('toast').textContent !== ''")
    # execCommand('copy') works in Chromium, so the fallback reports success
    assert page.locator("button.copy .label").first.inner_text() == "已复制"
    watch.assert_clean()


def test_find_my_cadre_by_clicking(
    phone: tuple[Any, Watch], site: Server, built_sample: Path, artifacts: Path
) -> None:
    page, watch = phone
    cadres = sample_cadres(built_sample)
    org = sample_org(built_sample)

    def units(d: dict, kind: str) -> list[str]:
        return (d.get("units") or {}).get(kind) or []

    # a branch served both directly and through its 分团委, if the sample has one
    def serving(branch: dict) -> tuple[set[str], set[str]]:
        direct = {c for c, d in cadres.items() if branch["id"] in units(d, "branches")}
        via = {c for c, d in cadres.items() if branch["committee"] in units(d, "committees")}
        return direct, via - direct

    branch = max(org["branches"], key=lambda b: (all(serving(b)), sum(map(len, serving(b)))))
    committee = next(c for c in org["committees"] if c["id"] == branch["committee"])
    direct, via = serving(branch)

    page.goto(site.base + "index.html")
    page.get_by_role("link", name="找到我的团干部", exact=True).click()
    page.get_by_role("link", name=committee["name"]).click()
    page.get_by_role("link", name=branch["name"]).click()
    assert page.locator("h1").inner_text() == branch["name"]
    shown_direct = page.evaluate(
        "() => [...document.querySelectorAll('#direct .card')].map(c => c.id.slice(2))"
    )
    shown_via = page.evaluate(
        "() => [...document.querySelectorAll('#via .card')].map(c => c.id.slice(2))"
    )
    assert set(shown_direct) == direct
    assert set(shown_via) == via
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(TAP_TARGETS_JS) == []
    page.screenshot(path=str(artifacts / "public-find-375.png"), full_page=False)
    # and on to a cadre page with its QR code
    first = (shown_direct or shown_via)[0]
    page.locator(f"#c-{first} h3 a").click()
    assert page.locator("h1").inner_text() == cadres[first]["name"]
    assert page.locator("svg.qr").is_visible()
    box = page.locator("svg.qr").bounding_box()
    assert box and box["width"] >= 150
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    watch.assert_clean()


def test_pages_work_without_javascript(browser: Any, site: Server, built_sample: Path) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(site.base + "index.html")
    assert page.locator(".card").count() == len(sample_cadres(built_sample))
    assert not page.locator("#q").is_visible()  # hidden, harmless
    assert not page.locator("button.copy").first.is_visible()
    assert page.locator(".copyable .v").first.is_visible()  # the ID itself is shown
    context.close()


@pytest.mark.parametrize("path", [*AXE_PAGES, "cadre", "find-committee", "find-unit"])
def test_axe_finds_no_serious_violations(
    browser: Any, site: Server, built_sample: Path, path: str
) -> None:
    public = public_dir(built_sample)
    if path == "cadre":
        path = sorted(public.glob("cadres/*.html"))[0].relative_to(public).as_posix()
    elif path == "find-committee":
        path = sorted(public.glob("find/*/index.html"))[0].relative_to(public).as_posix()
    elif path == "find-unit":
        path = sorted(public.glob("find/*/branches/*.html"))[0].relative_to(public).as_posix()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site.base + path)
    bad = axe_serious(page)
    context.close()
    assert bad == [], path

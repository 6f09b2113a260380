"""Untrusted text cannot inject markup or script; every page carries the CSP and robots
policy; no page loads anything from another host.

One extra build: the sample with an XSS corpus in every free-text public field and
``site.indexable`` switched on (the sample itself has it off, so both ways are tested).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cmarkgfm
import nh3
import pytest
import yaml
from cmarkgfm.cmark import Options
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, copy_deployment, run_cli
from zhilian.render.markdown import (
    _PLAIN_HTML,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    render_markdown,
)

from .util import DUMPER, Page, html_pages, load_plain, parse, public_dir, split_note

XSS = [
    "<script>alert('x1')</script>",
    "<img src=x onerror=\"alert('x2')\">",
    "[点我](javascript:alert('x3'))",
    "[数据](data:text/html;base64,PHNjcmlwdD5hbGVydCgneDQnKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert('x5')\">raw link</a>",
    '<iframe src="https://evil.example/x6"></iframe>',
    '<svg onload="alert(\'x7\')"><circle r="1"/></svg>',
    "<div style=\"background:url(javascript:alert('x8'))\" onclick=\"alert('x9')\">div</div>",
    "![img](https://evil.example/x10.png)",
    '<object data="https://evil.example/x11.swf"></object><embed src="x12.swf">',
    "[vb](vbscript:msgbox('x13'))",
    "<a href='JaVaScRiPt&#58;alert(\"x14\")'>entity</a>",
    '<form action="https://evil.example/"><input name="x15"></form>',
    "<style>body{display:none}</style><link rel=stylesheet href=https://evil.example/x16.css>",
    "<math><mi xlink:href=\"javascript:alert('x17')\">m</mi></math>",
    "<<script>script>alert('x18')<</script>/script>",
    '"><script>alert("x19")</script>',
    "[ws](  javascript:alert('x20'))",
]
CORPUS = "\n\n".join(XSS)
ALLOWED_SCHEMES = ("http:", "https:", "mailto:", "tel:")
OUR_SVG_CLASSES = {"avatar", "qr"}
ROOT = r"(?:(?:\.\./)*|/(?:[\w.-]+/)*)"  # relative, or the base path on 404.html


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dump(data: object) -> str:
    return yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False, width=1000)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_deployment(tmp_path_factory.mktemp("hostile"))
    config = root / "site_config.yml"
    text = config.read_text("utf-8")
    assert "indexable: false" in text
    config.write_text(text.replace("indexable: false", "indexable: true", 1), "utf-8")
    for path in sorted((root / "data" / "cadres").glob("*.yml")):
        data = load_plain(path)
        data["intro"] = CORPUS
        data["title"] = XSS[0] + XSS[16]
        if data.get("contact"):
            data["contact"]["office"] = XSS[1]
        path.write_text(dump(data), "utf-8")
    touched = 0
    for path in sorted((root / "data" / "notes").glob("*/*.md")):
        front, body = split_note(path.read_text("utf-8"))
        if re.search(r"(?m)^public: true", front):
            front = re.sub(r"(?m)^title: .*$", lambda _: "title: " + _quote(XSS[16]), front)
            path.write_text(f"---\n{front}\n---\n{body}\n\n{CORPUS}\n", "utf-8")
            touched += 1
    assert touched
    result = run_cli(root, "build")
    assert result.code == 0, result.out
    return root


def _bad_url(value: str) -> bool:
    cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
    return ":" in cleaned.split("/", 1)[0] and not cleaned.startswith(ALLOWED_SCHEMES)


def assert_no_injection(page: Page, where: str) -> None:
    for el in page.elements:
        assert el.tag not in {"iframe", "object", "embed", "form", "style", "math", "base"}, where
        for name, value in el.attrs.items():
            assert not name.startswith("on"), (where, el.tag, name)
            assert name != "style", (where, el.tag)
            if name in ("href", "src", "action", "xlink:href", "formaction", "data"):
                assert not _bad_url(value or ""), (where, el.tag, value)
        if el.tag == "script":
            assert re.fullmatch(ROOT + r"assets/app\.js\?v=[0-9a-f]+", el.get("src") or ""), where
            assert el.text == [] or "".join(el.text).strip() == "", where
        if el.tag == "svg":
            assert el.classes() & OUR_SVG_CLASSES, where
        if el.tag == "img":
            assert re.fullmatch(ROOT + r"photos/[0-9a-f]{16}\.jpg", el.get("src") or ""), where
        if el.tag == "link":
            assert re.fullmatch(
                ROOT + r"assets/[a-z]+\.(css|svg)\?v=[0-9a-f]+", el.get("href") or ""
            ), where


def test_xss_corpus_does_not_survive(hostile: Path) -> None:
    public = public_dir(hostile)
    pages = html_pages(public)
    assert len(pages) > 20
    for path in pages:
        page = parse(path)
        assert_no_injection(page, path.relative_to(public).as_posix())
        assert len(page.all("script")) == 1
    # the escaped text is still shown as text (nothing silently dropped from titles)
    index = (public / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(" in index


def test_directory_json_holds_only_sanitised_html(hostile: Path) -> None:
    import json

    data = json.loads((public_dir(hostile) / "directory.json").read_text("utf-8"))
    for html in [c["intro_html"] for c in data["cadres"]] + [n["html"] for n in data["notes"]]:
        assert_no_injection(parse(html), "directory.json")
        assert "<script" not in html and "onerror" not in html.replace("&quot;", "")


def test_sample_pages_have_csp_and_no_external_resources(built_sample: Path) -> None:
    public = public_dir(built_sample)
    for path in html_pages(public):
        page = parse(path)
        where = path.relative_to(public).as_posix()
        csp = page.one("meta", **{"http-equiv": "Content-Security-Policy"}).get("content") or ""
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert directives["default-src"] == ["'self'"], where
        assert directives["script-src"] == ["'self'"], where
        assert directives["img-src"] == ["'self'", "data:"], where
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        html = page.one("html")
        assert html.get("lang") == "zh-CN"
        assert "width=device-width" in (page.one("meta", name="viewport").get("content") or "")
        assert_no_injection(page, where)
        for el in page.all():
            if el.tag in ("script", "link", "img", "source", "iframe"):
                for attr in ("src", "href", "srcset"):
                    value = el.get(attr) or ""
                    assert not re.match(r"(?i)\s*(https?:)?//", value), (where, value)
    for asset in sorted((public / "assets").rglob("*")):
        text = asset.read_text("utf-8")
        assert not re.search(
            r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}",
            text.replace("http://www.w3.org/2000/svg", ""),
        ), asset.name
        assert "@import" not in text and "@font-face" not in text


def _robots_meta(page: Page) -> list[str | None]:
    return [m.get("content") for m in page.all("meta", name="robots")]


def test_noindex_everywhere_when_not_indexable(built_sample: Path) -> None:
    public = public_dir(built_sample)
    assert load_plain(built_sample / "site_config.yml")["site"]["indexable"] == "false"
    for path in html_pages(public):
        assert _robots_meta(parse(path)) == ["noindex"], path
    robots = (public / "robots.txt").read_text("utf-8")
    assert "Disallow: /\n" in robots and "Allow" not in robots


def test_indexable_site_has_no_noindex_and_announces_its_sitemap(hostile: Path) -> None:
    public = public_dir(hostile)
    for path in html_pages(public):
        assert _robots_meta(parse(path)) == [], path
    robots = (public / "robots.txt").read_text("utf-8")
    base = load_plain(hostile / "site_config.yml")["site"]["base_url"]
    assert "Disallow: /" not in robots
    assert f"Sitemap: {base}sitemap.xml" in robots


def test_block_quotes_nest_only_so_deep() -> None:
    """A line of ">" nests a block quote per character, and nh3's HTML parser takes n² steps
    on n nested elements (100,000: 40 s): beyond ``QUOTE_DEPTH`` a line's quotes are dropped.
    Rendered in a process given a minute (the old rendering of these 200,000 needed ~3)."""
    code = (
        "from zhilian.render.markdown import QUOTE_DEPTH, render_markdown\n"
        "html = render_markdown('>' * 200_000 + ' 深\\n')\n"
        "assert html.count('<blockquote>') == QUOTE_DEPTH and '深' in html, html[:200]\n"
        "html = render_markdown('> 一\\n>> 二\\n>>> 三\\n')\n"
        "assert html.count('<blockquote>') == 3 and '三' in html, html\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)


@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from(list("ab 一二\n\n*_`#>-+1.[]()<>&\"';:!|~\\/=h")), max_size=60))
@example("a  \nb")  # a hard line break: cmark writes <br />, nh3 <br>
@example('"引号" & <尖括号>')  # cmark writes &quot;, which nh3 writes as "
def test_html_left_without_sanitising_is_what_nh3_would_leave(text: str) -> None:
    """Plain HTML (text, allowed tags without attributes) skips nh3: only where nh3 would
    return it unchanged."""
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_DEFAULT)
    sanitised = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer", strip_comments=True,
    )
    if _PLAIN_HTML.fullmatch(html):
        assert sanitised == html
    render_markdown.cache_clear()
    assert render_markdown(text) == ("" if not text.strip() else sanitised)

"""The handbook (DESIGN §2, §7): ``docs/`` + ``mkdocs.yml`` built into ``site/public/guide``
with four generated reference pages, self-contained, cached and reproducible."""

from __future__ import annotations

import hashlib
import html
import inspect
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel
from pydantic.dataclasses import is_pydantic_dataclass

from tests.conftest import REPO, SAMPLE_DATE, run_cli
from tests.support import static_server
from zhilian import handbook
from zhilian.diagnostics import CODES, Kind
from zhilian.model.config import SiteConfig
from zhilian.model.data import Branch, Cadre, Committee, DormGroup, NoteFront, SurveyResult
from zhilian.pipeline import check

#: Every file format's top model (DESIGN §3) and site_config.yml.
ROOTS: list[type[BaseModel]] = [
    Cadre, NoteFront, SurveyResult, Committee, Branch, DormGroup, SiteConfig,
]  # fmt: skip

CHAPTERS = {
    "index.html": "使用手册",
    "cadres/edit-on-github/index.html": "在网页上修改自己的文件",
    "cadres/notes/index.html": "活动记录怎么写",
    "cadres/identity/index.html": "亮身份与个人信息",
    "cadres/check-results/index.html": "看懂检查结果",
    "admins/config/index.html": "规则与站点配置",
    "admins/local/index.html": "在电脑上预览和生成",
    "admins/report/index.html": "年度报告",
    "admins/data-protection/index.html": "数据保护",
    "admins/gate/index.html": "合并请求门禁",
    "reference/fields/index.html": "字段参考",
    "reference/rules/index.html": "本站规则",
    "reference/diagnostics/index.html": "诊断代码",
    "reference/metrics/index.html": "指标说明",
}


def guide_dir(root: Path) -> Path:
    return root / "site" / "public" / "guide"


def tree(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def page(root: Path, rel: str) -> str:
    return (guide_dir(root) / rel).read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def build(root: Path) -> None:
    result = run_cli(root, "build")
    assert result.code == 0, result.out


class Attrs(HTMLParser):
    """Every src/href (and inline script) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.inline_scripts = 0
        self.csp: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href", "action", "poster", "data"):
            if values.get(name):
                self.urls.append((tag, name, values[name] or ""))
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(values.get("content") or "")


# --- the built guide (the session's shared sample build) ---------------------------------------


def test_chapters_are_built_under_public_guide(built_sample: Path) -> None:
    guide = guide_dir(built_sample)
    for rel, title in CHAPTERS.items():
        assert (guide / rel).is_file(), rel
        assert title in text_of(page(built_sample, rel)), rel
    assert (guide / "search" / "search_index.json").is_file()
    assert (guide / "404.html").is_file()


def test_repository_docs_are_never_modified(built_sample: Path) -> None:
    assert not (built_sample / "docs" / "reference").exists()
    assert tree(built_sample / "docs") == tree(REPO / "docs")


def test_no_external_host_in_any_page(built_sample: Path) -> None:
    """The guide must load inside a campus network in China: no CDN, fonts or analytics."""
    config = yaml.safe_load((built_sample / "site_config.yml").read_text(encoding="utf-8"))
    own_host = urlsplit(config["site"]["base_url"]).netloc
    guide = guide_dir(built_sample)
    pages = sorted(guide.rglob("*.html"))
    assert len(pages) >= len(CHAPTERS)
    for path in pages:
        parser = Attrs()
        parser.feed(path.read_text(encoding="utf-8"))
        for tag, attr, value in parser.urls:
            parts = urlsplit(value)
            if value.startswith("//") or parts.scheme in ("http", "https"):
                # Only the site's own address (canonical links) may be absolute.
                assert parts.netloc == own_host and tag in ("link", "a"), (path, tag, attr, value)
            else:
                assert parts.scheme in ("", "mailto", "tel"), (path, value)
    for path in [*guide.rglob("*.css"), *guide.rglob("*.js")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), path
        assert "googleapis" not in text and "cdnjs" not in text, path


def test_pages_carry_a_csp_without_inline_scripts(built_sample: Path) -> None:
    for path in sorted(guide_dir(built_sample).rglob("*.html")):
        parser = Attrs()
        parser.feed(path.read_text(encoding="utf-8"))
        assert parser.inline_scripts == 0, path
        assert len(parser.csp) == 1, path
        assert (
            "script-src 'self'" in parser.csp[0]
            and "unsafe-inline" not in parser.csp[0].split("script-src")[1].split(";")[0]
        ), path


def test_search_index_and_guide_hold_no_private_data(built_sample: Path) -> None:
    result = check(built_sample, SAMPLE_DATE)
    private: set[str] = set()
    for cadre in result.dep.cadres.values():
        for youth in cadre.youth:
            private.add(youth.id)
            if youth.name:
                private.add(youth.name)
            if youth.hometown:
                private.add(youth.hometown)
    for notes in result.dep.notes.values():
        for note in notes:
            private.update(p.summary for p in note.front.problems)
    assert private, "the sample should have youth to look for"
    index = json.loads(
        (guide_dir(built_sample) / "search" / "search_index.json").read_text(encoding="utf-8")
    )
    indexed = json.dumps(index, ensure_ascii=False)
    for path in sorted(guide_dir(built_sample).rglob("*")):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".js"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for value in private:
                assert value not in text, (path, "a private value of the sample data")
    assert "使用手册" in indexed


# --- generated pages ---------------------------------------------------------------------------


def _fields(model: type[Any]) -> dict[str, Any]:
    """A pydantic model's fields, or a pydantic dataclass's (``Youth``)."""
    return model.model_fields if issubclass(model, BaseModel) else model.__pydantic_fields__


def _walk_models(roots: list[type[BaseModel]]) -> list[type[Any]]:
    """Every model (or pydantic dataclass) reachable through the fields (independent of
    zhilian.handbook)."""
    seen: list[type[Any]] = []

    def inner(annotation: Any) -> list[type[Any]]:
        found = []
        if inspect.isclass(annotation) and (
            issubclass(annotation, BaseModel) or is_pydantic_dataclass(annotation)
        ):
            found.append(annotation)
        for arg in get_args(annotation):
            found += inner(arg)
        return found

    todo = list(roots)
    while todo:
        model = todo.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for info in _fields(model).values():
            todo += inner(info.annotation)
    return seen


def _sections(markup: str) -> dict[str, str]:
    """Model section id → its HTML (up to the next model section)."""
    pieces = re.split(r'(?=<h[23][^>]*id="model-)', markup)
    out = {}
    for piece in pieces:
        match = re.match(r'<h[23][^>]*id="(model-[a-z]+)"', piece)
        if match:
            out[match.group(1)] = piece
    return out


def test_field_reference_lists_every_model_field(built_sample: Path) -> None:
    markup = page(built_sample, "reference/fields/index.html")
    sections = _sections(markup)
    models = _walk_models(ROOTS)
    assert len(models) >= 20 and "Youth" in {m.__name__ for m in models}
    for model in models:
        anchor = f"model-{model.__name__.lower()}"
        assert anchor in sections, f"{model.__name__} has no section in the field reference"
        for name, info in _fields(model).items():
            assert f"<code>{name}</code>" in sections[anchor], f"{model.__name__}.{name}"
            if info.title:
                assert html.escape(info.title, quote=False) in sections[anchor], info.title


def test_field_reference_marks_public_and_private(built_sample: Path) -> None:
    sections = _sections(page(built_sample, "reference/fields/index.html"))

    def row(anchor: str, field: str) -> str:
        match = re.search(rf"<tr>\s*<td><code>{field}</code></td>.*?</tr>", sections[anchor], re.S)
        assert match, (anchor, field)
        return text_of(match.group(0))

    assert "不公开" in row("model-cadre", "youth")
    assert "公开" in row("model-cadre", "name") and "不公开" not in row("model-cadre", "name")
    for field in ("id", "name", "political_status", "family", "hometown"):
        assert "不公开" in row("model-youth", field), field
    assert "公开（取得同意后）" in row("model-contact", "phone")
    assert "不公开" in row("model-problem", "summary")
    # enums in plain Chinese, with every choice
    assert "选项：校级 | 系级" in row("model-cadre", "level")
    assert "日期" in row("model-cadre", "since") and "必填" in row("model-cadre", "since")
    assert "是否" in row("model-notefront", "public")


def test_diagnostics_page_lists_every_code(built_sample: Path) -> None:
    markup = page(built_sample, "reference/diagnostics/index.html")
    plain = text_of(markup)
    for code in CODES.values():
        anchor = f'id="{code.code.lower()}"'
        assert anchor in markup, code.code
        section = markup.split(anchor, 1)[1].split("<h3", 1)[0]
        assert code.title in text_of(markup.split(anchor, 1)[1].split("</h3>", 1)[0])
        kind = "数据错误" if code.kind is Kind.DATA else "合规"
        assert kind in text_of(section), code.code
        assert text_of(html.escape(code.hint)) in text_of(section), code.code
        if code.example and not code.example.startswith("（"):
            assert "<pre>" in section and code.example in html.unescape(section), code.code
    assert "Y006" in plain and "怎么改" in plain


def test_rules_page_shows_the_deployment_numbers(built_sample: Path) -> None:
    plain = text_of(page(built_sample, "reference/rules/index.html"))
    config = yaml.safe_load((built_sample / "site_config.yml").read_text(encoding="utf-8"))
    assert f"逐步达标期限：{config['grace_days']} 天" in plain
    assert f"最多同时被 {config['max_cadres_per_youth']} 位团干部联系" in plain
    for admin in config["admins"]:
        assert admin in plain
    for category in config["family_categories"]:
        assert category in plain
    for campaign in config["campaigns"]:
        assert campaign["name"] in plain
    from zhilian.rules import RULES

    for name in RULES:
        assert name in plain, name


def test_metrics_page_comes_from_evaluation(built_sample: Path) -> None:
    from zhilian.evaluation import metric_definitions_markdown

    config = check(built_sample, SAMPLE_DATE).config
    source = metric_definitions_markdown(config)
    plain = text_of(page(built_sample, "reference/metrics/index.html"))
    headings = re.findall(r"^#+\s+(.+)$", source, re.M)
    assert headings
    for heading in headings:
        assert heading.strip() in plain


# --- a modified deployment ---------------------------------------------------------------------


def test_rules_page_follows_a_modified_site_config(sample: Path) -> None:
    path = sample / "site_config.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("youth: 100}", "youth: 137}", 1)
    text = re.sub(r"^grace_days: \d+", "grace_days: 97", text, flags=re.M)
    text = re.sub(r"max_days_without_note: \d+", "max_days_without_note: 33", text)
    path.write_text(text, encoding="utf-8")
    config = yaml.safe_load(text)
    assert config["grace_days"] == 97
    build(sample)
    markup = page(sample, "reference/rules/index.html")
    quota_table = markup.split('id="quotas"', 1)[1].split("</table>", 1)[0]
    assert "≥ 137" in text_of(quota_table)
    plain = text_of(markup)
    assert "逐步达标期限：97 天" in plain
    assert "超过 33 天没有新的活动记录" in plain
    assert "≥ 137" not in text_of(page(sample, "reference/fields/index.html"))


def test_cache_hit_gives_identical_output_without_mkdocs(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(sample)
    first = tree(guide_dir(sample))
    cached = list((sample / ".zhilian-cache" / "handbook").iterdir())
    assert len([p for p in cached if not p.name.startswith(".")]) == 1

    def no_mkdocs(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("MkDocs ran although the handbook was cached")

    monkeypatch.setattr(handbook, "run_mkdocs", no_mkdocs)
    build(sample)
    assert tree(guide_dir(sample)) == first


def test_changed_docs_miss_the_cache(sample: Path) -> None:
    build(sample)
    index = sample / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n新增的一段说明文字。\n", "utf-8")
    build(sample)
    assert "新增的一段说明文字" in page(sample, "index.html")
    entries = [p for p in (sample / ".zhilian-cache" / "handbook").iterdir()]
    assert len([p for p in entries if not p.name.startswith(".")]) == 2


def test_two_cold_builds_are_byte_identical(sample: Path) -> None:
    build(sample)
    first = tree(guide_dir(sample))
    shutil.rmtree(sample / ".zhilian-cache")
    build(sample)
    assert tree(guide_dir(sample)) == first
    assert "sitemap.xml.gz" in first


def test_symbolic_links_in_docs_are_not_published(sample: Path) -> None:
    cadre = sorted((sample / "data" / "cadres").glob("*.yml"))[0]
    (sample / "docs" / "leak.yml").symlink_to(cadre)
    (sample / "docs" / "linked").symlink_to(sample / "data", target_is_directory=True)
    build(sample)
    published = tree(guide_dir(sample))
    assert not any("leak" in rel or rel.startswith("linked") for rel in published)
    student_ids = re.findall(r'id: "(\d+)"', cadre.read_text(encoding="utf-8"))
    for path in guide_dir(sample).rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not any(sid in text for sid in student_ids), path


def test_deployment_without_mkdocs_has_no_guide(sample: Path) -> None:
    (sample / "mkdocs.yml").unlink()
    build(sample)
    assert not guide_dir(sample).exists()
    assert (sample / "site" / "public" / "index.html").is_file()


def test_a_broken_mkdocs_yml_stops_the_build_and_keeps_the_last_site(sample: Path) -> None:
    """A configuration error of the handbook is reported, in Chinese, with exit 2; the site
    stays as the last good build left it (the handbook is copied in while the build waits
    for its other processes: the error still comes out at the end)."""
    build(sample)
    before = tree(sample / "site")
    (sample / "mkdocs.yml").write_text("site_name: [broken\n", encoding="utf-8")
    result = run_cli(sample, "build")
    assert result.code == 2, result.out
    assert "手册无法生成" in result.out and "site/ 保持上一次成功生成的内容" in result.out
    assert tree(sample / "site") == before


# --- unit level --------------------------------------------------------------------------------


def test_documented_models_match_the_independent_walk() -> None:
    walked = _walk_models(ROOTS)
    assert set(walked) <= set(handbook.documented_models())


def test_headings_of_embedded_markdown_are_shifted() -> None:
    body = "### 一\n\n```\n# 不是标题\n```\n\n#### 二\n"
    assert handbook._headings_from(body, 2) == "## 一\n\n```\n# 不是标题\n```\n\n### 二\n"


def test_table_cells_escape_pipes_and_html() -> None:
    assert handbook._cell("a | <b>") == r"a \| &lt;b&gt;"
    assert handbook._text("``max_cadres_per_youth`` * 2") == r"`max_cadres_per_youth` \* 2"


# --- in a real browser -------------------------------------------------------------------------


def test_chinese_search_works_in_a_browser(built_sample: Path, browser: Any) -> None:
    with static_server(built_sample / "site" / "public") as base:
        page_ = browser.new_page(viewport={"width": 375, "height": 800})
        errors: list[str] = []
        page_.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            page_.goto(f"{base}guide/?q=合并请求")
            page_.wait_for_selector("#mkdocs-search-results article", timeout=10_000)
            titles = page_.locator("#mkdocs-search-results article h3").all_inner_texts()
            assert any("合并请求门禁" in t for t in titles), titles
            assert page_.evaluate("document.documentElement.scrollWidth") <= 375
        finally:
            page_.close()
        assert not errors, errors

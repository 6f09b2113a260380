"""Every internal page: zh-CN, a CSP, noindex, nothing loaded from elsewhere, links that
resolve; the 分团委 page shows units nobody serves; determinism."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import SAMPLE_DATE
from zhilian.pipeline import check
from zhilian.render.internal import render_internal


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.inline_scripts = 0
        self.inline_styles = 0
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        for attr in ("href", "src"):
            if a.get(attr):
                self.links.append((tag, a[attr] or ""))
        if "style" in a:
            self.inline_styles += 1
        self._script = tag == "script" and not a.get("src")

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._script = False


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_page_is_closed_and_linked(built_sample: Path) -> None:
    root = built_sample / "site" / "internal"
    pages = sorted(root.rglob("*.html"))
    parsed = {p: parse(p) for p in pages}
    for path, links in parsed.items():
        html = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN">'), rel
        assert '<meta name="robots" content="noindex,nofollow">' in html, rel
        csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
        assert csp and "default-src 'none'" in csp.group(1), rel
        assert "unsafe-inline" not in csp.group(1) and "unsafe-eval" not in csp.group(1)
        assert links.inline_scripts == 0 and links.inline_styles == 0, rel
        for tag, url in links.links:
            parts = urlsplit(url)
            if tag != "a":  # stylesheets, scripts: only our own files
                assert not parts.scheme and not url.startswith("//"), (rel, url)
            if parts.scheme in ("http", "https", "mailto", "tel"):
                assert tag == "a", (rel, url)  # a link in a note: never loaded
                continue
            assert not parts.scheme, (rel, url)
            target = (path.parent / parts.path).resolve() if parts.path else path
            assert target.is_file(), (rel, url)
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in parsed[target].ids, (rel, url)


def test_committee_page_shows_units_nobody_serves(sample: Path) -> None:
    org = sample / "data" / "org"
    committee = re.search(r"- id: (\S+)", (org / "committees.yml").read_text("utf-8")).group(1)
    with (org / "branches.yml").open("a", encoding="utf-8") as f:
        f.write(
            f"  - {{id: zz-gap-1, name: 无人支部, committee: {committee}, "
            'major: 测试专业, grade: "2025"}\n'
        )
    with (org / "dorm_groups.yml").open("a", encoding="utf-8") as f:
        f.write(f"  - {{id: zz-gap-2, name: 无人宿舍-101, committee: {committee}}}\n")
    result = check(sample, SAMPLE_DATE)
    assert not result.data_errors, result.data_errors
    files = render_internal(result, sample / "templates")
    page = files[f"committees/{committee}.html"].decode("utf-8")
    for name in ("无人支部", "无人宿舍-101"):
        row = re.search(rf'<tr class="gap"><th scope="row">{name}</th>.*?</tr>', page, re.S)
        assert row and "无人联系" in row.group(0)
    index = files["index.html"].decode("utf-8")
    assert re.search(
        rf'href="committees/{committee}.html">[^<]+</a></th>\s*'
        r"(?:<td[^>]*>[^<]*</td>\s*){3}<td class=\"num\">([1-9]\d*)</td>",
        index,
    )
    # the same input renders the same bytes
    assert render_internal(check(sample, SAMPLE_DATE), sample / "templates") == files


def test_youth_rows_escape_every_cell_as_the_template_would() -> None:
    """The youth table's rows are made in Python for speed: they must be what Jinja2's
    autoescaping made of the same cells, NUL (the joiner of the fast path) included."""
    import datetime as dt

    from jinja2 import Environment

    from zhilian.render.internal import youth_rows
    from zhilian.views.internal import MaskedYouth

    def youth(text: str, *, current: bool) -> MaskedYouth:
        return MaskedYouth(
            sid="2024****16", name=text, major=f"<b>{text}</b>", grade="2024",
            political_status="共青团员", family="农村", branch='A&B "支部"', dorm_group="南2-'101'",
            since=dt.date(2026, 4, 1), until=None if current else dt.date(2026, 6, 30),
            current=current,
        )

    rows = [youth("贺**", current=True), youth("<script>x</script>", current=False),
            youth("a\0b", current=True)]
    template = Environment(autoescape=True).from_string(
        "{% for y in rows %}      <tr{% if not y.current %} class=\"ended\"{% endif %}>"
        "{% for c in [y.sid, y.name, y.major, y.grade, y.political_status, y.family, y.branch,"
        " y.dorm_group, y.since.isoformat(), y.until.isoformat() if y.until else ''] %}"
        "<td>{{ c }}</td>{% endfor %}</tr>\n{% endfor %}"
    )
    made = str(youth_rows(rows))
    assert made == template.render(rows=rows)
    assert "&lt;script&gt;" in made and "<script>" not in made
    assert made.count("<tr") == 3 and made.count("<td>") == 30


def test_problem_rows_are_what_the_template_made_of_them() -> None:
    """The problem tables' rows are made in Python for speed: each must be what the
    template's loop made (autoescaped, with its common-issue tag and its ages)."""
    import datetime as dt
    from types import SimpleNamespace

    from jinja2 import Environment

    from zhilian.model.enums import ProblemCategory, ProblemStatus
    from zhilian.render.internal import problem_rows
    from zhilian.views.internal import ProblemItem

    def item(text: str, cluster: int | None, age: int | None) -> ProblemItem:
        return ProblemItem(
            cadre_id="he-li", cadre_name=f"贺{text}", note_date=dt.date(2026, 9, 1),
            note_anchor="note-3", note_title=f'<i>{text}</i> "座谈"',
            category=ProblemCategory.DIFFICULTY, summary=f"{text} & 热水",
            status=ProblemStatus.FORWARDED if age is not None else ProblemStatus.RESOLVED,
            forwarded_to="后勤处 <A&B>", resolved_on=None if age else dt.date(2026, 10, 1),
            age=age, cluster=cluster,
        )

    items = [item("<script>x</script>", 0, 80), item("一", None, 0), item("二", 4, None)]
    cadres = {"he-li": SimpleNamespace(sort_key=("he li <'x'>",))}
    # the loop of templates/internal/problems.html before the rows were made in Python
    template = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
        """{% for p in items %}
      <tr data-category="{{ p.category.value }}">
        <td data-sort="{{ p.note_date.isoformat() }}">{{ p.note_date.isoformat() }}</td>
        <td>{{ p.category.label }}</td>
        <td>{{ p.summary }}{% if p.cluster is not none %} <a class="tag" href="#common-{{ p.cluster + 1 }}">共性问题</a>{% endif %}</td>
        <td data-sort="{{ cadres[p.cadre_id].sort_key[0] }}"><a href="cadres/{{ p.cadre_id }}.html">{{ p.cadre_name }}</a></td>
        <td><a href="cadres/{{ p.cadre_id }}.html#{{ p.note_anchor }}">{{ p.note_title }}</a></td>
        <td>{{ p.forwarded_to }}</td>
        <td>{{ p.resolved_on.isoformat() if p.resolved_on else "" }}</td>
        <td class="num" data-sort="{{ p.age if p.age is not none else -1 }}">{{ p.age if p.age is not none else "" }}</td>
      </tr>
{% endfor %}
"""
    )
    made = str(problem_rows(items, cadres))  # type: ignore[arg-type]
    assert made == template.render(items=items, cadres=cadres)
    assert "&lt;script&gt;" in made and "<script>" not in made
    assert made.count('class="tag"') == 2 and 'data-sort="0">0<' in made

"""The templates' escape (``render.env.escape``) is markupsafe's, only faster."""

from __future__ import annotations

from pathlib import Path

import markupsafe
from hypothesis import given
from hypothesis import strategies as st

from zhilian.render.env import environment, escape


class _Html:
    def __html__(self) -> str:
        return "<i>kept</i>"


class _Text(str):
    pass


@given(st.one_of(st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False),
                 st.none(), st.text().map(markupsafe.Markup), st.text().map(_Text)))
def test_it_gives_what_markupsafe_gives(value: object) -> None:
    ours, theirs = escape(value), markupsafe.escape(value)
    assert ours == theirs
    assert type(ours) is markupsafe.Markup


def test_the_special_characters_and_objects_that_know_their_html() -> None:
    assert escape("<a href=\"x\">&'") == "&lt;a href=&#34;x&#34;&gt;&amp;&#39;"
    assert escape(_Html()) == "<i>kept</i>"
    assert escape(markupsafe.Markup("<b>")) == "<b>"
    assert escape(True) == "True"


def test_templates_print_through_it(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("{{ text }} {{ number }} {{ safe }}", encoding="utf-8")
    env = environment(tmp_path)
    for template in (env.get_template("page.html"), env.from_string("{{ text }}")):
        assert template.root_render_func.__globals__["escape"] is escape
    page = env.get_template("page.html").render(
        text="<script>", number=7, safe=markupsafe.Markup("<b>b</b>")
    )
    assert page == "&lt;script&gt; 7 <b>b</b>"

"""Compiled templates are kept by name, source and syntax, not by folder
(``render.env.CompiledTemplates``): a copy of the same templates elsewhere finds them
compiled, and its errors still name its own files."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, UndefinedError

from zhilian.render.env import CompiledTemplates

PAGE = """{% macro shout(x) %}<b>{{ x.upper() }}</b>{% endmacro %}
{% block body %}{{ shout(name) }} {{ missing.attr }}{% endblock %}
"""


def _copy(folder: Path, text: str = PAGE) -> Path:
    folder.mkdir()
    (folder / "page.html").write_text(text, encoding="utf-8")
    return folder


def _env(templates: Path, cache: Path, **options: object) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates)),
        bytecode_cache=CompiledTemplates(str(cache)),
        **options,  # type: ignore[arg-type]
    )


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir()}


def test_a_copy_elsewhere_finds_its_templates_compiled(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    first, second = _copy(tmp_path / "a"), _copy(tmp_path / "b")
    _env(first, cache).get_template("page.html")
    kept = _entries(cache)
    assert len(kept) == 1

    env = _env(second, cache)
    compiled: list[str] = []
    original = env.compile
    env.compile = lambda *a, **k: compiled.append(a[1]) or original(*a, **k)  # type: ignore[method-assign]
    template = env.get_template("page.html")
    assert compiled == []  # read from the cache
    assert _entries(cache) == kept
    assert template.filename == str(second / "page.html")


def test_errors_name_the_copy_they_come_from(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    first, second = _copy(tmp_path / "a"), _copy(tmp_path / "b")
    assert _env(first, cache).get_template("page.html").render(name="x", missing={}) \
        == "\n<b>X</b> "
    template = _env(second, cache).get_template("page.html")
    with pytest.raises(UndefinedError) as caught:
        template.render(name="x")
    frames = traceback.extract_tb(caught.value.__traceback__)
    named = [f.filename for f in frames if f.filename.endswith("page.html")]
    assert named and set(named) == {str(second / "page.html")}


def test_a_changed_source_or_syntax_is_compiled_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    first = _copy(tmp_path / "a")
    _env(first, cache).get_template("page.html")
    changed = _copy(tmp_path / "b", PAGE.replace("<b>", "<i>").replace("</b>", "</i>"))
    assert _env(changed, cache).get_template("page.html").render(name="x", missing={}) \
        == "\n<i>X</i> "
    # The same source, other whitespace rules: other code (Jinja2's own cache keyed
    # these by path only).
    trimmed = _env(first, cache, trim_blocks=True).get_template("page.html")
    assert trimmed.render(name="x", missing={}) == "<b>X</b> "
    assert len(_entries(cache)) == 3

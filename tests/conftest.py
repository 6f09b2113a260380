"""Shared fixtures: a copy of the sample deployment, the CLI in-process, real Chromium."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zhilian.cli import main
from zhilian.read.batch import FileRead, stream_files
from zhilian.reporters import REPORTERS, Reporter

REPO = Path(__file__).resolve().parent.parent
#: The date the README states for the sample deployment (its checks are green on it).
SAMPLE_TODAY = "2026-11-20"
SAMPLE_DATE = dt.date.fromisoformat(SAMPLE_TODAY)
ARTIFACTS = REPO / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as at a terminal, for this process and (inherited) every process it starts:
    a shell starts a background job (``pytest &``) with SIGINT ignored, and the tests that
    interrupt builds would then see them go on."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def copy_deployment(dest: Path) -> Path:
    """A fresh copy of the repo's sample deployment (data, config, templates, docs)."""
    for name in ("site_config.yml", "mkdocs.yml"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, dest / name)
    for name in ("data", "templates", "docs", ".github"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name)
    return dest


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A writable copy of the sample deployment in tmp_path/deploy."""
    root = tmp_path / "deploy"
    root.mkdir()
    return copy_deployment(root)


@dataclass
class CliRun:
    code: int
    out: str
    reporter: Reporter

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.reporter.diagnostics]


def run_cli(root: Path, *args: str, fmt: str = "text", today: str | None = SAMPLE_TODAY) -> CliRun:
    """Run ``build.py`` in-process with a capturing reporter."""
    stream = io.StringIO()
    reporter = REPORTERS[fmt](stream)
    argv = [*args, "--root", str(root), "--format", fmt]
    if today:
        argv += ["--today", today]
    code = main(argv, reporter=reporter)
    return CliRun(code, stream.getvalue(), reporter)


def record_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, arg: int) -> list[str]:
    """Spy on ``owner.name``: the list of each call's positional argument ``arg``, in order."""
    calls: list[str] = []
    real = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[arg])
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def read_files(
    root: Path, files: list[tuple[str, bool]], max_bytes: int, **options: Any
) -> dict[str, FileRead]:
    """:func:`zhilian.read.batch.stream_files`, collected by path."""
    return {read.rel: read for read in stream_files(root, files, max_bytes, **options)}


@pytest.fixture
def cli():
    return run_cli


# --- real Chromium (Playwright driving Debian's /usr/bin/chromium) ------------------------

CHROMIUM = os.environ.get("ZHILIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium.  Missing browser: skip with a reason, unless CI demands it
    (``ZHILIAN_REQUIRE_BROWSER=1``, set by .ci/run), where it is a failure.  One per test
    module: Playwright's threads live as long as it does, and a build run in a process
    with other threads does not fork (``workers.can_fork``) — with one for the session,
    every build after the first browser test took the one-process path."""
    required = os.environ.get("ZHILIAN_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("playwright is not installed but ZHILIAN_REQUIRE_BROWSER=1")
        pytest.skip("playwright 未安装：pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"{CHROMIUM} not found but ZHILIAN_REQUIRE_BROWSER=1")
        pytest.skip(f"没有找到 Chromium（{CHROMIUM}）：apt-get install chromium")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample deployment built once per test session (read-only for tests!):
    ``<root>/site/public`` and ``<root>/site/internal``."""
    root = copy_deployment(tmp_path_factory.mktemp("built") )
    result = run_cli(root, "build")
    assert result.code == 0, result.out
    return root

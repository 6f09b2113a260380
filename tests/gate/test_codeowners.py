"""``python build.py codeowners``: .github/CODEOWNERS generated from the data, and G005."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from pathlib import Path
from types import SimpleNamespace

import yaml

from tests.conftest import REPO, run_cli
from zhilian.codeowners import CODEOWNERS, codeowners_diagnostics, generate
from zhilian.load import load
from zhilian.pipeline import check, read_config
from zhilian.rules import RULES

TODAY = dt.date(2026, 11, 20)


def copy_data(dest: Path) -> Path:
    """The sample's site_config.yml and data/ (all that CODEOWNERS depends on)."""
    shutil.copy2(REPO / "site_config.yml", dest / "site_config.yml")
    shutil.copytree(REPO / "data", dest / "data")
    return dest


@functools.lru_cache
def generated(root: Path) -> str:
    config = read_config(root)
    dep, _ = load(root, config)
    return generate(config, ((cid, c.github) for cid, c in dep.cadres.items()))


def g005(root: Path) -> list[str]:
    """codeowners_diagnostics of ``root`` (it needs the loaded data, not the rules)."""
    dep, _ = load(root, read_config(root))
    return [d.code for d in codeowners_diagnostics(SimpleNamespace(dep=dep))]


def rules(text: str) -> list[tuple[str, list[str]]]:
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, *owners = line.split()
            out.append((pattern, owners))
    return out


def test_committed_codeowners_is_what_the_sample_generates() -> None:
    text = generated(REPO)
    assert (REPO / CODEOWNERS).read_text(encoding="utf-8") == text
    assert generated.__wrapped__(REPO) == text  # deterministic


def test_generated_rules_for_the_sample() -> None:
    config = read_config(REPO)
    admins = [f"@{a}" for a in config.admins]
    text = generated(REPO)
    assert text.startswith("# generated — do not edit")
    found = rules(text)
    assert found[0] == ("*", admins)  # first: the default, later rules win
    by_pattern = dict(found)
    cadres = sorted((REPO / "data" / "cadres").glob("*.yml"))
    assert cadres
    for path in cadres:
        login = yaml.safe_load(path.read_text(encoding="utf-8")).get("github")
        file_rule, notes_rule = f"/data/cadres/{path.stem}.yml", f"/data/notes/{path.stem}/"
        if login:
            assert by_pattern[file_rule] == [f"@{login}", *admins]
            assert by_pattern[notes_rule] == [f"@{login}", *admins]
        else:
            assert file_rule not in by_pattern and f"# {path.stem}：" in text
    # Admin-only paths come last so that no cadre rule can cover them.
    tail = [p for p, _ in found[-5:]]
    assert tail == [
        "/site_config.yml",
        "/data/org/",
        "/templates/",
        "/.github/",
        "/.github/CODEOWNERS",
    ]
    assert all(owners == admins for _, owners in found[-5:])
    cadre_lines = [i for i, (p, _) in enumerate(found) if p.startswith("/data/cadres/")]
    assert cadre_lines == sorted(cadre_lines) and [
        p for p, _ in found if p.startswith("/data/cadres/")
    ] == sorted(p for p, _ in found if p.startswith("/data/cadres/"))


def test_stale_codeowners_fails_until_regenerated(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    (root / ".github").mkdir()
    shutil.copy2(REPO / CODEOWNERS, root / CODEOWNERS)

    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    text = cadre.read_text(encoding="utf-8")
    login = yaml.safe_load(text)["github"]
    cadre.write_text(text.replace(f"github: {login}", "github: someone-new"), encoding="utf-8")

    stale = run_cli(root, "codeowners", "--check")
    assert stale.code == 1 and stale.codes == ["G005"]
    assert stale.reporter.diagnostics[0].file == CODEOWNERS
    assert stale.reporter.diagnostics[0].line > 1
    result = check(root, TODAY)
    assert [d.code for d in codeowners_diagnostics(result)] == ["G005"]
    if "ownership.codeowners" in RULES:  # registered as a rule: `check` itself fails
        run = run_cli(root, "check")
        assert run.code == 1 and "G005" in run.codes

    assert run_cli(root, "codeowners").code == 0
    assert "@someone-new" in (root / CODEOWNERS).read_text(encoding="utf-8")
    assert run_cli(root, "codeowners", "--check").code == 0
    assert g005(root) == []
    if "ownership.codeowners" in RULES:
        assert run_cli(root, "check").code == 0


def test_missing_codeowners_is_g005(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    dep, _ = load(root, read_config(root))
    found = codeowners_diagnostics(SimpleNamespace(dep=dep))
    assert [(d.code, d.severity.value, d.kind.value) for d in found] == [("G005", "error", "data")]
    assert "缺少" in found[0].message


def test_hand_edits_are_g005_and_crlf_is_tolerated(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    assert run_cli(root, "codeowners").code == 0
    path = root / CODEOWNERS
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("\n", "\r\n").encode())
    assert g005(root) == []
    path.write_text(text + "/data/cadres/ @intruder\n", encoding="utf-8")
    assert g005(root) == ["G005"]


def test_cadre_without_login_and_no_admins(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    config = read_config(root)
    dep, _ = load(root, config)
    cid = sorted(dep.cadres)[0]
    text = generate(
        config.model_copy(update={"admins": []}), [(cid, None), ("zz-other", "zz-login")]
    )
    found = dict(rules(text))
    assert found["*"] == []
    assert f"/data/cadres/{cid}.yml" not in found
    assert found["/data/cadres/zz-other.yml"] == ["@zz-login"]
    assert "没有 admins" in text


def test_broken_cadre_file_blocks_generation(tmp_path: Path) -> None:
    root = copy_data(tmp_path)
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    cadre.write_text(
        cadre.read_text(encoding="utf-8").replace("name:", "name：", 1), encoding="utf-8"
    )
    run = run_cli(root, "codeowners")
    assert run.code == 1
    assert not (root / CODEOWNERS).exists()

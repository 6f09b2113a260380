"""The pull-request rules of ``check --base REF --author LOGIN`` (DESIGN §6) on real git
repositories: what a change may touch, who may touch it, what it may not break."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from zhilian.gate import NOT_TOUCHED

from .conftest import ADMIN, Repo, make_repo


def diags(run, code: str | None = None) -> list[dict]:
    found = json.loads(run.out)
    return [d for d in found if code is None or d["code"] == code]


def meeting_all(repo: Repo, today: dt.date | None = None) -> list[str]:
    """Cadres that meet every quota and diversity minimum."""
    statuses = repo.statuses(today) if today else repo.statuses()
    return [cid for cid, s in statuses.items() if s.quotas_met and all(m.met for m in s.diversity)]


def shortfall_to_break(repo: Repo, cid: str) -> int:
    youth = next(m for m in repo.statuses()[cid].quotas if m.key == "youth")
    return youth.actual - youth.required + 1


# --- G001: quotas that were met must stay met --------------------------------------------


def test_removing_youth_below_quota_is_blocked_even_in_grace(
    demo15: Path, tmp_path: Path, git_env: None
) -> None:
    def long_grace(root: Path) -> None:  # every cadre is inside the grace period
        text = (root / "site_config.yml").read_text(encoding="utf-8")
        (root / "site_config.yml").write_text(
            text.replace("grace_days: 180", "grace_days: 100000"), encoding="utf-8"
        )

    repo = make_repo(demo15, tmp_path / "repo", prepare=long_grace)
    cid = meeting_all(repo)[0]
    assert repo.statuses()[cid].in_grace
    youth = next(m for m in repo.statuses()[cid].quotas if m.key == "youth")
    drop = shortfall_to_break(repo, cid)
    repo.end_contacts(cid, drop)
    repo.commit("结束部分联系")

    run = repo.check(author=repo.login(cid))
    assert run.code == 1
    g001 = diags(run, "G001")
    assert [d["cadre"] for d in g001] == [cid]
    assert f"从 {youth.actual} 名降到 {youth.actual - drop} 名" in g001[0]["message"]
    assert "逐步达到期内" in g001[0]["message"]
    assert f"要求的 {youth.required} 名" in g001[0]["message"]
    assert g001[0]["line"] >= 1
    # The quota rule itself only warns inside the grace period: G001 is what blocks.
    assert [d["severity"] for d in diags(run, "Q004") if d["cadre"] == cid] == ["warning"]
    # Without --base the same data passes: the quota is not due yet.
    assert run_cli(repo.root, "check").code == 0


def test_adding_youth_to_a_cadre_below_quota_is_not_g001(repo: Repo) -> None:
    statuses = repo.statuses()
    below = [cid for cid, s in statuses.items() if not s.quotas_met]
    assert below, "the demo has cadres inside the grace period below quota"
    repo.retitle(below[0])
    run = repo.check(author=repo.login(below[0]))
    assert run.code == 0, run.out
    assert not diags(run, "G001")


# --- G002: who may change what -----------------------------------------------------------


def test_same_change_by_a_non_owner_is_g002(repo: Repo) -> None:
    owner_cid, other_cid = meeting_all(repo)[:2]
    repo.retitle(owner_cid)
    run = repo.check(author=repo.login(other_cid))
    assert run.code == 1
    g002 = diags(run, "G002")
    assert [d["file"] for d in g002] == [repo.cadre_file(owner_cid)]
    assert repo.login(owner_cid) in g002[0]["message"]
    # …while the owner may make it.
    assert repo.check(author=repo.login(owner_cid)).code == 0


def test_logins_compare_case_insensitively(repo: Repo) -> None:
    cid = meeting_all(repo)[0]
    repo.retitle(cid)
    assert repo.check(author=repo.login(cid).upper()).code == 0


def test_notes_belong_to_their_cadre(repo: Repo) -> None:
    owner_cid, other_cid = meeting_all(repo)[:2]
    note = sorted((repo.root / "data" / "notes" / owner_cid).glob("*.md"))[0]
    rel = note.relative_to(repo.root).as_posix()
    repo.edit(rel, lambda t: t + "\n补充：会后整理了发言要点。\n")
    repo.commit()
    assert diags(repo.check(author=repo.login(other_cid)), "G002")[0]["file"] == rel
    assert repo.check(author=repo.login(owner_cid)).code == 0


def test_taking_over_a_file_by_editing_its_github_field_is_g002(repo: Repo) -> None:
    victim, attacker = meeting_all(repo)[:2]
    me = repo.login(attacker)
    repo.edit(
        repo.cadre_file(victim),
        lambda t: t.replace(f"github: {repo.login(victim)}", f"github: {me}"),
    )
    repo.retitle(victim)
    repo.commit("把文件改成我的账号")
    run = repo.check(author=me)
    assert run.code == 1
    assert [d["file"] for d in diags(run, "G002")] == [repo.cadre_file(victim)]


def test_new_cadre_file_must_name_its_author(repo: Repo) -> None:
    template = meeting_all(repo)[0]
    text = repo.read(repo.cadre_file(template))
    start = text.index("\nyouth:")
    new = text[:start].replace(f"github: {repo.login(template)}", "github: new-cadre-x") + "\n"
    repo.write("data/cadres/new-cadre.yml", new)  # untracked: the working tree counts
    assert not diags(repo.check(author="new-cadre-x"), "G002")
    run = repo.check(author="someone-else")
    assert [d["file"] for d in diags(run, "G002")] == ["data/cadres/new-cadre.yml"]
    assert "提交者本人" in diags(run, "G002")[0]["message"]


@pytest.mark.parametrize(
    "rel",
    [
        "site_config.yml",
        ".github/workflows/check.yml",
        "data/org/committees.yml",
        "build.py",
        ".github/CODEOWNERS",
    ],
)
def test_non_admin_may_not_change_code_or_config(repo: Repo, rel: str) -> None:
    cid = meeting_all(repo)[0]
    repo.edit(rel, lambda t: t + "\n# 修改\n")
    repo.commit()
    run = repo.check(author=repo.login(cid))
    assert run.code == 1
    assert rel in [d["file"] for d in diags(run, "G002")]
    assert "只有管理员" in diags(run, "G002")[0]["message"]


def test_admin_may_change_any_file(repo: Repo) -> None:
    a, b = meeting_all(repo)[:2]
    for rel in ("site_config.yml", ".github/workflows/check.yml", "build.py"):
        repo.edit(rel, lambda t: t + "\n# 管理员修改\n")
    repo.retitle(a)
    repo.retitle(b)
    repo.commit()
    run = repo.check(author=ADMIN)
    assert run.code == 0, run.out
    assert not [d for d in diags(run) if d["code"].startswith("G")]


def test_admins_are_read_at_the_base(repo: Repo) -> None:
    """A pull request cannot make its author an admin."""
    cid = meeting_all(repo)[0]
    me = repo.login(cid)
    repo.edit("site_config.yml", lambda t: t.replace("admins: [", f"admins: [{me}, "))
    repo.commit()
    assert "site_config.yml" in [d["file"] for d in diags(repo.check(author=me), "G002")]


def test_without_author_ownership_is_skipped(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    a = meeting_all(repo)[0]
    repo.retitle(a)
    repo.edit("site_config.yml", lambda t: t + "\n# x\n")
    run = repo.check(author=None)
    assert run.code == 0, run.out
    assert "跳过文件权限检查" in capsys.readouterr().err


# --- G003: deletions and moves between cadres --------------------------------------------


def test_deleting_a_cadre_file_is_g003(repo: Repo) -> None:
    cid = meeting_all(repo)[0]
    login = repo.login(cid)
    repo.git("rm", "-q", "-r", repo.cadre_file(cid), f"data/notes/{cid}")
    repo.commit("删除")
    run = repo.check(author=login)
    assert run.code == 1
    assert [d["file"] for d in diags(run, "G003")] == [repo.cadre_file(cid)]


def test_renaming_a_cadre_file_onto_another_is_g003(repo: Repo) -> None:
    a, b = meeting_all(repo)[:2]
    login = repo.login(a)
    repo.git("mv", "-f", repo.cadre_file(a), repo.cadre_file(b))
    repo.commit("重命名")
    run = repo.check(author=login)
    assert run.code == 1
    assert repo.cadre_file(a) in [d["file"] for d in diags(run, "G003")]
    assert repo.cadre_file(b) in [d["file"] for d in diags(run, "G002")]


def test_renaming_a_cadre_file_to_a_new_id_is_g003(repo: Repo) -> None:
    a = meeting_all(repo)[0]
    login = repo.login(a)
    repo.git("mv", repo.cadre_file(a), "data/cadres/renamed.yml")
    repo.git("mv", f"data/notes/{a}", "data/notes/renamed")
    repo.commit("改编号")
    run = repo.check(author=login)
    g003 = diags(run, "G003")
    assert g003 and g003[0]["file"] == "data/cadres/renamed.yml"
    assert a in g003[0]["message"]


def test_moving_a_note_to_another_cadre_is_g003(repo: Repo) -> None:
    a, b = meeting_all(repo)[:2]
    note = sorted((repo.root / "data" / "notes" / a).glob("*.md"))[0]
    repo.git("mv", str(note), str(repo.root / "data" / "notes" / b / ("moved-" + note.name)))
    repo.commit("移动活动记录")
    run = repo.check(author=repo.login(a))
    assert run.code == 1
    g003 = diags(run, "G003")
    assert len(g003) == 1 and g003[0]["file"].startswith(f"data/notes/{b}/")


def test_deleting_own_note_is_allowed(repo: Repo) -> None:
    a = meeting_all(repo)[0]
    notes = sorted((repo.root / "data" / "notes" / a).glob("*.md"))
    notes[-2].unlink()  # not the latest one (the activity rule looks at that)
    run = repo.check(author=repo.login(a))
    assert not diags(run, "G003") and not diags(run, "G002")


def test_admin_may_delete_a_cadre(repo: Repo) -> None:
    cid = meeting_all(repo)[0]
    repo.git("rm", "-q", "-r", repo.cadre_file(cid), f"data/notes/{cid}")
    repo.commit("管理员删除离任团干部")
    run = repo.check(author=ADMIN)
    assert not diags(run, "G003") and not diags(run, "G002")


# --- G004: links and submodules ----------------------------------------------------------


def test_untracked_symlink_in_data_is_g004(repo: Repo) -> None:
    a = meeting_all(repo)[0]
    folder = repo.root / "data" / "notes" / a
    target = sorted(folder.glob("*.md"))[0]
    (folder / "2026-11-02-link.md").symlink_to(target.name)
    run = repo.check(author=ADMIN)  # not even an admin may
    assert run.code == 1
    assert [d["file"] for d in diags(run, "G004")] == [f"data/notes/{a}/2026-11-02-link.md"]


def test_committed_symlink_and_submodule_are_g004(repo: Repo) -> None:
    os.symlink("/etc/hostname", repo.root / "data" / "surveys" / "link.yml")
    repo.commit("链接")
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{head},data/vendor")
    repo.git("commit", "-q", "--no-verify", "-m", "子模块")
    run = repo.check(author=ADMIN)
    found = {d["file"]: d["message"] for d in diags(run, "G004")}
    assert set(found) == {"data/surveys/link.yml", "data/vendor"}
    assert "子模块" in found["data/vendor"]


# --- only what the change touches can block it -------------------------------------------


def test_unrelated_edit_passes_while_another_cadres_grace_ran_out(repo: Repo) -> None:
    statuses = repo.statuses()
    late = max(s.grace_end for s in statuses.values() if not s.quotas_met)
    future = late + dt.timedelta(days=1)
    at_future = repo.statuses(future)
    overdue = sorted(cid for cid, s in at_future.items() if not s.quotas_met and not s.in_grace)
    assert overdue
    fine = [cid for cid in meeting_all(repo, future) if cid not in overdue]
    repo.retitle(fine[0])
    repo.commit()

    assert run_cli(repo.root, "check", fmt="json", today=future.isoformat()).code == 1
    run = repo.check(author=repo.login(fine[0]), today=future.isoformat())
    assert run.code == 0, run.out
    compliance = [
        d
        for d in diags(run)
        if d["kind"] == "compliance" and d["cadre"] in overdue and d["code"].startswith("Q")
    ]
    assert compliance
    assert all(
        d["severity"] == "warning" and d["message"].endswith(NOT_TOUCHED) for d in compliance
    )


def test_editing_an_overdue_cadre_keeps_its_errors(repo: Repo) -> None:
    statuses = repo.statuses()
    cid, status = next((c, s) for c, s in statuses.items() if not s.quotas_met)
    future = (status.grace_end + dt.timedelta(days=1)).isoformat()
    repo.retitle(cid)
    run = repo.check(author=repo.login(cid), today=future)
    assert run.code == 1
    assert any(
        d["cadre"] == cid and d["severity"] == "error" and d["kind"] == "compliance"
        for d in diags(run)
    )


def test_a_config_change_touches_everyone(repo: Repo) -> None:
    statuses = repo.statuses()
    status = next(s for s in statuses.values() if not s.quotas_met)
    future = (status.grace_end + dt.timedelta(days=1)).isoformat()
    repo.edit("data/org/committees.yml", lambda t: t + "\n# 注释\n")
    run = repo.check(author=ADMIN, today=future)
    assert run.code == 1
    assert not [d for d in diags(run) if d["message"].endswith(NOT_TOUCHED)]


def test_data_errors_anywhere_still_block(repo: Repo) -> None:
    a, b = meeting_all(repo)[:2]
    repo.edit(repo.cadre_file(b), lambda t: t.replace("level:", "levle:", 1))
    repo.commit("别人的错误已在基准中")  # (on the pr branch: the base is main)
    repo.git("branch", "-f", "main", "HEAD")
    repo.retitle(a)
    run = repo.check(author=repo.login(a))
    assert run.code == 1
    assert diags(run, "S001") or diags(run, "S002")


# --- git problems: exit 2 with a clear message -------------------------------------------


def test_unknown_base_is_exit_2(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    run = repo.check(base="origin/no-such-branch", author=ADMIN)
    assert run.code == 2
    said = run.out + capsys.readouterr().err
    assert "找不到基准引用" in said and "origin/no-such-branch" in said


def test_not_a_repository_is_exit_2(
    demo15: Path,
    tmp_path: Path,
    git_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "plain"
    shutil.copytree(demo15, root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above it
    run = run_cli(root, "check", "--base", "main", fmt="json")
    assert run.code == 2
    assert "不是 git 仓库" in run.out + capsys.readouterr().err


# --- a deployment in a sub-folder of the repository --------------------------------------


def test_deployment_in_a_subfolder(demo15: Path, tmp_path: Path, git_env: None) -> None:
    repo = make_repo(demo15, tmp_path / "top", sub="deploy")
    a, b = meeting_all(repo)[:2]
    repo.retitle(a)
    (repo.top / "README.md").write_text("outside the deployment\n", encoding="utf-8")
    repo.commit()
    run = repo.check(author=repo.login(b))
    assert sorted(d["file"] for d in diags(run, "G002")) == ["../README.md", repo.cadre_file(a)]
    run = repo.check(author=repo.login(a))
    assert [d["file"] for d in diags(run, "G002")] == ["../README.md"]


def test_git_is_read_only(repo: Repo) -> None:
    a = meeting_all(repo)[0]
    repo.retitle(a)
    before = subprocess.run(
        ["git", "-C", str(repo.top), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    repo.check(author=ADMIN)
    after = subprocess.run(
        ["git", "-C", str(repo.top), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert before == after
    assert yaml.safe_load(repo.read(repo.cadre_file(a)))["title"].endswith("（兼）")

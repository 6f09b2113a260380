"""``--summary FILE``: the Markdown the pull-request page shows (DESIGN §6)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from zhilian.gate import md

from .conftest import ADMIN, Repo


def rows(summary: str, cid: str) -> dict[str, list[str]]:
    """The table of one cadre: label → [required, before → after, mark]."""
    section = summary.split(f"（{md(cid)}）", 1)[1].split("\n### ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("指标", "---"):
            table[cells[0]] = cells[1:]
    return table


def test_summary_shows_before_after_and_marks(repo: Repo, tmp_path: Path) -> None:
    statuses = repo.statuses()
    broken = next(cid for cid, s in statuses.items() if s.quotas_met and not s.in_grace)
    graced = next(cid for cid, s in statuses.items() if not s.quotas_met and s.in_grace)
    youth = next(m for m in statuses[broken].quotas if m.key == "youth")
    drop = youth.actual - youth.required + 1
    repo.end_contacts(broken, drop)
    repo.retitle(graced)
    repo.commit()

    out = tmp_path / "summary.md"
    run = repo.check("--summary", str(out), author=ADMIN)
    assert run.code == 1
    text = out.read_text(encoding="utf-8")

    assert text.startswith("## 直联数据检查：合并请求摘要")
    assert f"@{ADMIN}（管理员）" in text
    assert "❌ 有" in text and "不能合并" in text
    # Only the changed cadres get a table.
    assert text.count("| 指标 | 要求 | 修改前 → 修改后 | 状态 |") == 2
    assert yaml.safe_load(repo.read(repo.cadre_file(broken)))["name"] in text

    table = rows(text, broken)
    assert table["青年"] == [
        str(youth.required),
        f"{youth.actual} → {youth.actual - drop}",
        "❌ 本次修改导致低于要求",
    ]
    branches = next(m for m in statuses[broken].quotas if m.key == "branches")
    assert table["团支部"] == [
        str(branches.required),
        f"{branches.actual} → {branches.actual}",
        "✅ 达标",
    ]
    assert "专业（多样性）" in table

    g = statuses[graced]
    table = rows(text, graced)
    below = [m for m in g.quotas if not m.met]
    for m in below:
        _, change, mark = table[m.label]
        assert change == f"{m.actual} → {m.actual}"
        assert mark.startswith("⚠️") and g.grace_end.isoformat() in mark

    # The blocking errors are listed, with the file and line.
    errors = text.split("### 阻止合并的错误", 1)[1]
    assert "G001" in errors and f"`data/cadres/{broken}.yml` 第 " in errors


def test_summary_never_shows_youth(repo: Repo, tmp_path: Path) -> None:
    cid = next(c for c, s in repo.statuses().items() if len(s.current_ids) >= 30)
    repo.end_contacts(cid, 30)
    repo.edit(f"data/cadres/{cid}.yml", lambda t: t.replace("political_status:", "politcal:", 1))
    out = tmp_path / "summary.md"
    repo.check("--summary", str(out), author=repo.login(cid))
    text = out.read_text(encoding="utf-8")
    data = yaml.safe_load(repo.read(f"data/cadres/{cid}.yml"))
    for y in data["youth"]:
        assert str(y["id"]) not in text
        if y.get("name"):
            assert y["name"] not in text
    assert not re.search(r"\d{8,}", text)


def test_summary_of_an_overdue_cadre_and_a_passing_change(repo: Repo, tmp_path: Path) -> None:
    import datetime as dt

    statuses = repo.statuses()
    cid, s = next((c, s) for c, s in statuses.items() if not s.quotas_met)
    future = s.grace_end + dt.timedelta(days=1)
    repo.retitle(cid)
    out = tmp_path / "summary.md"
    repo.check("--summary", str(out), author=repo.login(cid), today=future.isoformat())
    table = rows(out.read_text(encoding="utf-8"), cid)
    marks = [cells[2] for cells in table.values()]
    assert any(m.startswith("❌ 未达标，期限") for m in marks)

    other = next(c for c, st in statuses.items() if st.quotas_met and c != cid)
    repo.git("checkout", "-q", "--", ".")
    repo.retitle(other)
    run = repo.check("--summary", str(out), author=repo.login(other))
    text = out.read_text(encoding="utf-8")
    assert run.code == 0
    assert "✅ 没有阻止合并的错误" in text and "阻止合并的错误（" not in text


def test_summary_escapes_markdown(repo: Repo, tmp_path: Path) -> None:
    cid = next(iter(repo.statuses()))
    repo.edit(
        f"data/cadres/{cid}.yml",
        lambda t: re.sub(r"^name: .*$", 'name: "王|<b>晓</b>*明"', t, count=1, flags=re.MULTILINE),
    )
    out = tmp_path / "summary.md"
    repo.check("--summary", str(out), author=ADMIN)
    text = out.read_text(encoding="utf-8")
    assert "<b>" not in text and "王\\|&lt;b&gt;晓&lt;/b&gt;\\*明" in text


def test_md_escaping() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<script>") == "&lt;script&gt;"
    assert md("x\ny\r\nz") == "x y z"
    assert md("[link](javascript:x)") == "\\[link\\]\\(javascript:x\\)"


def test_summary_of_a_rule_change_lists_everyone_it_moves(repo: Repo, tmp_path: Path) -> None:
    statuses = repo.statuses()
    repo.edit("site_config.yml", lambda t: t.replace("grades: 3", "grades: 4", 1))
    out = tmp_path / "summary.md"
    run = repo.check("--summary", str(out), author=ADMIN)
    text = out.read_text(encoding="utf-8")
    assert "G001" not in [d.code for d in run.reporter.diagnostics]  # nobody's own edit
    assert text.count("| 指标 | 要求 | 修改前 → 修改后 | 状态 |") == len(statuses)
    some = next(iter(statuses))
    grades = next(m for m in statuses[some].diversity if m.key == "grades")
    assert rows(text, some)["年级（多样性）"][:2] == ["4", f"{grades.actual} → {grades.actual}"]

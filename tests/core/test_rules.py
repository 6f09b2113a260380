"""Each rule: a passing case (the minimal deployment is clean) and a failing case (one change
triggers exactly the expected code at the expected place)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from zhilian.model.data import Cadre
from zhilian.rules.privacy import PersonalInfo

from .mini import TODAY, Mini, youth


@pytest.fixture
def mini(tmp_path: Path) -> Mini:
    return Mini(tmp_path)


def check(m: Mini, today: str = TODAY):
    m.write()
    return run_cli(m.root, "check", fmt="json", today=today)


def found(run, code: str) -> list[dict]:
    return [d for d in json.loads(run.out) if d["code"] == code]


def test_minimal_deployment_is_clean(mini: Mini) -> None:
    run = check(mini)
    assert run.code == 0, run.out
    assert json.loads(run.out) == []


# --- references -------------------------------------------------------------------------------


def test_unknown_branch_in_units(mini: Mini) -> None:
    mini.cadres["dept-b"]["units"]["branches"][1] = "nope"
    run = check(mini)
    assert run.code == 1
    [d] = found(run, "R002")
    assert d["file"] == "data/cadres/dept-b.yml" and d["kind"] == "data"
    text = (mini.root / d["file"]).read_text(encoding="utf-8").splitlines()
    assert "nope" in text[d["line"] - 1]


def test_unknown_committee_and_dorm(mini: Mini) -> None:
    mini.cadres["school-a"]["units"]["committees"][0] = "zz"
    mini.cadres["school-a"]["youth"][3]["dorm_group"] = "d999"
    run = check(mini)
    assert found(run, "R001") and found(run, "R003")


def test_department_cadre_without_committee(mini: Mini) -> None:
    del mini.cadres["dept-b"]["committee"]
    assert found(check(mini), "R012")


def test_note_folder_without_cadre(mini: Mini) -> None:
    mini.notes["ghost"] = {"2026-11-01-x.md": ({"title": "t", "date": "2026-11-01",
                                                "kind": "线上互动"}, "body")}
    run = check(mini)
    [d] = found(run, "R004")
    assert d["file"] == "data/notes/ghost/2026-11-01-x.md" and run.code == 1


def test_note_participant_not_in_youth(mini: Mini) -> None:
    front, _body = mini.notes["dept-b"]["2026-05-04-meeting.md"]
    front["youth"] = ["20240001", "99999999"]
    run = check(mini)
    [d] = found(run, "R005")
    assert "99999999" not in run.out  # masked in every message
    assert d["line"] == 7  # ---, title, date, kind, youth:, first item, then this one


def test_same_student_id_with_different_attributes(mini: Mini) -> None:
    other = youth("2023", 1)[0] | {"political_status": "中共预备党员"}
    mini.cadres["dept-b"]["youth"].append(other)
    run = check(mini)
    [d] = found(run, "R006")
    assert "政治面貌" in d["message"] and "专业" not in d["message"]
    assert d["file"] in ("data/cadres/school-a.yml", "data/cadres/dept-b.yml")
    assert "20230000" not in run.out


def test_duplicate_student_id_in_one_file(mini: Mini) -> None:
    mini.cadres["dept-b"]["youth"].append(dict(mini.cadres["dept-b"]["youth"][0]))
    [d] = found(check(mini), "R007")
    assert "第 1 名和第 101 名" in d["message"]


def test_youth_without_branch_needs_major_and_grade(mini: Mini) -> None:
    del mini.cadres["dept-b"]["youth"][5]["branch"]
    assert found(check(mini), "R011")
    mini.cadres["dept-b"]["youth"][5] |= {"major": "数学", "grade": "2024"}
    assert not found(check(mini), "R011")


def test_missing_photo(mini: Mini) -> None:
    mini.cadres["dept-b"]["photo"] = "nobody.jpg"
    assert found(check(mini), "R009")


def test_survey_for_unknown_cadre(mini: Mini) -> None:
    mini.surveys["2026"]["ghost"] = {"respondents": 3, "satisfied": 2}
    assert found(check(mini), "R010")


def test_unknown_family_category(mini: Mini) -> None:
    mini.cadres["dept-b"]["youth"][2]["family"] = "富裕"
    [d] = found(check(mini), "S004")
    assert "城镇" in d["message"]


def test_where_a_list_item_is_wrong_is_said_plainly(mini: Mini) -> None:
    """A list's item is "第 N 项", a field inside it "第 N 项的 字段" (not "第 N 项的：")."""
    mini.cadres["dept-b"]["units"]["branches"] = [["x"]]
    [d] = found(check(mini), "S003")
    assert d["message"].startswith("units.branches 第 1 项："), d["message"]
    del mini.cadres["dept-b"]["units"]["branches"]
    mini.cadres["dept-b"]["youth"][2]["since"] = "2026-02-30"
    [d] = found(check(mini), "S005")
    assert d["message"].startswith("youth 第 3 项的 since："), d["message"]


def test_duplicate_org_id(mini: Mini) -> None:
    mini.org["branches"].append(dict(mini.org["branches"][0]))
    assert found(check(mini), "R008")


# --- privacy and consent ------------------------------------------------------------------------


def test_youth_id_in_public_intro(mini: Mini) -> None:
    mini.cadres["school-a"]["intro"] = "感谢 20240007 同学的建议。"
    run = check(mini)
    [d] = found(run, "P001")
    assert d["file"] == "data/cadres/school-a.yml" and run.code == 1
    assert "20240007" not in run.out


def test_youth_name_in_public_note_body(mini: Mini) -> None:
    mini.cadres["dept-b"]["youth"][0]["name"] = "欧阳小雨"
    front, _ = mini.notes["dept-b"]["2025-12-05-meeting.md"]
    mini.notes["dept-b"]["2025-12-05-meeting.md"] = (front, "第一行\n今天和欧阳小雨同学聊了聊。")
    run = check(mini)
    [d] = found(run, "P001")
    assert d["line"] == 10 and "欧阳小雨" not in run.out
    # The same text in a private note is fine.
    front["public"] = False
    assert not found(check(mini), "P001")


_NAME_CHARS = "欧阳小雨王丽张伟李娜一二三"


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text(_NAME_CHARS, min_size=1, max_size=4), max_size=6),
    text=st.text(_NAME_CHARS + "ab1 ，\n", max_size=40),
)
@example(names=["王丽张", "丽张"], text="王丽张")  # the shorter name, further right, first
def test_personal_info_finds_what_every_position_would(names: list[str], text: str) -> None:
    """``PersonalInfo.find`` looks at text only where a name could begin; it finds what a
    look at every position (the shortest name first, then from the left) finds."""
    cadre = Cadre.model_validate({
        "name": "团干部", "level": "校级", "appointment": "专职", "title": "书记",
        "since": "2025-09-01",
        "youth": [{"id": f"2024{i:04d}", "name": name, "major": "数学", "grade": "2024",
                   "political_status": "共青团员", "family": "一般", "since": "2025-09-01"}
                  for i, name in enumerate(names)],
    })
    info = PersonalInfo([cadre])

    def everywhere() -> str | None:
        for run in re.findall(r"[\u3400-\u9fff]{2,}", text):
            for size in info.name_lengths:
                for start in range(len(run) - size + 1):
                    if run[start : start + size] in info.names:
                        return run[start : start + size]
        return None

    assert info.find(text) == everywhere()


def test_contact_without_consent_is_a_warning(mini: Mini) -> None:
    del mini.cadres["dept-b"]["contact"]["consent_on"]
    run = check(mini)
    [d] = found(run, "P002")
    assert d["severity"] == "warning" and run.code == 0


def test_no_contact_channel(mini: Mini) -> None:
    mini.cadres["dept-b"]["contact"] = {"office": "行政楼 305"}
    assert found(check(mini), "P003")


# --- quotas, diversity, overlap ----------------------------------------------------------------


def test_quota_below_after_grace_is_an_error(mini: Mini) -> None:
    mini.cadres["dept-b"]["youth"] = mini.cadres["dept-b"]["youth"][:80]
    run = check(mini)
    [d] = found(run, "Q004")
    assert d["severity"] == "error" and d["kind"] == "compliance" and run.code == 1
    assert "80" in d["message"] and "还差 20" in d["message"]


def test_quota_below_inside_grace_is_a_warning(mini: Mini) -> None:
    mini.cadres["dept-b"]["since"] = "2026-10-01"
    mini.cadres["dept-b"]["youth"] = youth("2024", 30, since="2026-10-01")
    mini.notes["dept-b"] = {}
    run = check(mini)
    [d] = found(run, "Q004")
    assert d["severity"] == "warning" and run.code == 0


def test_youth_counted_only_while_current(mini: Mini) -> None:
    for entry in mini.cadres["dept-b"]["youth"][:10]:
        entry["until"] = "2026-06-30"  # contact ended: history kept, not counted
    assert found(check(mini), "Q004")
    assert not found(check(mini, today="2026-06-29"), "Q004")


def test_unit_quotas(mini: Mini) -> None:
    mini.cadres["school-a"]["units"]["committees"] = ["c1"]
    mini.cadres["school-a"]["units"]["dorm_groups"] = ["d1"]
    mini.cadres["dept-b"]["units"]["branches"] = ["b1"]
    run = check(mini)
    assert found(run, "Q001") and found(run, "Q003") and found(run, "Q002")


def test_department_cadre_has_no_committee_quota(mini: Mini) -> None:
    assert mini.cadres["dept-b"]["units"].get("committees") is None
    assert not found(check(mini), "Q001")


def test_diversity(mini: Mini) -> None:
    for entry in mini.cadres["dept-b"]["youth"]:
        entry["branch"] = "b0"  # one major, one grade
        entry["political_status"] = "共青团员"
    run = check(mini)
    assert {d["code"] for d in json.loads(run.out)} >= {"V001", "V002", "V003"}
    assert not found(run, "V004")


def test_overlap(mini: Mini) -> None:
    shared = mini.cadres["school-a"]["youth"][0]
    for i in range(3):
        cid = f"extra-{i}"
        mini.cadres[cid] = json.loads(json.dumps(mini.cadres["dept-b"])) | {"github": f"x{i}"}
        mini.cadres[cid]["youth"] = [dict(shared), *youth(f"30{i}", 99)]
        mini.notes[cid] = mini.notes["dept-b"]
    run = check(mini)
    hits = found(run, "O001")
    assert len(hits) == 4 and all("4 位" in d["message"] for d in hits)
    assert str(shared["id"]) not in run.out


# --- activity ---------------------------------------------------------------------------------


def test_no_recent_note(mini: Mini) -> None:
    mini.notes["dept-b"].pop("2026-11-10-meeting.md")
    mini.notes["dept-b"].pop("2026-10-08-meeting.md")
    run = check(mini)
    [d] = found(run, "A001")
    assert d["file"] == "data/cadres/dept-b.yml" and d["severity"] == "warning"


def test_campaign_missed(mini: Mini) -> None:
    mini.notes["dept-b"].pop("2026-05-04-meeting.md")
    [d] = found(check(mini), "A002")
    assert "五四" in d["message"] and "2026" in d["message"]


def test_rule_thresholds_come_from_config(mini: Mini) -> None:
    mini.config["quotas"]["系级"]["youth"] = 101
    assert found(check(mini), "Q004")
    mini.config["quotas"]["系级"]["youth"] = 100
    mini.config["max_cadres_per_youth"] = 1
    mini.cadres["dept-b"]["youth"].append(mini.cadres["school-a"]["youth"][0])
    assert found(check(mini), "O001")

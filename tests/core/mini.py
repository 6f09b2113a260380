"""A minimal valid deployment written from Python dicts, for rule tests that need to
change one thing at a time.  Independent of the sample data."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from zhilian import codeowners
from zhilian.load import read_config

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-11-20"

MAJORS = ["数学", "物理", "化学", "计算机"]
GRADES = ["2023", "2024", "2025"]
STATUSES = ["共青团员", "中共党员", "群众"]
FAMILIES = ["城镇", "农村", "经济困难"]


def org() -> dict[str, Any]:
    committees = [{"id": f"c{i}", "name": f"第{i}学院分团委"} for i in range(1, 5)]
    branches = [
        {"id": f"b{i}", "name": f"{MAJORS[i % 4]}{GRADES[i % 3]}级团支部", "committee": f"c{i % 4 + 1}",
         "major": MAJORS[i % 4], "grade": GRADES[i % 3]}
        for i in range(12)
    ]
    dorms = [{"id": f"d{i}", "name": f"北1-{100 + i}", "committee": f"c{i % 4 + 1}"} for i in range(24)]
    return {"committees": committees, "branches": branches, "dorm_groups": dorms}


def youth(prefix: str, n: int, since: str = "2025-09-01") -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{i:04d}", "branch": f"b{i % 12}", "political_status": STATUSES[i % 3],
         "family": FAMILIES[i % 3], "since": since}
        for i in range(n)
    ]


def cadres() -> dict[str, dict[str, Any]]:
    return {
        "school-a": {
            "name": "周明远", "level": "校级", "appointment": "专职", "title": "校团委副书记",
            "since": "2024-09-01", "github": "zhou-my",
            "contact": {"consent_on": "2024-09-01", "phone": "0358-3389036",
                        "email": "zmy@example.edu.cn"},
            "intro": "欢迎同学们联系我。",
            "units": {"committees": ["c1", "c2", "c3"], "branches": ["b1", "b2"],
                      "dorm_groups": [f"d{i}" for i in range(10)]},
            "youth": youth("2023", 100),
        },
        "dept-b": {
            "name": "吴思琪", "level": "系级", "appointment": "兼职", "title": "分团委书记",
            "committee": "c1", "since": "2024-09-01", "github": "wu-sq",
            "contact": {"consent_on": "2024-09-01", "wechat": "wusiqi_tw"},
            "units": {"branches": ["b1", "b5"], "dorm_groups": [f"d{i}" for i in range(10, 20)]},
            "youth": youth("2024", 100),
        },
    }


def notes() -> dict[str, dict[str, tuple[dict[str, Any], str]]]:
    """cadre → file name → (front matter, body).  One note per campaign and a recent one."""
    dates = ["2025-12-05", "2026-05-04", "2026-10-08", "2026-11-10"]
    out: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}
    for cid, prefix in (("school-a", "2023"), ("dept-b", "2024")):
        out[cid] = {
            f"{d}-meeting.md": ({"title": "座谈会", "date": d, "kind": "座谈会",
                                 "youth": [f"{prefix}0001"], "public": i == 0},
                                "与同学们交流学习生活。")
            for i, d in enumerate(dates)
        }
    return out


class Mini:
    """Editable data; ``write()`` puts it on disk as a deployment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.org = org()
        self.cadres = cadres()
        self.notes = notes()
        self.surveys: dict[str, dict[str, Any]] = {
            "2026": {"school-a": {"respondents": 40, "satisfied": 36}}
        }
        self.config = yaml.safe_load((REPO / "site_config.yml").read_text(encoding="utf-8"))

    def copy(self) -> Mini:
        return copy.deepcopy(self)

    def write(self) -> Path:
        root = self.root
        if (root / "data").exists():
            shutil.rmtree(root / "data")
        dump = lambda path, value: _dump(root / path, value)  # noqa: E731
        dump("site_config.yml", self.config)
        for key, items in self.org.items():
            dump(f"data/org/{key}.yml", {key: items})
        for cid, cadre in self.cadres.items():
            dump(f"data/cadres/{cid}.yml", cadre)
        for cid, files in self.notes.items():
            for name, (front, body) in files.items():
                path = root / "data" / "notes" / cid / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("---\n" + _text(front) + "---\n" + body + "\n", encoding="utf-8")
        for year, results in self.surveys.items():
            dump(f"data/surveys/{year}.yml", results)
        owners = codeowners.generate(
            read_config(root), ((cid, c.get("github")) for cid, c in self.cadres.items())
        )
        (root / ".github").mkdir(exist_ok=True)
        (root / ".github" / "CODEOWNERS").write_text(owners, encoding="utf-8")
        return root


def _text(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_text(value), encoding="utf-8")

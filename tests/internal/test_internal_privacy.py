"""Youth appear on the internal pages only masked: no full 学号 and no full name anywhere
under ``site/internal`` — HTML, CSS/JS, CSV and the XLSX's XML parts — even where a cadre
wrote them into a note's title, body or a problem summary."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from tests.conftest import run_cli
from zhilian.diagnostics import mask_name, mask_student_id

from . import independent as ind

MARK_ID = "2099123456"
MARK_NAME = "甄隐私"
MARK_LATIN_ID = "ZQX2099001"
MARK_LATIN_NAME = "Zaphod Quixlerbeam"
MARK_HOMETOWN = "秘藏籍贯镇"


def internal_texts(root: Path) -> dict[str, str]:
    """Every file under site/internal as text (XLSX: each XML part of the archive)."""
    out = {}
    for path in sorted((root / "site" / "internal").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
                for name in archive.namelist():
                    out[f"{rel}!{name}"] = archive.read(name).decode("utf-8")
        else:
            out[rel] = path.read_bytes().decode("utf-8")
    return out


def plant(root: Path) -> str:
    """Two extra youth with marker values in one cadre's list, and a note about them."""
    cadre_file = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    cid = cadre_file.stem
    raw = ind.load(cadre_file)
    branch = raw["units"]["branches"][0]  # type: ignore[index]
    entries = (
        f'  - id: "{MARK_ID}"\n    name: {MARK_NAME}\n    branch: {branch}\n'
        f"    political_status: 群众\n    family: 城镇\n    hometown: {MARK_HOMETOWN}\n"
        f"    since: 2026-10-01\n"
        f'  - id: "{MARK_LATIN_ID}"\n    name: {MARK_LATIN_NAME}\n    branch: {branch}\n'
        f"    political_status: 共青团员\n    family: 农村\n    since: 2026-10-02\n"
    )
    text = cadre_file.read_text(encoding="utf-8")
    text, n = re.subn(r"^youth:\n", "youth:\n" + entries, text, flags=re.MULTILINE)
    assert n == 1
    cadre_file.write_text(text, encoding="utf-8")
    notes = root / "data" / "notes" / cid
    notes.mkdir(parents=True, exist_ok=True)
    # the file name carries the 学号 too (a cadre may do that): it must not become an anchor
    (notes / f"2026-11-01-talk-{MARK_ID}.md").write_text(
        "---\n"
        f"title: 与{MARK_NAME}同学谈心（{MARK_ID}）\n"
        "date: 2026-11-01\n"
        "kind: 线下活动\n"
        f'youth: ["{MARK_ID}", "{MARK_LATIN_ID}"]\n'
        "problems:\n"
        "  - category: 实际困难\n"
        f"    summary: {MARK_NAME}反映宿舍热水不稳定，学号{MARK_ID}\n"
        "    status: 已转交\n"
        f"    forwarded_to: 后勤处（{MARK_NAME}）\n"
        "---\n"
        f"和{MARK_NAME}（学号 {MARK_ID}，id{MARK_ID}x）、{MARK_LATIN_NAME} 聊了学习计划。\n\n"
        f"- **{MARK_NAME}**：想参加志愿服务\n- [{MARK_LATIN_ID}](mailto:x@example.edu.cn)\n",
        encoding="utf-8",
    )
    return cid


def test_planted_markers_are_masked_everywhere(sample: Path) -> None:
    cid = plant(sample)
    result = run_cli(sample, "build")
    assert result.code == 0, result.out
    texts = internal_texts(sample)
    assert any(".xlsx!xl/worksheets/" in k for k in texts)  # the XLSX is scanned too
    for rel, text in texts.items():
        for marker in (MARK_ID, MARK_NAME, MARK_LATIN_ID, MARK_LATIN_NAME, MARK_HOMETOWN):
            assert marker not in text, f"{marker} in {rel}"
    page = texts[f"site/internal/cadres/{cid}.html"]
    # masked forms are there: the list, the note title and body, the problem
    assert page.count(mask_student_id(MARK_ID)) >= 4
    assert mask_name(MARK_NAME) in page and mask_name(MARK_LATIN_NAME) in page
    assert mask_student_id(MARK_LATIN_ID) in page
    assert f"{mask_name(MARK_NAME)}反映宿舍热水不稳定" in texts["site/internal/problems.html"]


def test_no_sample_youth_id_or_name_in_internal_files(built_sample: Path) -> None:
    raw = ind.read(built_sample)
    texts = internal_texts(built_sample)
    blob = "\n".join(texts.values())
    ids = {y["id"] for c in raw.cadres.values() for y in c.get("youth", [])}
    assert ids
    for sid in ids:
        assert sid not in blob, mask_student_id(sid)
    # names: every youth name that is not also part of some other displayed text
    # (a cadre's name or title, a unit's name) must not appear
    shown = "\n".join(
        [c["name"] + c["title"] for c in raw.cadres.values()]
        + [u["name"] for u in raw.committees + raw.branches + raw.dorm_groups]
    )
    names = {y["name"] for c in raw.cadres.values() for y in c.get("youth", []) if y.get("name")}
    checked = [n for n in names if len(n) >= 2 and n not in shown]
    assert len(checked) > len(names) / 2
    leaked = sorted(mask_name(n) for n in checked if n in blob)
    assert not leaked

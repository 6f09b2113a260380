"""Units of the evaluation: composite weighting, activity window, metric definitions, the
common-issue grouping and the masking of free text."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from tests.conftest import REPO
from zhilian.evaluation import (
    KEY_PHRASE_CHARS,
    SIMILARITY_RATIO,
    activity,
    composite,
    metric_definitions_markdown,
)
from zhilian.load import Note
from zhilian.model.data import Cadre, NoteFront
from zhilian.model.enums import ProblemCategory, ProblemStatus
from zhilian.pipeline import read_config
from zhilian.rules.privacy import PersonalInfo
from zhilian.views.internal import (
    ProblemItem,
    Redactor,
    cluster_keys,
    common_issues,
    contact_history,
    normalise_summary,
    similar,
)


@pytest.fixture(scope="module")
def config():
    return read_config(REPO)


def test_composite_weights_and_reweighting(config) -> None:
    w = config.evaluation.weights
    assert composite(config, 1, 1, 1) == pytest.approx(100)
    full = composite(config, 0.5, 0.25, 0.8)
    assert full == pytest.approx(
        100 * (w.fulfilment * 0.5 + w.activity * 0.25 + w.satisfaction * 0.8)
    )
    # without a survey the other two weights are scaled up to sum to 1
    partial = composite(config, 0.5, 0.25, None)
    expected = 100 * (w.fulfilment * 0.5 + w.activity * 0.25) / (w.fulfilment + w.activity)
    assert partial == pytest.approx(expected)
    assert composite(config, 1, 1, None) == pytest.approx(100)


def note(day: str, kind: str = "线上互动") -> Note:
    front = NoteFront.model_validate({"title": "t", "date": day, "kind": kind})
    return Note("c", f"data/notes/c/{day}-x.md", f"{day}-x", front, "")


def test_activity_window(config) -> None:
    target = config.evaluation.activity_target_notes_per_month
    today = dt.date(2026, 11, 20)
    notes = [
        note("2025-11-19"),
        note("2025-11-20"),
        note("2026-06-01", "座谈会"),
        note("2026-11-21"),
    ]
    # appointed long ago: 12 months back from today (the first note is outside, the last is later)
    act = activity(dt.date(2020, 1, 1), notes, today, config)
    assert (act.notes, act.online, act.offline) == (2, 1, 1)
    assert act.months == pytest.approx(12)
    assert act.score == pytest.approx(min(1, 2 / 12 / target))
    assert act.last_note == dt.date(2026, 6, 1) and act.days_since_last == 172
    # appointed 2 months ago: the window starts at the appointment
    act = activity(dt.date(2026, 9, 21), [note("2026-10-01")] * 3, today, config)
    assert act.months == pytest.approx(60 * 12 / 365)
    assert act.score == pytest.approx(min(1, 3 / (60 * 12 / 365) / target))
    # appointed yesterday: at least one month is counted
    act = activity(dt.date(2026, 11, 19), [note("2026-11-19")], today, config)
    assert act.months == 1 and act.per_month == 1


def test_definitions_use_the_configured_numbers(config) -> None:
    text = metric_definitions_markdown(config)
    for heading in ("### 实现度", "### 活跃度", "### 满意度", "### 综合评价"):
        assert heading in text
    w = config.evaluation.weights
    assert f"实现度 × {w.fulfilment:g}" in text and f"满意度 × {w.satisfaction:g}" in text
    assert f"{config.grace_days} 天" in text
    changed = config.model_copy(deep=True)
    changed.evaluation.weights.fulfilment = 0.5
    changed.evaluation.weights.activity = 0.2
    changed.evaluation.activity_target_notes_per_month = 3
    other = metric_definitions_markdown(changed)
    assert "实现度 × 0.5" in other and "活跃度 × 0.2" in other and "每月 3 条" in other
    assert re.search(r"\| 校级 \| 3 \| 2 \| 10 \| 100 \|", text)


def item(
    cadre: str,
    summary: str,
    category: ProblemCategory = ProblemCategory.DIFFICULTY,
    status: ProblemStatus = ProblemStatus.OPEN,
) -> ProblemItem:
    return ProblemItem(
        cadre, cadre, dt.date(2026, 5, 1), "note-x", "t", category, summary, status, "", None, 10
    )


def test_common_issues() -> None:
    assert normalise_summary("宿舍 热水，供应不稳定！") == "宿舍热水供应不稳定"
    assert similar("宿舍热水供应不稳定", "宿舍的热水供应时断时续")  # shared phrase 热水供应
    assert similar("食堂饭菜价格偏高", "食堂饭菜价格高")  # ratio
    assert not similar("图书馆座位不够", "宿舍热水供应不稳定")
    items = [
        item("a", "宿舍热水供应不稳定"),
        item("b", "宿舍的热水供应时断时续。"),
        item("b", "宿舍热水供应不稳定"),
        item("c", "图书馆座位不够"),
        item("d", "图书馆座位不够", ProblemCategory.SUGGESTION),  # another category
        item("e", "食堂饭菜价格偏高"),
    ]
    found = common_issues(items, min_cadres=2)
    assert len(found) == 1
    assert found[0].cadres == ["a", "b"] and len(found[0].items) == 3
    assert [i.cluster for i in items] == [0, 0, 0, None, None, None]
    assert common_issues(items, min_cadres=3) == []


def test_clustering_equals_comparing_every_pair_with_difflib() -> None:
    """The clustering's shortcuts (a key-phrase index, difflib's bounds from precomputed
    counts) give exactly the clusters of comparing every pair with plain difflib."""
    import difflib
    import random

    rng = random.Random(7)
    alphabet = "宿舍热水供应不稳定食堂饭菜价格偏高图书馆座位网络晚上断线"
    keys = sorted({
        "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 14))) for _ in range(300)
    })

    def naive(a: str, b: str) -> bool:
        grams = {a[i : i + KEY_PHRASE_CHARS] for i in range(len(a) - KEY_PHRASE_CHARS + 1)}
        shared = any(b[i : i + KEY_PHRASE_CHARS] in grams for i in range(len(b)))
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        return a == b or shared or ratio >= SIMILARITY_RATIO

    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if naive(keys[i], keys[j]):
                ri, rj = find(i), find(j)
                parent[max(ri, rj)] = min(ri, rj)
    expected = [find(i) for i in range(len(keys))]
    assert cluster_keys(keys) == expected
    assert len(set(expected)) not in (1, len(keys))  # the data does cluster, partly
    assert all(similar(a, b) == naive(a, b) for a, b in itertools.pairwise(keys))


def test_redactor_masks_like_a_plain_longest_match_scan() -> None:
    """Masking jumps between the positions a name can start at; it must mask exactly what
    a plain scan does: left to right, at each position the longest listed name."""
    import random

    from zhilian.diagnostics import mask_name

    rng = random.Random(3)
    chars = "李王张明华小红丽军的了和在"
    names = sorted({"".join(rng.choice(chars) for _ in range(rng.randint(2, 4))) for _ in range(30)})
    youth = [
        {"id": f"20230100{i:02d}", "name": name, "major": "数学", "grade": "2023",
         "political_status": "群众", "family": "城镇", "since": "2025-01-01"}
        for i, name in enumerate(names)
    ]
    cadre = Cadre.model_validate({
        "name": "赵书记", "level": "校级", "appointment": "专职", "title": "书记",
        "since": "2024-09-01", "youth": youth,
    })
    redact = Redactor(PersonalInfo([cadre]))

    def plain(text: str) -> str:
        out, i = [], 0
        while i < len(text):
            size = next((n for n in (4, 3, 2) if text[i : i + n] in names), 0)
            out.append(mask_name(text[i : i + size]) if size else text[i])
            i += size or 1
        return "".join(out)

    for _ in range(300):
        text = "".join(rng.choice(chars + "，。 ab") for _ in range(rng.randint(0, 40)))
        assert redact(text) == plain(text), text


def test_redactor_masks_names_and_ids() -> None:
    cadre = Cadre.model_validate(
        {
            "name": "王老师",
            "level": "校级",
            "appointment": "专职",
            "title": "书记",
            "since": "2024-09-01",
            "contact": {"email": "a@example.edu.cn"},
            "youth": [
                {
                    "id": "2023010203",
                    "name": "李明",
                    "major": "数学",
                    "grade": "2023",
                    "political_status": "群众",
                    "family": "城镇",
                    "since": "2025-01-01",
                },
                {
                    "id": "2024000001",
                    "name": "王老师",
                    "major": "数学",
                    "grade": "2024",
                    "political_status": "群众",
                    "family": "城镇",
                    "since": "2025-01-01",
                    "until": "2025-06-01",
                },
            ],
        }
    )
    redact = Redactor(PersonalInfo([cadre]))
    assert redact("李明和李明明，学号2023010203；x2023010203y") == (
        "李*和李*明，学号2023****03；x2023****03y"
    )
    assert redact("王老师") == "王老师"  # a cadre's own name is not masked
    assert redact("<p>2024000001</p>") == "<p>2024****01</p>"
    history = contact_history(cadre, dt.date(2025, 12, 31))
    assert history == [
        (dt.date(2024, 9, 1), 0),
        (dt.date(2025, 1, 1), 2),
        (dt.date(2025, 6, 1), 1),
        (dt.date(2025, 12, 31), 1),
    ]

"""Property: whatever text or YAML-shaped value lands in a data file, the checker answers
with diagnostics or success — never an internal error (exit 2) or a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli

from .mini import TODAY, Mini

FIELDS = ["name", "level", "appointment", "title", "committee", "since", "github", "contact",
          "intro", "photo", "units", "youth", "id", "branch", "political_status", "family",
          "until", "phone", "qq", "consent_on", "committees", "branches", "dorm_groups"]
scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["校级", "系级", "2026-02-30", "2024-09-01", "no", "0358", "1e3", "", "~",
                     "2023010203", "c1", "b1", "d1", "共青团员", "城镇", "true"]),
    st.integers(), st.booleans(), st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Mini:
    m = Mini(tmp_path_factory.mktemp("prop"))
    m.write()
    return m


def assert_answers(root: Path) -> None:
    run = run_cli(root, "check", fmt="json", today=TODAY)
    assert run.code in (0, 1), run.out
    for d in json.loads(run.out):
        assert d["line"] >= 1 and d["col"] >= 1 and d["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=values)
def test_any_value_as_a_cadre_file(mini: Mini, value: object) -> None:
    cadre = mini.root / "data" / "cadres" / "prop-case.yml"
    cadre.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    try:
        assert_answers(mini.root)
    finally:
        cadre.unlink()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=values, body=st.text(max_size=40))
def test_any_value_as_note_front_matter(mini: Mini, value: object, body: str) -> None:
    note = mini.root / "data" / "notes" / "dept-b" / "2026-11-11-prop.md"
    note.write_text("---\n" + yaml.safe_dump(value, allow_unicode=True) + "---\n" + body,
                    encoding="utf-8")
    try:
        assert_answers(mini.root)
    finally:
        note.unlink()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=200))
def test_any_text_as_a_cadre_file(mini: Mini, text: str) -> None:
    cadre = mini.root / "data" / "cadres" / "prop-case.yml"
    cadre.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        assert_answers(mini.root)
    finally:
        cadre.unlink()

"""The express lane (rapidyaml) must agree with the careful path (libyaml) exactly: same
value for clean text, and never accept what the careful path reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhilian.read import fast, parse_yaml, split_front_matter
from zhilian.read.fast import MISS, fast_parse

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(fast.ryml is None, reason="rapidyaml 未安装：快速路径不可用")


def careful(text: str) -> tuple[object, list]:
    """parse_yaml with the express lane switched off."""
    saved = fast.ryml
    fast.ryml = None
    try:
        return parse_yaml(text, "x.yml")
    finally:
        fast.ryml = saved


def agree(text: str) -> None:
    """The reader answers the same with the express lane as without it."""
    value, diags = careful(text)
    got, got_diags = parse_yaml(text, "x.yml")
    assert got == value, text
    assert [(d.code, d.line, d.col) for d in got_diags] == [(d.code, d.line, d.col) for d in diags]


TRICKY = [
    "a: 1\nb: true\nc: false\nd: True\ne: 1e3\nf: -0\ng: 0358\nh: 0x1F\ni: .inf\nj: 1_000\n",
    "no: on\nyes: off\n",
    'id: "2023010203"\nn: 2023010203\n',
    "a:\nb: ''\nc: \"\"\n",
    "a: |\n  line1\n  line2\nb: >\n  f1\n  f2\nc: |-\n  x\nd: |+\n  y\n\n",
    "a: [x, y, 'z w']\nb: {c: 1, d: [2, 3]}\n",
    "a: x  # comment\n# full line\nb: 'it''s'\n",
    "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n",
    "- a\n- b\n",
    "plain scalar\n",
    "a: https://weibo.com/u/1?x=1&y=2\n",
    "a: &x 1\nb: *x\n",
    "a: !!int 3\n",
    "a: null\nb: ~\nc: Null\n",
    "---\na: 1\n",
    "a: x\n---\nb: y\n",
    "a: b: c\n",
    "a: [x, y\n",
    "name：王晓明\n",
    "branches: [a，b]\n",
    "a:\n\u3000b: 1\n",
    "a:\n\tb: 1\n",
    'a: "x\\ty"\n',
    "a: 12:30\nb: 2026-02-30\n",
    "intro: |\n  欢迎！有事请联系：办公室。\n  **加粗** 和 *斜体*\n",
    "2026: {x: 1}\n",
    "a:\n  - b: 1\n    c: 2\n  -\n  - ''\n",
    "? [a]\n: 1\n",
    "a: 'multi\n  line'\nb: plain\n  continued\n",
    "k: v # 注释：全角冒号\n",
    'a: "é"\nb: 😀\n',
    "'0': '\x85  '\n",  # NEL: a line break to libyaml (found by test_dumped_values_agree)
    "a: x\u2028y\nb: \x9f\n",
    # rapidyaml emits these plain scalars as other text (found by a property test of the
    # reader, then by fuzzing numbers and words): they must be read as written
    "nan: ''\n", "a: [inf, -inf, infinity, .NaN, -.Inf, NAN]\n", "a: .5\nb: -.5\nc: 5.\n",
    "a: {x: -0., y: .0e5}\n", "phone: 138.\nwechat: Nan\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_agree(text: str) -> None:
    agree(text)


def test_real_files_take_the_express_lane_and_agree() -> None:
    taken = 0
    for path in sorted((REPO / "data").rglob("*")):
        if path.suffix not in (".yml", ".md"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            text = split_front_matter(text, "x")[0] or ""
        agree(text)
        taken += fast_parse(text) is not MISS and not careful(text)[1]
    assert taken > 200  # the sample's files are clean: the lane is really used



def test_a_banner_of_hashes_is_read_at_once() -> None:
    """A comment banner ("####…") once made the express lane's check take 2ⁿ steps (one of
    36 hung the build): read in a process given a minute, the old check needed hours."""
    code = (
        "from zhilian.read import parse_yaml\n"
        "banner = '#' * 48\n"
        "text = f'{banner}\\n# 团干部信息\\n{banner}\\nname: 王晓明\\ntitle: 团委副书记  # {banner}\\n'\n"
        "value, diags = parse_yaml(text, 'x.yml')\n"
        "assert value == {'name': '王晓明', 'title': '团委副书记'} and not diags, (value, diags)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)


def test_a_long_run_of_blanks_takes_the_careful_path() -> None:
    """rapidyaml takes n² steps on n blanks inside a plain scalar (100,000: 3 s; these
    1,000,000 some 5 minutes): such text is the careful path's, read at once."""
    code = (
        "from zhilian.read import parse_yaml\n"
        "value, diags = parse_yaml('name: 王' + ' ' * 1_000_000 + '晓明\\n', 'x.yml')\n"
        "assert value == {'name': '王' + ' ' * 1_000_000 + '晓明'} and not diags, diags\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)


def test_nesting_too_deep_for_the_express_lane_prints_nothing(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """rapidyaml complains on file descriptor 2 when a value nests too deep to emit; the
    careful path reports the file, and the terminal shows nothing else."""
    text = "k:\n  " + "- " * 200 + "x\n"  # valid YAML: lists in lists, 200 deep
    value, diags = parse_yaml(text, "x.yml")
    assert capfd.readouterr().err == ""
    assert not diags and isinstance(value, dict)
    inner, depth = value["k"], 1
    while isinstance(inner, list):
        inner, depth = inner[0], depth + 1
    assert (inner, depth) == ("x", 201)


scalars = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
values = st.recursive(
    scalars | st.sampled_from(["true", "false", "1e3", "0358", "-0", "null", "~", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(scalars, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.booleans(), st.sampled_from([None, "'", '"', "|"]))
def test_dumped_values_agree(value: object, flow: bool, style: str | None) -> None:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=flow, default_style=style)
    agree(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*list("ab: -[]{},'\"#\n|>&*!~@`%?1：，\u3000\t"), "\nk: ", "- ", "  "]),
        max_size=16,
    ).map("".join)
)
def test_arbitrary_text_agrees(text: str) -> None:
    agree(text)

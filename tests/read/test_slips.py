"""Chinese input-method slips (Y006–Y009): own diagnostics, never also a generic Y002."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zhilian.read import parse_yaml

REPO = Path(__file__).resolve().parents[2]


def found(text: str) -> list[tuple[str, int, int]]:
    value, diags = parse_yaml(text, "data/cadres/x.yml")
    assert (value is None) == bool(diags)
    return [(d.code, d.line, d.col) for d in diags]


# --- Y006 full-width colon after a key --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name：王晓明\n", [("Y006", 1, 5)]),
        ("level: 校级\nname：王晓明\ntitle: x\n", [("Y006", 2, 5)]),
        ('youth:\n  - id："2023010203"\n    name: 李明\n', [("Y006", 2, 7)]),
        ("contact：\n  qq: '1'\n", [("Y006", 1, 8)]),
        ("name ： 王晓明\n", [("Y006", 1, 6)]),
        ("校级：{committees: 3}\n", [("Y006", 1, 3)]),
        ("wang: {respondents：40, satisfied: 36}\n", [("Y006", 1, 19)]),
        ("a: 1\nb：2\nc：3\n", [("Y006", 2, 2), ("Y006", 3, 2)]),
    ],
)
def test_fullwidth_colon_after_a_key(text: str, expected: list) -> None:
    assert found(text) == expected


def test_fullwidth_colon_slip_message_names_the_key() -> None:
    diags = parse_yaml("title：校团委副书记\n", "x.yml")[1]
    assert "title" in diags[0].message and "：" in diags[0].message
    assert "校团委副书记" not in diags[0].message


@pytest.mark.parametrize(
    "text",
    [
        "intro: |\n  办公时间：周一\n  地点：行政楼\n",  # block scalar text
        "intro: >-\n  a：b\n\n  c：d\nname: x\n",
        "youth:\n  - intro: |\n      地点：x\n    name: y\n",
        "title: 时间：周五\n",  # in a value, after a real colon
        "title: '时间：周五'\n",
        'a: "x\n  name：y"\n',  # a quoted string running over lines
        "a：: 1\n",  # the full-width colon is part of the key; `: ` is the separator
        "items: [时间：周五]\n",  # flow *list*: a plain string
        "# 注释：不是键\nname: x\n",
        "list:\n  - 地点：行政楼\n",  # a list of Chinese strings: not an ASCII key
        "x:\n  0：': ''\n",  # the key is `0：'` (found by the property test)
        "x:\n  0：[: ''\n",  # the key is `0：[`
        "? ''\n: 0：[\n",  # an explicit value, not a key
    ],
)
def test_fullwidth_colon_in_text_is_fine(text: str) -> None:
    assert found(text) == []


# --- Y007 full-width comma or semicolon in a flow list ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("units:\n  committees: [math，chem, cs]\n", [("Y007", 2, 20)]),
        ("branches: [cs-2023-1；math-2024-2]\n", [("Y007", 1, 21)]),
        ("a: [x，y，z]\nb: [p；q]\n", [("Y007", 1, 6), ("Y007", 2, 6)]),  # one per line
        ("a: [\n  x，\n  y\n]\n", [("Y007", 2, 4)]),  # a flow list over several lines
        ("- [a，b]\n", [("Y007", 1, 5)]),
        ("s: {respondents: 40，satisfied: 36}\n", [("Y007", 1, 20)]),
    ],
)
def test_fullwidth_separator_in_flow_collection(text: str, expected: list) -> None:
    assert found(text) == expected


def test_fullwidth_separator_repair_gives_no_extra_error() -> None:
    # repaired to [math,chem,cs]: the file parses, so Y007 is the only diagnostic
    assert found("committees: [math，chem，cs]\nb: 1\nb: 2\n") == [("Y007", 1, 18), ("Y003", 3, 1)]


@pytest.mark.parametrize(
    "text",
    [
        "intro: 我们，你们；他们\n",
        "intro: 见[链接]，欢迎\n",
        "a: ['x，y', \"p；q\"]\n",  # quoted items
        "intro: |\n  [学业，生活]\n",
        "a: [x, y]  # 注释：甲，乙\n",
    ],
)
def test_fullwidth_separator_outside_flow_or_in_quotes_is_fine(text: str) -> None:
    assert found(text) == []


# --- Y008 U+3000 / Y009 tab in the indentation ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contact:\n\u3000\u3000phone: x\n", [("Y008", 2, 1)]),
        ("contact:\n  \u3000phone: x\n", [("Y008", 2, 3)]),
        ("youth:\n  -\u3000id: x\n", [("Y008", 2, 4)]),
        ("a: 1\n\u3000\nb: 2\n", [("Y008", 2, 1)]),
        ("contact:\n\tphone: x\n", [("Y009", 2, 1)]),
        ("contact:\n  \tphone: x\n  qq: y\n", [("Y009", 2, 3)]),
        ("youth:\n  -\tid: x\n", [("Y009", 2, 4)]),
        ("a: 1\n\t# 注释\n", [("Y009", 2, 1)]),
        ("a:\n\t\u3000b: 1\n", [("Y009", 2, 1), ("Y008", 2, 2)]),
    ],
)
def test_bad_whitespace_in_indentation(text: str, expected: list) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "intro: |\n  \u3000\u3000欢迎同学们。\n  \t缩进后的 Tab 是正文\n",
        "a: x\tb\n",  # a tab inside a value
        "a:\tx\n",  # a tab as the separator after a colon
        "intro: |\n  x\n\n    更深的缩进\u3000也是正文\n",
        "- |\n \u3000text\n",
        "a: 'x\n\n  \u3000y'\n",  # a quoted string running over lines
        "{? 'a\n\n    ]' : 'b\n\n    \u3000c'}\n",  # ... inside a flow mapping
        "a: [x,\n\ty]\n",  # inside [ ] leading whitespace is not indentation
    ],
)
def test_tab_and_ideographic_space_outside_indentation_are_fine(text: str) -> None:
    assert found(text) == []


def test_tab_width_guess_does_not_add_a_second_error() -> None:
    # siblings use 4 spaces; the tab stood for 4: the repair with 4 spaces parses
    assert found("contact:\n    email: a\n\tphone: x\n    qq: y\n") == [("Y009", 3, 1)]


# --- slips and generic syntax errors ----------------------------------------------------------


def test_slip_that_breaks_the_parse_is_not_also_y002() -> None:
    # without the slip scan libyaml says "could not find expected ':'" on line 3
    assert found("level: 校级\nname：王晓明\ntitle: x\n") == [("Y006", 2, 5)]
    assert found("contact:\n\tphone: x\n") == [("Y009", 2, 1)]


def test_a_real_syntax_error_elsewhere_is_still_reported() -> None:
    assert found("name：王晓明\nunits: [a, b\nc: 1\n") == [("Y006", 1, 5), ("Y002", 3, 2)]


def test_slips_in_every_line_are_reported() -> None:
    text = "".join(f"k{i}：v\n" for i in range(30))
    assert found(text) == [("Y006", i + 1, len(f"k{i}") + 1) for i in range(30)]


def test_a_long_line_before_a_full_width_colon_is_judged_at_once() -> None:
    """Whether a line's text before "：" looks like a key was one pattern whose dashes could
    be both before the word and in it: 50,000 dashes took 40 s (n² steps).  Read in a process
    given a minute, the old check needed some 10 minutes for these 200,000."""
    code = (
        "from zhilian.read import parse_yaml\n"
        "value, diags = parse_yaml('name: 王\\n' + '-' * 200_000 + '!：x\\n', 'x.yml')\n"
        "assert [(d.code, d.line) for d in diags] == [('Y002', 2)], diags\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)


def test_a_line_of_many_brackets_is_judged_at_once() -> None:
    """The slip finder counted a line's brackets again from each "[" on it, and matched a
    value's brackets pair by pair: 20,000 nested took 5 s (n² steps).  Read in a process given
    a minute, the old finder needed some 8 minutes for these 200,000."""
    code = (
        "from zhilian.read import parse_yaml\n"
        "n = 200_000\n"
        "value, diags = parse_yaml('k: ' + '[' * n + '，' + ']' * n + '\\n', 'x.yml')\n"
        "assert [(d.code, d.line) for d in diags] == [('Y007', 1)], diags\n"
        "value, diags = parse_yaml('k：' + '[' * n + ']' * n + '\\n', 'x.yml')\n"
        "assert [(d.code, d.line) for d in diags] == [('Y006', 1)], diags\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)

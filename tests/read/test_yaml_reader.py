"""decode / read_file / parse_yaml: one test per DESIGN §4 rule, good input and bad."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from zhilian.diagnostics import CODES
from zhilian.read import decode, parse_yaml, read_file, read_yaml
from zhilian.read.yaml_reader import _may_have_properties


def codes(diags: list) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.col) for d in diags]


def parse_ok(text: str) -> object:
    value, diags = parse_yaml(text, "data/cadres/x.yml")
    assert diags == [], [(d.code, d.line, d.col, d.message) for d in diags]
    return value


def parse_bad(text: str, line_offset: int = 0) -> list[tuple[str, int, int]]:
    value, diags = parse_yaml(text, "data/cadres/x.yml", line_offset=line_offset)
    assert value is None
    assert diags, "expected diagnostics"
    for d in diags:
        assert d.code in CODES and d.message and d.hint and d.file == "data/cadres/x.yml"
    return codes(diags)


# --- encoding ---------------------------------------------------------------------------------


def test_utf8_with_bom_is_fine_and_the_bom_is_gone() -> None:
    text, diags = decode("\ufeffname: 王晓明\n".encode(), "x.yml")
    assert diags == [] and text == "name: 王晓明\n"


def test_crlf_and_cr_become_lf() -> None:
    text, _ = decode(b"a: 1\r\nb: 2\rc: 3\r\n", "x.yml")
    assert text == "a: 1\nb: 2\nc: 3\n"


def test_gbk_file_is_y001_at_the_first_bad_byte_and_says_gbk() -> None:
    raw = "# 团干部\nname: wang\ntitle: 校团委副书记\n".encode("gbk")
    # the comment on line 1 is already GBK: col 3 is the first Chinese byte
    text, diags = decode(raw, "data/cadres/wang.yml")
    assert text is None
    assert codes(diags) == [("Y001", 1, 3)]
    assert "GBK/GB18030" in diags[0].message
    assert "UTF-8" in diags[0].hint and "另存为" in diags[0].hint


def test_gbk_position_counts_characters_not_bytes() -> None:
    # 王 in GBK is CD F5: CD opens a UTF-8 pair, F5 cannot continue it
    raw = "a: 1\n名字: 王".encode() + "\nb: 王晓明".encode("gbk")
    _, diags = decode(raw, "x.yml")
    assert codes(diags) == [("Y001", 3, 4)]


def test_non_utf8_that_is_not_chinese_gets_a_plain_y001() -> None:
    _, diags = decode(b"a: caf\xe9\xff\n", "x.yml")
    assert codes(diags) == [("Y001", 1, 7)]
    assert "GBK" not in diags[0].message


# --- read_file --------------------------------------------------------------------------------


def test_read_file_reads_and_decodes(tmp_path: Path) -> None:
    p = tmp_path / "a.yml"
    p.write_bytes(b"\xef\xbb\xbfa: 1\r\n")
    assert read_file(p, "a.yml", 100) == ("a: 1\n", [])


def test_read_file_too_big_is_y010_without_reading(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "big.yml"
    with open(p, "wb") as fh:
        fh.truncate(10 * 1024 * 1024)  # sparse: 10 MB without writing 10 MB

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file must not be read")

    monkeypatch.setattr("builtins.open", no_read)
    monkeypatch.setattr("zhilian.read.yaml_reader.os.read", no_read)
    text, diags = read_file(p, "data/cadres/big.yml", 1_048_576)
    assert text is None and codes(diags) == [("Y010", 1, 1)]
    assert "10485760" in diags[0].message


def test_read_file_not_a_regular_file_is_y015(tmp_path: Path) -> None:
    (tmp_path / "dir.yml").mkdir()
    target = tmp_path / "real.yml"
    target.write_text("a: 1\n")
    (tmp_path / "link.yml").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.yml")  # (opened without waiting for a writer)
    for name in ("dir.yml", "link.yml", "missing.yml", "pipe.yml"):
        text, diags = read_file(tmp_path / name, name, 1000)
        assert text is None and codes(diags) == [("Y015", 1, 1)], name
    messages = [read_file(tmp_path / n, n, 1000)[1][0].message for n in ("dir.yml", "link.yml", "pipe.yml")]
    assert [m.rsplit("而是", 1)[-1] for m in messages] == ["文件夹", "符号链接", "特殊文件"]


def test_read_file_reads_a_file_whole_whatever_its_reads_return(tmp_path: Path, monkeypatch) -> None:
    """A read may return fewer bytes than asked for: the reader asks again until the end."""
    p = tmp_path / "a.yml"
    p.write_bytes(("名字: 张三\n" * 300).encode())
    real_read = os.read
    monkeypatch.setattr("zhilian.read.yaml_reader.os.read", lambda fd, n: real_read(fd, min(n, 7)))
    text, diags = read_file(p, "a.yml", 100_000)
    assert diags == [] and text == "名字: 张三\n" * 300
    text, diags = read_file(p, "a.yml", 100)  # over the limit: told, not cut short
    assert text is None and codes(diags) == [("Y010", 1, 1)]


def test_read_file_reads_what_a_file_grew_by_after_its_size_was_taken(
    tmp_path: Path, monkeypatch
) -> None:
    """The reader asks for one byte more than ``fstat`` said: a file that grew since is
    read to its end, not cut at the size it had."""
    p = tmp_path / "a.yml"
    p.write_bytes(("名字: 张三\n" * 300).encode())
    real_fstat = os.fstat

    def smaller(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((*st[:6], st.st_size - 40, *st[7:]))

    monkeypatch.setattr("zhilian.read.yaml_reader.os.fstat", smaller)
    text, diags = read_file(p, "a.yml", 100_000)
    assert diags == [] and text == "名字: 张三\n" * 300


def test_read_yaml_requires_a_mapping(tmp_path: Path) -> None:
    p = tmp_path / "list.yml"
    p.write_text("# 注释\n\n- a\n- b\n")
    value, text, diags = read_yaml(p, "list.yml", 1000)
    assert value is None and text is not None
    assert codes(diags) == [("Y012", 3, 1)]
    p.write_text("a: 1\n")
    assert read_yaml(p, "a.yml", 1000) == ({"a": "1"}, "a: 1\n", [])
    p.write_text("- a\n")
    assert read_yaml(p, "a.yml", 1000, require_mapping=False)[0] == ["a"]


# --- every scalar is a string -----------------------------------------------------------------


def test_every_scalar_stays_exactly_as_written() -> None:
    value = parse_ok(
        "a: no\nb: on\nc: 0358\nd: 2023010203\ne: 1e3\nf: 2026-05-04\ng: true\nh: ~\n"
        "i: null\nj: 0o17\nk: .inf\nl: 1_000\nm: 12:30:00\nn: -0\no: +1\n"
    )
    assert value == {
        "a": "no", "b": "on", "c": "0358", "d": "2023010203", "e": "1e3", "f": "2026-05-04",
        "g": "true", "h": "~", "i": "null", "j": "0o17", "k": ".inf", "l": "1_000",
        "m": "12:30:00", "n": "-0", "o": "+1",
    }  # fmt: skip


def test_empty_plain_scalar_is_none_and_quoted_empty_is_empty_string() -> None:
    assert parse_ok("a:\nb: ''\nc: \"\"\nd: |\ne: [a, '']\n") == {
        "a": None, "b": "", "c": "", "d": "", "e": ["a", ""],
    }  # fmt: skip


def test_nested_values_are_plain_python() -> None:
    value = parse_ok("units:\n  committees: [math, cs]\nyouth:\n  - id: '1'\n    x: {a: b}\n")
    assert value == {
        "units": {"committees": ["math", "cs"]},
        "youth": [{"id": "1", "x": {"a": "b"}}],
    }
    assert type(value) is dict and type(value["youth"]) is list


def test_same_result_as_base_loader_on_block_and_flow_scalars() -> None:
    text = "a: |\n  x\n  y\nb: >\n  folded\n  text\nc: 'it''s'\nd: \"tab\\tq\"\ne: multi\n  line\n"
    assert parse_ok(text) == yaml.load(text, Loader=yaml.BaseLoader)


# --- Y003 duplicate keys ----------------------------------------------------------------------


def test_duplicate_keys_every_one_at_the_second_occurrence() -> None:
    text = "name: a\ncontact:\n  qq: '1'\n  qq: '2'\nname: b\nname: c\n"
    diags = parse_yaml(text, "x.yml")[1]
    assert codes(diags) == [("Y003", 4, 3), ("Y003", 5, 1), ("Y003", 6, 1)]
    assert "qq" in diags[0].message and "第 3 行" in diags[0].message
    assert "name" in diags[2].message and "第 1 行" in diags[2].message


def test_same_key_in_different_mappings_is_fine() -> None:
    parse_ok("youth:\n  - id: '1'\n  - id: '2'\na: {id: x}\n")


def test_duplicate_keys_in_flow_mapping_and_inside_a_list() -> None:
    assert parse_bad("a: {x: 1, x: 2}\n") == [("Y003", 1, 11)]
    assert parse_bad("y:\n  - id: '1'\n    id: '2'\n") == [("Y003", 3, 5)]


def test_non_scalar_key_is_y002() -> None:
    assert parse_bad("? [a, b]\n: x\nc: 1\n") == [("Y002", 1, 3)]


# --- Y004 anchors and aliases -----------------------------------------------------------------


def test_an_alias_or_anchor_without_a_name_is_y004() -> None:
    for text in ("a: *\n", "a: &\n"):
        diags = parse_yaml(text, "x.yml")[1]
        assert codes(diags) == [("Y004", 1, 4)] and "锚点或别名" in diags[0].message, text


def test_anchor_and_alias_are_each_y004() -> None:
    assert parse_bad("a: &x 1\nb: *x\nc: &unused [1]\n") == [
        ("Y004", 1, 4), ("Y004", 2, 4), ("Y004", 3, 4),
    ]  # fmt: skip


def test_undefined_alias_is_y004_not_a_syntax_error() -> None:
    assert parse_bad("a: *nowhere\n") == [("Y004", 1, 4)]


def test_ampersand_and_star_inside_text_are_fine() -> None:
    value = parse_ok(
        "weibo: https://weibo.com/u/1?from=a&b=*c\nq: '&x *y !z'\nr: \"&a\"\ns: A & B * C\n"
        "intro: |\n  **加粗** &x *y\n  * 列表\nt: 欢迎!\n"
    )
    assert value["weibo"] == "https://weibo.com/u/1?from=a&b=*c"
    assert value["q"] == "&x *y !z" and value["s"] == "A & B * C"


def test_markdown_in_text_costs_no_event_scan() -> None:
    # the anchor/tag gate looks past `*` and `&` that are plainly text
    assert not _may_have_properties(
        "intro: |\n  **加粗** *斜体* &x !y\n  * 列表\nq: 'a *b'\nc: x *y # *z\n# *注释*\n"
    )
    for text in ("a: *b\n", "- &x 1\n", "? !t k\n: v\n", "a: [x,\n  *y]\n", "--- !t x\n"):
        assert _may_have_properties(text), text


def test_alias_bomb_is_rejected_fast() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 30):  # 9**30 strings if expanded
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    start = time.perf_counter()
    value, diags = parse_yaml("\n".join(lines) + "\n", "bomb.yml")
    assert time.perf_counter() - start < 2
    assert value is None and {d.code for d in diags} == {"Y004"}
    assert (diags[0].line, diags[0].col) == (1, 5)
    assert len(diags) <= 11  # ten and a count, not 270 lines of noise
    assert "还有" in diags[-1].message


# --- Y005 tags --------------------------------------------------------------------------------


def test_every_explicit_tag_is_y005() -> None:
    text = "a: !!int 3\nb: !foo x\nc: ! y\nd: !!str 0358\ne: !bar {k: v}\nf: [!!binary x]\n"
    diags = parse_yaml(text, "x.yml")[1]
    assert codes(diags) == [
        ("Y005", 1, 4), ("Y005", 2, 4), ("Y005", 3, 4), ("Y005", 4, 4), ("Y005", 5, 4),
        ("Y005", 6, 5),
    ]  # fmt: skip
    assert "!!int" in diags[0].message


def test_exclamation_marks_in_text_are_fine() -> None:
    parse_ok("a: 你好!\nb: 'x !y'\nc: \"!important\"\nd: wow! !\n")


# --- Y002 syntax errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: b: c\n", 1, 5, "键: 值"),
        ("name 王晓明\nlevel: x\n", 2, 6, "键: 值"),
        ("a: @x\n", 1, 4, "不能放在值的开头"),
        ("a: 'abc\nb: 1\n", 1, 4, "引号没有闭合"),
        ('a: "x\nb: 1\nc: "y"\nd: 2\n', 1, 4, "引号直到第 3 行"),
        ("a: [x, y\nb: 1\n", 2, 2, "[ 没有闭合"),
        ("a: {x: 1\n", 1, 4, "{ 没有闭合"),
        ("a:\n  - b\n  c: 1\n", 3, 3, "列表"),
        ("a: 1\nb: x\x07y\n", 2, 5, "U+0007"),
        ('a: "\\q"\n', 1, 5, "反斜杠"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "对齐"),
        ("intro: | 我是团支书\n  第二行\n", 1, 10, "| 或 > 的同一行后面不能接着写内容"),
        ("a: x\n%b\n", 2, 1, "以 % 开头的行会被当成 YAML 指令"),
        ("a: !{b}\n", 1, 5, "以 ! 开头的值会被当成标签"),
        ("a: !x!y z\n", 1, 4, "以 ! 开头的值会被当成标签"),
        ('a: "x" ?\n', 1, 8, "以 ? 开头会被当成复杂的键"),
    ],
)
def test_syntax_errors_are_y002_in_chinese_at_the_right_place(
    text: str, line: int, col: int, words: str
) -> None:
    value, diags = parse_yaml(text, "x.yml")
    assert value is None
    assert codes(diags) == [("Y002", line, col)]
    assert words in diags[0].message


def test_unknown_problem_keeps_the_english_text_after_a_chinese_prefix() -> None:
    diags = parse_yaml("%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "x.yml")[1]
    assert codes(diags) == [("Y002", 2, 1)]
    assert diags[0].message.startswith("YAML 语法错误") and "duplicate" in diags[0].message


def test_multiple_documents_are_y002_at_the_second_marker() -> None:
    assert parse_ok("---\na: 1\n...\n") == {"a": "1"}
    diags = parse_yaml("---\na: 1\n---\nb: 2\n", "x.yml")[1]
    assert codes(diags) == [("Y002", 3, 1)]
    assert "多个" in diags[0].message or "第二个文档" in diags[0].message


def test_lines_are_counted_at_lf_like_github_even_with_nel_ls_ps() -> None:
    # libyaml also breaks lines at U+0085/U+2028/U+2029; editors and GitHub do not
    assert parse_bad('a: "王\u2028晓"\nb: 1\nb: 2\n') == [("Y003", 3, 1)]
    assert parse_bad("a: 'x\x85\x85y'\na: 1\n") == [("Y003", 2, 1)]
    assert parse_bad('a: "x\u2029"\nb: [1\n') == [("Y002", 2, 4)]


def test_lone_surrogate_does_not_raise() -> None:
    assert parse_bad("a: \ud800\n") == [("Y002", 1, 4)]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert {c for c, _, _ in parse_bad("a: " + "[" * 5000 + "]" * 5000 + "\n")} == {"Y002"}
    value, diags = parse_yaml("a: " + "[" * 990 + "]" * 990 + "\n", "x.yml")
    assert (value is None) == bool(diags)


# --- Y011 empty -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# 只有注释\n  # 缩进的注释\n", "---\n", "   \n"])
def test_empty_document_is_y011(text: str) -> None:
    assert parse_bad(text) == [("Y011", 1, 1)]


# --- all problems in one run, and line_offset --------------------------------------------------


def test_all_problems_reported_in_one_run_sorted_by_position() -> None:
    text = "a: &x 1\nname：王\nb: !!int 2\nc:\n\tq: 1\nd: [x，y]\ne: 1\ne: 2\n"
    assert parse_bad(text) == [
        ("Y004", 1, 4), ("Y006", 2, 5), ("Y005", 3, 4), ("Y009", 5, 1), ("Y007", 6, 6),
        ("Y003", 8, 1),
    ]  # fmt: skip


def test_line_offset_shifts_lines_not_columns() -> None:
    assert parse_bad("a: 1\na: 2\n", line_offset=1) == [("Y003", 3, 1)]
    assert parse_bad("", line_offset=1) == [("Y011", 2, 1)]

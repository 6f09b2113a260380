"""Property tests: the reader never raises, and dumped YAML reads back as written."""

from __future__ import annotations

import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhilian.diagnostics import CODES
from zhilian.read import decode, locate, locate_in_note, parse_yaml, split_front_matter

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# YAML punctuation, the characters of input-method slips, CJK, controls and odd line breaks.
ALPHABET = st.sampled_from(
    [
        *" \n\n\n  -:#,[]{}&*!|>'\"%@`?~\t\u3000：，；。王晓明团支部aZ09\\",
        *("\x00", "\x07", "\x85", "\u2028", "\ufeff", "\ufffe", "\r", "---", "- ", ": ", "  "),
    ]
)
yamlish_text = st.lists(ALPHABET, max_size=80).map("".join)
any_text = st.one_of(yamlish_text, st.text(max_size=80))
path_step = st.one_of(st.text(max_size=5), st.integers(-2, 5))


def check_outcome(text: str, line_offset: int = 0) -> None:
    value, diags = parse_yaml(text, "x.yml", line_offset=line_offset)
    assert (value is None) == bool(diags)  # either a value or diagnostics, never both
    last_line = text.count("\n") + 2 + line_offset
    for d in diags:
        assert d.code in CODES and d.message and d.hint
        assert 1 + line_offset <= d.line <= last_line, (d.code, d.line, text)
        assert d.col >= 1


@FAST
@given(any_text, st.integers(0, 3))
def test_parse_yaml_never_raises(text: str, offset: int) -> None:
    check_outcome(text, offset)


@FAST
@given(st.binary(max_size=80) | any_text.map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_decode_never_raises(raw: bytes) -> None:
    text, diags = decode(raw, "x.yml")
    assert (text is None) == bool(diags)
    if text is not None:
        plain = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        assert text == plain.replace("\r\n", "\n").replace("\r", "\n")
        check_outcome(text)
    else:
        assert [d.code for d in diags] == ["Y001"] and diags[0].line >= 1


@FAST
@given(any_text, st.booleans())
def test_split_front_matter_never_raises(text: str, fenced: bool) -> None:
    text = "---\n" + text if fenced else text
    front, body, offset, diags = split_front_matter(text, "n.md")
    if front is None:
        assert len(diags) == 1 and diags[0].code in ("Y011", "Y013") and body == text
    else:
        assert diags == [] and offset == 1
        assert text.startswith("---") and front in text and body in text
        check_outcome(front, offset)


@FAST
@given(any_text, st.lists(path_step, max_size=4), st.booleans())
def test_locate_never_raises(text: str, path: list, at_key: bool) -> None:
    for line, col in (locate(text, tuple(path), at_key), locate_in_note(text, tuple(path))):
        assert line >= 1 and col >= 1


# Values shaped like our data: nested dicts of strings, and lists.  The characters: printable
# ASCII (all of YAML's indicators), whitespace incl. tab and U+3000, controls, CJK text,
# full-width punctuation, emoji, a BOM — a fixed pool, because drawing from all of Unicode
# costs seconds.  NEL, LS and PS are line breaks to YAML 1.1 and PyYAML's emitter writes them
# raw, so even PyYAML does not read them back; they are left out.
POOL = [chr(c) for c in range(0x20, 0x7F)] + list(
    "\t\n\r\x00\x07\x1b\x7f\xa0\u3000\ufeff王晓明李团支部委员会：，；。！？“”（）【】—…·😀"
)
strings = st.text(st.sampled_from(POOL), max_size=12)
# A key or list item that starts with U+3000 or "-" + U+3000 (PyYAML writes both unquoted) is
# exactly a Y008 slip, and `- id：x` or `[a，b]` is a Y006/Y007 slip (our lists hold ids and
# 学号): keys and list items do not start so, and list items and flow-style text leave out
# `：，；`.
LEADING_SLIP = re.compile("^(?:-?\u3000)+")
keys = strings.map(lambda s: LEADING_SLIP.sub("", s))
NO_SLIP = [c for c in POOL if c not in "：，；"]
plain_strings = st.text(st.sampled_from(NO_SLIP), max_size=12).map(
    lambda s: LEADING_SLIP.sub("", s)
)


def nested(keys: st.SearchStrategy[str], leaves: st.SearchStrategy[str]) -> st.SearchStrategy:
    return st.recursive(
        leaves,
        lambda inner: st.dictionaries(keys, inner, max_size=4) | st.lists(inner, max_size=4),
        max_leaves=8,
    )


dict_values = st.recursive(
    strings, lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=8
)
documents = st.dictionaries(keys, dict_values | nested(keys, plain_strings), min_size=1, max_size=5)


@FAST
@given(documents)
def test_dumped_strings_read_back_unchanged(doc: dict) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    value, diags = parse_yaml(text, "x.yml")
    assert diags == [], (text, [(d.code, d.line, d.col) for d in diags])
    assert value == doc
    # and a path into the dump can always be located
    first = next(iter(doc))
    line, col = locate(text, (first,))
    assert 1 <= line <= text.count("\n") + 1 and col >= 1


@FAST
@given(st.dictionaries(plain_strings, nested(plain_strings, plain_strings), min_size=1, max_size=4))
def test_flow_style_dump_reads_back_unchanged(doc: dict) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=True, sort_keys=False)
    assert parse_yaml(text, "x.yml") == (doc, [])


# --- the anchor/tag gate never hides one ------------------------------------------------------

PROPERTY_TOKENS = st.sampled_from(
    [*" \n\n  -:#,[]{}|>'\"?aZ王", "&a", "*a", "!t", "!!str ", "! ", "- ", ": ", "  ", "\n  "]
)


def properties_in(text: str) -> bool:
    """Ground truth: does libyaml's own event stream (up to any error) carry one?"""
    found = False
    try:
        for ev in yaml.parse(text, Loader=yaml.CBaseLoader):
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None) is not None:
                found = True
            if getattr(ev, "tag", None) is not None:
                found = True
    except yaml.YAMLError:
        pass
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(PROPERTY_TOKENS, max_size=30).map("".join))
def test_every_anchor_alias_and_tag_is_reported(text: str) -> None:
    if properties_in(text):
        codes = {d.code for d in parse_yaml(text, "x.yml")[1]}
        assert codes & {"Y004", "Y005"}, text

"""Read data files: bytes → text → plain Python values, with every YAML problem as a diagnostic.

DESIGN §4: UTF-8 only, every scalar stays a string, no duplicate keys, anchors, aliases or
tags, and Chinese input-method slips get their own diagnostics.

Two cheap gates look at every text first: one for input-method slips, one for anything that
could be an anchor, alias or tag (both ``str.find`` for a few characters, then a look at the
lines they are on).  Text they pass may take the rapidyaml express lane
(:mod:`zhilian.read.fast`); otherwise libyaml's C composer builds nodes, converted to plain
values by a lean loop, and the slow work (slip repair, an event scan for anchors and tags,
positions) is done only where a gate fired.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml._yaml import CParser  # type: ignore[import-not-found]  # libyaml; required
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode

from zhilian.diagnostics import Diagnostic, error
from zhilian.read.fast import MISS, fast_parse

_BOM = codecs.BOM_UTF8


class _Composer(CParser):  # type: ignore[misc]
    """libyaml composition with the resolver switched off.

    The C composer calls these three hooks for every node.  Built-in callables avoid a Python
    frame per call (about a third of the composition time): ``slice(kind, value, implicit)``
    stands in for a tag we never use, ``{}.get(parent, index)`` and ``tuple()`` are no-ops.
    Explicit tags are found by the event scan, not through ``node.tag``.
    """

    resolve = slice
    descend_resolver = {}.get  # a bound builtin method, not shared mutable state
    ascend_resolver = tuple


# ---------------------------------------------------------------------------------------------
# bytes → text


def decode(raw: bytes, rel: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (BOM tolerated) → text with LF line ends, or Y001 at the first undecodable byte."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(raw, exc.start, rel)]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, []


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _not_utf8(raw: bytes, bad: int, rel: str) -> Diagnostic:
    breaks = list(_LINE_BREAK.finditer(raw, 0, bad))
    line = len(breaks) + 1
    line_start = breaks[-1].end() if breaks else 0
    # Everything before the first bad byte is valid UTF-8, so it decodes to count columns.
    col = len(raw[line_start:bad].decode("utf-8", "replace")) + 1
    hint = ""
    where = f"第 {line} 行第 {col} 列起"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        message = f"文件似乎是 UTF-16 编码，不是 UTF-8（{where}无法按 UTF-8 读取）"
    else:
        try:
            looks_gb = bool(re.search(r"[\u3400-\u9fff]", raw.decode("gb18030")))
        except UnicodeDecodeError:
            looks_gb = False
        if looks_gb:
            message = f"文件似乎是 GBK/GB18030 编码，不是 UTF-8（{where}无法按 UTF-8 读取）"
            hint = (
                "请另存为 UTF-8：记事本“文件 → 另存为”，编码选“UTF-8”；WPS/VS Code 点右下角的"
                "“GBK”，选“通过编码重新打开 → GBK”，再选“通过编码保存 → UTF-8”。"
                "在 GitHub 网页上编辑时，请把内容复制到新文件里重新粘贴。"
            )
        else:
            message = f"文件不是 UTF-8 编码：{where}有无法识别的字节"
    return error("Y001", rel, message, hint=hint, line=line, col=col)


def read_file(path: Path | str, rel: str, max_bytes: int) -> tuple[str | None, list[Diagnostic]]:
    """Read and decode one data file; the size is checked before anything is read."""
    raw, diags = read_bytes(path, rel, max_bytes)
    return (None, diags) if raw is None else decode(raw, rel)


#: how a data file is opened: not through a symbolic link (``ELOOP``: told apart below), and
#: without waiting for a writer when it is a named pipe
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_bytes(path: Path | str, rel: str, max_bytes: int) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of one data file (a regular file within ``max_bytes``), else why not.

    One ``open``, ``fstat``, ``read`` and ``close`` (Python's ``open`` added an ``lstat``
    before, and a terminal check and a seek: 0.15 s of the 23,000 files of a province)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return None, [_not_a_file(rel, path) or _unreadable(rel, exc)]
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, [_not_a_file(rel, path) or _unreadable(rel, OSError())]
        if st.st_size > max_bytes:
            return None, [_too_big(rel, st.st_size, max_bytes)]
        raw = _read_at_most(fd, max_bytes + 1, st.st_size)  # it may have grown since
    except OSError as exc:
        return None, [_unreadable(rel, exc)]
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        return None, [_too_big(rel, len(raw), max_bytes)]
    return raw, []


def _read_at_most(fd: int, limit: int, expected: int) -> bytes:
    """Up to ``limit`` bytes of ``fd``, asked for in pieces of the size ``fstat`` gave and
    one more byte (a buffer of ``limit`` bytes for each small file would cost more).  Fewer
    bytes than asked for that make up that size are the end: no call to hear it again
    (23,000 of them in a province's load); a file that grew since gives the byte more."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        asked = min(limit - size, expected + 1)
        part = os.read(fd, asked)
        if not part:
            break
        parts.append(part)
        size += len(part)
        if size == expected and len(part) < asked:
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _not_a_file(rel: str, path: Path | str) -> Diagnostic | None:
    """Y015 for a symbolic link, folder or special file (``lstat``: a link is not followed);
    None for a regular file or none at all."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return None
    kind = "符号链接" if stat.S_ISLNK(st.st_mode) else "文件夹"
    if not stat.S_ISLNK(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        kind = "特殊文件"
    return error("Y015", rel, f"这不是普通文件，而是{kind}", line=1, col=1)


def _too_big(rel: str, size: int, max_bytes: int) -> Diagnostic:
    return error("Y010", rel, f"文件有 {size} 字节，超过了上限 {max_bytes} 字节", line=1, col=1)


def _unreadable(rel: str, exc: OSError) -> Diagnostic:
    reason = exc.strerror or type(exc).__name__
    return error("Y015", rel, f"无法读取文件（{reason}）", line=1, col=1)


# ---------------------------------------------------------------------------------------------
# text → value


def parse_yaml(text: str, rel: str, line_offset: int = 0) -> tuple[object | None, list[Diagnostic]]:
    """Parse one YAML document into dicts, lists, strings and None (empty plain scalars).

    Returns ``(value, [])`` or ``(None, diagnostics)``: every slip, duplicate key, anchor,
    alias and tag in the text is reported, plus the first syntax error libyaml meets.
    Lines and columns are 1-based; ``line_offset`` is added to lines (front matter).
    """
    slips, src = _find_slips(text)  # src: the text with its slips repaired
    maybe_properties = _may_have_properties(src)
    if not slips and not maybe_properties:
        # Clean text takes the express lane (zhilian.read.fast) — only once the slip and
        # anchor/tag gates here have found nothing: both cost microseconds.
        value = fast_parse(text)
        if value is not MISS:
            return value, []
    diags = [error(c, rel, m, line=ln, col=co) for c, ln, co, m in slips]
    slip_lines = frozenset(ln for _, ln, _, _ in slips)

    has_alias = False
    if maybe_properties:
        props, has_alias = _scan_properties(src, rel)
        diags.extend(props)

    node = None
    try:
        node = _Composer(src).get_single_node()
    except yaml.YAMLError as exc:
        syntax = _syntax_error(exc, src, rel)
        if syntax is not None and isinstance(exc, yaml.MarkedYAMLError):
            syntax = _runaway_quote(src, rel, exc) or syntax
        if syntax is not None and slips:
            # A tab or U+3000 may have stood for 4 spaces, not 2, or for nothing: if another
            # repair parses, the error was the slip's, not a second problem.
            for width in (4, 1, 8, 0):
                try:
                    node = _Composer(_find_slips(text, width)[1]).get_single_node()
                except (yaml.YAMLError, UnicodeEncodeError):
                    continue
                syntax = None
                break
        if syntax is not None and syntax.code == "Y004" and any(d.code == "Y004" for d in diags):
            syntax = None
        if syntax is not None and syntax.line not in slip_lines:
            diags.append(syntax)
    except UnicodeEncodeError as exc:  # a lone surrogate: not text that came from a file
        line, col = _line_col(src, exc.start)
        diags.append(error("Y002", rel, "文件里有无效的字符（孤立的代理码位）", line=line, col=col))
    else:
        if node is None or (node.__class__ is ScalarNode and not node.value and not node.style):
            # Only comments and blank lines: that is the problem (slips in them are noise).
            empty = [_empty(rel), *(d for d in diags if d.code in ("Y004", "Y005"))]
            return None, _shift(empty, line_offset)

    value: object | None = None
    if node is not None:
        errs: list[Diagnostic] = []
        try:
            if has_alias:
                value = _build_guarded(node, errs, rel, src, set())
            else:
                value = _build(node, errs, rel, src)
        except RecursionError:
            errs = [error("Y002", rel, "嵌套的层数太多", line=1, col=1)]
        diags.extend(errs)
    if diags:
        diags.sort(key=lambda d: (d.line, d.col))
        return None, _shift(diags, line_offset)
    return value, []


def read_yaml(
    path: Path, rel: str, max_bytes: int, *, require_mapping: bool = True
) -> tuple[object | None, str | None, list[Diagnostic]]:
    """read_file + parse_yaml (+ Y012 unless the top level is a mapping) → (value, text, diags).

    The text is returned so that :func:`zhilian.read.positions.locate` can later place
    schema diagnostics without reading the file again.
    """
    text, diags = read_file(path, rel, max_bytes)
    if text is None:
        return None, None, diags
    value, diags = parse_yaml(text, rel)
    if require_mapping and value is not None and not isinstance(value, dict):
        return None, text, [top_level_not_mapping(text, rel, value)]
    return value, text, diags


def top_level_not_mapping(
    text: str, rel: str, value: object, line_offset: int = 0, where: str = "文件"
) -> Diagnostic:
    """Y012 at the first line with content (the top-level node starts there)."""
    m = _FIRST_CONTENT.search(text)
    line = text.count("\n", 0, m.start()) + 1 if m else 1
    col = len(m.group(1)) + 1 if m else 1
    shape = "列表（以 - 开头的行）" if isinstance(value, list) else "单个值"
    return error(
        "Y012",
        rel,
        f"{where}最外层是{shape}，应当是“键: 值”形式的映射",
        line=line + line_offset,
        col=col,
    )


_FIRST_CONTENT = re.compile(r"^([ \t]*)(?!---)[^\s#]", re.M)


def _empty(rel: str) -> Diagnostic:
    return error("Y011", rel, "文件里没有内容（只有空行或注释）", line=1, col=1)


def _shift(diags: list[Diagnostic], line_offset: int) -> list[Diagnostic]:
    if line_offset:
        for d in diags:
            d.line += line_offset
    return diags


def _where(text: str, mark: Any) -> tuple[int, int]:
    """A libyaml mark → 1-based (line, col) as editors and GitHub count lines.

    libyaml also breaks lines at NEL, LS and PS (U+0085, U+2028, U+2029) and at a lone CR; a
    file with one of those pasted into it is counted by the character index instead.
    """
    if "\u2028" in text or "\x85" in text or "\u2029" in text or "\r" in text:
        return _line_col(text, mark.index)
    return mark.line + 1, mark.column + 1


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


# --- node → value ----------------------------------------------------------------------------
#
# ``style`` is '' for plain scalars and a quote/indicator character otherwise, so
# ``v.value or v.style`` is falsy exactly for an empty plain scalar (``key:``) → None.
# Duplicate keys make the dict shorter than the pair list: one len() comparison per mapping
# instead of a membership test per key.


def _build(node: Any, errs: list[Diagnostic], rel: str, text: str) -> object | None:
    cls = node.__class__
    if cls is ScalarNode:
        v = node.value
        return v if v or node.style else None
    if cls is MappingNode:
        pairs = node.value
        mark = len(errs)
        try:
            d = {
                k.value: (v.value if v.value or v.style else None)
                if v.__class__ is ScalarNode
                else _build(v, errs, rel, text)
                for k, v in pairs
            }
        except TypeError:  # a list or mapping used as a key is unhashable
            del errs[mark:]  # the slow path below visits the values again
            return _build_mapping_slow(pairs, errs, rel, text, None)
        if len(d) != len(pairs):
            _report_duplicates(pairs, errs, rel, text)
        return d
    return [
        (x.value if x.value or x.style else None)
        if x.__class__ is ScalarNode
        else _build(x, errs, rel, text)
        for x in node.value
    ]


def _build_guarded(
    node: Any, errs: list[Diagnostic], rel: str, text: str, seen: set[int]
) -> object | None:
    """Like _build, for documents with aliases: a node met twice is not expanded again.

    Aliases are already reported (Y004); this only keeps a billion-laughs file linear.
    """
    cls = node.__class__
    if cls is ScalarNode:
        return node.value if node.value or node.style else None
    if id(node) in seen:
        return None
    seen.add(id(node))
    if cls is MappingNode:
        return _build_mapping_slow(node.value, errs, rel, text, seen)
    return [_build_guarded(x, errs, rel, text, seen) for x in node.value]


def _build_mapping_slow(
    pairs: list[tuple[Any, Any]],
    errs: list[Diagnostic],
    rel: str,
    text: str,
    seen: set[int] | None,
) -> dict[str, object | None]:
    d: dict[str, object | None] = {}
    for k, v in pairs:
        if k.__class__ is not ScalarNode:
            line, col = _where(text, k.start_mark)
            message = "键必须是一段简单的文字，不能是列表或映射"
            errs.append(error("Y002", rel, message, line=line, col=col))
            continue
        if seen is None:
            d[k.value] = _build(v, errs, rel, text)
        else:
            d[k.value] = _build_guarded(v, errs, rel, text, seen)
    if len(d) != len(pairs):
        _report_duplicates(pairs, errs, rel, text)
    return d


def _report_duplicates(
    pairs: list[tuple[Any, Any]], errs: list[Diagnostic], rel: str, text: str
) -> None:
    first: dict[str, int] = {}
    for k, _ in pairs:
        if k.__class__ is not ScalarNode:
            continue
        key = k.value
        line, col = _where(text, k.start_mark)
        if key in first:
            shown = key if len(key) <= 40 else key[:40] + "…"
            errs.append(
                error(
                    "Y003",
                    rel,
                    f"键“{shown}”重复了：第 {first[key]} 行已经写过一次",
                    line=line,
                    col=col,
                    extra={"key": key, "first_line": first[key]},
                )
            )
        else:
            first[key] = line


# --- anchors, aliases, tags ------------------------------------------------------------------
#
# The gate (_may_have_properties) must never miss one — tests/read/test_properties.py checks
# it against libyaml's own event stream on generated text; when it fires, the event scan
# (_scan_properties) is the authority and reports each one with its position.

_MSG_ALIAS = "这里用了别名（*），YAML 别名不允许使用"
_MSG_ANCHOR = "这里定义了锚点（&），YAML 锚点不允许使用"
_MSG_TAG = "这里用了 YAML 标签“{}”，标签不允许使用"


def _may_have_properties(text: str) -> bool:
    """Could the text hold an anchor, alias or tag?  Over-approximates, never misses one.

    A property can only start a node (`a&b` in a URL or `欢迎!` is inside a scalar), and an
    anchor or alias needs a name (a Markdown `* item` or ` & ` names nothing).  A candidate in
    block-scalar text, a comment, a quoted string or the middle of a plain scalar is text too:
    Markdown such as ``**加粗**`` in an intro then costs no event scan.
    """
    hits: list[int] = []
    for c in "&*!":
        pos = text.find(c)
        while pos >= 0:
            if (pos == 0 or text[pos - 1] in _NODE_START) and (
                c == "!" or text[pos + 1 : pos + 2] not in _NO_NAME
            ):
                hits.append(pos)
            pos = text.find(c, pos + 1)
    if not hits:
        return False
    hits.sort()
    lines = text.split("\n")
    # The line scanner runs from the top (a flow collection may even continue in column 0),
    # once, up to the last candidate: Markdown in an intro near the top costs a few lines.
    state = _State()
    line_no = counted_to = scanned = 0
    for pos in hits:
        line_no += text.count("\n", counted_to, pos)
        counted_to = pos
        _scan_lines(lines, None, scanned, line_no, [], st=state, exact=True)
        scanned = line_no
        col = pos - (text.rfind("\n", 0, pos) + 1)
        if not _is_text_at(lines[line_no], col, state):
            return True
    return False


def _is_text_at(line: str, col: int, before: _State) -> bool:
    """Is line[col] certainly scalar text or a comment (so not a node property)?

    ``before`` is what the line scanner says the line starts inside of.
    """
    st = before.copy()
    kind, lead = _enter_line(line, st, _YAML_LEAD)
    if kind == "quote":
        end = _closing_quote(line, 0, st.quote)  # type: ignore[arg-type]
        return end < 0 or col < end
    if kind == "flow":
        return False  # inside [ ] or { } over several lines: let the event scan decide
    if kind in ("block", "plain"):
        return True
    if line.startswith("...") and _DOC_MARKER.match(line):
        return False
    rest = line[len(lead) :]
    if rest.startswith("#"):
        return True
    if col <= len(lead):
        return False  # where a node starts
    value_at = len(lead) + _node_indicators(line, lead, rest)
    if col == value_at:
        return False
    key = _KEY.match(line, value_at)
    value_at = key.end() if key else value_at
    if col == value_at:
        return False
    if col < value_at:
        return True  # inside the key
    props_end = _PROPS.match(line, value_at).end()  # type: ignore[union-attr]
    if col <= props_end:
        return False  # a second property (`&a !t x`)
    first = line[props_end : props_end + 1]
    if first in ("[", "{"):
        return False
    if first in ("'", '"'):
        end = _closing_quote(line, props_end + 1, first)
        return end < 0 or col < end
    return True  # inside a plain scalar, or its comment


_NODE_START = frozenset(" \t\n[{,:?")
_NO_NAME = frozenset(("", " ", "\t", "\n", ",", "[", "]", "{", "}"))
_MAX_PROP_REPORTS = 10  # an alias bomb has dozens: the first ten and a count are enough


def _scan_properties(text: str, rel: str) -> tuple[list[Diagnostic], bool]:
    """Report every anchor, alias and explicit tag (event scan: nothing gets expanded)."""
    found: list[tuple[str, int, int, str]] = []
    has_alias = False
    parser = _Composer(text)
    try:
        while True:
            ev = parser.get_event()
            cls = ev.__class__
            if cls is StreamEndEvent:
                break
            line, col = _where(text, ev.start_mark)
            if cls is AliasEvent:
                has_alias = True
                found.append(("Y004", line, col, _MSG_ALIAS))
            elif cls is ScalarEvent or cls is MappingStartEvent or cls is SequenceStartEvent:
                if ev.anchor is not None:
                    found.append(("Y004", line, col, _MSG_ANCHOR))
                if ev.tag is not None:
                    tag = ev.tag.replace("tag:yaml.org,2002:", "!!")
                    tag = tag if len(tag) <= 40 else tag[:40] + "…"
                    found.append(("Y005", line, col, _MSG_TAG.format(tag)))
    except (yaml.YAMLError, UnicodeEncodeError):
        pass  # the composer meets the same syntax error and reports it
    diags: list[Diagnostic] = []
    for code in ("Y004", "Y005"):
        mine = [f for f in found if f[0] == code]
        for c, ln, co, msg in mine[:_MAX_PROP_REPORTS]:
            diags.append(error(c, rel, msg, line=ln, col=co))
        if len(mine) > _MAX_PROP_REPORTS:
            _, ln, co, _ = mine[_MAX_PROP_REPORTS]
            more = len(mine) - _MAX_PROP_REPORTS
            diags.append(error(code, rel, f"从这里起还有 {more} 处同样的问题", line=ln, col=co))
    return diags, has_alias


# --- syntax errors ---------------------------------------------------------------------------

_HINT_CONTROL = "这种看不见的字符常见于从网页、Word 或微信复制的文字：删掉它，或重新输入这一段。"
_HINT_QUOTES = '引号要成对：以 " 开头的值要以 " 结尾；值里本身有引号时，外面改用另一种引号。'
_MSG_TAB_SYNTAX = "缩进里有 Tab 制表符，请换成空格"
_MSG_TAG_TEXT = "以 ! 开头的值会被当成标签：这是文字时请用引号括起来"
_SIMPLE_PROBLEMS: dict[str, str] = {
    "mapping values are not allowed in this context": (
        "这里不能出现“键: 值”：可能是上一行缺少冒号或缩进不对；值里含有“: ”时请用引号括起来"
    ),
    "mapping values are not allowed here": (
        "这里不能出现“键: 值”：可能是上一行缺少冒号或缩进不对；值里含有“: ”时请用引号括起来"
    ),
    "found character that cannot start any token": (
        "这个字符不能放在值的开头（如 @ ` % 或 Tab）：含有特殊字符的值请用引号括起来"
    ),
    "did not find expected key": "这一行和上面同一层的“键: 值”没有对齐，或者一行里多写了内容",
    "did not find expected node content": "这里缺少内容：检查是否多写了逗号、冒号或 - 号",
    "did not find expected '-' indicator": (
        "列表各项（以 - 开头的行）缩进不一致，或列表后面混进了“键: 值”"
    ),
    "did not find expected <document start>": (
        "文件的顶层缩进不一致（第一层的键不要缩进），或多写了一行 ..."
    ),
    "block sequence entries are not allowed in this context": (
        "这里不能开始一个列表（- ）：检查缩进；以 - 开头的值请用引号括起来"
    ),
    "found a tab character that violates indentation": _MSG_TAB_SYNTAX,
    "found a tab character where an indentation space is expected": _MSG_TAB_SYNTAX,
    "found unknown escape character": (
        "双引号里有无效的反斜杠转义：把 \\ 写成 \\\\，或者改用单引号"
    ),
    "exceeded maximum nesting depth": "嵌套的层数太多",
    "found an indentation indicator equal to 0": "块标量（| 或 >）后面的缩进数字不能是 0",
    "mapping keys are not allowed in this context": (
        "以 ? 开头会被当成复杂的键：这是文字时请用引号括起来"
    ),
    "found unexpected ':'": "这里的冒号位置不对：值里含有冒号时请用引号括起来",
    "found undefined tag handle": _MSG_TAG_TEXT,
}
#: libyaml's problems by what it was scanning (the problem alone says too little)
_CONTEXT_PROBLEMS: dict[str, str] = {
    "while scanning a block scalar": (
        "| 或 > 的同一行后面不能接着写内容：把内容移到下一行并缩进（| 和 > 后面只能跟 - 、+、"
        "数字或 # 注释）"
    ),
    "while scanning a directive": "以 % 开头的行会被当成 YAML 指令：这是文字时请用引号括起来",
    "while scanning a tag": _MSG_TAG_TEXT,
    "while parsing a tag": _MSG_TAG_TEXT,
}


def _syntax_error(exc: yaml.YAMLError, text: str, rel: str) -> Diagnostic | None:
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 encoding of the text.
        index = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        line, col = _line_col(text, index)
        ch = exc.character
        code_point = f"U+{ch:04X}" if isinstance(ch, int) else repr(ch)
        message = f"文件里有不允许的控制字符（{code_point}），请删除它"
        return error("Y002", rel, message, hint=_HINT_CONTROL, line=line, col=col)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return error("Y002", rel, f"YAML 语法错误：{exc}", line=1, col=1)
    problem = exc.problem or ""
    context = exc.context or ""
    pm, cm = exc.problem_mark, exc.context_mark
    if problem in ("found undefined alias", "second occurrence") or (
        "anchor" in context or "alias" in context
    ):
        # Usually the event scan has reported it already (the caller drops this one then);
        # a malformed `&` or `*` stops the event scan too, and then this is the report.
        mark = cm or pm
        line, col = _where(text, mark) if mark is not None else (1, 1)
        return error("Y004", rel, "这里的 & 或 * 被当成了锚点或别名", line=line, col=col)
    mark = pm or cm
    if pm is not None and cm is not None and pm.index >= len(text.rstrip()):
        mark = cm  # libyaml gave up at the end of the file: point where the open thing began
    ctx_line = _where(text, cm)[0] if cm is not None else 0
    hint = ""  # the code's default hint (indentation and colons)
    if "expected a single document" in context:
        hint = "除了文件开头，不要再写 --- 行：每位团干部一个文件，每条活动记录一个文件。"
        message = (
            f"一个文件只能有一个 YAML 文档，第 {_where(text, mark)[0]} 行的 --- 开始了第二个文档："
            "删除多余的 --- 行（文件开头的 --- 可以保留）"
        )
    elif context.startswith("while scanning a quoted scalar") and problem in (
        "found unexpected end of stream",
        "found unexpected document indicator",
    ):
        mark = cm or pm
        message = "这里的引号没有闭合：在值的末尾补上同样的引号（\" 或 '）"
        hint = _HINT_QUOTES
    elif problem == "could not find expected ':'":
        mark = cm or pm  # the key missing its colon, not the next line libyaml stopped at
        message = "这一行缺少冒号：写成“键: 值”，冒号用半角“:”，冒号后加一个空格"
    elif problem.startswith("did not find expected ','"):
        bracket = "[" if "]" in problem else "{"
        hint = "方括号和花括号要成对，里面的项用半角逗号隔开，如 [math, cs]。"
        message = (
            f"第 {ctx_line} 行的 {bracket} 没有闭合，或者其中的项之间缺少半角逗号“,”"
            if ctx_line
            else f"{bracket} 没有闭合，或者其中的项之间缺少半角逗号“,”"
        )
    elif problem in _SIMPLE_PROBLEMS:
        message = _SIMPLE_PROBLEMS[problem]
    elif context in _CONTEXT_PROBLEMS:
        message = _CONTEXT_PROBLEMS[context]
    else:
        message = f"YAML 语法错误（{problem or context}）"
    line, col = _where(text, mark) if mark is not None else (1, 1)
    return error("Y002", rel, message, hint=hint, line=line, col=col)


def _runaway_quote(text: str, rel: str, exc: yaml.MarkedYAMLError) -> Diagnostic | None:
    """A quote left open swallows lines until the next quote, where libyaml then fails.

    Point at the line that opened it instead of the confusing place libyaml stopped.
    """
    pm = exc.problem_mark
    if pm is None:
        return None
    last = None
    parser = _Composer(text)
    try:
        while True:
            ev = parser.get_event()
            if ev.__class__ is StreamEndEvent:
                break
            if ev.__class__ is ScalarEvent:
                last = ev
    except (yaml.YAMLError, UnicodeEncodeError):
        pass
    if last is None or last.style not in ('"', "'"):
        return None
    if last.start_mark.line == last.end_mark.line or last.end_mark.line != pm.line:
        return None
    (line, col), end = _where(text, last.start_mark), _where(text, last.end_mark)[0]
    message = f"第 {line} 行的引号直到第 {end} 行才闭合：第 {line} 行的值可能少了结尾的引号"
    return error("Y002", rel, message, hint=_HINT_QUOTES, line=line, col=col)


# --- input-method slips ----------------------------------------------------------------------
#
# str.find locates the few characters a slip is made of; each hit is checked against its own
# line (is it in the indentation, right after a key, after an open bracket?).  Only when one
# looks like a slip does the line scanner run, and only over the top-level section around it
# (from the previous line that starts in column 0 to the next), because whether a line is
# block-scalar text, a quoted continuation or part of a flow list depends on what precedes
# it.  Slips are reported per line; the text is repaired and parsed again, so a slip never
# also shows up as a generic Y002.

_MSG_Y006 = "“{}”后面用了全角冒号“：”，YAML 只认半角冒号“:”"
_MSG_Y007 = "{}里用了全角{}，分隔符要用半角逗号“,”"
_MSG_Y008 = "这一行的缩进里有全角空格（U+3000），YAML 只认半角空格"
_MSG_Y009 = "这一行的缩进里有 Tab 制表符，YAML 只允许用空格缩进"
_TRIGGERS = "\t\u3000：，；[{"
_LEAD_ONLY = re.compile(r"[ \t\u3000-]*")
_KEY_CHARS = re.compile(r"[\w-]*")
_FLOW_KEY = re.compile(r"[ \t]*[\w-]+[ \t]*")
_LEAD = re.compile(r"[ \t\u3000]*(?:-(?:[ \t\u3000]+|$)[ \t\u3000]*)*")
_YAML_LEAD = re.compile(r"[ \t]*(?:-(?:[ \t]+|$)[ \t]*)*")  # what libyaml skips (no U+3000)
_FW_KEY = re.compile(r"([\w-]+)[ \t]*：")
_FW_KEY_ASCII = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_WORD = re.compile(r"[\w-]+")
_HALF_SEP = re.compile(r":(?:[ \t]|$)")
_KEY = re.compile(
    r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^ \t\n"'#\[\]{},|>&*!][^\n]*?)[ \t]*:(?:[ \t]+|$)"""
)
_BLOCK_HEADER = re.compile(r"(?:[&!][^ \t]*[ \t]+)*[|>][0-9+-]{0,2}[ \t]*(?:#.*)?")
# `? key`, `: value` and dashes after them (PyYAML writes long keys with `? `)
_INDICATORS = re.compile(r"(?:[-?:](?:[ \t]+|$))*")
_PROPS = re.compile(r"(?:[&!*][^ \t]*(?:[ \t]+|$))*")  # anchors, tags (and an alias)
_QUOTED = re.compile(r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')""")
_BEFORE_COMMENT = re.compile(r"(?:[^#]|(?<![ \t])#)*")

Slip = tuple[str, int, int, str]  # code, line, col, message


def _key_before(prefix: str) -> bool:
    """``prefix`` (a line up to a "："): a word, after the line's indentation and dashes or
    after "{" or ",", and blanks — as if a key.  Taken apart with string methods: as one
    pattern, the dashes both part of the word and before it, a line of n dashes took n²
    steps (50,000 of them, 40 s)."""
    body = prefix.rstrip(" \t")
    word = body.lstrip(" \t\u3000-")  # (its dashes too: they may as well be the word's)
    if body and _KEY_CHARS.fullmatch(word) and (word or body.endswith("-")):
        return True
    opener = max(prefix.rfind("{"), prefix.rfind(","))
    return opener >= 0 and _FLOW_KEY.fullmatch(prefix, opener + 1) is not None


def _opens_unclosed(text: str, start: int) -> bool:
    """The line from ``start`` has a "[" or "{" that more brackets open than close after.
    Counted once a line from its end, opener by opener (counting from each of 20,000 on a
    line took 5 s)."""
    end = text.find("\n", start)
    pos = len(text) if end < 0 else end
    balance = 0  # opened minus closed, from the opener last found to the line's end
    while (at := max(text.rfind("[", start, pos), text.rfind("{", start, pos))) >= 0:
        balance += 1 - text.count("]", at, pos) - text.count("}", at, pos)
        if balance > 0:
            return True
        pos = at
    return False


def _suspicious_lines(text: str) -> list[int]:
    """0-based indexes of lines that may hold a slip (a cheap over-approximation)."""
    hits: list[int] = []
    for c in _TRIGGERS:  # str.find is much faster than a regex character class
        pos = text.find(c)
        while pos >= 0:
            hits.append(pos)
            pos = text.find(c, pos + 1)
    if not hits:
        return []
    hits.sort()
    found: list[int] = []
    line_no = counted_to = 0
    last_start = brackets_judged = line_end = -1
    for pos in hits:
        if pos > line_end:  # the first hit on its line (the hits are in order)
            start = text.rfind("\n", 0, pos) + 1
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
        if start == last_start:
            continue  # this line is already in
        c = text[pos]
        if c in "[{":  # an opening bracket not closed on its line: a flow list over lines
            if start == brackets_judged:
                continue  # (this line's every bracket is judged with its first)
            brackets_judged = start
            hit = _opens_unclosed(text, start)
        elif c in "，；":
            hit = text.find("[", start, pos) >= 0 or text.find("{", start, pos) >= 0
        elif c == "：":
            hit = _key_before(text[start:pos])
        else:
            hit = _LEAD_ONLY.fullmatch(text, start, pos) is not None
        if hit:
            line_no += text.count("\n", counted_to, start)
            counted_to = last_start = start
            found.append(line_no)
    return found


def _starts_section(line: str) -> bool:
    # Column-0 content ends any block scalar, quoted text or flow list in block context.
    return bool(line) and line[0] not in " \t\u3000#"


def _find_slips(text: str, width: int = 2) -> tuple[list[Slip], str]:
    """Return the slips and the text with each one repaired (same number of lines).

    A tab or U+3000 in the indentation is replaced by ``width`` spaces (U+3000 is drawn two
    columns wide; a tab is as wide as the editor says).
    """
    suspicious = _suspicious_lines(text)
    if not suspicious:
        return [], text
    lines = text.split("\n")
    fixed: dict[int, str] = {}
    slips: list[Slip] = []
    scanned_to = 0
    for n in suspicious:
        if n < scanned_to:
            continue
        first = _section_start(lines, n, scanned_to)
        last = n + 1
        while last < len(lines) and not _starts_section(lines[last]):
            last += 1
        _scan_lines(lines, fixed, first, last, slips, " " * width)
        scanned_to = last
    if not slips:
        return [], text
    return slips, "\n".join(fixed.get(i, line) for i, line in enumerate(lines))


class _State:
    """What the next line starts inside of, as far as the line scanner can tell."""

    __slots__ = ("block", "flow", "flow_plain", "plain", "quote")

    def __init__(self) -> None:
        self.block: int | None = None  # a block scalar: its text is indented more than this
        self.plain: int | None = None  # a plain scalar, continued by lines indented more
        self.quote: str | None = None  # a quoted scalar running over lines
        self.flow: list[str] = []  # [ ] / { } running over lines: the open brackets
        self.flow_plain = False  # ... with a plain item going on on the next line

    def copy(self) -> _State:
        other = _State()
        other.block, other.plain, other.quote = self.block, self.plain, self.quote
        other.flow, other.flow_plain = list(self.flow), self.flow_plain
        return other


_FLOW_KEY_SEP = re.compile(r"[ \t]*:[ \t]+")
_DOC_MARKER = re.compile(r"(?:---|\.\.\.)(?=[ \t]|$)")


def _enter_line(line: str, st: _State, lead_re: re.Pattern[str]) -> tuple[str, str]:
    """Classify where ``line`` starts — "quote", "flow", "block", "plain" or "line" (a new
    block-context line) — updating ``st`` for what ends here; returns (kind, lead)."""
    if _DOC_MARKER.match(line):  # --- or ... in column 0 ends everything
        st.block = st.plain = st.quote = None
        st.flow.clear()
        st.flow_plain = False
        return "line", ""
    if st.quote is not None:
        return "quote", ""
    if st.flow:
        return "flow", ""
    lead = lead_re.match(line).group()  # type: ignore[union-attr]  # matches ''
    rest = line[len(lead) :]
    blank = not line.strip(" \t")
    spaces = len(line) - len(line.lstrip(" "))
    if st.block is not None:
        if blank or spaces > st.block:
            return "block", lead
        st.block = None
    if st.plain is not None:
        if blank or (spaces > st.plain and not rest.startswith("#")):
            return "plain", lead
        st.plain = None
    return "line", lead


def _scan_lines(
    lines: list[str],
    out: dict[int, str] | None,
    first: int,
    last: int,
    slips: list[Slip],
    indent: str = "  ",
    st: _State | None = None,
    exact: bool = False,
) -> _State:
    """The line scanner over lines[first:last] (from outside everything, unless ``st``).

    Reports slips and puts repaired lines in ``out``; returns the state after the last line.
    ``exact``: follow YAML only — U+3000 is not indentation, `：，；` are text (to tell
    where anchors and tags can be, in text that has had its slips repaired or has none).
    """
    st = st if st is not None else _State()
    lead_re = _YAML_LEAD if exact else _LEAD
    for i in range(first, last):
        line = lines[i]
        lineno = i + 1
        fixes: dict[int, str] = {}
        kind, lead = _enter_line(line, st, lead_re)
        if kind == "quote":
            end = _closing_quote(line, 0, st.quote)  # type: ignore[arg-type]
            if end < 0:
                continue
            st.quote = None
            if st.flow:
                _scan_flow(line, end + 1, st, lineno, slips, fixes, exact)
        elif kind == "flow":
            # Inside [ ] or { } leading whitespace is not indentation (tabs are fine there).
            _scan_flow(line, 0, st, lineno, slips, fixes, exact)
        elif kind == "line":
            if line.startswith("...") and _DOC_MARKER.match(line):
                continue
            rest = line[len(lead) :]
            tab, ideo = lead.find("\t"), lead.find("\u3000")
            if tab >= 0:
                slips.append(("Y009", lineno, tab + 1, _MSG_Y009))
            if ideo >= 0:
                slips.append(("Y008", lineno, ideo + 1, _MSG_Y008))
            if rest and rest[0] != "#":
                _scan_block_line(line, lead, rest, lineno, slips, fixes, st, exact)
            if tab >= 0 or ideo >= 0:
                fixes[-1] = lead.replace("\t", indent).replace("\u3000", indent)
        # "block" and "plain": scalar text, where tabs, U+3000 and `：` are just text
        if fixes and out is not None:
            out[i] = _apply(line, fixes)
    return st


def _section_start(lines: list[str], n: int, floor: int = 0) -> int:
    while n > floor and not _starts_section(lines[n]):
        n -= 1
    return n


def _apply(line: str, fixes: dict[int, str]) -> str:
    """Replace single characters at the given indexes; key -1 replaces the indentation."""
    new_lead = fixes.pop(-1, None)
    j = 0
    new = ""
    if new_lead is not None:
        j = len(_LEAD.match(line).group())  # type: ignore[union-attr]
        new = new_lead
    for pos in sorted(fixes):
        new += line[j:pos] + fixes[pos]
        j = pos + 1
    return new + line[j:]


def _scan_block_line(
    line: str,
    lead: str,
    rest: str,
    lineno: int,
    slips: list[Slip],
    fixes: dict[int, str],
    st: _State,
    exact: bool,
) -> None:
    """One line in block context: its slips, and in ``st`` what the next lines continue."""
    start = len(lead)
    explicit = _node_indicators(line, lead, rest)
    if explicit:
        rest = rest[explicit:]
        start += explicit
    value_at = start
    m = None if explicit or exact else _FW_KEY.match(rest)
    if m and (not lead.strip() or _FW_KEY_ASCII.fullmatch(m.group(1))):
        after = rest[m.end() :]
        # `a：: x` has a real separator: the full-width colon belongs to the key.  Colons in
        # a comment, a quoted or a flow value (`校级：{youth: 100}`) do not count.
        if _is_value(after):
            colon = start + m.end() - 1
            slips.append(("Y006", lineno, colon + 1, _MSG_Y006.format(m.group(1))))
            fixes[colon] = ":" if after.startswith((" ", "\t")) else ": "
            value_at = colon + 1
            while value_at < len(line) and line[value_at] in " \t":
                value_at += 1
    if value_at == start:
        km = _KEY.match(rest)
        if km:
            value_at = start + km.end()
    value_at += _PROPS.match(line, value_at).end() - value_at  # type: ignore[union-attr]
    value = line[value_at:]
    if not value or value[0] == "#":
        return
    first = value[0]
    if first in "[{":
        _scan_flow(line, value_at, st, lineno, slips, fixes, exact)
    elif first in "\"'":
        if _closing_quote(line, value_at + 1, first) < 0:
            st.quote = first
    elif _BLOCK_HEADER.fullmatch(value):
        if value_at > start:  # `key: |` — the text is indented more than the key
            st.block = start
        elif explicit:  # `? |`: more than the indicator
            st.block = len(lead)
        else:
            # `- |`: more than the dash; a `|` alone on its line: more than the `|` (its
            # parent is on an earlier line; erring deeper only means a line is checked)
            st.block = lead.rfind("-") if "-" in lead else len(lead)
    elif value_at > start:  # `key: text` may go on over lines indented more than the key
        st.plain = start
    elif explicit:  # `? text`, `--- text`: more than the indicator
        st.plain = len(lead)
    else:  # `- text`: more than the dash; a bare scalar (top level): any line
        st.plain = lead.rfind("-") if "-" in lead else len(lead) - 1


def _node_indicators(line: str, lead: str, rest: str) -> int:
    """Length of `? ` / `: ` / `- ` indicators (and a `--- ` in column 0) opening ``rest``."""
    n = 0
    if not lead:
        marker = _DOC_MARKER.match(rest)
        if marker is not None and rest.startswith("---"):
            n = marker.end()
            n += len(rest) - n - len(rest[n:].lstrip(" \t"))
    return n + _INDICATORS.match(rest, n).end() - n  # type: ignore[union-attr]


_CLOSER = {"[": "]", "{": "}"}


def _after_flow(text: str) -> str | None:
    """What follows the bracketed values that open ``text`` (one, or several right after one
    another) once they close; None if one does not on this line, or closes the other kind
    first.  In one pass: bracket by bracket, a line of 20,000 nested ones took 5 s."""
    expected: list[str] = []
    for i, char in enumerate(text):
        if char in _CLOSER:
            expected.append(_CLOSER[char])
        elif char in "]}" and expected:
            if expected.pop() != char:
                return None
            if not expected and text[i + 1 : i + 2] not in _CLOSER:
                return text[i + 1 :]
    return None


def _is_value(text: str) -> bool:
    """After `key：`, is ``text`` a whole value (so the full-width colon was the separator)?

    `a：: x` is not: the real separator comes later and the colon belongs to the key.  A
    value that opens with a quote or bracket must close it and end there (`校级：{youth: 100}`
    is a value, `0：': ''` is the key `0：'`); colons in a comment never count.
    """
    text = text.lstrip(" \t")
    if text[:1] in ("'", '"'):
        quoted = _QUOTED.match(text)
        if quoted is None:
            return False
        text = text[quoted.end() :]
    elif text[:1] in ("[", "{"):
        rest = _after_flow(text)
        if rest is None:
            return False
        text = rest
    else:
        return not _HALF_SEP.search(_BEFORE_COMMENT.match(text).group())  # type: ignore[union-attr]
    return not _BEFORE_COMMENT.match(text).group().strip()  # type: ignore[union-attr]


def _closing_quote(line: str, i: int, quote: str) -> int:
    """Index of the quote that closes a scalar opened before ``i``, or -1."""
    n = len(line)
    while i < n:
        c = line[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and i + 1 < n and line[i + 1] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def _scan_flow(
    line: str,
    i: int,
    st: _State,
    lineno: int,
    slips: list[Slip],
    fixes: dict[int, str],
    exact: bool,
) -> None:
    """Scan a flow collection from ``i``, keeping ``st`` (open brackets, quote) up to date.

    With ``exact`` only YAML's own syntax counts (no `，` separators, no `：` slips).
    """
    flow = st.flow
    n = len(line)
    if not line[i:].strip(" \t"):
        return  # a blank line folds into whatever goes on
    node_start = i  # where the current item (or key) began
    continuing = st.flow_plain  # a plain item from the line before goes on here
    reported = False
    while i < n:
        c = line[i]
        if c in "[{":
            flow.append(c)
            node_start, continuing = i + 1, False
        elif c in "]}":
            if flow:
                flow.pop()
            if not flow:
                st.flow_plain = False
                # `{a: b}: [x,` — a flow collection as a key, and its value after it
                after = _FLOW_KEY_SEP.match(line, i + 1)
                if after is None or after.end() >= n or line[after.end()] not in "[{\"'":
                    return
                i = after.end()
                if line[i] in "\"'":
                    if _closing_quote(line, i + 1, line[i]) < 0:
                        st.quote = line[i]
                    return
                continue
            node_start, continuing = i + 1, False
        elif c == ",":
            node_start, continuing = i + 1, False
        elif c in "，；" and not exact:
            if not reported:
                what = "逗号“，”" if c == "，" else "分号“；”"
                kind = "方括号列表" if flow and flow[-1] == "[" else "花括号映射"
                slips.append(("Y007", lineno, i + 1, _MSG_Y007.format(kind, what)))
                reported = True
            fixes[i] = ","
            node_start, continuing = i + 1, False
        elif c == "：" and not exact and flow and flow[-1] == "{":
            key = line[node_start:i].strip(" \t")
            if _WORD.fullmatch(key):
                slips.append(("Y006", lineno, i + 1, _MSG_Y006.format(key)))
                fixes[i] = ": "
        elif c in "\"'":
            before = line[node_start:i].strip(" \t")
            if not continuing and (before in ("", "?") or before.endswith(":")):
                end = _closing_quote(line, i + 1, c)  # a quote opening an item
                if end < 0:
                    st.quote, st.flow_plain = c, False
                    return
                i = end
        elif c == "#" and (i == 0 or line[i - 1] in " \t[{,]}"):  # libyaml: also `[#`
            st.flow_plain = False
            return
        i += 1
    tail = line[node_start:].strip(" \t")  # a plain item may go on on the next line
    st.flow_plain = bool(tail) and tail[0] not in "\"'" and tail != "?" and not tail.endswith(":")

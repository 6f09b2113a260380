"""The handbook: ``docs/`` + ``mkdocs.yml`` built with MkDocs into ``site/public/guide/``.

Besides the hand-written chapters, four pages are generated at build time into a temporary
copy of ``docs/`` (the repository's ``docs/`` is never modified):

* ``reference/fields.md``       — every field of the data models (their Chinese titles and
                                   descriptions are the single source of truth);
* ``reference/rules.md``        — this deployment's numbers from ``site_config.yml`` and the
                                   named rules of :data:`zhilian.rules.RULES`;
* ``reference/diagnostics.md``  — every code in :data:`zhilian.diagnostics.CODES`;
* ``reference/metrics.md``      — ``zhilian.evaluation.metric_definitions_markdown(config)``.

MkDocs takes about a second, so the built handbook is cached under
``<root>/.zhilian-cache/handbook/<hash>/``; the hash covers everything that goes into it
(docs files, generated pages, ``mkdocs.yml``, settings taken from ``site_config.yml``,
the date, zhilian and MkDocs versions).  The cache directory is safe to delete.

Output is reproducible: ``SOURCE_DATE_EPOCH`` is set from ``result.today`` while MkDocs
runs (sitemap dates, the gzip header of ``sitemap.xml.gz``, the build-date comment).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import inspect
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import HttpUrl
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .diagnostics import CODES, Kind
from .model import types as ztypes
from .model.config import SiteConfig
from .model.data import (
    Branch,
    BranchesFile,
    Cadre,
    Committee,
    CommitteesFile,
    DormGroup,
    DormGroupsFile,
    NoteFront,
    SurveyResult,
)
from .model.enums import LabeledEnum, Level
from .model.fields import SchemaClass, fields_of, is_schema_class
from .write import link_tree, remove_abandoned, temporary_dir

MKDOCS_FILE = "mkdocs.yml"
DOCS_DIR = "docs"
CACHE_DIR = Path(".zhilian-cache") / "handbook"
KEEP_CACHED = 4  # cached builds kept per deployment (the newest ones)

# --- small Markdown helpers --------------------------------------------------------------------


def _text(value: object) -> str:
    """Plain text for Markdown: no raw HTML, no accidental emphasis, one line; ``code``
    (reStructuredText style, as in docstrings) becomes a Markdown code span."""
    text = re.sub(r"\s*\n\s*", " ", str(value)).replace("``", "`")
    parts = re.split(r"(`[^`]+`)", text)
    return "".join(
        part
        if part.startswith("`") and part.endswith("`") and len(part) > 1
        else html.escape(part, quote=False).replace("*", r"\*")
        for part in parts
    )


def _cell(value: object) -> str:
    """Text for a Markdown table cell (the ``|`` would end the cell)."""
    return _text(value).replace("|", r"\|")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# --- 1. field reference ------------------------------------------------------------------------

_MARKER = re.compile(r"^\s*(PUBLIC|PRIVATE)(（[^）]*）)?[，；,;：:]?\s*")
PUBLIC_LABEL = "公开"
PRIVATE_LABEL = "不公开"


def _special_types() -> dict[int, str]:
    """Identify the constrained string types of ``zhilian.model.types`` by their validators."""
    named = [
        (ztypes.UnitId, "编号（小写字母、数字和连字符）"),
        (ztypes.StudentId, "学号（文字，加引号）"),
        (ztypes.Phone, "电话号码（文字，加引号）"),
        (ztypes.Email, "电子邮箱地址"),
        (ztypes.QQ, "QQ 号（文字，加引号）"),
        (ztypes.WeChat, "微信号"),
        (ztypes.HttpsUrl, "网址（https:// 开头）"),
        (ztypes.GitHubLogin, "GitHub 账号"),
        (ztypes.NonBlank, "文字（不能为空）"),
    ]
    found: dict[int, str] = {}
    for alias, label in named:
        for meta in get_args(alias)[1:]:
            if not isinstance(meta, FieldInfo):
                found[id(meta)] = label
    return found


def _anchor(model: SchemaClass) -> str:
    return "model-" + model.__name__.lower()


def _model_title(model: SchemaClass) -> str:
    doc = inspect.getdoc(model) or ""
    if model.__doc__ is None or doc.startswith(("Usage docs", "A base class")):
        return model.__name__
    first = _MARKER.sub("", doc.split("\n", 1)[0]).strip()
    return re.split(r"[：:。]", first, maxsplit=1)[0] or model.__name__


def _enum_choices(enum: type[LabeledEnum]) -> str:
    labels = " | ".join(m.label for m in enum)
    keys = " | ".join(m.value for m in enum)
    return f"选项：{labels}（也可写英文：{keys}）"


class _TypeNamer:
    def __init__(self) -> None:
        self.special = _special_types()
        self.nested: list[SchemaClass] = []  # models met while naming, in order

    def name(self, annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
        for meta in metadata:
            if id(meta) in self.special:
                return self.special[id(meta)]
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *meta = get_args(annotation)
            return self.name(base, meta)
        if origin in (Union, types.UnionType):
            parts = [a for a in get_args(annotation) if a is not type(None)]
            return " 或 ".join(self.name(a) for a in parts)
        if origin is list:
            (item,) = get_args(annotation) or (Any,)
            return f"列表，每一项：{self.name(item)}"
        if origin is dict:
            key, value = get_args(annotation) or (Any, Any)
            return f"映射：{self._key_name(key)} → {self.name(value)}"
        if inspect.isclass(annotation):
            if issubclass(annotation, LabeledEnum):
                return _enum_choices(annotation)
            if is_schema_class(annotation):
                if annotation not in self.nested:
                    self.nested.append(annotation)
                return f"见“{_model_title(annotation)}”（下表）"
            if annotation is bool:
                return "是否（true 或 false）"
            if annotation is int:
                return "整数"
            if annotation is float:
                return "数字（可带小数）"
            if annotation is dt.date:
                return "日期（YYYY-MM-DD）"
            if annotation is str:
                return "文字"
            if annotation is HttpUrl:
                return "网址"
        return "文字"

    def _key_name(self, key: Any) -> str:
        if inspect.isclass(key) and issubclass(key, LabeledEnum):
            return f"{_model_key_title(key)}（{' | '.join(m.label for m in key)}）"
        if key is int:
            return "年份（整数）"
        return "名称"


def _model_key_title(enum: type[LabeledEnum]) -> str:
    return {"Level": "级别"}.get(enum.__name__, "选项")


def _constraints(info: FieldInfo) -> list[str]:
    notes = []
    for meta in info.metadata:
        for attr, fmt in (("ge", "≥ {}"), ("gt", "> {}"), ("le", "≤ {}"), ("lt", "< {}")):
            if getattr(meta, attr, None) is not None and type(meta).__name__ != "FieldInfo":
                notes.append(fmt.format(getattr(meta, attr)))
        if getattr(meta, "min_length", None):
            notes.append(f"至少 {meta.min_length} 项")
    return notes


def _requirement(info: FieldInfo) -> str:
    if info.is_required():
        return "**必填**"
    if info.default_factory is not None:
        return "可不填"
    default = info.default
    if default is None or default is PydanticUndefined:
        return "可不填"
    if isinstance(default, bool):
        return f"可不填，默认 {'true' if default else 'false'}"
    if isinstance(default, LabeledEnum):
        return f"可不填，默认 {default.label}"
    if default == "":
        return "可不填，默认为空"
    return f"可不填，默认 {_cell(default)}"


def _visibility(info: FieldInfo, inherited: str) -> str:
    description = info.description or ""
    if description.startswith("PRIVATE"):
        return PRIVATE_LABEL
    if description.startswith("PUBLIC"):
        marker = _MARKER.match(description)
        return PUBLIC_LABEL + (marker.group(2) or "" if marker else "")
    return inherited


def _model_visibility(model: SchemaClass, inherited: str) -> str:
    doc = model.__doc__ or ""
    doc = doc.strip()
    if doc.startswith("PRIVATE"):
        return PRIVATE_LABEL
    if doc.startswith("PUBLIC"):
        marker = _MARKER.match(doc)
        return PUBLIC_LABEL + (marker.group(2) or "" if marker else "")
    return inherited


def _field_title(info: FieldInfo, annotation: Any) -> str:
    if info.title:
        return info.title
    inner = [a for a in (get_args(annotation) or (annotation,)) if inspect.isclass(a)]
    for cls in inner:
        if is_schema_class(cls):
            return _model_title(cls)
    return "—"


@dataclass
class _Section:
    model: SchemaClass
    path: str  # where in the file, e.g. ``contact`` or ``youth[]``
    visibility: str


def _model_tables(
    roots: list[tuple[SchemaClass, str]], with_visibility: bool, seen: set[SchemaClass]
) -> str:
    """One table per model, the roots first, then the models they contain (breadth first)."""
    out: list[str] = []
    queue = [_Section(model, path, "—") for model, path in roots]
    while queue:
        section = queue.pop(0)
        model = section.model
        if model in seen:
            continue
        seen.add(model)
        visibility = _model_visibility(model, section.visibility)
        namer = _TypeNamer()
        rows = []
        children: list[_Section] = []
        for name, info in fields_of(model).items():
            annotation = info.annotation
            kind = namer.name(annotation, info.metadata)
            extra = _constraints(info)
            if extra:
                kind += "，" + "，".join(extra)
            field_vis = _visibility(info, visibility)
            description = _MARKER.sub("", info.description or "")
            row = [
                f"`{name}`",
                _cell(_field_title(info, annotation)),
                _link_models(_cell(kind), namer),
                _requirement(info),
            ]
            if with_visibility:
                row.append(field_vis)
            row.append(_cell(description) or "—")
            rows.append(row)
            before = len(children)
            for nested in namer.nested:
                if nested not in seen and all(c.model is not nested for c in children[:before]):
                    suffix = "[]" if get_origin(_strip_optional(annotation)) is list else ""
                    children.append(
                        _Section(nested, f"{section.path}.{name}{suffix}".lstrip("."), field_vis)
                    )
            namer.nested = []
        header = ["字段", "名称", "类型", "必填", "说明"]
        if with_visibility:
            header.insert(4, "公开")
        where = f" `{section.path}`" if section.path else ""
        out.append(f"### {_model_title(model)}{where} {{#{_anchor(model)}}}\n")
        doc = inspect.getdoc(model) or ""
        if model.__doc__ and "\n" in doc:
            out.append(_text(_MARKER.sub("", doc.split("\n", 1)[1].strip())) + "\n")
        out.append(_table(header, rows))
        queue[0:0] = children  # depth-first keeps a file's parts together
    return "\n".join(out)


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        parts = [a for a in get_args(annotation) if a is not type(None)]
        if len(parts) == 1:
            return parts[0]
    return annotation


def _link_models(cell: str, namer: _TypeNamer) -> str:
    for model in namer.nested:
        title = _cell(_model_title(model))
        cell = cell.replace(f"见“{title}”（下表）", f"见[“{title}”](#{_anchor(model)})")
    return cell


#: (heading, file, roots) — every data file and the models that describe it.
FILES: tuple[tuple[str, str, list[tuple[SchemaClass, str]]], ...] = (
    ("团干部文件", "data/cadres/<编号>.yml", [(Cadre, "")]),
    (
        "活动记录",
        "data/notes/<编号>/<YYYY-MM-DD>-<名称>.md（开头 --- 之间的信息块）",
        [(NoteFront, "")],
    ),
    (
        "满意度调查",
        "data/surveys/<年份>.yml（每行：团干部编号: {respondents: …, satisfied: …}）",
        [(SurveyResult, "<团干部编号>")],
    ),
    ("分团委", "data/org/committees.yml", [(CommitteesFile, ""), (Committee, "committees[]")]),
    ("团支部", "data/org/branches.yml", [(BranchesFile, ""), (Branch, "branches[]")]),
    (
        "宿舍团小组",
        "data/org/dorm_groups.yml",
        [(DormGroupsFile, ""), (DormGroup, "dorm_groups[]")],
    ),
)


def documented_models() -> list[SchemaClass]:
    """Every model the field reference documents (the roots and everything nested)."""
    found: list[SchemaClass] = []

    def walk(model: SchemaClass) -> None:
        if model in found:
            return
        found.append(model)
        for info in fields_of(model).values():
            for cls in _models_in(info.annotation):
                walk(cls)

    for _heading, _file, roots in FILES:
        for model, _path in roots:
            walk(model)
    walk(SiteConfig)
    return found


def _models_in(annotation: Any) -> Iterator[SchemaClass]:
    if is_schema_class(annotation):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


@functools.cache  # depends on the models only
def fields_page() -> str:
    parts = [
        "# 字段参考\n",
        "本页由程序根据数据模型自动生成，与检查程序使用的规则完全一致。"
        "数据文件中的选项可以写中文，也可以写英文键（如 `level: 校级` 或 `level: school`）。\n",
        "“公开”一栏：**公开** 表示会出现在公开网站（亮身份目录、团干部页面、名片、"
        "`directory.json`）；**公开（取得同意后）** 表示本人在 `consent_on` 填写同意日期后才公开；"
        "**不公开** 表示永远不会出现在公开网站，内部页面也只显示脱敏后的信息；"
        "“—” 表示用于检查规则和内部页面的工作信息（其中级别、所属分团委等可用于公开目录的分组），"
        "不含青年的个人信息。\n",
        '写法提示：学号、电话、QQ 号要加英文引号（如 `"2023990101"`），以免开头的 0 丢失；'
        "日期写成 `2026-05-04`；列表可以写成 `[a, b]`，也可以每行一个 `- 值`。\n",
    ]
    seen: set[SchemaClass] = set()
    for heading, file, roots in FILES:
        parts.append(f"## {heading}\n\n文件：`{file}`\n")
        parts.append(_model_tables(roots, with_visibility=True, seen=seen))
    parts.append(
        "## 站点配置\n\n文件：`site_config.yml`（由管理员维护，见[规则与站点配置]"
        "(../admins/config.md)；本站当前的取值见[本站规则](rules.md)）。\n"
    )
    parts.append(_model_tables([(SiteConfig, "")], with_visibility=False, seen=seen))
    return "\n".join(parts)


# --- 2. this deployment's rules ----------------------------------------------------------------


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _month_day(md: str) -> str:
    month, day = (int(x) for x in md.split("-"))
    return f"{month} 月 {day} 日"


def _bytes(size: int) -> str:
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MB（{size} 字节）"
    if size >= 1 << 10 and size % (1 << 10) == 0:
        return f"{size >> 10} KB（{size} 字节）"
    return f"{size} 字节"


def _rule_docs() -> list[list[str]]:
    from .rules import RULES

    rows = []
    for name, func in RULES.items():
        doc = inspect.getdoc(func) or ""
        first = doc.split("\n\n", 1)[0].strip()
        summary = _cell(first) if first else "—"
        rows.append([f"`{name}`", summary])
    return rows


def rules_page(config: SiteConfig) -> str:
    q_fields = list(type(next(iter(config.quotas.values()))).model_fields.items())
    quota_rows = []
    for level in Level:
        quota = config.quotas.get(level)
        if quota is None:
            continue
        cells = [level.label]
        for key, _info in q_fields:
            value = getattr(quota, key)
            cells.append(f"≥ {value}" if value else "不要求")
        quota_rows.append(cells)
    quota_table = _table(["级别"] + [_cell(i.title or k) for k, i in q_fields], quota_rows)

    div_rows = []
    for key, info in type(config.diversity).model_fields.items():
        value = getattr(config.diversity, key)
        div_rows.append([_cell(info.title or key), f"≥ {value}" if value else "不要求"])

    campaign_rows = []
    for c in config.campaigns:
        start, end = _month_day(c.start), _month_day(c.end)
        if (int(c.end[:2]), int(c.end[3:])) < (int(c.start[:2]), int(c.start[3:])):
            end = "次年 " + end
        campaign_rows.append([_cell(c.name), f"`{c.key}`", f"{start} — {end}"])

    report = config.report
    overrides = ""
    if report.holiday_overrides:
        rows = [
            [
                str(year),
                o.national_day_last_day.isoformat(),
                "、".join(d.isoformat() for d in o.makeup_workdays) or "—",
            ]
            for year, o in sorted(report.holiday_overrides.items())
        ]
        overrides = "\n手动补充的假期安排（`report.holiday_overrides`）：\n\n" + _table(
            ["年份", "国庆假期最后一天", "调休上班日"], rows
        )

    w = config.evaluation.weights
    weights_table = _table(
        ["指标", "权重"],
        [
            [_cell(info.title or k), f"{getattr(w, k) * 100:g}%"]
            for k, info in type(w).model_fields.items()
        ],
    )
    admins = "、".join(f"`{a}`" for a in config.admins) or "（未设置）"
    campaigns = (
        _table(["名称", "英文键", "时间（每年）"], campaign_rows)
        if campaign_rows
        else "（未设置集中活动。）\n"
    )
    families = "、".join(_cell(f) for f in config.family_categories)
    site = config.site

    return f"""# 本站规则

本页由程序根据本站的 `site_config.yml` 自动生成：这里的每个数字就是检查程序使用的数字。
修改 `site_config.yml` 后重新生成，本页随之更新。各项的含义见[规则与站点配置](../admins/config.md)。

## 联系指标 {{#quotas}}

每位团干部当前联系的单位和青年至少应达到：

{quota_table}
- 只统计当前仍在联系的青年（`since` 不晚于今天、没有填写 `until` 或 `until` 在今天之后）。
- **逐步达标期限：{config.grace_days} 天。** 新任团干部自任职日期（`since`）起
  {config.grace_days} 天内未达标只给出**警告**；期满后仍未达标为**合规错误**。
- 合并请求不能让原本达标的团干部变为不达标（即使仍在期限内），见[合并请求门禁](../admins/gate.md)。

## 联系青年的多样性 {{#diversity}}

当前联系的青年中，至少包含多少种不同的……

{_table(["方面", "最低要求"], div_rows)}
家庭情况类别（`family_categories`）：{families}。青年的 `family` 只能填写其中之一。

## 避免反复联系少数人 {{#overlap}}

同一名青年最多同时被 **{config.max_cadres_per_youth}** 位团干部联系（`max_cadres_per_youth`）。

## 活动记录 {{#activity}}

超过 **{config.activity.max_days_without_note}** 天没有新的活动记录会得到提醒
（`activity.max_days_without_note`）。

## 集中活动 {{#campaigns}}

每年在下列时间段内，每位团干部应至少开展并记录一次活动（活动记录按日期自动归入）：

{campaigns}
## 年度报告 {{#report}}

各分团委在每学年国庆假期结束后的第 **{report.working_days_after_national_day}** 个工作日前
上报本单位团干部的联系情况。工作日按国家法定节假日安排计算（包括调休上班日）。
{overrides}
## 问题清单 {{#problems}}

同一类问题被至少 **{config.problems.common_issue_min_cadres}** 位团干部提出时，
在问题清单中标记为“建议转交”。

## 评价权重 {{#evaluation}}

综合评价 = 实现度、活跃度、满意度按下列权重加权（计算方法见[指标说明](metrics.md)）：

{weights_table}
活跃度满分所需的月均活动记录数：**{_number(config.evaluation.activity_target_notes_per_month)}**。

## 站点与权限 {{#site}}

- 站点标题：{_cell(site.title)}；组织：{_cell(site.organization)}
- 公开网站地址：`{site.base_url}`
- 公开目录是否允许搜索引擎收录：{"是" if site.indexable else "否"}
- 单个数据文件大小上限：{_bytes(config.limits.max_file_bytes)}
- 管理员（可以修改任何文件的 GitHub 账号）：{admins}

## 检查规则一览 {{#named-rules}}

每次检查依次运行下列规则（规则名称在程序中保持不变，便于在问题报告中引用）。
它们给出的诊断代码及修改方法见[诊断代码](diagnostics.md)。

{_table(["规则", "说明"], _rule_docs())}"""


# --- 3. diagnostics ----------------------------------------------------------------------------

FAMILIES = {
    "Y": "读取文件",
    "S": "字段与格式",
    "R": "引用与一致性",
    "P": "隐私与公开同意",
    "Q": "联系指标",
    "V": "多样性",
    "O": "重复联系",
    "A": "活动",
    "G": "合并请求",
    "X": "配置与程序",
}
KIND_LABEL = {Kind.DATA: "数据错误", Kind.COMPLIANCE: "合规"}
KIND_EFFECT = {
    Kind.DATA: "`python build.py` 不会生成站点（保留上一次的站点），合并请求的检查不通过。",
    Kind.COMPLIANCE: "逐步达标期限内为警告，期满后为错误；不影响公开网站的生成，"
    "结果显示在内部页面上。",
}


def _effect(code: str, kind: Kind) -> str:
    if code.startswith("G"):
        return "只在合并请求的检查中出现：检查不通过，合并请求不能合并。"
    if code == "X001":
        return "所有命令都会停止（退出码 2），站点保持上一次的内容。"
    if code == "X002":
        return "程序自身的问题，不是数据的问题。"
    return KIND_EFFECT[kind]


def _example_block(example: str) -> str:
    if example.startswith("（"):
        return f"**出错的例子：** {_text(example)}\n"
    note = ""
    if "\t" in example:
        note = "（例子中行首的空白是一个 Tab 制表符。）\n"
    elif "\u3000" in example:
        note = "（例子中行首的空白是全角空格。）\n"
    # Raw HTML, not a Markdown code block: Markdown would turn the Tab into spaces.
    code = html.escape(example).replace("\t", "&#9;")
    return f'**出错的例子：**\n\n<pre><code class="language-yaml">{code}\n</code></pre>\n\n{note}'


@functools.cache  # depends on CODES only
def diagnostics_page() -> str:
    index_rows = [
        [f"[{c.code}](#{c.code.lower()})", _cell(c.title), KIND_LABEL[c.kind]]
        for c in CODES.values()
    ]
    parts = [
        "# 诊断代码\n",
        "检查程序发现的每个问题都带有一个固定不变的代码（如 `Y002`）、文件名、行号和列号，"
        "以及一句中文说明和修改提示。本页由程序根据诊断代码表自动生成。\n",
        "- **数据错误**：文件、格式、引用或隐私方面的问题，必须修改后才能生成站点和合并。\n"
        "- **合规**：联系指标、多样性、重复联系、活动方面的问题。新任团干部在逐步达标期限内"
        "只给出警告，期满后为错误；这类问题不阻止公开网站的生成，但 `python build.py check` "
        "会失败，合并请求中只有本次修改涉及的团干部会被拦下。\n",
        "怎么看检查结果，见[看懂检查结果](../cadres/check-results.md)。\n",
        "## 一览\n",
        _table(["代码", "问题", "类别"], index_rows),
    ]
    family = None
    for c in CODES.values():
        if c.code[0] != family:
            family = c.code[0]
            parts.append(f"## {FAMILIES.get(family, '其他')}（{family}）\n")
        parts.append(f"### {c.code} {_text(c.title)} {{#{c.code.lower()}}}\n")
        parts.append(f"类别：**{KIND_LABEL[c.kind]}**。{_effect(c.code, c.kind)}\n")
        parts.append(f"**怎么改：** {_text(c.hint)}\n")
        if c.example:
            parts.append(_example_block(c.example))
    return "\n".join(parts)


# --- 4. metrics --------------------------------------------------------------------------------


def _headings_from(body: str, top: int) -> str:
    """Shift Markdown ATX headings (outside code fences) so the highest one is level ``top``."""
    lines = body.split("\n")
    fence = None
    levels: list[tuple[int, int]] = []  # (line index, level)
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
            continue
        match = re.match(r"(#{1,6})\s", line) if fence is None else None
        if match:
            levels.append((i, len(match.group(1))))
    if not levels:
        return body
    shift = top - min(level for _, level in levels)
    for i, level in levels:
        new_level = min(6, max(1, level + shift))
        lines[i] = "#" * new_level + lines[i][level:]
    return "\n".join(lines)


def metrics_page(config: SiteConfig) -> str:
    try:
        from .evaluation import metric_definitions_markdown
    except ModuleNotFoundError as exc:  # only while zhilian.evaluation is not installed
        if exc.name != f"{__package__}.evaluation":
            raise
        return "# 指标说明\n\n（本版本的程序没有提供指标说明。）\n"
    body = metric_definitions_markdown(config).strip() + "\n"
    if body.startswith("# "):
        return body
    intro = (
        "本页由程序根据本站的 `site_config.yml` 自动生成，说明内部页面和年度报告中"
        "每个指标的计算方法。\n\n"
    )
    return "# 指标说明\n\n" + intro + _headings_from(body, 2)


def generated_pages(config: SiteConfig) -> dict[str, str]:
    """The generated pages, by path inside ``docs/``."""
    return {
        "reference/fields.md": fields_page(),
        "reference/rules.md": rules_page(config),
        "reference/diagnostics.md": diagnostics_page(),
        "reference/metrics.md": metrics_page(config),
    }


# --- the build ---------------------------------------------------------------------------------


def _settings(config: SiteConfig) -> dict[str, Any]:
    """What the handbook takes from ``site_config.yml`` besides the generated pages."""
    site = config.site
    return {
        "site_url": str(site.base_url).rstrip("/") + "/guide/",
        "copyright": f"© {site.organization}",
        "noindex": not site.indexable,
    }


@functools.cache
def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("zhilian", "mkdocs", "markdown"):
        try:
            parts.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package}=?")
    return ";".join(parts)


def _docs_files(docs: Path) -> list[Path]:
    """The regular files under ``docs/`` (symbolic links are never published: one could
    point at the data)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(docs):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not (base / d).is_symlink())
        found += [base / f for f in filenames if not (base / f).is_symlink()]
    return sorted(found)


def _skip_symlinks(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if os.path.islink(os.path.join(directory, n))}


def cache_key(root: Path, pages: dict[str, str], settings: dict[str, Any], today: dt.date) -> str:
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(label.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)

    add("versions", _versions().encode())
    add("handbook.py", Path(__file__).read_bytes())
    add("today", today.isoformat().encode())
    add("settings", repr(sorted(settings.items())).encode())
    add(MKDOCS_FILE, (root / MKDOCS_FILE).read_bytes())
    docs = root / DOCS_DIR
    for path in _docs_files(docs):
        add("docs/" + path.relative_to(docs).as_posix(), path.read_bytes())
    for rel, text in sorted(pages.items()):
        add("generated/" + rel, text.encode())
    return h.hexdigest()[:32]


@contextmanager
def _source_date(today: dt.date) -> Iterator[None]:
    """Reproducible MkDocs output: its dates come from ``SOURCE_DATE_EPOCH``."""
    epoch = int(dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC).timestamp())
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _quiet_mkdocs() -> Iterator[_Collect]:
    """MkDocs logs progress at INFO; keep it off the terminal, collect the warnings."""
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


_BUILD_LOCK = threading.Lock()  # SOURCE_DATE_EPOCH and the mkdocs logger are process-wide


class HandbookError(Exception):
    """``mkdocs.yml`` or ``docs/`` is broken: the handbook (and so the site) is not built."""


class _CompiledTemplates:
    """A MkDocs plugin (its ``on_env`` event: nothing else) that gives the theme's Jinja2
    environment the compiled-template cache the site's own has (``render.env``): MkDocs
    compiles the theme's templates in every build, a tenth of a cold handbook's 0.3 s."""

    def on_env(self, env: Any, /, *, config: Any, files: Any) -> Any:
        from .render.env import CompiledTemplates

        env.bytecode_cache = CompiledTemplates()
        return env


def run_mkdocs(
    root: Path, docs: Path, site_dir: Path, settings: dict[str, Any], today: dt.date
) -> list[str]:
    """Build with MkDocs from ``docs`` into ``site_dir``; returns MkDocs' warnings."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    with _BUILD_LOCK, _source_date(today), _quiet_mkdocs() as log:
        try:
            cfg = load_config(
                config_file=str(root / MKDOCS_FILE),
                docs_dir=str(docs),
                site_dir=str(site_dir),
                site_url=settings["site_url"],
            )
            if not cfg["copyright"]:
                cfg["copyright"] = settings["copyright"]
            cfg["extra"]["zhilian_noindex"] = settings["noindex"]
            cfg.plugins["zhilian-compiled-templates"] = _CompiledTemplates()
            build(cfg)
        except (MkDocsException, OSError, ValueError) as exc:
            details = "；".join(r.getMessage() for r in log.records) or str(exc)
            raise HandbookError(
                f"手册没有生成：mkdocs.yml 或 docs/ 有误（{type(exc).__name__}: {details}）"
            ) from exc
    return [f"{r.levelname}: {r.getMessage()}" for r in log.records]


def _prune(cache_root: Path, keep: str) -> None:
    entries = [p for p in cache_root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_CACHED:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def build_handbook(root: Path, config: SiteConfig, today: dt.date, dest: Path | None) -> None:
    """Build the handbook into ``dest`` (``<site>/public/guide``), from the cache if possible;
    ``dest`` None: only into the cache.  It depends on the deployment's ``docs/``,
    ``mkdocs.yml`` and configuration, not its data.

    A deployment without ``mkdocs.yml`` or ``docs/`` has no handbook: nothing happens.
    """
    if not (root / MKDOCS_FILE).is_file() or not (root / DOCS_DIR).is_dir():
        return
    pages = generated_pages(config)
    settings = _settings(config)
    key = cache_key(root, pages, settings, today)
    cache_root = root / CACHE_DIR
    cached = cache_root / key
    if cached.is_dir():
        try:
            os.utime(cached)  # keep recently used entries when pruning
            if dest is not None:
                link_tree(cached, dest)
            return
        except OSError:  # pruned or deleted meanwhile: build it afresh
            if dest is not None:
                shutil.rmtree(dest, ignore_errors=True)

    # Built next to the cache when it can be, so that storing it is a rename, not a copy.
    writable = _writable(cache_root)
    if writable:
        remove_abandoned(cache_root, ".build-")
        tmp = temporary_dir(cache_root, ".build-")
    else:
        tmp = Path(tempfile.mkdtemp(prefix="zhilian-handbook-"))
    try:
        docs = tmp / "docs"
        shutil.copytree(root / DOCS_DIR, docs, ignore=_skip_symlinks)
        for rel, text in pages.items():
            target = docs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        built = tmp / "site"
        warnings = run_mkdocs(root, docs, built, settings, today)
        for line in warnings:
            sys.stderr.write(f"手册（MkDocs）{line}\n")
        if dest is not None:
            shutil.copytree(built, dest, dirs_exist_ok=True)
        if writable:
            _store(cache_root, key, built)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def prepare_handbook(root: Path, config: SiteConfig, today: dt.date) -> None:
    """Build the handbook into its cache, so that :func:`build_handbook` later only links
    it (``build`` runs this in a second process while it checks and renders)."""
    build_handbook(root, config, today, None)


def _writable(cache_root: Path) -> bool:
    """``cache_root`` exists (created) and can be written."""
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        return os.access(cache_root, os.W_OK)
    except OSError:
        return False


def _store(cache_root: Path, key: str, built: Path) -> None:
    """Put a finished build into the cache atomically: a rename, ``built`` being in
    ``cache_root``.  When another process stored the same build first, its copy stays."""
    try:
        os.replace(built, cache_root / key)
    except OSError:
        return
    _prune(cache_root, key)

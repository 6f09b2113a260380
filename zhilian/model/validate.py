"""Turn pydantic's errors into coded Chinese diagnostics that point into the YAML.

Positions are not computed here: each diagnostic carries the error's ``loc`` as a key
path, and the reporter resolves it by re-reading only the files that failed.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, error
from .enums import LabeledEnum
from .fields import fields_of, is_schema_class
from .types import PATTERN_ERRORS

M = TypeVar("M", bound=BaseModel)

# Top-level keys under which values are private: never echo their input in a message.
PRIVATE_ROOTS = frozenset({"youth"})

_CODE_BY_TYPE = {
    "extra_forbidden": "S001",
    "missing": "S002",
    "enum": "S004",
    "zl_enum": "S004",
    "url_parsing": "S009",
    "url_scheme": "S009",
    "string_too_short": "S002",
}

_TYPE_MESSAGES = {
    "list_type": "应为列表（[a, b] 或每行一个“- 值”）",
    "dict_type": "应为“键: 值”的映射",
    "model_type": "应为“键: 值”的映射",
    "model_attributes_type": "应为“键: 值”的映射",
    "string_type": "应为一段文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
}

def _enum_for_choices(expected: str) -> type[LabeledEnum] | None:
    return next((c for c in LabeledEnum.__subclasses__() if c.choices() == expected), None)


def _field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at ``loc`` (for did-you-mean on unknown fields)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not is_schema_class(current):
            continue
        field = fields_of(current).get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(fields_of(current)) if is_schema_class(current) else []


def _inner_model(annotation: Any) -> Any:
    """``list[Youth] | None`` → ``Youth``."""
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if is_schema_class(found):
            return found
    return annotation


def _where(loc: tuple[Any, ...]) -> str:
    """``("youth", 3, "since")`` → ``youth 第 4 项的 since`` (people count from 1)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f" 第 {part + 1} 项"
        elif text.endswith("项"):
            text += f"的 {part}"
        else:
            text += f".{part}" if text else part
    return text.strip()


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


#: A dataclass's (``Youth``) names for what a model calls these
_AS_IN_A_MODEL = {"unexpected_keyword_argument": "extra_forbidden", "dataclass_type": "model_type"}


def describe(err: dict[str, Any], model: type[BaseModel]) -> tuple[str, str, str]:
    """(code, message, hint override) for one pydantic error."""
    kind = err["type"]
    loc = tuple(err["loc"])
    private = bool(loc) and loc[0] in PRIVATE_ROOTS
    field = _where(loc)
    value = err.get("input")
    shown = "" if private or isinstance(value, dict | list) else f"“{_show(value)}”"
    code = _CODE_BY_TYPE.get(kind, "S003")
    hint = ""
    if kind == "extra_forbidden":
        known = _field_names(model, loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        message = f"未知字段“{loc[-1]}”"
        if near:
            message += f"，是不是想写“{near[0]}”？"
            hint = f"把“{loc[-1]}”改成“{near[0]}”。"
        elif known:
            hint = "这里可以使用的字段：" + "、".join(known)
    elif kind == "missing":
        message = f"缺少必填字段“{field}”"
    elif kind in ("enum", "zl_enum"):
        expected = err.get("ctx", {}).get("expected", "")
        enum = _enum_for_choices(expected)
        choices = enum.choices() if enum else expected
        message = f"{field}：{shown or '这个值'}不是允许的选项，可选：{choices}"
        if enum and isinstance(value, str):
            labels = [m.label for m in enum]
            near = [lb for lb in labels if value and value in lb] or difflib.get_close_matches(
                value, labels, n=1, cutoff=0.4
            )
            if near:
                hint = f"是不是想写“{near[0]}”？"
    elif kind.startswith("date") or kind.startswith("datetime"):
        code = "S005"
        message = f"{field}：{shown or '这个值'}不是有效的日期（YYYY-MM-DD）"
    elif value is None and (kind.endswith("_type") or kind == "string_too_short"):
        code = "S002"
        message = f"{field}：没有填写值"
    elif kind == "string_too_short":
        code = "S002"
        message = f"{field}：不能为空"
    elif kind in _TYPE_MESSAGES:
        message = f"{field}：{_TYPE_MESSAGES[kind]}"
        if shown and kind not in ("list_type", "dict_type", "model_type"):
            message += f"，而不是{shown}"
    elif kind == "string_pattern_mismatch":
        code, text = PATTERN_ERRORS.get(err.get("ctx", {}).get("pattern", ""), ("S011", "格式不对"))
        message = f"{field}：{shown + ' ' if shown else ''}{text}"
    elif kind.startswith("zl_"):
        message = f"{field}：{shown + ' ' if shown else ''}{err['msg']}"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "too_short", "too_long",
                  "string_too_long"):
        code = "S011"
        message = f"{field}：{shown + ' ' if shown else ''}取值超出范围（{err['msg']}）"
    elif kind == "value_error":
        code = "S011"
        message = f"{field + '：' if field else ''}{err['msg'].removeprefix('Value error, ')}"
    elif kind.startswith("url"):
        message = f"{field}：{shown}不是有效的网址"
    else:
        message = f"{field}：{err['msg']}"
    return code, message, hint


def validate(
    model: type[M], raw: Any, rel: str, *, path_prefix: tuple[str | int, ...] = ()
) -> tuple[M | None, list[Diagnostic]]:
    """Validate ``raw`` (plain values from the reader) against ``model``."""
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        diags = []
        for err in exc.errors(include_url=False):
            err["type"] = _AS_IN_A_MODEL.get(err["type"], err["type"])
            code, message, hint = describe(err, model)
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            diags.append(
                error(
                    code,
                    rel,
                    message,
                    hint=hint,
                    path=path_prefix + loc,
                    at_key=err["type"] == "extra_forbidden",
                )
            )
        return None, diags

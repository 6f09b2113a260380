"""Constrained string types shared by the models.

Each validator raises a ``PydanticCustomError`` whose type starts with ``zl_``; the schema
stage maps those types to diagnostic codes (see ``zhilian.model.validate``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
STUDENT_ID_RE = re.compile(r"^[0-9A-Za-z]{4,20}$")
MOBILE_RE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
QQ_RE = re.compile(r"^[1-9]\d{4,10}$")
WECHAT_RE = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
GITHUB_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def _matching(regex: re.Pattern[str], error_type: str, message: str):  # noqa: ANN202
    def check(value: str) -> str:
        if not regex.match(value):
            raise PydanticCustomError(error_type, message, {"value": value})
        return value

    return AfterValidator(check)


def _https(value: str) -> str:
    if not value.startswith("https://") or not URL_RE.match(value):
        raise PydanticCustomError("zl_url", "微博地址必须是以 https:// 开头的完整网址")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("zl_blank", "不能为空")
    return value.strip()


def _phone(value: str) -> str:
    if not (MOBILE_RE.match(value) or LANDLINE_RE.match(value)):
        raise PydanticCustomError("zl_phone", "电话号码应为 11 位手机号或“区号-号码”的座机号")
    return value


def _compact_phone(value: object) -> object:
    # Cadres write "138 0013 8000" or "0358 3389036"; store one canonical spelling.
    return value.replace(" ", "") if isinstance(value, str) else value


NonBlank = Annotated[str, AfterValidator(_not_blank)]
UnitId = Annotated[
    str, _matching(ID_RE, "zl_id", "编号只能包含小写字母、数字和连字符，如 cs-2023-1")
]
StudentId = Annotated[
    str,
    _matching(STUDENT_ID_RE, "zl_id", "学号应为 4 到 20 位数字或字母"),
    Field(description="学号（字符串，保留开头的 0）"),
]
Phone = Annotated[
    str,
    BeforeValidator(_compact_phone),
    AfterValidator(_phone),
]
Email = Annotated[str, _matching(EMAIL_RE, "zl_email", "电子邮箱格式不对")]
QQ = Annotated[str, _matching(QQ_RE, "zl_qq", "QQ 号应为 5 到 11 位数字，不以 0 开头")]
WeChat = Annotated[
    str, _matching(WECHAT_RE, "zl_wechat", "微信号应为 6 到 20 位字母、数字、下划线或连字符")
]
HttpsUrl = Annotated[str, AfterValidator(_https)]
GitHubLogin = Annotated[
    str, _matching(GITHUB_RE, "zl_github", "GitHub 账号只含字母、数字和连字符")
]

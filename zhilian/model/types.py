"""Constrained string types shared by the models.

Patterns are checked by pydantic-core itself (no Python call per value: a province has
100,000 youth entries); :data:`PATTERN_ERRORS` turns a mismatch into our code and a
Chinese message (see ``zhilian.model.validate``).  Checks a pattern cannot express raise a
``PydanticCustomError`` whose type starts with ``zl_``.  Constraints stay in Rust wherever
possible: a Python validator per value doubles the validation time.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
STUDENT_ID_PATTERN = r"^[0-9A-Za-z]{4,20}$"
PHONE_PATTERN = r"^(?:(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
QQ_PATTERN = r"^[1-9]\d{4,10}$"
WECHAT_PATTERN = r"^[A-Za-z0-9_-]{6,20}$"
HTTPS_URL_PATTERN = r"^https://[^\s/$.?#][^\s]*$"
GITHUB_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"

#: pattern → (diagnostic code, Chinese message)
PATTERN_ERRORS: dict[str, tuple[str, str]] = {
    ID_PATTERN: ("S010", "编号只能包含小写字母、数字和连字符，如 cs-2023-1"),
    STUDENT_ID_PATTERN: ("S010", "学号应为 4 到 20 位数字或字母"),
    PHONE_PATTERN: ("S006", "电话号码应为 11 位手机号或“区号-号码”的座机号"),
    EMAIL_PATTERN: ("S007", "电子邮箱格式不对"),
    QQ_PATTERN: ("S008", "QQ 号应为 5 到 11 位数字，不以 0 开头"),
    WECHAT_PATTERN: ("S011", "微信号应为 6 到 20 位字母、数字、下划线或连字符"),
    HTTPS_URL_PATTERN: ("S009", "微博地址必须是以 https:// 开头的完整网址"),
    GITHUB_PATTERN: ("S010", "GitHub 账号只含字母、数字和连字符"),
}


def _compact_phone(value: object) -> object:
    # Cadres write "138 0013 8000" or "0358 3389036"; store one canonical spelling.
    return value.replace(" ", "") if isinstance(value, str) else value


NonBlank = Annotated[str, Field(min_length=1)]  # models strip whitespace first
UnitId = Annotated[str, Field(pattern=ID_PATTERN)]
StudentId = Annotated[str, Field(pattern=STUDENT_ID_PATTERN, description="学号（字符串，保留开头的 0）")]
Phone = Annotated[str, BeforeValidator(_compact_phone), Field(pattern=PHONE_PATTERN)]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN)]
QQ = Annotated[str, Field(pattern=QQ_PATTERN)]
WeChat = Annotated[str, Field(pattern=WECHAT_PATTERN)]
HttpsUrl = Annotated[str, Field(pattern=HTTPS_URL_PATTERN)]
GitHubLogin = Annotated[str, Field(pattern=GITHUB_PATTERN)]

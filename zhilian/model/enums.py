"""Enumerations whose values are English keys and whose labels are Chinese.

Data files may use either (``level: 校级`` or ``level: school``); pages show the label.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema


class LabeledEnum(str, Enum):
    """``Member = ("key", "中文")``: value is the key, ``.label`` the Chinese label."""

    label: str

    def __new__(cls, key: str, label: str) -> LabeledEnum:
        obj = str.__new__(cls, key)
        obj._value_ = key
        obj.label = label
        return obj

    def __str__(self) -> str:
        return self.label

    @classmethod
    def _missing_(cls, value: object) -> LabeledEnum | None:
        if isinstance(value, str):
            text = value.strip()
            for member in cls:
                if text in (member.label, member.value) or text.lower() == member.value:
                    return member
        return None

    @classmethod
    def choices(cls) -> str:
        """``校级(school) / 系级(department)`` — for error messages."""
        return " / ".join(f"{m.label}({m.value})" for m in cls)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # One dict lookup per value: much cheaper than Enum(value) → _missing_ for labels.
        lookup: dict[object, LabeledEnum] = {}
        for member in cls:
            lookup.update({member: member, member.value: member, member.label: member})
        expected = cls.choices()

        def validate(value: object) -> LabeledEnum:
            if isinstance(value, cls):
                return value
            found = lookup.get(value.strip()) if isinstance(value, str) else None
            if found is None and isinstance(value, str):
                found = cls._missing_(value)
            if found is None:
                raise PydanticCustomError("zl_enum", "不是允许的选项", {"expected": expected})
            return found

        # Written as a key or label exactly (nearly every value): recognised without
        # running Python code per value (100,000 youth at province scale); anything else
        # (spaces around, capitals, not text) goes to ``validate``.
        exact = core_schema.no_info_after_validator_function(
            lookup.__getitem__, core_schema.literal_schema([k for k in lookup if type(k) is str])
        )
        return core_schema.union_schema(
            [exact, core_schema.no_info_plain_validator_function(validate)],
            mode="left_to_right",
            custom_error_type="zl_enum",
            custom_error_message="不是允许的选项",
            custom_error_context={"expected": expected},
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": [m.label for m in cls] + [m.value for m in cls]}


class Level(LabeledEnum):
    SCHOOL = ("school", "校级")
    DEPARTMENT = ("department", "系级")


class Appointment(LabeledEnum):
    FULL_TIME = ("full_time", "专职")
    PART_TIME = ("part_time", "兼职")
    SECONDED = ("seconded", "挂职")


class PoliticalStatus(LabeledEnum):
    PARTY_MEMBER = ("party_member", "中共党员")
    PROBATIONARY = ("probationary", "中共预备党员")
    LEAGUE_MEMBER = ("league_member", "共青团员")
    MASSES = ("masses", "群众")


class NoteKind(LabeledEnum):
    ONLINE = ("online", "线上互动")
    OFFLINE = ("offline", "线下活动")
    RESEARCH = ("research", "调研")
    SYMPOSIUM = ("symposium", "座谈会")
    LEAGUE_DAY = ("league_day", "主题团日")
    VOLUNTEER = ("volunteer", "志愿服务")
    HELP = ("help", "办实事")
    GUIDANCE = ("guidance", "思想引领")


class Channel(LabeledEnum):
    WECHAT = ("wechat", "微信")
    QQ = ("qq", "QQ")
    WEIBO = ("weibo", "微博")
    YOUTH_VOICE = ("youth_voice", "青年之声")
    OTHER = ("other", "其他")


class ProblemCategory(LabeledEnum):
    CONFUSION = ("confusion", "思想困惑")
    DIFFICULTY = ("difficulty", "实际困难")
    SUGGESTION = ("suggestion", "意见建议")


class ProblemStatus(LabeledEnum):
    OPEN = ("open", "待处理")
    FORWARDED = ("forwarded", "已转交")
    RESOLVED = ("resolved", "已解决")


def label_of(value: Any) -> str:
    return value.label if isinstance(value, LabeledEnum) else str(value)

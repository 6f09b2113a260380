"""The data files' schema: the single source of truth for validation, the JSON Schemas
(``build.py schema``) and the handbook's field reference.

Titles and descriptions are Chinese because cadres read them in their editor and in the
handbook.  Fields marked PUBLIC may reach ``site/public``; everything else never does
(the public view models in ``zhilian.views.public`` copy only PUBLIC fields).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator
from pydantic.dataclasses import dataclass

from .enums import (
    Appointment,
    Channel,
    Level,
    NoteKind,
    PoliticalStatus,
    ProblemCategory,
    ProblemStatus,
)
from .types import QQ, Email, GitHubLogin, HttpsUrl, NonBlank, Phone, StudentId, UnitId, WeChat


def _empty_to_none(data: Any) -> Any:
    """``key:`` with no value reads as None; treat it as "not given" for optional fields."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if v is not None}
    return data


#: Unknown fields are errors; surrounding whitespace is dropped.
LEAN = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Strict(BaseModel):
    """``LEAN``, and ``key:`` with no value counts as not given (friendlier for the rest)."""

    model_config = LEAN

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        return _empty_to_none(data)


# --- organisation ---------------------------------------------------------------------------


class Committee(Strict):
    """分团委（如学院分团委）。"""

    id: UnitId = Field(title="编号", description="分团委编号，如 math")
    name: NonBlank = Field(title="名称", description="如 数学学院分团委")


class Branch(Strict):
    """团支部。"""

    id: UnitId = Field(title="编号", description="团支部编号，如 cs-2023-1")
    name: NonBlank = Field(title="名称", description="如 计算机2023级1班团支部")
    committee: UnitId = Field(title="所属分团委", description="分团委编号")
    major: NonBlank = Field(title="专业", description="如 计算机科学与技术")
    grade: NonBlank = Field(title="年级", description="入学年份，如 2023")


class DormGroup(Strict):
    """宿舍团小组。"""

    id: UnitId = Field(title="编号", description="宿舍团小组编号，如 n3-402")
    name: NonBlank = Field(title="名称", description="楼栋-房间，如 北3-402")
    committee: UnitId = Field(title="所属分团委", description="分团委编号")
    branch: UnitId | None = Field(None, title="所属团支部", description="可选")


class CommitteesFile(Strict):
    """分团委文件。"""

    committees: list[Committee] = Field(title="分团委列表")


class BranchesFile(Strict):
    """团支部文件。"""

    branches: list[Branch] = Field(title="团支部列表")


class DormGroupsFile(Strict):
    """宿舍团小组文件。"""

    dorm_groups: list[DormGroup] = Field(title="宿舍团小组列表")


# --- cadre ----------------------------------------------------------------------------------


class Contact(Strict):
    """PUBLIC（取得同意后）：亮身份的联系方式。"""

    consent_on: dt.date | None = Field(
        None,
        title="同意公开日期",
        description="本人同意公开以下联系方式的日期（个人信息保护法第二十五条）；"
        "不填写时目录只显示姓名和职务",
    )
    phone: Phone | None = Field(None, title="电话", description="手机号或“区号-号码”，加引号")
    email: Email | None = Field(None, title="电子邮箱")
    wechat: WeChat | None = Field(None, title="微信号")
    qq: QQ | None = Field(None, title="QQ 号", description="加引号，如 \"123456789\"")
    weibo: HttpsUrl | None = Field(None, title="微博", description="https:// 开头的主页地址")
    office: str | None = Field(None, title="办公地点", description="如 行政楼 305")

    CHANNELS: ClassVar[tuple[str, ...]] = ("phone", "email", "wechat", "qq", "weibo")

    def channels(self) -> dict[str, str]:
        return {k: v for k in self.CHANNELS if (v := getattr(self, k))}


class Units(Strict):
    """PUBLIC：本人联系的单位。"""

    committees: list[UnitId] = Field(default_factory=list, title="联系的分团委")
    branches: list[UnitId] = Field(default_factory=list, title="联系的团支部")
    dorm_groups: list[UnitId] = Field(default_factory=list, title="联系的宿舍团小组")


# A province lists 100,000 youth: a pydantic dataclass with slots holds one in a fifth of a
# model's memory (no ``__dict__``, no set of the fields given), validated as fast and with no
# Python code run per instance (``model.fields``).
@dataclass(slots=True, kw_only=True, config=LEAN)
class Youth:
    """PRIVATE：一名联系青年。永不公开；内部页面只显示脱敏后的信息。"""

    id: StudentId = Field(title="学号", description="字符串，加引号以保留开头的 0")
    name: str | None = Field(None, title="姓名", description="可选（数据最小化：学号已能识别）")
    branch: UnitId | None = Field(None, title="团支部", description="由团支部推出专业和年级")
    major: str | None = Field(None, title="专业", description="未填 branch 时必填")
    grade: str | None = Field(None, title="年级", description="未填 branch 时必填，如 2023")
    political_status: PoliticalStatus = Field(title="政治面貌")
    family: NonBlank = Field(title="家庭情况", description="site_config.yml 中 family_categories 之一")
    hometown: str | None = Field(None, title="籍贯", description="可选")
    dorm_group: UnitId | None = Field(None, title="宿舍团小组", description="可选")
    since: dt.date = Field(title="开始联系日期")
    until: dt.date | None = Field(None, title="结束联系日期", description="可选：联系结束（保留历史）")

    def is_current(self, today: dt.date) -> bool:
        return self.since <= today and (self.until is None or today < self.until)


class Cadre(Strict):
    """团干部：data/cadres/<编号>.yml。"""

    name: NonBlank = Field(title="姓名", description="PUBLIC")
    level: Level = Field(title="级别", description="校级 | 系级")
    appointment: Appointment = Field(title="任职方式", description="专职 | 兼职 | 挂职")
    title: NonBlank = Field(title="职务", description="PUBLIC，如 校团委副书记")
    committee: UnitId | None = Field(None, title="所属分团委", description="系级团干部必填")
    since: dt.date = Field(title="任职日期", description="联系指标的“逐步达到”期限从此日起算")
    github: GitHubLogin | None = Field(None, title="GitHub 账号", description="允许修改本文件的账号")
    contact: Contact = Field(default_factory=Contact, title="联系方式", description="PUBLIC（取得同意后）")
    intro: str = Field("", title="简介", description="PUBLIC，Markdown")
    photo: str | None = Field(None, title="照片", description="PUBLIC，data/photos/ 下的 JPEG/PNG 文件名")
    units: Units = Field(default_factory=Units, title="联系的单位", description="PUBLIC")
    youth: list[Youth] = Field(default_factory=list, title="联系的青年", description="PRIVATE，永不公开")


# --- notes ----------------------------------------------------------------------------------


class Problem(Strict):
    """PRIVATE：问题清单中的一项。"""

    category: ProblemCategory = Field(title="类别", description="思想困惑 | 实际困难 | 意见建议")
    summary: NonBlank = Field(title="概要")
    status: ProblemStatus = Field(ProblemStatus.OPEN, title="状态", description="待处理 | 已转交 | 已解决")
    forwarded_to: str | None = Field(None, title="转交部门")
    resolved_on: dt.date | None = Field(None, title="解决日期")


class NoteFront(Strict):
    """活动记录的开头信息块：data/notes/<编号>/<YYYY-MM-DD>-<名称>.md。"""

    title: NonBlank = Field(title="标题")
    date: dt.date = Field(title="日期")
    kind: NoteKind = Field(title="类型", description="线上互动 | 线下活动 | 调研 | 座谈会 | 主题团日 | 志愿服务 | 办实事 | 思想引领")
    channel: Channel | None = Field(None, title="渠道", description="线上互动时填写：微信 | QQ | 微博 | 青年之声 | 其他")
    units: list[UnitId] = Field(default_factory=list, title="涉及单位")
    youth: list[StudentId] = Field(default_factory=list, title="参与青年学号", description="PRIVATE；必须在本人 youth 名单中")
    public: bool = Field(False, title="公开", description="true：正文显示在公开的“动态”页")
    problems: list[Problem] = Field(default_factory=list, title="问题清单", description="PRIVATE")


# --- surveys --------------------------------------------------------------------------------


class SurveyResult(Strict):
    """一位团干部的满意度调查结果。"""

    respondents: int = Field(ge=0, title="参与调查人数")
    satisfied: int = Field(ge=0, title="满意人数")

    @model_validator(mode="after")
    def _satisfied_within_respondents(self) -> SurveyResult:
        if self.satisfied > self.respondents:
            raise ValueError("满意人数不能多于参与调查人数")
        return self


class SurveyFile(RootModel[dict[str, SurveyResult]]):
    """data/surveys/<年份>.yml：团干部编号 → 满意度调查结果。"""

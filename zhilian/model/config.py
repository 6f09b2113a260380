"""``site_config.yml``: every number the rules use lives here, never in code."""

from __future__ import annotations

import datetime as dt
from functools import cache

from pydantic import Field, HttpUrl, field_validator, model_validator

from .data import Strict
from .enums import Level
from .types import GitHubLogin, NonBlank


class Footer(Strict):
    """页脚。"""

    address: str = Field("", title="地址")
    phone: str = Field("", title="电话")
    email: str = Field("", title="电子邮箱")


class Site(Strict):
    """站点。"""

    title: NonBlank = Field(title="站点标题")
    organization: NonBlank = Field(title="组织名称", description="如 共青团某某大学委员会")
    base_url: HttpUrl = Field(title="公开站点地址", description="以 / 结尾，用于 sitemap 和二维码")
    indexable: bool = Field(False, title="允许搜索引擎收录")
    footer: Footer = Field(default_factory=Footer, title="页脚")


class Limits(Strict):
    """限制。"""

    max_file_bytes: int = Field(1_048_576, gt=0, title="单个数据文件上限（字节）")


class Quota(Strict):
    """一个级别的联系指标。"""

    committees: int = Field(0, ge=0, title="分团委")
    branches: int = Field(0, ge=0, title="团支部")
    dorm_groups: int = Field(0, ge=0, title="宿舍团小组")
    youth: int = Field(0, ge=0, title="青年")


class Diversity(Strict):
    """多样性最低要求。"""

    majors: int = Field(0, ge=0, title="不同专业数")
    grades: int = Field(0, ge=0, title="不同年级数")
    political_statuses: int = Field(0, ge=0, title="不同政治面貌数")
    family_categories: int = Field(0, ge=0, title="不同家庭情况数")


class Activity(Strict):
    """活动记录。"""

    max_days_without_note: int = Field(gt=0, title="最长无活动记录天数")


class Campaign(Strict):
    """集中活动。"""

    key: str = Field(title="英文键")
    name: NonBlank = Field(title="名称")
    start: str = Field(pattern=r"^\d{2}-\d{2}$", title="开始（月-日）")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", title="结束（月-日）")

    @field_validator("start", "end")
    @classmethod
    def _valid_month_day(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        dt.date(2000, month, day)  # leap year: allows 02-29; raises ValueError otherwise
        return value

    def window(self, year: int) -> tuple[dt.date, dt.date]:
        """The campaign's dates in ``year`` (a window may run over New Year)."""
        return _window(self.start, self.end, year)


@cache  # asked for every note of a province (20,000+), of a handful of campaigns and years
def _window(start_md: str, end_md: str, year: int) -> tuple[dt.date, dt.date]:
    def on(md: str, y: int) -> dt.date:
        m, d = (int(x) for x in md.split("-"))
        return dt.date(y, m, min(d, 28) if (m, d) == (2, 29) else d)

    start, end = on(start_md, year), on(end_md, year)
    if end < start:
        end = on(end_md, year + 1)
    return start, end


class HolidayOverride(Strict):
    """某一年的假期安排。"""

    national_day_last_day: dt.date = Field(title="国庆假期最后一天")
    makeup_workdays: list[dt.date] = Field(default_factory=list, title="调休上班日")


class Report(Strict):
    """年度报告。"""

    working_days_after_national_day: int = Field(5, gt=0, title="国庆假期后第几个工作日截止")
    holiday_overrides: dict[int, HolidayOverride] = Field(default_factory=dict, title="假期覆盖")


class Problems(Strict):
    """问题清单。"""

    common_issue_min_cadres: int = Field(2, ge=2, title="“建议转交”所需的团干部数")


class Weights(Strict):
    """权重。"""

    fulfilment: float = Field(ge=0, title="实现度权重")
    activity: float = Field(ge=0, title="活跃度权重")
    satisfaction: float = Field(ge=0, title="满意度权重")

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        if abs(self.fulfilment + self.activity + self.satisfaction - 1) > 1e-6:
            raise ValueError("三项权重之和必须为 1")
        return self


class Evaluation(Strict):
    """评价。"""

    weights: Weights = Field(title="权重")
    activity_target_notes_per_month: float = Field(gt=0, title="活跃度满分所需的月均记录数")


class SiteConfig(Strict):
    """site_config.yml：站点、规则、日历和评价权重。"""

    site: Site
    limits: Limits = Field(default_factory=Limits)
    quotas: dict[Level, Quota] = Field(title="联系指标（按级别）")
    grace_days: int = Field(ge=0, title="新任团干部逐步达标期限（天）")
    diversity: Diversity = Field(default_factory=Diversity, title="多样性最低要求")
    max_cadres_per_youth: int = Field(gt=0, title="同一青年最多被几位团干部联系")
    family_categories: list[NonBlank] = Field(min_length=1, title="家庭情况类别")
    activity: Activity
    campaigns: list[Campaign] = Field(default_factory=list, title="集中活动")
    report: Report = Field(default_factory=Report)
    problems: Problems = Field(default_factory=Problems)
    evaluation: Evaluation
    admins: list[GitHubLogin] = Field(default_factory=list, title="管理员 GitHub 账号")

    @model_validator(mode="after")
    def _every_level_has_a_quota(self) -> SiteConfig:
        missing = [lv.label for lv in Level if lv not in self.quotas]
        if missing:
            raise ValueError(f"quotas 缺少级别：{'、'.join(missing)}")
        return self

    def quota(self, level: Level) -> Quota:
        return self.quotas[level]

"""The cadre assessment: 实现度 (fulfilment), 活跃度 (activity), 满意度 (satisfaction) and
their weighted composite.  Every number comes from ``site_config.yml``; the definitions
are written out once, in :func:`metric_definitions_markdown`, which the dashboard shows and
the handbook includes — change a formula here and its description beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .load import Deployment, Note
from .metrics import CadreStatus
from .model.config import SiteConfig
from .model.enums import NoteKind

#: Common issues: two problem summaries are "the same issue" at this difflib ratio …
SIMILARITY_RATIO = 0.6
#: … or when they share a phrase of this many characters (after normalisation).
KEY_PHRASE_CHARS = 4

#: The length of the activity window (the last 12 months) and of one month in it.
ACTIVITY_WINDOW_DAYS = 365
DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class Activity:
    start: dt.date  # first day counted
    end: dt.date  # last day counted (today)
    notes: int  # notes dated start..end
    online: int  # of which 线上互动
    months: float  # the window's length in months (at least 1)
    per_month: float
    score: float  # 活跃度, 0..1
    last_note: dt.date | None  # the latest note on or before ``end``

    @property
    def offline(self) -> int:
        return self.notes - self.online

    @property
    def days_since_last(self) -> int | None:
        return None if self.last_note is None else (self.end - self.last_note).days


@dataclass(frozen=True)
class Satisfaction:
    year: int
    respondents: int
    satisfied: int

    @property
    def score(self) -> float:
        return self.satisfied / self.respondents


@dataclass(frozen=True)
class Assessment:
    cadre_id: str
    fulfilment: float  # 实现度, 0..1
    activity: Activity
    satisfaction: Satisfaction | None  # None: no survey answered for this cadre
    composite: float | None  # 0..100; None only when every available weight is 0

    @property
    def satisfaction_score(self) -> float | None:
        return None if self.satisfaction is None else self.satisfaction.score


def activity(since: dt.date, notes: list[Note], today: dt.date, config: SiteConfig) -> Activity:
    """活跃度: notes per month in the last 12 months (or since appointment, if shorter),
    against ``evaluation.activity_target_notes_per_month``, capped at 1."""
    start = max(since, today - dt.timedelta(days=ACTIVITY_WINDOW_DAYS))
    counted = [n for n in notes if start <= n.front.date <= today]
    months = max(1.0, (today - start).days / DAYS_PER_MONTH)
    per_month = len(counted) / months
    target = config.evaluation.activity_target_notes_per_month
    past = [n.front.date for n in notes if n.front.date <= today]
    return Activity(
        start=start,
        end=today,
        notes=len(counted),
        online=sum(1 for n in counted if n.front.kind is NoteKind.ONLINE),
        months=months,
        per_month=per_month,
        score=min(1.0, per_month / target),
        last_note=max(past) if past else None,
    )


def satisfaction(dep: Deployment, cadre_id: str, up_to_year: int) -> Satisfaction | None:
    """满意度: the latest survey (year ≤ ``up_to_year``) that has answers for the cadre."""
    for year in sorted(dep.surveys, reverse=True):
        if year > up_to_year:
            continue
        result = dep.surveys[year].get(cadre_id)
        if result is not None and result.respondents > 0:
            return Satisfaction(year, result.respondents, result.satisfied)
    return None


def composite(
    config: SiteConfig, fulfilment: float, activity_score: float, satisfaction_score: float | None
) -> float | None:
    """The weighted sum ×100; without a survey, the weights of the other two are scaled
    up to sum to 1 (re-weighting over the available parts)."""
    w = config.evaluation.weights
    parts = [(w.fulfilment, fulfilment), (w.activity, activity_score)]
    if satisfaction_score is not None:
        parts.append((w.satisfaction, satisfaction_score))
    total = sum(weight for weight, _ in parts)
    if total <= 0:
        return None
    return 100 * sum(weight * value for weight, value in parts) / total


def assess(
    status: CadreStatus, dep: Deployment, today: dt.date, survey_year: int | None = None
) -> Assessment:
    """The assessment of one cadre as of ``today`` (``status`` computed for ``today``)."""
    since = dep.cadres[status.cadre_id].since
    act = activity(since, dep.notes.get(status.cadre_id, []), today, dep.config)
    sat = satisfaction(dep, status.cadre_id, survey_year if survey_year is not None else today.year)
    return Assessment(
        cadre_id=status.cadre_id,
        fulfilment=status.fulfilment,
        activity=act,
        satisfaction=sat,
        composite=composite(dep.config, status.fulfilment, act.score, sat and sat.score),
    )


def _num(value: float) -> str:
    return f"{value:g}"


#: A soft line break between two CJK characters (a browser would show it as a space).
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])\n[ \t]*(?=[^\x00-\x7f\s])")


def metric_definitions_markdown(config: SiteConfig) -> str:
    """How every metric is computed, with the configured numbers (Chinese Markdown)."""
    return _CJK_BREAK.sub("", _definitions(config))


def _definitions(config: SiteConfig) -> str:
    w = config.evaluation.weights
    target = _num(config.evaluation.activity_target_notes_per_month)
    quota_rows = "\n".join(
        f"| {level.label} | {q.committees} | {q.branches} | {q.dorm_groups} | {q.youth} |"
        for level, q in sorted(config.quotas.items(), key=lambda kv: kv[0].value, reverse=True)
    )
    div = config.diversity
    return f"""\
### 实现度

对照联系指标，计算每项指标的完成比例（实际数 ÷ 要求数，超过要求按 1 计，要求为 0 的指标
按 1 计），再取各项的平均值。当前的联系指标：

| 级别 | 分团委 | 团支部 | 宿舍团小组 | 青年 |
|---|---|---|---|---|
{quota_rows}

- 分团委、团支部、宿舍团小组按 `units` 中不同编号的个数计算；系级团干部不考核分团委数。
- 青年按当天“正在联系”的不同学号计算：`since` 不晚于当天，且没有 `until` 或 `until` 晚于当天。
- 新任团干部自任职日期 `since` 起 {config.grace_days} 天内为“逐步达到”期限：期内未达标显示
  “期内”，期满仍未达标显示“已逾期”。
- 多样性（不计入实现度，单独列出）：当前联系青年中至少 {div.majors} 个专业、{div.grades} 个
  年级、{div.political_statuses} 种政治面貌、{div.family_categories} 种家庭情况；同一名青年
  最多由 {config.max_cadres_per_youth} 位团干部同时联系。

### 活跃度

最近 12 个月（{ACTIVITY_WINDOW_DAYS} 天；任职不满 12 个月的从任职日期起算）的活动记录数，折算为
月均记录数（天数 ÷ {_num(round(DAYS_PER_MONTH, 4))}，不足 1 个月按 1 个月计），再除以满分标准
每月 {target} 条，超过按 1 计。所有类型的活动记录都计入；“线上互动”为线上，其余类型为线下。

### 满意度

最近一次（年份不晚于统计年份）有该团干部结果的满意度调查中，满意人数 ÷ 参与调查人数。
没有调查结果（或参与人数为 0）时满意度为空，综合评价只在其余两项之间按权重折算。

### 综合评价

综合评价 = (实现度 × {_num(w.fulfilment)} + 活跃度 × {_num(w.activity)} + 满意度 × \
{_num(w.satisfaction)}) × 100，满分 100。
没有满意度时 = (实现度 × {_num(w.fulfilment)} + 活跃度 × {_num(w.activity)}) ÷ \
{_num(round(w.fulfilment + w.activity, 6))} × 100。权重在 `site_config.yml` 的 \
`evaluation.weights` 中设置。

### 分团委“已完成”

一个分团委的团干部（`committee` 为该分团委的团干部）在今天和下一个上报截止日都达到全部联系
指标（按当天正在联系的青年计算，已知的 `until` 会使人数在截止日前减少），该分团委即为已完成；
“逐步达到”期限内未达标的团干部也算未完成（另行标注“期内”）。

### 年度报告

每年国庆假期结束后第 {config.report.working_days_after_national_day} 个工作日为上报截止日
（按国务院办公厅的放假安排，含调休上班日）。年度报告中的联系指标、多样性、实现度按截止日当天计算；
活动记录、集中活动记录和问题清单统计上一学年（上一年 9 月 1 日至当年 8 月 31 日）；
活跃度按截止日前 12 个月计算；满意度取年份不晚于报告年份的最近一次调查。

### 问题清单中的“共性问题”

同一类别下的两条问题，若概要在去掉标点和空白后相似度（`difflib` 的 ratio）不低于 \
{_num(SIMILARITY_RATIO)}，或有一段至少 {KEY_PHRASE_CHARS} 个字相同（共同关键词），即视为同一问题
（相似关系可传递）。同一问题由至少 {config.problems.common_issue_min_cadres} 位不同的团干部
提出时为共性问题；其中仍有“待处理”的，标记“建议转交”相关部门。
“未解决天数”为待处理和已转交的问题从活动记录日期到今天的天数。
"""

"""Compliance rules: quotas, diversity and overlap (thresholds from site_config.yml).

A minimum not met is a warning while the cadre is inside the grace period that starts at
``since`` ("逐步达到") and an error after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..diagnostics import Diagnostic, Severity
from ..metrics import CadreStatus, Measure
from .base import RuleContext, cadre_rule, current_ids, rule

_PATHS = {
    "committees": ("units", "committees"),
    "branches": ("units", "branches"),
    "dorm_groups": ("units", "dorm_groups"),
    "youth": ("youth",),
}


def _shortfall(status: CadreStatus, measure: Measure, what: str, file: str) -> Diagnostic:
    severity = Severity.WARNING if status.in_grace else Severity.ERROR
    due = (f"，逐步达到期限至 {status.grace_end.isoformat()}" if status.in_grace
           else f"（期限 {status.grace_end.isoformat()} 已过）")
    unit = "名" if measure.key == "youth" else "个"
    return Diagnostic(
        measure.code,
        severity,
        file,
        f"{what}{measure.label} {measure.actual} {unit}，要求至少 {measure.required} {unit}，"
        f"还差 {measure.shortfall} {unit}{due}",
        path=_PATHS.get(measure.key, ("youth",)),
        at_key=True,
        cadre=status.cadre_id,
        extra={"required": measure.required, "actual": measure.actual},
    )


# A cadre's status depends on its files and the shared inputs alone: these findings are
# kept per cadre with the other cadre rules', and an unchanged cadre's status is not read.
@cadre_rule()
def quotas(ctx: RuleContext, cadre_id: str) -> Iterator[Diagnostic]:
    """联系的分团委、团支部、宿舍团小组和青年数量达到本级别的指标。"""
    status = ctx.statuses[cadre_id]
    for measure in status.quotas:
        if not measure.met:
            what = "当前联系的" if measure.key == "youth" else "联系的"
            yield _shortfall(status, measure, what, ctx.dep.cadre_file(cadre_id))


@cadre_rule()
def diversity(ctx: RuleContext, cadre_id: str) -> Iterator[Diagnostic]:
    """当前联系的青年在专业、年级、政治面貌、家庭情况上足够多样。"""
    status = ctx.statuses[cadre_id]
    if not status.current_ids:
        return  # Q004 already says the list is empty
    for measure in status.diversity:
        if not measure.met:
            yield _shortfall(status, measure, "当前联系青年中不同的", ctx.dep.cadre_file(cadre_id))


@rule
def overlap(ctx: RuleContext) -> Iterator[Diagnostic]:
    """同一名青年不被超过规定人数的团干部同时联系。

    No youth is in the current lists of more than ``max_cadres_per_youth`` cadres.
    """
    limit = ctx.dep.config.max_cadres_per_youth
    # Made from the holders and each list's order (the youth's line in the file).
    yield from ctx.findings_across(
        "overlap", lambda cid: ([y.id for y in ctx.dep.cadres[cid].youth], current_ids(ctx, cid)),
        partial(_overlap, ctx, limit), limit,
    )


def _overlap(ctx: RuleContext, limit: int) -> Iterator[Diagnostic]:
    for student_id, holders in ctx.holders.items():
        if len(holders) <= limit:
            continue
        for cid in holders:
            index = next(i for i, y in enumerate(ctx.dep.cadres[cid].youth) if y.id == student_id)
            others = "、".join(h for h in holders if h != cid)
            yield Diagnostic(
                "O001",
                Severity.WARNING,
                ctx.dep.cadre_file(cid),
                f"第 {index + 1} 名青年同时被 {len(holders)} 位团干部联系（另有 {others}），"
                f"上限 {limit} 位",
                path=("youth", index, "id"),
                cadre=cid,
            )

"""Activity rules: regular notes, and a note in every concentrated campaign."""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, warning
from ..metrics import campaign_windows
from .base import RuleContext, cadre_rule


@cadre_rule()
def recent_note(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """每位团干部最近一次活动记录距今不超过规定天数。"""
    limit = ctx.dep.config.activity.max_days_without_note
    cadre = ctx.dep.cadres[cid]
    notes = [n for n in ctx.dep.notes.get(cid, []) if n.front.date <= ctx.today]
    last = notes[-1].front.date if notes else None
    quiet = (ctx.today - max(last or cadre.since, cadre.since)).days
    if quiet > limit:
        since = f"最近一次是 {last.isoformat()}" if last else "还没有任何活动记录"
        yield warning("A001", ctx.dep.cadre_file(cid),
                      f"已有 {quiet} 天没有活动记录（{since}），要求不超过 {limit} 天",
                      line=1, col=1, cadre=cid)


@cadre_rule()
def campaigns(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """五四、国庆、一二·九等集中活动期间至少有一条活动记录。"""
    dates = [n.front.date for n in ctx.dep.notes.get(cid, [])]
    for name, year, start, end in campaign_windows(ctx.dep, ctx.dep.cadres[cid].since, ctx.today):
        if not any(start <= d <= end for d in dates):
            yield warning("A002", ctx.dep.cadre_file(cid),
                          f"{year} 年{name}集中活动期间（{start.isoformat()} 至 "
                          f"{end.isoformat()}）没有活动记录", line=1, col=1, cadre=cid)

"""The build as a readable list of stages:

    read + model (load) → rules (check) → views → render → write (atomic)

``check`` stops after the rules; ``build`` goes on only when there is no data error
(compliance findings are content of the internal pages, not a reason to stop).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, Kind
from .load import ConfigError, Deployment, Memo, load, read_config
from .metrics import CadreStatus, all_statuses
from .model.config import SiteConfig
from .read.stamps import Walk
from .records import CadreRecords
from .rules import RuleContext, run_rules
from .workers import no_cycle_collection


@dataclass
class CheckResult:
    root: Path
    today: dt.date
    config: SiteConfig
    dep: Deployment
    statuses: Mapping[str, CadreStatus]
    diagnostics: list[Diagnostic]
    #: what the rules were given, with the indexes they built (the views reuse them)
    context: RuleContext
    #: per-cadre results kept between builds (``serve``); empty otherwise
    records: CadreRecords

    @property
    def data_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error and d.kind is Kind.DATA]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def check(
    root: Path,
    today: dt.date,
    *,
    jobs: int = 0,
    memo: Memo | None = None,
    loaded: Callable[[CheckResult], None] | None = None,
    records: CadreRecords | None = None,
    walked: Walk | None = None,
) -> CheckResult:
    """Read, validate and apply every rule; never raises on bad data.  ``memo``: what a
    long-running process keeps between runs (see :class:`zhilian.load.Memo`); without one,
    ``records`` keeps the per-cadre results (by default for this run only).

    ``loaded(result)`` is called once the data is loaded without a data error, before the
    statuses are read and the rules add theirs (``build`` starts work that needs no more
    meanwhile); rules only add diagnostics, so what it is given is the final result but
    for them.
    ``walked``: see :func:`zhilian.load.load`."""
    config = read_config(root)
    if memo is not None:
        records = memo.records
    elif records is None:
        records = CadreRecords(one_build=True)
    # The parsed-value cache is written once ``loaded`` has started its processes: the
    # load's end leaves a core idle, and what is written (the workers' chunks as they sent
    # them) shares no page those processes would then copy.
    writes: list[Callable[[], None]] = []
    with no_cycle_collection():
        dep, diags = load(
            root, config, jobs=jobs, memo=memo, clean=records.clean, walked=walked,
            write_later=writes,
        )
        records.start(dep, today)
        statuses = all_statuses(dep, today, records)
    context = RuleContext(dep, today, statuses, records)
    result = CheckResult(root, today, config, dep, statuses, diags, context, records)
    if loaded is not None and not result.data_errors:
        loaded(result)  # outside the block above: forked processes collect their garbage
    for write in writes:
        write()
    with no_cycle_collection():
        result.diagnostics += run_rules(context)
    return result

__all__ = ["CheckResult", "ConfigError", "Memo", "check", "read_config"]

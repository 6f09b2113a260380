"""What every rule receives, and the registry that makes each rule a named unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic
from ..load import Deployment
from ..metrics import CadreStatus, cadres_per_youth

if TYPE_CHECKING:
    from .privacy import PersonalInfo


@dataclass
class RuleContext:
    """The checked data, and indexes over it built once for every rule (and kept by the
    check's result for the views that need the same ones)."""

    dep: Deployment
    today: dt.date
    statuses: dict[str, CadreStatus]

    @cached_property
    def holders(self) -> dict[str, list[str]]:
        """学号 → the cadres whose current list holds it."""
        return cadres_per_youth(self.statuses)

    @cached_property
    def personal(self) -> PersonalInfo:
        """Every listed youth's 学号 and name: what public text must not contain."""
        from .privacy import PersonalInfo  # (that module's rules register through this one)

        return PersonalInfo(self.dep.cadres.values())


Rule = Callable[[RuleContext], Iterable[Diagnostic]]

#: name → rule, in the order they run (the order only affects nothing but readability).
RULES: dict[str, Rule] = {}


def rule(func: Rule) -> Rule:
    """Register ``func`` under its own name (``references.unit_ids`` style names in docs)."""
    RULES[f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"] = func
    return func

"""What every rule receives, and the registry that makes each rule a named unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..diagnostics import Diagnostic
from ..load import Deployment
from ..metrics import CadreStatus


@dataclass
class RuleContext:
    dep: Deployment
    today: dt.date
    statuses: dict[str, CadreStatus]


Rule = Callable[[RuleContext], Iterable[Diagnostic]]

#: name → rule, in the order they run (the order only affects nothing but readability).
RULES: dict[str, Rule] = {}


def rule(func: Rule) -> Rule:
    """Register ``func`` under its own name (``references.unit_ids`` style names in docs)."""
    RULES[f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"] = func
    return func

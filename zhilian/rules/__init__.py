"""Stage 3: rules.  Each rule is a small named function ``RuleContext -> diagnostics``.

Importing the modules registers their rules in :data:`RULES`.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic
from . import activity, ownership, privacy, quotas, references  # noqa: F401  (registers the rules)
from .base import RULES, RuleContext


def run_rules(ctx: RuleContext) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for check in RULES.values():
        found.extend(check(ctx))
    return found


__all__ = ["RULES", "RuleContext", "run_rules"]

"""Ownership rule: the committed ``.github/CODEOWNERS`` is what the data generates (G005)."""

from __future__ import annotations

from ..codeowners import codeowners_diagnostics
from ..diagnostics import Diagnostic
from .base import RuleContext, rule


@rule
def codeowners(ctx: RuleContext) -> list[Diagnostic]:
    return codeowners_diagnostics(ctx)

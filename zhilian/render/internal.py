"""PLACEHOLDER — being written (issue 4)."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def render_internal(result: Any, templates: Path) -> dict[str, bytes]:
    return {}

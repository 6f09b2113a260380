"""PLACEHOLDER — being written (issue 3, handbook)."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def build_handbook(result: Any, dest: Path) -> None:
    return None

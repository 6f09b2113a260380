"""The one Jinja2 environment: autoescape on, templates from the deployment's
``templates/`` folder (a university may restyle its copy), deterministic output."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from ..model.enums import label_of


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _zh_date(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@cache
def environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        # Compiled templates are kept between runs (checked against the source's checksum):
        # compiling them costs more than rendering the whole sample.
        bytecode_cache=FileSystemBytecodeCache(),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = label_of
    env.filters["date"] = _date
    env.filters["zh_date"] = _zh_date
    env.filters["percent"] = _percent
    return env

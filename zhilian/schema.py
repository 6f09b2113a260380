"""``python build.py schema``: JSON Schemas for editors (yaml-language-server), generated from
the same pydantic models that validate the data — so the editor, the checker and the
handbook's field reference cannot disagree."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .model.config import SiteConfig
from .model.data import (
    BranchesFile,
    Cadre,
    CommitteesFile,
    DormGroupsFile,
    NoteFront,
    SurveyFile,
)
from .reporters import Reporter

#: schema file stem → (model, Chinese title)
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "cadre": (Cadre, "团干部文件 data/cadres/<编号>.yml"),
    "note": (NoteFront, "活动记录开头信息块 data/notes/<编号>/<日期>-<名称>.md"),
    "committees": (CommitteesFile, "分团委名单 data/org/committees.yml"),
    "branches": (BranchesFile, "团支部名单 data/org/branches.yml"),
    "dorm_groups": (DormGroupsFile, "宿舍团小组名单 data/org/dorm_groups.yml"),
    "survey": (SurveyFile, "满意度调查 data/surveys/<年份>.yml"),
    "site_config": (SiteConfig, "站点配置 site_config.yml"),
}


def schema_for(model: type[BaseModel], title: str, family_categories: list[str]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    youth = schema.get("$defs", {}).get("Youth")
    if youth and family_categories:
        # The categories are the committee's choice (site_config.yml), not the code's.
        youth["properties"]["family"]["enum"] = list(family_categories)
    return schema


def render_schemas(family_categories: list[str]) -> dict[str, str]:
    """File name → JSON text (deterministic)."""
    return {
        f"{stem}.schema.json": json.dumps(
            schema_for(model, title, family_categories), ensure_ascii=False, indent=2,
            sort_keys=True
        ) + "\n"
        for stem, (model, title) in SCHEMAS.items()
    }


def write_schemas(args: argparse.Namespace, reporter: Reporter) -> int:
    from .cli import EXIT_OK, report_config_error
    from .pipeline import ConfigError, read_config

    try:
        config = read_config(args.root)
    except ConfigError as exc:
        return report_config_error(exc, args, reporter)
    out: Path = args.out or args.root / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_schemas(config.family_categories).items():
        (out / name).write_text(text, encoding="utf-8")
    reporter.info(f"已写入 {len(SCHEMAS)} 个 JSON Schema 到 {out}")
    return EXIT_OK

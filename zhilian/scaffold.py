"""``python build.py new cadre <id>`` and ``new note <cadre> <title>``: files with Chinese
comments that pass ``check`` once the placeholders are filled in."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

from .load import CADRE_ID_RE
from .reporters import Reporter
from .views.pinyin import spelling

CADRE_TEMPLATE = """\
# yaml-language-server: $schema=../../schemas/cadre.schema.json
# 团干部文件：填写后提交合并请求。说明见手册“团干部：修改自己的文件”。
# 每个“键: 值”的冒号后要有一个半角空格；电话、QQ、学号请用英文引号括起来。

name: 请填写姓名
level: 系级              # 校级 | 系级
appointment: 兼职        # 专职 | 兼职 | 挂职
title: 请填写职务         # 例如 数学学院分团委书记
committee: 请填写分团委编号  # 系级必填：data/org/committees.yml 中的 id
since: {today}        # 任职日期
github: 请填写GitHub账号   # 允许修改本文件的 GitHub 账号

contact:                 # 亮身份：取得本人同意后公开
  consent_on: {today}  # 同意公开联系方式的日期；删除此行则只公开姓名和职务
  phone: "0358-0000000"  # 手机号或“区号-号码”
  email: name@example.edu.cn
  # wechat: 微信号
  # qq: "123456789"
  # weibo: https://weibo.com/u/1234567
  # office: 行政楼 305

intro: |                 # 公开的简介，可用 Markdown
  同学们好！欢迎随时联系我。

units:                   # 联系的单位（公开）
  committees: []         # 校级：至少联系 3 个分团委
  branches: []           # 团支部编号，如 [cs-2023-1, math-2024-2]
  dorm_groups: []        # 宿舍团小组编号，如 [n3-402, n3-403]

youth: []                # 联系的青年（不公开），每人一项，例如：
#  - id: "2023010203"     # 学号，加引号
#    branch: cs-2023-1     # 团支部（由此推出专业和年级）
#    political_status: 共青团员   # 中共党员 | 中共预备党员 | 共青团员 | 群众
#    family: 城镇           # 家庭情况：site_config.yml 中 family_categories 之一
#    since: {today}
"""

NOTE_TEMPLATE = """\
---
title: {title}
date: {today}
kind: 线下活动        # 线上互动 | 线下活动 | 调研 | 座谈会 | 主题团日 | 志愿服务 | 办实事 | 思想引领
# channel: 微信       # 线上互动时填写：微信 | QQ | 微博 | 青年之声 | 其他
units: []             # 涉及的团支部或宿舍团小组编号
youth: []             # 参与青年的学号（必须在你的 youth 名单中），如 ["2023010203"]
public: false         # true：正文会显示在公开的“动态”页，不要写青年的姓名和学号
problems: []          # 问题清单，例如：
#  - category: 实际困难   # 思想困惑 | 实际困难 | 意见建议
#    summary: 宿舍热水供应不稳定
#    status: 待处理       # 待处理 | 已转交 | 已解决
---
在这里用几句话记录活动的经过和收获。
"""


def slugify(title: str) -> str:
    """``五四青年节座谈会`` → ``wu-si-qing-nian-jie-zuo-tan-hui`` (ASCII, URL-safe)."""
    words = spelling(title)
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(words).lower()).strip("-")
    return slug[:60].rstrip("-") or "note"


#: A new cadre's 编号 is a file name (``data/cadres/<编号>.yml``) and a folder's (its notes'):
#: file systems refuse names of more than 255 bytes.
MAX_ID_LENGTH = 64


def _new_cadre_id(cadre_id: str) -> bool:
    return len(cadre_id) <= MAX_ID_LENGTH and CADRE_ID_RE.match(cadre_id) is not None


def _refuse(reporter: Reporter, message: str) -> int:
    from .cli import EXIT_USAGE

    reporter.info(message)
    return EXIT_USAGE


def new(args: argparse.Namespace, reporter: Reporter) -> int:
    from .cli import EXIT_OK

    today = (args.today or dt.date.today()).isoformat()
    root: Path = args.root
    if args.what == "cadre":
        if len(args.args) != 1 or not _new_cadre_id(args.args[0]):
            return _refuse(
                reporter,
                f"用法：python build.py new cadre <编号>（小写字母、数字、连字符，"
                f"不超过 {MAX_ID_LENGTH} 个字符）",
            )
        path = root / "data" / "cadres" / f"{args.args[0]}.yml"
        text = CADRE_TEMPLATE.format(today=today)
    else:
        if len(args.args) < 2:
            return _refuse(reporter, "用法：python build.py new note <团干部编号> <标题>")
        cadre_id, title = args.args[0], " ".join(args.args[1:])
        # (the pattern first: "../x" must not name a file outside data/cadres/)
        if not CADRE_ID_RE.match(cadre_id) or not (root / "data/cadres" / f"{cadre_id}.yml").is_file():
            return _refuse(reporter, f"没有团干部文件 data/cadres/{cadre_id}.yml")
        path = root / "data" / "notes" / cadre_id / f"{today}-{slugify(title)}.md"
        text = NOTE_TEMPLATE.format(title=json.dumps(title, ensure_ascii=False), today=today)
    if path.exists():
        return _refuse(reporter, f"{path.relative_to(root)} 已存在，没有覆盖")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    reporter.info(f"已创建 {path.relative_to(root).as_posix()}：按注释填写后运行 python build.py check")
    return EXIT_OK

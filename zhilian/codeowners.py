"""``python build.py codeowners [--check]``: ``.github/CODEOWNERS`` generated from the data.

Each cadre's file and notes folder belong to that cadre's ``github`` login and the admins;
everything else — code, templates, workflows, ``site_config.yml``, ``data/org/``, this file
itself — to the admins only (DESIGN §8).  In CODEOWNERS the last matching pattern wins, so
``*`` comes first, then one pair of lines per cadre, and the admin-only paths last so that
no cadre rule can ever cover them.

With branch protection ("Require review from Code Owners") this makes the ownership rule
a real gate on GitHub; ``check --base`` enforces the same rule (G002) where CODEOWNERS is
not read (Gitea/Forgejo).  ``check`` reports G005 when the committed file is missing or not
what the data generates.

The deployment root is taken to be the repository's top level (where GitHub looks for
``.github/CODEOWNERS``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Protocol

from .diagnostics import Diagnostic, error
from .load import ConfigError, Deployment, load, read_config
from .model.config import SiteConfig
from .records import CadreRecords
from .reporters import Reporter, SourceCache

CODEOWNERS = ".github/CODEOWNERS"
#: Paths that only admins may change, repeated last so they win over every cadre rule.
ADMIN_ONLY = ("/site_config.yml", "/data/org/", "/templates/", "/.github/", "/.github/CODEOWNERS")
HEADER = """\
# generated — do not edit（自动生成，请勿手工修改）
#
# 由 python build.py codeowners 根据数据生成：每位团干部的文件和活动记录文件夹
# 归本人（data/cadres/<编号>.yml 中的 github 账号）和管理员（site_config.yml 中的
# admins）；其余所有文件只归管理员。修改 github 或 admins 后重新运行上面的命令并提交；
# python build.py check 会在本文件与数据不一致时报错（G005）。
#
# 规则的顺序有意义：后面的规则优先。
"""


class _HasDeployment(Protocol):
    dep: Deployment


def _owners(*logins: str | None) -> str:
    seen: list[str] = []
    for login in logins:
        if login and login.lower() not in (s.lower() for s in seen):
            seen.append(login)
    return " ".join(f"@{login}" for login in seen)


def _line(pattern: str, owners: str) -> str:
    return f"{pattern} {owners}".rstrip()


def generate(config: SiteConfig, cadres: Iterable[tuple[str, str | None]]) -> str:
    """The file's content for ``cadres`` ((id, github login), any order)."""
    admins = _owners(*config.admins)
    lines = [HEADER]
    if not admins:
        lines.append("# 注意：site_config.yml 中没有 admins，下面的文件没有管理员负责审核。")
    lines += [
        "# 默认：所有文件只归管理员",
        _line("*", admins),
        "",
        "# 每位团干部：本人文件和活动记录（本人 + 管理员）",
    ]
    for cid, login in sorted(cadres):
        if login:
            owners = _owners(login, *config.admins)
            lines.append(_line(f"/data/cadres/{cid}.yml", owners))
            lines.append(_line(f"/data/notes/{cid}/", owners))
        else:
            lines.append(f"# {cid}：未填写 github 账号，只有管理员可以修改")
    lines += ["", "# 只归管理员（放在最后，任何团干部规则都不能覆盖）"]
    lines += [_line(pattern, admins) for pattern in ADMIN_ONLY]
    return "\n".join(lines) + "\n"


def _cadre_files(root: Path) -> set[str]:
    """The ids of the cadre files there are (names, not ``Path`` objects: 1,000 of them)."""
    try:
        names = os.listdir(root / "data" / "cadres")
    except OSError:
        return set()
    return {name[:-4] for name in names if name.endswith(".yml") and not name.startswith(".")}


def expected(dep: Deployment, records: CadreRecords | None = None) -> str | None:
    """What CODEOWNERS should hold, or None while some cadre file does not load (its
    ``github`` is unknown; that file's own data error already blocks).  ``records``: where
    each cadre's login is kept (a cadre is then looked up only when its file changed)."""
    if _cadre_files(dep.root) - set(dep.cadres):
        return None
    records = records if records is not None else CadreRecords(one_build=True)
    logins = tuple(
        (cid, records.get("github", cid, lambda cid=cid: dep.cadres[cid].github))
        for cid in dep.cadres
    )
    # (the text, kept while the logins and admins are the same: 1,000 lines made again on
    # every build took 0.01–0.02 s)
    admins = tuple(dep.config.admins)
    return records.whole("codeowners", (admins, logins), lambda: generate(dep.config, logins))


def _first_difference(old: str, new: str) -> int:
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), 1):
        if x != y:
            return i
    return min(len(a), len(b)) + 1 if len(a) != len(b) else 1


def codeowners_diagnostics(result: _HasDeployment) -> list[Diagnostic]:
    """G005 when ``.github/CODEOWNERS`` is missing or differs from what the data generates.

    ``result`` is a :class:`~zhilian.pipeline.CheckResult` or a rule context (anything
    with ``.dep``)."""
    dep = result.dep
    want = expected(dep, getattr(result, "records", None))  # (a check's: ``records``)
    if want is None:
        return []
    path = dep.root / CODEOWNERS
    if not path.is_file():
        return [
            error(
                "G005",
                CODEOWNERS,
                "缺少 .github/CODEOWNERS：没有它，GitHub 不会要求"
                "团干部本人或管理员审核对应文件的修改",
                line=1,
                col=1,
            )
        ]
    try:
        have = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        have = ""
    if have.replace("\r\n", "\n") == want:
        return []
    line = _first_difference(have.replace("\r\n", "\n"), want)
    return [
        error(
            "G005",
            CODEOWNERS,
            f"CODEOWNERS 与数据生成的内容不一致（从第 {line} 行起）："
            "可能修改了 github 或 admins，或手工改动了这个文件",
            line=line,
            col=1,
        )
    ]


def run_codeowners(args: argparse.Namespace, reporter: Reporter) -> int:
    """Write (or with ``--check`` compare) ``.github/CODEOWNERS``; exit code as in DESIGN §5."""
    root: Path = args.root
    try:
        config = read_config(root)
    except ConfigError as exc:
        reporter.report(exc.diagnostics, SourceCache(root))
        return 2
    dep, diags = load(root, config)
    blocking = [d for d in diags if d.is_error and d.file.startswith("data/cadres/")]
    want = expected(dep)
    if blocking or want is None:
        reporter.report(blocking, SourceCache(root))
        reporter.info("团干部文件有错误，无法确定其 github 账号：修正后再生成 CODEOWNERS。")
        return 1
    path = root / CODEOWNERS
    if getattr(args, "check", False):
        found = codeowners_diagnostics(SimpleNamespace(dep=dep))
        reporter.report(found, SourceCache(root))
        if not found:
            reporter.info(f"{CODEOWNERS} 与数据一致。")
        return 1 if found else 0
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == want:
        reporter.info(f"{CODEOWNERS} 已是最新，没有改动。")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(want, encoding="utf-8", newline="\n")
    tmp.replace(path)
    reporter.info(f"已写入 {CODEOWNERS}（{len(dep.cadres)} 位团干部）。请提交这个文件。")
    return 0


def write_codeowners(root: Path) -> Path:
    """Generate ``root/.github/CODEOWNERS`` (for zhilian.demo and tests); returns its path."""
    config = read_config(root)
    dep, _ = load(root, config)
    want = expected(dep) or generate(config, ((cid, c.github) for cid, c in dep.cadres.items()))
    path = root / CODEOWNERS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(want, encoding="utf-8", newline="\n")
    return path

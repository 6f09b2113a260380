"""The pull-request gate: ``check --base REF [--author LOGIN] [--summary FILE]`` (DESIGN §6).

What a pull request may and may not do, judged against the state at ``REF``:

- only what it touches can block it: compliance errors of cadres whose files it does not
  change become warnings (a change to ``site_config.yml`` or ``data/org/`` touches everyone);
  data errors anywhere still block;
- G001  a changed cadre who met a quota or diversity minimum before falls below it now —
  an error even inside the grace period;
- G002  a file is changed by someone who may not change it: ``data/cadres/<id>.yml`` and
  ``data/notes/<id>/`` belong to that cadre's ``github`` login (as of REF, so a pull request
  cannot hand itself a file by editing the field) and the admins (``admins`` as of REF);
  everything else belongs to the admins only;
- G003  a cadre file deleted, or data moved from one cadre to another (admins may);
- G004  a symbolic link or submodule anywhere under ``data/``.

"Before" is the merge base of REF and ``HEAD``: on GitHub the pull-request merge commit
descends from REF, so that is REF itself; where a runner checks out the pull request's own
head (Gitea/Forgejo), the merge base keeps commits that reached REF later from being
counted as the pull request's changes.  The change set is the working tree against that
commit (untracked files under ``data/`` included), so the same command works locally
before committing (pre-commit runs it with ``--base HEAD``).

Nothing here writes to the repository or the working tree: the old state — the config, the
org files and the files of the cadres the change touches — is read with ``git ls-tree`` /
``git cat-file`` into a temporary directory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .diagnostics import CODES, Diagnostic, Kind, Severity, error
from .load import load
from .metrics import CadreStatus, Measure, all_statuses
from .model.data import Cadre
from .pipeline import CheckResult, ConfigError, read_config
from .read import parse_yaml, read_file
from .reporters import SourceCache, resolve_positions

#: Suffix of a compliance error that became a warning because the change does not touch it.
NOT_TOUCHED = "（本次修改未涉及此人，仅提示）"
#: Code of "git could not answer" (exit 2); G006 once registered, else the config code.
GIT_CODE = "G006" if "G006" in CODES else "X001"
GIT_TIMEOUT = 300

CADRE_FILE_RE = re.compile(r"^data/cadres/([^/]+)\.yml$")
NOTE_RE = re.compile(r"^data/notes/([^/]+)/.+")
#: Modes git uses for a symbolic link and a submodule (gitlink).
LINK_MODES = {"120000": "符号链接", "160000": "子模块"}
MAX_SUMMARY_CADRES = 60
MAX_SUMMARY_ERRORS = 100

_PATHS = {  # where a measure lives in the cadre file (for positions)
    "committees": ("units", "committees"),
    "branches": ("units", "branches"),
    "dorm_groups": ("units", "dorm_groups"),
}


class GateError(ConfigError):
    """git could not answer (not a repository, unknown REF): exit code 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(
            [
                error(
                    GIT_CODE,
                    ".",
                    message,
                    line=1,
                    col=1,
                    hint=hint
                    or (
                        "确认在部署仓库（git 仓库）中运行，--base 指向存在的分支或提交；"
                        "CI 中检出代码时需要 fetch-depth: 0。"
                    ),
                )
            ]
        )
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- git --------------------------------------------------------------------------------------


class Git:
    """``git`` run in the repository's top-level directory; every failure is a GateError."""

    def __init__(self, root: Path) -> None:
        self.top = root
        top = self.run("rev-parse", "--show-toplevel", what="找到 git 仓库").decode().strip()
        self.top = Path(top)
        # The deployment root inside the repository ("" when it is the top level).
        prefix = os.path.relpath(root.resolve(), self.top.resolve())
        self.prefix = (
            "" if prefix == "." else PurePosixPath(Path(prefix).as_posix()).as_posix() + "/"
        )

    def run(
        self, *args: str, what: str = "", data: bytes | None = None, ok: Iterable[int] = (0,)
    ) -> bytes:
        cmd = [
            "git",
            "-c",
            "core.quotepath=off",
            "-c",
            "core.fsmonitor=false",
            "-C",
            str(self.top),
            *args,
        ]
        # Paths are data, never patterns: a file named "*.yml" must not match every file.
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
            "GIT_LITERAL_PATHSPECS": "1",
        }
        try:
            proc = subprocess.run(
                cmd, input=data, capture_output=True, env=env, timeout=GIT_TIMEOUT, check=False
            )
        except FileNotFoundError:
            raise GateError("找不到 git 命令：合并请求检查（--base）需要安装 git。") from None
        except subprocess.TimeoutExpired:
            raise GateError(f"git {args[0]} 超过 {GIT_TIMEOUT} 秒没有完成。") from None
        if proc.returncode not in tuple(ok):
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            fatal = [ln for ln in detail if ln.startswith(("fatal:", "error:"))]
            reason = (fatal or detail or [f"退出码 {proc.returncode}"])[0].strip()
            if "not a git repository" in reason.lower():
                raise GateError(f"{self.top} 不是 git 仓库，无法与 --base 比较（{reason}）。")
            if "dubious ownership" in reason.lower():
                raise GateError(
                    f"git 拒绝读取 {self.top}：仓库属于另一个系统用户（{reason}）。",
                    f"以仓库所有者的身份运行，或执行 git config --global --add safe.directory "
                    f"{self.top}",
                )
            raise GateError(f"无法{what or '运行 git ' + args[0]}：{reason}")
        return proc.stdout

    def commit(self, ref: str) -> str:
        try:
            out = self.run(
                "rev-parse",
                "--verify",
                "--end-of-options",
                f"{ref}^{{commit}}",
                what=f"解析基准引用“{ref}”",
            )
        except GateError:
            raise GateError(
                f"找不到基准引用“{ref}”：它不是本仓库中的分支、标签或提交。",
                "检查 --base 的拼写；CI 中请用 actions/checkout 的 fetch-depth: 0 取得完整历史，"
                "并写成 origin/<目标分支>。",
            ) from None
        return out.decode().strip()

    def merge_base(self, commit: str) -> str:
        """merge-base(commit, HEAD), or ``commit`` when HEAD is unborn or unrelated."""
        try:
            head = self.run("rev-parse", "--verify", "-q", "HEAD^{commit}", ok=(0, 1))
        except GateError:
            return commit
        if not head.strip():
            return commit
        out = self.run("merge-base", commit, "HEAD", ok=(0, 1), what="计算合并基准")
        return out.decode().strip() or commit

    def to_root(self, top_rel: str) -> str:
        """A repository path → a path relative to the deployment root."""
        if top_rel.startswith(self.prefix):
            return top_rel[len(self.prefix) :]
        return Path(os.path.relpath(self.top / top_rel, self.top / self.prefix)).as_posix()


def _split_z(raw: bytes) -> list[str]:
    return [p for p in raw.decode("utf-8", "surrogateescape").split("\0") if p]


@dataclass(frozen=True)
class Change:
    status: str  # A (added or untracked), M, D, R (renamed), T (type changed)
    path: str  # relative to the deployment root; for D the deleted path
    old: str | None = None  # for R: the old path


#: Untracked files count only where the checker reads them: a pull request holds no untracked
#: files, but a local run (pre-commit) may, and build by-products (``*.egg-info`` from
#: ``pip install -e .`` in a deployment without .gitignore) must not count as changes.
UNTRACKED_PATHS = ("site_config.yml", "data")


def changes(git: Git, commit: str) -> list[Change]:
    """The working tree against ``commit``: tracked files, and untracked ones under data/."""
    fields = _split_z(
        git.run(
            "diff",
            "--name-status",
            "-z",
            "-M",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules=none",
            commit,
            "--",
            what="比较修改",
        )
    )
    found: list[Change] = []
    i = 0
    while i < len(fields):
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            if status == "R":
                found.append(Change("R", git.to_root(new), git.to_root(old)))
            else:
                found.append(Change("A", git.to_root(new)))
            continue
        path = git.to_root(fields[i + 1])
        i += 2
        found.append(Change("M" if status in "TUX" else status, path))
    for path in _split_z(
        git.run(
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            "--",
            *(f"{git.prefix}{p}" for p in UNTRACKED_PATHS),
            what="列出未跟踪的文件",
        )
    ):
        found.append(Change("A", git.to_root(path)))
    return found


# --- a snapshot of the deployment at a commit ---------------------------------------------------


@dataclass
class Snapshot:
    commit: str
    loaded: bool = False  # site_config.yml valid at that commit
    admins: set[str] = field(default_factory=set)  # lower-case logins
    cadre_ids: set[str] = field(default_factory=set)  # ids with a data/cadres/<id>.yml
    owners: dict[str, str | None] = field(default_factory=dict)  # id → github login
    statuses: dict[str, CadreStatus] = field(default_factory=dict)
    cadres: dict[str, Cadre] = field(default_factory=dict)  # the cadres that validate


def _lenient_github(text: str | None) -> str | None:
    """The ``github`` field of a cadre file that may not validate."""
    if not text:
        return None
    value, _ = parse_yaml(text, "")
    if isinstance(value, dict):
        login = value.get("github")
        return login.strip() if isinstance(login, str) and login.strip() else None
    match = re.search(r"^github\s*:\s*[\"']?([A-Za-z0-9-]+)", text, re.MULTILINE)
    return match.group(1) if match else None


def _lenient_admins(text: str | None) -> set[str]:
    if not text:
        return set()
    value, _ = parse_yaml(text, "")
    admins = value.get("admins") if isinstance(value, dict) else None
    if not isinstance(admins, list):
        return set()
    return {a.strip().lower() for a in admins if isinstance(a, str) and a.strip()}


def _text(path: Path) -> str | None:
    return read_file(path, "", 1 << 30)[0] if path.is_file() else None


def _owners(root: Path, loaded: dict[str, object]) -> tuple[set[str], dict[str, str | None]]:
    folder = root / "data" / "cadres"
    ids = {p.stem for p in folder.glob("*.yml")} if folder.is_dir() else set()
    owners: dict[str, str | None] = {}
    for cid in sorted(ids):
        cadre = loaded.get(cid)
        owners[cid] = (
            getattr(cadre, "github", None)
            if cadre is not None
            else _lenient_github(_text(folder / f"{cid}.yml"))
        )
    return ids, owners


#: What the "before" state needs: the rules, the units and cadres (not notes or photos).
SNAPSHOT_PATHS = ("site_config.yml", "data/org")


def _materialise(git: Git, commit: str, dest: Path, cadres: Iterable[str] | None) -> None:
    """Write :data:`SNAPSHOT_PATHS` and the files of ``cadres`` (None: every cadre) as of
    ``commit`` into ``dest`` (regular files only)."""
    wanted = [*SNAPSHOT_PATHS] + (
        ["data/cadres"] if cadres is None else [f"data/cadres/{cid}.yml" for cid in sorted(cadres)]
    )
    listing = _split_z(
        git.run(
            "ls-tree",
            "-r",
            "-z",
            commit,
            "--",
            *(f"{git.prefix}{p}" for p in wanted),
            what="读取基准版本的文件列表",
        )
    )
    blobs: list[tuple[str, str]] = []
    for entry in listing:
        meta, _, path = entry.partition("\t")
        mode, kind, oid = meta.split(" ")
        if kind != "blob" or mode in LINK_MODES:
            continue  # links and submodules are never followed
        rel = git.to_root(path)
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or ".." in parts:
            continue
        blobs.append((oid, rel))
    if not blobs:
        return
    out = git.run(
        "cat-file",
        "--batch",
        data="".join(f"{oid}\n" for oid, _ in blobs).encode(),
        what="读取基准版本的文件",
    )
    pos = 0
    for _oid, rel in blobs:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split(b" ")[2])
        content = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def snapshot(git: Git, commit: str, today: dt.date, cadres: Iterable[str] | None) -> Snapshot:
    """The deployment at ``commit``: admins, and owners and statuses of ``cadres`` (None:
    of every cadre; a pull request needs only those it touches)."""
    snap = Snapshot(commit)
    with tempfile.TemporaryDirectory(prefix="zhilian-base-") as tmp:
        root = Path(tmp)
        _materialise(git, commit, root, cadres)
        cadres: dict[str, object] = {}
        try:
            config = read_config(root)
        except ConfigError:
            snap.admins = _lenient_admins(_text(root / "site_config.yml"))
        else:
            snap.loaded = True
            snap.admins = {a.lower() for a in config.admins}
            dep, _ = load(root, config)
            snap.cadres = dict(dep.cadres)
            cadres = dict(snap.cadres)
            snap.statuses = all_statuses(dep, today)
        snap.cadre_ids, snap.owners = _owners(root, cadres)
    return snap


# --- rules ----------------------------------------------------------------------------------


def cadre_of(path: str) -> str | None:
    """The cadre whose file or notes folder ``path`` is in, if any."""
    match = CADRE_FILE_RE.match(path) or NOTE_RE.match(path)
    return match.group(1) if match else None


def touches_everyone(path: str) -> bool:
    return path == "site_config.yml" or path.startswith("data/org/")


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def touched(found: list[Change]) -> tuple[set[str], bool]:
    """The cadres whose files the change touches, and whether it touches everyone."""
    direct: set[str] = set()
    everyone = False
    for ch in found:
        for path in (ch.path, ch.old):
            if path is None:
                continue
            cid = cadre_of(path)
            if cid is not None:
                direct.add(cid)
            everyone = everyone or touches_everyone(path)
    return direct, everyone


def _downgrade(diags: list[Diagnostic], touched: set[str], everyone: bool) -> list[Diagnostic]:
    out = []
    for d in diags:
        if d.is_error and d.kind is Kind.COMPLIANCE and not everyone and d.cadre not in touched:
            d = dataclasses.replace(d, severity=Severity.WARNING, message=d.message + NOT_TOUCHED)
        out.append(d)
    return out


def _measures(status: CadreStatus) -> list[Measure]:
    return [*status.quotas, *status.diversity]


def _broken(
    before: dict[str, CadreStatus], after: dict[str, CadreStatus], cadres: Iterable[str]
) -> dict[tuple[str, str], tuple[Measure, Measure]]:
    """(cadre, measure key) → (before, after) for every minimum met before and missed now."""
    broken = {}
    for cid in sorted(cadres):
        if cid not in before or cid not in after:
            continue
        old = {m.key: m for m in _measures(before[cid])}
        for m in _measures(after[cid]):
            prev = old.get(m.key)
            if prev is not None and prev.met and not m.met:
                broken[(cid, m.key)] = (prev, m)
    return broken


def g001(
    result: CheckResult, broken: dict[tuple[str, str], tuple[Measure, Measure]]
) -> list[Diagnostic]:
    diags = []
    for (cid, key), (prev, now) in broken.items():
        unit = "名" if key == "youth" else "个"
        what = (
            "当前联系的"
            if key in ("youth", "committees", "branches", "dorm_groups")
            else "当前联系青年中不同的"
        )
        grace = "，虽在逐步达到期内也不能降低" if result.statuses[cid].in_grace else ""
        diags.append(
            error(
                "G001",
                result.dep.cadre_file(cid),
                f"本次修改使{what}{now.label}从 {prev.actual} {unit}降到 {now.actual} {unit}，"
                f"低于要求的 {now.required} {unit}（修改前已达标{grace}）",
                path=_PATHS.get(key, ("youth",)),
                at_key=True,
                cadre=cid,
                extra={"before": prev.actual, "after": now.actual, "required": now.required},
            )
        )
    return diags


def ownership(
    found: list[Change], author: str, ref: Snapshot, result: CheckResult
) -> list[Diagnostic]:
    """G002 and G003 for a non-admin ``author``."""
    _, current_owners = _owners(result.root, dict(result.dep.cadres))
    diags: list[Diagnostic] = []
    reported: set[str] = set()

    def owner(cid: str) -> str | None:
        if cid in ref.cadre_ids:
            return ref.owners.get(cid)
        return current_owners.get(cid)  # a new cadre: the login the new file names

    def check_path(path: str, verb: str, where: str) -> None:
        if path in reported:
            return
        cid = cadre_of(path)
        if cid is not None:
            login = owner(cid)
            if _same(login, author):
                return
            if cid not in ref.cadre_ids:
                why = (
                    f"{cid} 是新团干部，新文件 data/cadres/{cid}.yml 中的 github 账号"
                    f"（{login or '未填写'}）必须是提交者本人，否则只有管理员可以{verb}"
                )
            elif login:
                why = (
                    f"这是 {cid} 的{'团干部文件' if CADRE_FILE_RE.match(path) else '活动记录'}，"
                    f"只有其 github 账号 {login}（以基准版本为准）和管理员可以{verb}"
                )
            else:
                why = f"{cid} 的团干部文件在基准版本中没有填写 github 账号，只有管理员可以{verb}"
        else:
            why = f"这个文件只有管理员可以{verb}"
        reported.add(path)
        diags.append(
            error("G002", where, f"{author} 无权{verb} {path}：{why}", line=1, col=1, cadre=cid)
        )

    for ch in found:
        if ch.status == "R" and ch.old is not None:
            check_path(ch.old, "移动", ch.path)
            check_path(ch.path, "修改", ch.path)
            old_cid = cadre_of(ch.old)
            # A cadre file moved anywhere, or a note moved to another cadre's folder.
            if old_cid is not None and (
                CADRE_FILE_RE.match(ch.old) or cadre_of(ch.path) != old_cid
            ):
                target = cadre_of(ch.path)
                diags.append(
                    error(
                        "G003",
                        ch.path,
                        f"把 {ch.old} 移到了 {ch.path}："
                        + (
                            f"团干部的数据不能从 {old_cid} 转到 {target} 名下"
                            if target and target != old_cid
                            else f"这相当于删除了 {old_cid} 的团干部文件"
                        ),
                        line=1,
                        col=1,
                        cadre=old_cid,
                    )
                )
        elif ch.status == "D":
            check_path(ch.path, "删除", ch.path)
            cid = cadre_of(ch.path)
            if cid is not None and CADRE_FILE_RE.match(ch.path):
                diags.append(
                    error(
                        "G003",
                        ch.path,
                        f"删除了团干部文件 {ch.path}：只有管理员可以删除团干部",
                        line=1,
                        col=1,
                        cadre=cid,
                    )
                )
        else:
            check_path(ch.path, "添加" if ch.status == "A" else "修改", ch.path)
    return diags


def links(git: Git, root: Path) -> list[Diagnostic]:
    """G004: symbolic links and submodules under data/, in the index and the working tree."""
    found: dict[str, str] = {}
    for entry in _split_z(
        git.run("ls-files", "-s", "-z", "--", f"{git.prefix}data", what="列出 data/ 中的文件")
    ):
        meta, _, path = entry.partition("\t")
        mode = meta.split(" ")[0]
        if mode in LINK_MODES:
            found[git.to_root(path)] = LINK_MODES[mode]
    data = root / "data"
    if data.is_symlink():
        found.setdefault("data", "符号链接")
    for here, dirs, files in os.walk(data) if data.is_dir() and not data.is_symlink() else ():
        for name in [*dirs, *files]:
            full = Path(here) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                found.setdefault(rel, "符号链接")
            elif name == ".git":
                found.setdefault(Path(here).relative_to(root).as_posix(), "子模块或嵌套的 git 仓库")
        dirs[:] = [d for d in dirs if d != ".git"]
    return [
        error("G004", rel, f"{rel} 是{kind}：data/ 中只能放普通文件", line=1, col=1)
        for rel, kind in sorted(found.items())
    ]


# --- the summary ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md(text: object) -> str:
    """Plain text for a Markdown table cell or list item (no HTML, no markup, one line)."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.split())


def _mark(m: Measure, status: CadreStatus, broke: bool) -> str:
    if m.met:
        return "✅ 达标"
    if broke:
        return "❌ 本次修改导致低于要求"
    if status.in_grace:
        return f"⚠️ 未达标，逐步达到期内（至 {status.grace_end.isoformat()}）"
    return f"❌ 未达标，期限 {status.grace_end.isoformat()} 已过"


def _cadre_section(
    cid: str,
    before: CadreStatus | None,
    after: CadreStatus | None,
    cadre: Cadre | None,
    broken: dict[tuple[str, str], tuple[Measure, Measure]],
    deleted: bool,
) -> list[str]:
    """``cadre``: as the pull request leaves it, else as it was at the base."""
    name = md(cadre.name) if cadre is not None and (after or before) else ""
    lines = [f"### {name}（{md(cid)}）" if name else f"### {md(cid)}", ""]
    if deleted:
        return [*lines, "本次修改删除了这位团干部的文件。", ""]
    if after is None or cadre is None:
        return [*lines, "❌ 文件有数据错误，无法统计指标（见下方错误）。", ""]
    grace = "期内" if after.in_grace else "已过"
    lines += [
        f"{md(cadre.level.label)} · 任职 {cadre.since.isoformat()} · 逐步达到期限 "
        f"{after.grace_end.isoformat()}（{grace}）" + ("" if before else " · 新增团干部"),
        "",
        "| 指标 | 要求 | 修改前 → 修改后 | 状态 |",
        "| --- | ---: | :---: | --- |",
    ]
    old = {m.key: m for m in _measures(before)} if before else {}
    for i, m in enumerate(_measures(after)):
        label = m.label if i < len(after.quotas) else f"{m.label}（多样性）"
        prev = old.get(m.key)
        change = f"{prev.actual if prev else '—'} → {m.actual}"
        lines.append(
            f"| {label} | {m.required} | {change} | {_mark(m, after, (cid, m.key) in broken)} |"
        )
    return [*lines, ""]


def summary_markdown(
    result: CheckResult,
    base_ref: str,
    base: Snapshot,
    author: str | None,
    is_admin: bool,
    cadres: list[str],
    deleted: set[str],
    broken: dict[tuple[str, str], tuple[Measure, Measure]],
    diags: list[Diagnostic],
    more_cadres: int = 0,
) -> str:
    errors = sorted((d for d in diags if d.is_error), key=Diagnostic.sort_key)
    warnings = [d for d in diags if not d.is_error]
    quiet = sum(1 for d in warnings if d.message.endswith(NOT_TOUCHED))
    who = (
        (f"@{md(author)}" + ("（管理员）" if is_admin else ""))
        if author
        else "未提供（未检查文件权限）"
    )
    verdict = f"❌ 有 {len(errors)} 个错误，修正之前不能合并" if errors else "✅ 没有阻止合并的错误"
    out = [
        "## 直联数据检查：合并请求摘要",
        "",
        f"- 基准：`{md(base_ref)}`（{base.commit[:10]}）",
        f"- 提交者：{who}",
        f"- 检查日期：{result.today.isoformat()}",
        f"- 结果：{verdict}；{len(warnings)} 个警告"
        + (f"（其中 {quiet} 个是本次修改未涉及的团干部的合规问题，仅提示）" if quiet else ""),
        "",
    ]
    if cadres:
        out += [
            "图例：✅ 达标 · ⚠️ 未达标但在逐步达到期内 · ❌ 未达标且期限已过，或本次修改导致不达标",
            "",
        ]
    for cid in cadres:
        cadre = result.dep.cadres.get(cid) or base.cadres.get(cid)
        out += _cadre_section(
            cid, base.statuses.get(cid), result.statuses.get(cid), cadre, broken, cid in deleted
        )
    if more_cadres:
        out += [f"另有 {more_cadres} 位团干部的指标有变化，未逐一列出。", ""]
    if not cadres:
        out += ["本次修改没有涉及任何团干部的文件。", ""]
    if errors:
        out += [f"### 阻止合并的错误（{len(errors)} 个）", ""]
        for i, d in enumerate(errors[:MAX_SUMMARY_ERRORS], 1):
            where = f"`{d.file}`" + (f" 第 {d.line} 行" if d.line else "")
            out.append(
                f"{i}. {where} · **{d.code} {md(d.title)}**：{md(d.message)}<br>提示：{md(d.hint)}"
            )
        if len(errors) > MAX_SUMMARY_ERRORS:
            out.append(f"\n……另有 {len(errors) - MAX_SUMMARY_ERRORS} 个错误，见检查日志。")
        out.append("")
    return "\n".join(out) + "\n"


def _write_summary(path: Path | None, text: str, info: Callable[[str], None]) -> None:
    if path is None or str(path) in ("", "."):
        return
    try:
        if path.is_dir():
            info(f"--summary {path} 是一个文件夹，没有写入摘要。")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        info(f"无法写入摘要 {path}：{exc.strerror or exc}")


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


# --- entry point -----------------------------------------------------------------------------


def apply_pull_request_rules(
    result: CheckResult,
    base: str,
    author: str | None,
    summary_path: Path | None,
    info: Callable[[str], None] | None = None,
) -> list[Diagnostic]:
    """All diagnostics of ``result`` judged as a pull request against ``base``.

    Raises :class:`GateError` (a ConfigError: exit code 2) when git cannot answer.
    """
    say = info or _stderr
    author = (author or "").strip() or None
    try:
        git = Git(result.root)
        ref_commit = git.commit(base)
        before_commit = git.merge_base(ref_commit)
        found = changes(git, before_commit)
        direct, everyone = touched(found)
        # Every cadre's "before" only for a summary of a change that touches everyone.
        wanted = None if everyone and summary_path is not None else direct
        ref = snapshot(git, ref_commit, result.today, wanted)
        before = (
            ref
            if before_commit == ref_commit
            else snapshot(git, before_commit, result.today, wanted)
        )
        link_diags = links(git, result.root)
    except GateError as exc:
        _write_summary(
            summary_path,
            f"## 直联数据检查：合并请求摘要\n\n❌ 无法完成检查：{md(exc.message)}\n",
            say,
        )
        raise

    diags = _downgrade(result.diagnostics, direct, everyone)
    broken = _broken(before.statuses, result.statuses, direct)
    diags += g001(result, broken)
    diags += link_diags

    is_admin = author is not None and author.lower() in ref.admins
    if author is None:
        say("未提供 --author：跳过文件权限检查（G002、G003）。")
    elif not is_admin:
        diags += ownership(found, author, ref, result)

    if summary_path is not None:
        resolve_positions(diags, SourceCache(result.root))
        deleted = {
            cid
            for cid in direct
            if cid in before.cadre_ids
            and not (result.root / "data" / "cadres" / f"{cid}.yml").is_file()
        }
        shown = sorted(direct)
        if everyone:
            moved = [
                cid
                for cid in sorted(result.statuses)
                if cid not in direct
                and (
                    cid not in before.statuses
                    or [(m.required, m.actual) for m in _measures(before.statuses[cid])]
                    != [(m.required, m.actual) for m in _measures(result.statuses[cid])]
                )
            ]
            shown += moved
        more = max(0, len(shown) - MAX_SUMMARY_CADRES)
        _write_summary(
            summary_path,
            summary_markdown(
                result,
                base,
                before,
                author,
                is_admin,
                shown[:MAX_SUMMARY_CADRES],
                deleted,
                broken,
                diags,
                more,
            ),
            say,
        )
    return diags

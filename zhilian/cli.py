"""Command line: ``python build.py [command] [options]`` (DESIGN §5).

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage/configuration error or a bug
in zhilian itself (reported in one short paragraph, never a traceback unless
``ZHILIAN_DEBUG=1``); 141 when the reader of the output stopped early (``| head``), as a
shell reports any command that SIGPIPE ended.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .diagnostics import DataChanged
from .paths import CACHE_DIR, POSITIONS_FILE
from .reporters import REPORTERS, Reporter, SourceCache

if TYPE_CHECKING:  # the stages are imported when a command needs them (see run_check)
    from .load import ConfigError
    from .pipeline import CheckResult
    from .read.stamps import Walk
    from .records import CadreRecords

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
#: the reader of the output went away, as a shell reports a process SIGPIPE ended
EXIT_BROKEN_PIPE = 128 + 13


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from None


#: argparse's messages (its English, as of Python 3.11–3.13) in Chinese; the first that
#: matches is used, and a message none matches is shown as it is.
_ARGPARSE_ZH = [
    (r"the following arguments are required: (.+)", "缺少参数：{0}"),
    (r"unrecognized arguments: (.+)", "无法识别的参数：{0}"),
    (r"ambiguous option: (\S+) could match (.+)", "选项 {0} 不明确，可能是：{1}"),
    (r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)", "{0} 不能是 {1}，可选：{2}"),
    (r"argument (\S+): invalid int value: (.+)", "{0} 应为整数：{1}"),
    (r"argument (\S+): expected (?:at least )?one argument", "{0} 后面缺少取值"),
    (r"argument (\S+): (.+)", "{0}：{1}"),  # (the message of one of our types: Chinese)
]


#: the names argparse gives positional arguments (their ``dest``)
_ARGUMENT_NAMES = {"command": "命令", "what": "要新建的内容（cadre 或 note）", "args": "编号（和标题）"}


def _in_chinese(message: str) -> str:
    for pattern, text in _ARGPARSE_ZH:
        found = re.fullmatch(pattern, message)
        if found:
            first, *rest = found.groups()
            names = "、".join(_ARGUMENT_NAMES.get(n, n) for n in first.split(", "))
            return text.format(names, *rest)
    return message


#: argparse's headings in the help, in Chinese
_HELP_ZH = [
    ("usage: ", "用法："),
    ("\npositional arguments:\n", "\n命令和参数：\n"),
    ("\noptions:\n", "\n选项：\n"),
    ("show this help message and exit", "显示这段帮助后退出"),
]


def _help_in_chinese(text: str) -> str:
    for english, chinese in _HELP_ZH:
        text = text.replace(english, chinese, 1)
    return text


class _Parser(argparse.ArgumentParser):
    def format_usage(self) -> str:
        return _help_in_chinese(super().format_usage())

    def format_help(self) -> str:
        return _help_in_chinese(super().format_help())

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"用法错误：{_in_chinese(message)}\n")
        raise SystemExit(EXIT_USAGE)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="部署仓库的目录（默认当前目录）")
    parser.add_argument("--today", type=_date, default=None, help="按这一天计算所有日期规则（YYYY-MM-DD）")
    parser.add_argument("--format", choices=sorted(REPORTERS), default="text", help="诊断输出格式")
    parser.add_argument("--base", default=None, help="合并请求的基准 git 引用（启用合并请求规则）")
    parser.add_argument("--author", default=None, help="合并请求作者的 GitHub 账号")
    parser.add_argument("--summary", type=Path, default=None, help="把合并请求摘要（Markdown）写入此文件")
    parser.add_argument("--quiet", "-q", action="store_true", help="不输出进度")
    parser.add_argument("--jobs", type=int, default=0, help="并行进程数（默认按 CPU 核数；1 表示不并行）")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python build.py", description="团干部直接联系青年：检查数据并生成站点")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    build = sub.add_parser("build", help="检查数据，然后生成 site/public 和 site/internal（默认）")
    build.add_argument("--out", type=Path, default=None, help="输出目录（默认 <root>/site）")
    _common(build)
    _common(sub.add_parser("check", help="只检查数据（CI 运行的命令）"))
    serve = sub.add_parser("serve", help="本地预览，修改后自动重新生成并刷新浏览器")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    _common(serve)
    new = sub.add_parser("new", help="新建团干部文件或活动记录")
    new.add_argument("what", choices=["cadre", "note"])
    new.add_argument("args", nargs="+", help="cadre <编号> | note <团干部编号> <标题>")
    _common(new)
    report = sub.add_parser("report", help="生成年度报告（HTML、CSV、XLSX）")
    report.add_argument("--year", type=int, default=None)
    report.add_argument("--out", type=Path, default=None, help="输出目录（默认 <root>/site/internal/report）")
    _common(report)
    schema = sub.add_parser("schema", help="生成编辑器使用的 JSON Schema")
    schema.add_argument("--out", type=Path, default=None, help="输出目录（默认 <root>/schemas）")
    _common(schema)
    codeowners = sub.add_parser("codeowners", help="根据数据生成 CODEOWNERS")
    codeowners.add_argument("--check", action="store_true", help="只比较，不写入")
    _common(codeowners)
    return parser


def make_reporter(fmt: str, stream: TextIO | None = None) -> Reporter:
    cls = REPORTERS[fmt]
    if fmt == "text":
        return cls(stream or sys.stdout)
    return cls(stream or sys.stdout)


def report_config_error(exc: ConfigError, args: argparse.Namespace, reporter: Reporter) -> int:
    reporter.report(exc.diagnostics, SourceCache(args.root))
    return EXIT_USAGE


def run_check(
    args: argparse.Namespace,
    reporter: Reporter,
    loaded: Callable[[CheckResult], None] | None = None,
    walked: Walk | None = None,
    records: CadreRecords | None = None,
) -> tuple[int, CheckResult | None]:
    """Shared by ``check`` and ``build``: all diagnostics, reported once.

    The reading, models and rules are imported here, not at the top: a run answered from
    the memo (``fingerprint``) does without them (half a second of imports).
    ``serve`` passes the models it keeps between builds as ``args.memo``; ``loaded`` is
    told when the data is loaded, before the rules (``pipeline.check``); ``walked``: a walk
    over the files just taken (the fingerprint's), which the load goes by.  Otherwise the
    per-cadre results of the last run are taken from the cache (``records``, when not read
    already); the caller saves this run's (``result.records.save()``) when it is done
    with them."""
    from .pipeline import ConfigError, check
    from .records import kept_records

    today = args.today or dt.date.today()
    memo = getattr(args, "memo", None)
    try:
        result = check(
            args.root, today, jobs=args.jobs, memo=memo, loaded=loaded,
            records=None if memo is not None else (
                records if records is not None else kept_records(args.root)
            ),
            walked=walked,
        )
    except ConfigError as exc:
        return report_config_error(exc, args, reporter), None
    diags = result.diagnostics
    if args.base:
        from .gate import apply_pull_request_rules

        try:
            diags = apply_pull_request_rules(
                result, args.base, args.author, args.summary, info=reporter.info
            )
        except ConfigError as exc:  # git could not answer (unknown --base, not a repository)
            return report_config_error(exc, args, reporter), None
        result.diagnostics = diags
    reporter.report(diags, SourceCache(args.root, positions=args.root / CACHE_DIR / POSITIONS_FILE))
    return (EXIT_ERRORS if result.errors else EXIT_OK), result


def cmd_check(args: argparse.Namespace, reporter: Reporter) -> int:
    from .fingerprint import fingerprinted
    from .paths import templates_dir
    from .workers import worker_count

    if args.base:  # pull-request rules depend on git, not only on the working tree
        code, result = run_check(args, reporter)
        if result is not None:
            result.records.save()
        return code
    root = args.root
    today = args.today or dt.date.today()
    parallel = worker_count(args.jobs) > 1
    with fingerprinted(
        root, "check", root / "site", templates_dir(root), today, parallel=parallel
    ) as taken:
        if not taken.ready():  # what run_check needs, imported meanwhile
            from . import pipeline  # noqa: F401

        remembered = taken.remembered()
        if remembered is not None:
            reporter.report(remembered, SourceCache(root))
            return EXIT_ERRORS if any(d.is_error for d in remembered) else EXIT_OK
        # (the walk taken before the data is read: ``fingerprint.fingerprinted``)
        code, result = run_check(args, reporter, walked=taken.walked())
        if result is not None:
            taken.remember(result.dep.sources, result.diagnostics)
            result.records.save()
        return code


def cmd_build(args: argparse.Namespace, reporter: Reporter) -> int:
    from .build import build_site

    return build_site(args, reporter)


def cmd_serve(args: argparse.Namespace, reporter: Reporter) -> int:
    from .serve import serve

    return serve(args, reporter)


def cmd_new(args: argparse.Namespace, reporter: Reporter) -> int:
    from .scaffold import new

    return new(args, reporter)


def cmd_report(args: argparse.Namespace, reporter: Reporter) -> int:
    from .annual import run_report

    return run_report(args, reporter)


def cmd_schema(args: argparse.Namespace, reporter: Reporter) -> int:
    from .schema import write_schemas

    return write_schemas(args, reporter)


def cmd_codeowners(args: argparse.Namespace, reporter: Reporter) -> int:
    from .codeowners import run_codeowners

    return run_codeowners(args, reporter)


COMMANDS = {
    "build": cmd_build,
    "check": cmd_check,
    "serve": cmd_serve,
    "new": cmd_new,
    "report": cmd_report,
    "schema": cmd_schema,
    "codeowners": cmd_codeowners,
}


def main(argv: Sequence[str] | None = None, reporter: Reporter | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    args.root = args.root.resolve()
    reporter = reporter or make_reporter(args.format)
    try:
        return COMMANDS[args.command](args, reporter)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (``| head``): nothing more to tell it
        with contextlib.suppress(OSError):  # (nor at exit, when Python flushes it again)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except DataChanged as exc:  # (site/ is left as it was: nothing was swapped in)
        sys.stderr.write(f"{exc}\n")
        return EXIT_USAGE
    except Exception as exc:  # a bug in zhilian, not in the data
        if os.environ.get("ZHILIAN_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"X002 程序内部错误：{type(exc).__name__}: {exc}\n"
            "这是 zhilian 的缺陷，不是你的数据问题。请把这段输出发给管理员"
            "（设置环境变量 ZHILIAN_DEBUG=1 可显示详细信息）。\n"
        )
        return EXIT_USAGE

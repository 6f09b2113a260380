"""``python build.py``: check, then render both sites and swap them in atomically.

The stages, in order:

1. check        read + validate + rules (``pipeline.check``); data errors stop here
2. views        public view (public fields only) and internal view
3. render       Jinja2 templates → bytes in memory; a page whose inputs are unchanged
                comes from the page cache instead (``render.page_cache``).  The public
                site, the annual report and the handbook are made in forked processes
                meanwhile (``workers.Background``): the handbook from the start, the
                other two as soon as the data is loaded, while the rules run — they are
                dropped if the rules find a data error
4. write        a fresh directory, swapped in place of ``site/`` once complete
                (``write.SiteWriter``; the public part is written by its own process,
                and each internal cadre page by the process that rendered it)

Before all this, the inputs' fingerprint answers a run whose inputs are unchanged from
the memo (``fingerprint``).  With workers it is taken in another process while this one
imports the stages, and the load takes that process's walk (its folder listings and the
files' content hashes) instead of listing, stat'ing and reading the 23,000 files of a
province again.  A first run (no memo yet) has its walk leave the cadre and note files to
the load, and completes the fingerprint with the load's hashes once it is done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, run_check
from .fingerprint import Fingerprint, code_digest, fingerprinted
from .paths import CACHE_DIR, REPLACED_DIR, templates_dir
from .reporters import Reporter, SourceCache
from .workers import (
    Background,
    Elsewhere,
    Helper,
    enter_held,
    no_cycle_collection,
    worker_count,
)

if TYPE_CHECKING:
    from .load import Memo
    from .pipeline import CheckResult
    from .records import CadreRecords
    from .render.page_cache import PageCache, PagesUsed
    from .write import SiteWriter, SpareFolders

T = TypeVar("T")


class Progress:
    """Stage lines for builds that take longer than a second, on a terminal only: CI logs
    stay quiet (``--quiet`` silences it everywhere)."""

    def __init__(self, reporter: Reporter, started: float, *, enabled: bool) -> None:
        self.reporter, self.started = reporter, started
        self.enabled = enabled and sys.stderr.isatty()

    def say(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        if self.enabled and elapsed > 1.0:
            self.reporter.info(f"[{elapsed:6.1f} 秒] {message}")


def _public_site(
    result: CheckResult, templates: Path, pages: PageCache, site: SiteWriter
) -> tuple[int, PagesUsed, bytes]:
    """Render and write ``public/``: the files never travel between processes.  The
    renderer gets the public view only, which holds public fields only, by construction.
    Also returned: the page-cache entries used, and the per-cadre records made."""
    from .render.public import render_public
    from .views.public import build_public_view

    result.records.forked()
    with no_cycle_collection():
        view = build_public_view(result)
    files = render_public(view, templates, pages, result.records)
    site.write(files, "public")
    return len(files), pages.sent(), result.records.added()


def _annual_report(
    result: CheckResult,
    templates: Path,
    pages: PageCache,
    elsewhere: Elsewhere | None = None,
) -> Callable[[], tuple[dict[str, bytes], PagesUsed, bytes]]:
    """The call that gives the annual report's files (``elsewhere``: where the workbook is
    made, see ``render.internal.annual_report``)."""
    from .render.internal import annual_report

    result.records.forked()
    files = annual_report(result, templates, pages, elsewhere)
    return lambda: (files(), pages.sent(), result.records.added())


def _report_with_workbook_aside(
    result: CheckResult, templates: Path, pages: PageCache
) -> tuple[dict[str, bytes], PagesUsed, bytes]:
    """The annual report's files, in a process of their own, whose workbook one more
    process makes meanwhile: XlsxWriter's 0.25 s (1,000 cadres, every sheet written) would
    otherwise come after the page and make this the last process of a build to end."""
    with ExitStack() as stack:

        def elsewhere(fn: Callable[..., T], *args: object) -> Callable[[], T]:
            return enter_held(stack, lambda: Background(partial(fn, *args))).result

        return _annual_report(result, templates, pages, elsewhere)()


def _handbook_ahead(root: Path, today: dt.date, stack: ExitStack, *, enabled: bool) -> Background:
    """Start building the handbook into its cache in another process, stopped with ``stack``
    (without one, the write stage builds it).  A first run starts it before importing
    anything (``build_site``): the sample's cold build ends with it, 0.3 s of MkDocs."""
    if not enabled:
        return Background(lambda: None, enabled=False)
    return enter_held(stack, lambda: Background(partial(_prepare_handbook, root, today)))


def _prepare_handbook(root: Path, today: dt.date) -> None:
    """The handbook built into its cache (a broken configuration, which the check reports,
    leaves it to the write stage, which no such build reaches)."""
    from .handbook import prepare_handbook
    from .load import ConfigError, read_config

    try:
        config = read_config(root)
    except ConfigError:
        return
    prepare_handbook(root, config, today)


def _remove_replaced_ahead(aside: Path, stack: ExitStack, *, parallel: bool) -> None:
    """Remove the sites that earlier builds put ``aside`` (``SiteWriter``): in another
    process while this one reads the data, when a core is idle (1,000 cadres' site took
    0.04 s to remove at the end of the build that replaced it), else here (``serve`` puts
    none aside: its sites' folders are kept for its next build)."""
    from .write import remove_replaced

    try:
        with os.scandir(aside) as entries:
            if next(entries, None) is None:
                return
    except OSError:  # none yet
        return
    remove = partial(remove_replaced, aside, os.getpid())
    if parallel:
        enter_held(stack, lambda: Background(remove))
    else:
        remove()


def _folders_ahead(
    out: Path, aside: Path, stack: ExitStack, *, enabled: bool
) -> Callable[[], Path | None]:
    """Make the new site's folders — those of a site put aside by an earlier build, emptied,
    or else those of the site as it is — in another process while this one reads the data,
    when a core is idle (``write.folders_ahead``: a site's 230 folders took 0.03–0.04 s to
    make in the busiest part of a rebuild); the sites put aside go meanwhile.  Returned: the
    call that gives the folders if that process is done by then (it is not waited for: the
    writer makes them otherwise); when they are not taken, they are removed on leaving
    ``stack``."""
    from .write import FOLDERS_INFIX, folders_ahead

    if not enabled:
        return lambda: None
    dest = f"{out.parent}{os.sep}.{out.name}{FOLDERS_INFIX}{os.getpid()}-{os.urandom(4).hex()}"
    process = enter_held(
        stack, lambda: Background(partial(folders_ahead, out, dest, aside, os.getpid()))
    )
    taken: list[bool] = []

    def folders() -> Path | None:
        if process.running() or not process.result():
            return None
        taken.append(True)
        return Path(dest)

    def not_taken() -> None:  # (no site was written, or the process was late)
        if not taken:
            process.stop()
            shutil.rmtree(dest, ignore_errors=True)

    stack.callback(not_taken)
    return folders


#: ``serve`` rebuilds in one process when at most this many cadres' results must be made
#: again (and the templates are the same): see :class:`_Ahead`
LEAN_MAX_CHANGED = 50


class _Ahead:
    """The annual report and the public site need the data loaded, nothing the rules add
    (nor the statuses, read when first looked up: ``metrics.Statuses``): with worker
    processes they are started before the rules run, into a new site folder, and stopped
    (the folder removed) if a data error turns up after all.

    Not so for a ``serve`` rebuild after a small edit (``helper``: given when the templates
    are the same as the last build's, and used when few cadres changed): it runs in this
    process, all but the workbook, which ``helper`` makes meanwhile.  Forked, the processes
    spent what the second core gave: each copies every memory page it touches of the ones
    it shares with the others, and a rebuild touches every cadre's objects in each.  Measured
    on 1,000 cadres, forked: 110,000 page faults (430 MB copied), 1.5–1.8 s of CPU; here:
    2,000 page faults, 0.8 s of CPU; the same wall time (bench/README.md)."""

    def __init__(
        self, stack: ExitStack, out: Path, templates: Path,
        new_pages: Callable[[], PageCache], *, parallel: bool, spare: SpareFolders | None,
        aside: Path, folders: Callable[[], Path | None] = lambda: None,
        helper: Helper | None = None,
    ) -> None:
        self.stack, self.out, self.templates, self.spare = stack, out, templates, spare
        self.aside, self.folders = aside, folders
        self.new_pages, self.parallel, self.helper = new_pages, parallel, helper
        self.report: Background | None = None
        self.public: Background | None = None
        self.site: SiteWriter | None = None

    def start(self, result: CheckResult) -> None:
        from .views.pinyin import learn_names
        from .write import SiteWriter

        if self.site is not None:
            return
        learn_names(result)  # (before the processes that build the views are forked)
        templates, new_pages, enter = self.templates, self.new_pages, self.stack.enter_context
        if self.helper is not None and result.records.changed <= LEAN_MAX_CHANGED:
            self.parallel = False  # (the report first: the helper starts on its workbook)
            report = _annual_report(result, templates, new_pages(), self.helper.submit)
            self.report = enter(Background(report, enabled=False))
        # That process writes into the new site's folder: should anything fail, it is
        # stopped before the folder is removed (the stack leaves in reverse order).  Each
        # is put on the stack with Ctrl-C and SIGTERM held (``enter_held``).
        site = self.site = enter_held(
            self.stack, lambda: SiteWriter(self.out, self.spare, self.aside, self.folders())
        )
        self.public = enter_held(self.stack, lambda: Background(
            lambda: _public_site(result, templates, new_pages(), site), enabled=self.parallel
        ))
        if self.report is None:  # (after the public site's, the process that ends last)
            self.report = enter_held(self.stack, lambda: Background(
                partial(_report_with_workbook_aside, result, templates, new_pages()),
                enabled=self.parallel,
            ))

    def drop(self) -> None:
        for process in (self.public, self.report):
            if process is not None:
                process.stop()


def build_site(args: argparse.Namespace, reporter: Reporter) -> int:
    """Build, or answer from the memo when no input changed (then none of the stages is
    even imported: that is most of a no-change rebuild's time)."""
    started = time.perf_counter()
    out = (args.out or args.root / "site").resolve()
    templates = templates_dir(args.root)
    today = args.today or dt.date.today()
    if args.base:  # pull-request builds depend on git too: no memo
        return _build(args, reporter, started, out, templates, today, None)
    memo = f"build {out}"
    memo_in_memory = getattr(args, "memo", None)  # ``serve``'s build process keeps one
    stamps = memo_in_memory.fingerprint_stamps if memo_in_memory is not None else None
    parallel = worker_count(args.jobs) > 1
    with ExitStack() as early, fingerprinted(
        args.root, memo, out, templates, today, stamps, parallel=parallel
    ) as taken:
        # A first run (no memo) builds whatever its walk finds: its handbook is started now,
        # while this process imports the stages, instead of once they are imported.
        handbook = (
            _handbook_ahead(args.root, today, early, enabled=True)
            if parallel and taken.first else None
        )
        # (the modules' objects live as long as the process: the cyclic collector, which
        # ran a hundred times over them, 15 ms, is paused meanwhile)
        with no_cycle_collection():
            _import_stages(taken.ready)
            records = _records_meanwhile(args, taken.ready)
            _import_stages(taken.ready, _FORKED_STAGES)
        remembered = taken.remembered()
        if remembered is not None and out.is_dir():
            reporter.report(remembered, SourceCache(args.root))
            if not args.quiet:
                elapsed = time.perf_counter() - started
                reporter.info(f"输入没有变化，{out} 已是最新（{elapsed:.2f} 秒）。")
            return EXIT_OK
        return _build(
            args, reporter, started, out, templates, today, (memo, taken), records, handbook
        )


#: what a build imports, in steps of 0.01–0.04 s (see :func:`_import_stages`)
_STAGES = (
    "pydantic", "pydantic.fields", "pydantic.main", ".model.data", ".model.config",
    ".handbook", ".annual", ".views.pinyin", ".views.internal", "jinja2", ".render.internal",
    ".render.page_cache", ".write", ".pipeline",
)


#: what the processes forked for the public site and the workbook import (0.05 s): imported
#: here while the walk goes on, they are not imported after the fork, when both cores are busy
_FORKED_STAGES = (".views.public", ".render.public", "xlsxwriter")


def _import_stages(ready: Callable[[], bool], stages: tuple[str, ...] = _STAGES) -> None:
    """Import the stages while the fingerprint is taken in another process, until it is
    there: unchanged inputs are then answered without the rest (0.2 s of imports)."""
    for name in stages:
        if ready():
            return
        importlib.import_module(name, __package__)


def _records_meanwhile(args: argparse.Namespace, ready: Callable[[], bool]) -> CadreRecords | None:
    """The per-cadre results of the last run, read while the fingerprint's walk is still
    being taken in another process (a core is free then: 0.05 s of a rebuild's 0.3 before
    the data is read); None when the walk is already there, which an unchanged build
    answers without them, or when ``serve`` keeps them in memory."""
    if getattr(args, "memo", None) is not None or ready():
        return None
    from .records import kept_records

    return kept_records(args.root)


def _build(
    args: argparse.Namespace,
    reporter: Reporter,
    started: float,
    out: Path,
    templates: Path,
    today: dt.date,
    memo: tuple[str, Fingerprint] | None,
    records: CadreRecords | None = None,
    started_handbook: Background | None = None,
) -> int:
    """``memo``: its name, and the inputs' fingerprint (``fingerprint.fingerprinted``),
    whose walk the load goes by once it is taken — by ``current()``, before the data is
    read.  ``records``: the last run's per-cadre results, if already read;
    ``started_handbook``: the handbook's process, if a first run started it already."""
    from .handbook import HandbookError, build_handbook

    parallel = worker_count(args.jobs) > 1
    #: ``serve`` runs what it is given once it has answered (the browser reloads sooner),
    #: and keeps the replaced site's folders for its next build
    defer: Callable[[Callable[[], None]], None] | None = getattr(args, "defer", None)
    spare: SpareFolders | None = getattr(args, "spare", None)
    # ``serve`` rebuilding with the templates of its last build: see ``_Ahead``
    made_by = code_digest(templates)
    kept: Memo | None = getattr(args, "memo", None)
    rebuild = kept is not None and kept.built_with == made_by
    # The handbook (MkDocs) needs the configuration only: it is built meanwhile — started
    # before the imports below, which this process does while it runs (not when ``serve``
    # rebuilds: its handbook is most often kept as it is, in 0.01 s, and a fork costs more).
    # Each process started here is stopped when this one fails or is interrupted (``with``).
    with ExitStack() as forked:
        handbook = started_handbook or _handbook_ahead(
            args.root, today, forked, enabled=parallel and not rebuild
        )
        aside = args.root / CACHE_DIR / REPLACED_DIR  # (the site this build replaces goes there)
        # (without the folders made ahead — and the sites put aside removed with them — the
        # writer makes the folders)
        folders_ahead = parallel and not rebuild and out.is_dir()
        folders = _folders_ahead(out, aside, forked, enabled=folders_ahead)
        if not folders_ahead:
            _remove_replaced_ahead(aside, forked, parallel=parallel and not rebuild)
        from .render.internal import render_internal
        from .render.page_cache import PageCache
        from .write import SiteManifest

        # (taken before the data is read: ``fingerprint.fingerprinted``)
        walk = memo[1].walked() if memo is not None else None
        # One PageCache per process; what the others used is merged into this one.
        manifest = SiteManifest(out, args.root / CACHE_DIR)
        new_pages = partial(PageCache, args.root / CACHE_DIR / "pages", made_by, manifest)
        pages = new_pages()
        with ExitStack() as stack:
            ahead = _Ahead(
                stack, out, templates, new_pages, parallel=parallel, spare=spare, aside=aside,
                folders=folders,
                helper=getattr(args, "helper", None) if rebuild else None,
            )
            code, result = run_check(
                args, reporter, loaded=ahead.start if parallel else None,
                walked=walk, records=records,
            )
            if result is None or result.data_errors:  # (the handbook is dropped on leaving)
                ahead.drop()
                if result is None:
                    return code
                reporter.info("存在数据错误，没有生成站点；site/ 保持上一次成功生成的内容。")
                return EXIT_ERRORS
            ahead.start(result)  # without worker processes: made in turn, below
            assert ahead.site and ahead.report and ahead.public
            site, report, public = ahead.site, ahead.report, ahead.public

            progress = Progress(reporter, started, enabled=not args.quiet)
            progress.say(f"已读取并检查 {len(result.dep.cadres)} 位团干部、"
                         f"{sum(map(len, result.dep.notes.values()))} 条活动记录")
            # Made in this process (a lean rebuild, ``--jobs 1``): the public site first,
            # while the helper makes the workbook that the internal pages' report waits for.
            public_made = None if ahead.parallel else public.result()

            # The handbook is copied in while this process waits for another (the report's,
            # or else the public site's): once, and any error reported after the pages.
            handbook_errors: list[HandbookError] = []
            handbook_copied: list[bool] = []

            def copy_handbook() -> None:
                if handbook_copied:
                    return
                handbook_copied.append(True)
                try:
                    handbook.result()
                    guide = site.tmp / "public" / "guide"
                    build_handbook(result.root, result.config, result.today, guide)
                except HandbookError as exc:  # mkdocs.yml or docs/ broken: configuration
                    handbook_errors.append(exc)

            @cache
            def report_files() -> dict[str, bytes]:
                if report.running():
                    copy_handbook()
                files, used, records = report.result()
                pages.merge(*used)
                result.records.merge(records)  # (made in another process, with workers)
                return files

            @cache
            def public_files() -> int:
                written, used, records = public_made if public_made else public.result()
                pages.merge(*used)  # the other process's pages: kept by prune below
                result.records.merge(records)
                return written

            def meanwhile() -> None:
                # Worker processes render the last cadre pages, the others have ended: the
                # records are saved now, not after the site, when nothing else runs (0.3 s
                # after a cold build of 1,000 cadres), and a first run's fingerprint made.
                report_files()
                public_files()
                result.records.save()
                if memo is not None:
                    memo[1].final(result.dep.sources)

            def write_internal(files: dict[str, bytes]) -> None:
                site.write(files, "internal")

            internal = render_internal(
                result, templates, pages=pages, jobs=args.jobs,
                busy=lambda: public.running() or report.running(), report=report_files,
                write=write_internal,  # cadre pages, by whichever process rendered them
                meanwhile=meanwhile,
            )
            write_internal({path: data for path, data in internal.items() if data is not None})
            progress.say(f"已生成内部站点 {len(internal)} 个文件")
            copy_handbook()
            if handbook_errors:
                reporter.info(f"手册无法生成：{handbook_errors[0]}\nsite/ 保持上一次成功生成的内容。")
                return EXIT_USAGE
            files = len(internal) + public_files()
            progress.say(f"已生成公开站点，共 {files} 个文件")
            site.commit(defer)
            if kept is not None:
                kept.built_with = made_by

    def finish() -> None:  # for the next build: nothing of it is needed to serve this one
        pages.prune()
        manifest.save(pages.placed, pages.kept)
        result.records.save()
        if memo is not None:
            memo[1].remember(result.dep.sources, result.diagnostics)

    if defer is None:
        finish()
    else:
        defer(finish)

    elapsed = time.perf_counter() - started
    if not args.quiet:
        reused = f"，{pages.hits} 个沿用上次的结果" if pages.hits else ""
        reporter.info(f"已生成 {files} 个文件到 {out}{reused}（{elapsed:.2f} 秒）。")
    return EXIT_OK

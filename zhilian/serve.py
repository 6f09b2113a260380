"""``python build.py serve``: local preview with live reload.

* builds once (the same :func:`zhilian.build.build_site` as ``python build.py``), then serves
  ``site/public`` at ``/`` and ``site/internal`` at ``/internal/`` (stdlib
  ``ThreadingHTTPServer``, localhost by default);
* builds in a child process forked before any thread starts (:class:`BuildProcess`): it may
  use worker processes like ``python build.py``, and it keeps the parsed and validated files
  in memory, so a rebuild parses and validates only the files that changed;
* watches ``data/``, ``templates/``, ``docs/``, ``site_config.yml`` and ``mkdocs.yml``
  (watchdog's native observer when available, otherwise polling) and rebuilds on a change;
* reloads the browser: every HTML response gets
  ``<script src="/__zhilian__/reload.js?v=…">`` injected *at serve time* (never written into
  ``site/``).  The pages' Content-Security-Policy forbids inline scripts and, on the internal
  pages, any connection (``default-src 'none'``), so the script long-polls by inserting
  ``<script src="/__zhilian__/poll.js?v=…">`` elements — allowed by ``script-src 'self'`` —
  instead of using ``fetch`` or ``EventSource``;
* a build that fails (data errors, a broken ``site_config.yml``, even a bug) does not stop the
  server: the diagnostics go to the terminal and every page shows an error page listing them
  (masked as the text reporter masks source lines) until a fix makes the build pass again;
* Ctrl-C (or SIGTERM) stops it cleanly with exit code 0.

Also served, for tools and tests: ``/__zhilian__/version`` (JSON: version, ok, codes).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import mimetypes
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from .cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from .diagnostics import CODES, Diagnostic, Kind, Severity
from .reporters import Reporter, SourceCache, redact_line
from .workers import can_fork, child_signals, signals_held

if TYPE_CHECKING:
    from .load import Memo

PREFIX = "/__zhilian__/"
WATCHED_DIRS = ("data", "templates", "docs")
#: (CODEOWNERS: the check compares it with the data, G005; made again by a command)
WATCHED_FILES = ("site_config.yml", "mkdocs.yml", ".github/CODEOWNERS")
#: the folders of watched files below the root, each watched alone (not what is under it)
WATCHED_FILE_DIRS = tuple(sorted({f.rsplit("/", 1)[0] for f in WATCHED_FILES if "/" in f}))
POLL_SECONDS = 20.0  # how long a browser's poll request waits for a new version
QUIET_SECONDS = 0.2  # debounce: rebuild once the files have been quiet this long
MAX_DEBOUNCE_SECONDS = 2.0
STOP_ATTEMPTS = 10  # SIGTERMs (a second apart) to a building child before SIGKILL

RELOAD_JS = """\
// zhilian serve: reload this page when the site has been rebuilt (development server only).
(function () {
  var me = document.currentScript;
  var match = /[?&]v=([^&]+)/.exec(me ? me.src : "");
  var version = match ? match[1] : "";
  var failures = 0;
  function poll() {
    var script = document.createElement("script");
    script.src = "/__zhilian__/poll.js?v=" + encodeURIComponent(version) + "&t=" + Date.now();
    script.onload = function () {
      script.parentNode.removeChild(script);
      failures = 0;
      setTimeout(poll, 50);
    };
    script.onerror = function () {
      script.parentNode.removeChild(script);
      failures += 1;
      setTimeout(poll, Math.min(5000, 500 * failures));
    };
    document.head.appendChild(script);
  }
  if (document.readyState === "complete") {
    poll();
  } else {
    window.addEventListener("load", poll);
  }
})();
"""

mimetypes.add_type("text/vcard", ".vcf")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("application/javascript", ".js")
TEXT_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/manifest+json",
    "application/xml",
)


# --- shared state ------------------------------------------------------------------------------


class State:
    """What the HTTP threads need to know about the latest build."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._boot = secrets.token_hex(3)  # a restarted server makes every open page reload
        self._count = 0
        self.error_page: bytes | None = None  # set while the latest build failed
        self.codes: list[str] = []
        self.stopping = False

    @property
    def version(self) -> str:
        return f"{self._boot}-{self._count}"

    @property
    def built(self) -> bool:
        """Whether the first build has finished (successfully or not)."""
        return self._count > 0

    def publish(self, error_page: bytes | None, codes: list[str]) -> None:
        with self._cond:
            self.error_page = error_page
            self.codes = codes
            self._count += 1
            self._cond.notify_all()

    def wait_for_change(self, seen: str, timeout: float) -> str:
        with self._cond:
            self._cond.wait_for(lambda: self.version != seen or self.stopping, timeout)
            return self.version

    def stop(self) -> None:
        with self._cond:
            self.stopping = True
            self._cond.notify_all()


# --- the error page ----------------------------------------------------------------------------


def _shown_errors(diags: list[Diagnostic], code: int) -> list[Diagnostic]:
    errors = [d for d in diags if d.is_error]
    if code == EXIT_ERRORS:  # build refused because of data errors: those are the reason
        errors = [d for d in errors if d.kind is Kind.DATA] or errors
    return errors


def error_page(diags: list[Diagnostic], sources: SourceCache | None, guide: bool) -> bytes:
    """A self-contained page listing the errors (served by the dev server only)."""
    items = []
    for d in diags:
        where = d.file or "（程序）"
        if d.line:
            where += f" 第 {d.line} 行"
            if d.col:
                where += f"第 {d.col} 列"
        source = sources.line(d.file, d.line) if (sources and d.file and d.line) else None
        snippet = ""
        if source is not None and source.strip():
            shown = redact_line(source)
            gutter = f"{d.line:>5} | "
            caret = " " * (len(gutter) - 2) + "| " + " " * max(d.col - 1, 0) + "^"
            snippet = f"<pre>{html.escape(gutter + shown)}\n{html.escape(caret)}</pre>"
        title = CODES[d.code].title if d.code in CODES else ""
        link = ""
        if guide and d.code in CODES:
            link = (
                f' <a href="/guide/reference/diagnostics/#{d.code.lower()}">'
                f"{html.escape(d.code)} 的说明</a>"
            )
        items.append(
            "<li>"
            f'<p class="head"><code>{html.escape(d.code)}</code> <strong>{html.escape(title)}'
            f"</strong></p>"
            f'<p class="where">{html.escape(where)}</p>'
            f"<p>{html.escape(d.message)}</p>{snippet}"
            f'<p class="hint">提示：{html.escape(d.hint)}{link}</p>'
            "</li>"
        )
    count = len(diags)
    body = "\n".join(items) or "<li><p>生成失败，详情见终端输出。</p></li>"
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>数据有错误 · 本地预览</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0;
       background: #fff5f5; color: #1f2933; line-height: 1.6; }}
main {{ max-width: 56rem; margin: 0 auto; padding: 1rem; }}
h1 {{ color: #b71c1c; font-size: 1.4rem; }}
ol {{ padding-left: 1.2rem; }}
li {{ background: #fff; border-left: 4px solid #c62828; margin: 0 0 1rem; padding: .5rem 1rem;
     box-shadow: 0 1px 2px rgba(0,0,0,.1); }}
li p {{ margin: .3rem 0; }}
.where {{ color: #52606d; font-family: ui-monospace, monospace; }}
.hint {{ color: #1b5e20; }}
pre {{ background: #f5f7fa; padding: .5rem; overflow-x: auto; }}
code {{ font-weight: bold; }}
</style>
</head>
<body>
<main id="zhilian-error" data-codes="{html.escape(" ".join(d.code for d in diags))}">
<h1>数据有错误，网站没有更新</h1>
<p>发现 {count} 个错误。改正后保存文件，本页会自动刷新；终端中有同样的列表。
为保护个人信息，青年的姓名和学号已遮盖。</p>
<ol>
{body}
</ol>
</main>
</body>
</html>
"""
    return page.encode("utf-8")


BUILDING_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>正在生成站点 · 本地预览</title></head>
<body><main><h1>正在生成站点……</h1><p>生成完成后本页会自动刷新。</p></main></body>
</html>
""".encode()


# --- HTTP --------------------------------------------------------------------------------------


def inject_reload(page: bytes, version: str) -> bytes:
    tag = f'<script src="{PREFIX}reload.js?v={version}" defer></script>'.encode()
    lower = page.lower()
    at = lower.rfind(b"</body>")
    if at == -1:
        at = lower.rfind(b"</html>")
    if at == -1:
        return page + tag
    return page[:at] + tag + page[at:]


class DevHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: Path, state: State) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.site = site
        self.state = state


class Handler(BaseHTTPRequestHandler):
    server: DevHTTPServer
    server_version = "zhilian-serve"

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for diagnostics; requests are not interesting

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    # ---------------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        head: bool,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def _respond(self, head: bool) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        state = self.server.state
        if path.startswith(PREFIX):
            self._dev_endpoint(path[len(PREFIX) :], parse_qs(url.query), head)
            return
        if path == "/internal":
            self._redirect("/internal/", url.query)
            return
        if path.startswith("/internal/"):
            base, rel = self.server.site / "internal", path[len("/internal/") :]
        else:
            base, rel = self.server.site / "public", path[1:]
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\0" in p for p in parts):
            self._not_found(base, head)
            return
        target = base.joinpath(*parts)
        if target.is_dir():
            if not path.endswith("/"):
                self._redirect(path + "/", url.query)
                return
            target = target / "index.html"
        is_page = target.suffix in (".html", ".htm") or (not target.suffix and not target.exists())
        if is_page and not state.built and not target.is_file():
            self._send(
                HTTPStatus.SERVICE_UNAVAILABLE,
                inject_reload(BUILDING_PAGE, state.version),
                "text/html; charset=utf-8",
                head,
                [("Retry-After", "2")],
            )
            return
        error = state.error_page
        if error is not None and is_page:
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                inject_reload(error, state.version),
                "text/html; charset=utf-8",
                head,
                [("X-Zhilian-Build", "failed")],
            )
            return
        try:
            body = target.read_bytes() if target.is_file() else None
        except OSError:
            body = None
        if body is None:
            self._not_found(base, head)
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            body = inject_reload(body, state.version)
        if ctype.startswith(TEXT_TYPES):
            ctype += "; charset=utf-8"
        self._send(HTTPStatus.OK, body, ctype, head)

    def _redirect(self, location: str, query: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location + (f"?{query}" if query else ""))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self, base: Path, head: bool) -> None:
        page = base / "404.html"
        try:
            body = page.read_bytes()
        except OSError:
            body = (
                '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
                "<title>没有这个页面</title></head><body><h1>404：没有这个页面</h1>"
                '<p><a href="/">返回首页</a></p></body></html>'
            ).encode()
        self._send(
            HTTPStatus.NOT_FOUND,
            inject_reload(body, self.server.state.version),
            "text/html; charset=utf-8",
            head,
        )

    def _dev_endpoint(self, name: str, query: dict[str, list[str]], head: bool) -> None:
        state = self.server.state
        if name == "reload.js":
            self._send(
                HTTPStatus.OK, RELOAD_JS.encode(), "application/javascript; charset=utf-8", head
            )
        elif name == "poll.js":
            seen = query.get("v", [""])[0]
            now = (
                state.wait_for_change(seen, POLL_SECONDS)
                if seen == state.version
                else (state.version)
            )
            script = "location.reload();\n" if now != seen and not state.stopping else ""
            self._send(
                HTTPStatus.OK, script.encode(), "application/javascript; charset=utf-8", head
            )
        elif name == "version":
            body = json.dumps(
                {
                    "version": state.version,
                    "built": state.built,
                    "ok": state.built and state.error_page is None,
                    "codes": state.codes,
                },
                ensure_ascii=False,
            ).encode()
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8", head)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"", "text/plain; charset=utf-8", head)


# --- watching ----------------------------------------------------------------------------------


def _ignored(name: str) -> bool:
    """Editor droppings: swap files, backups, vim's write test."""
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", ".swp", ".swx", ".tmp"))
        or name == "4913"
    )


def relevant(root: Path, path: str) -> str | None:
    """The path relative to ``root`` if a change there should trigger a rebuild."""
    try:
        rel = Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None
    first = rel.split("/", 1)[0]
    if rel in WATCHED_FILES or (first in WATCHED_DIRS and not _ignored(Path(rel).name)):
        return rel
    return None


class Watcher:
    """Collects changed paths; :meth:`wait` blocks until there are some (or ``stop``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()
        self.kind = "polling"

    def add(self, rel: str) -> None:
        with self._lock:
            self._changed.add(rel)
        self._event.set()

    def wait(self, stop: threading.Event) -> list[str]:
        while not self._event.wait(0.25):
            if stop.is_set():
                return []
        # Debounce: editors write a file in several steps; wait until it has been quiet.
        started = time.monotonic()
        while time.monotonic() - started < MAX_DEBOUNCE_SECONDS:
            self._event.clear()
            if not self._event.wait(QUIET_SECONDS):
                break
        with self._lock:
            changed, self._changed = sorted(self._changed), set()
        self._event.clear()
        return changed

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PollingWatcher(Watcher):
    """Compares (mtime, size) of every watched file twice a second."""

    INTERVAL = 0.5

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhilian-poll", daemon=True)

    def snapshot(self) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for name in WATCHED_FILES:
            self._stat(self.root / name, name, found)
        for name in WATCHED_DIRS:
            top = self.root / name
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if not _ignored(d)]
                rel_dir = Path(dirpath).relative_to(self.root).as_posix()
                for filename in filenames:
                    if not _ignored(filename):
                        self._stat(Path(dirpath, filename), f"{rel_dir}/{filename}", found)
        return found

    @staticmethod
    def _stat(path: Path, rel: str, found: dict[str, tuple[int, int]]) -> None:
        try:
            st = path.stat()
        except OSError:
            return
        found[rel] = (st.st_mtime_ns, st.st_size)

    def start(self) -> None:
        self._last = self.snapshot()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            now = self.snapshot()
            if now != self._last:
                changed = {
                    k for k in now.keys() | self._last.keys() if now.get(k) != self._last.get(k)
                }
                self._last = now
                for rel in changed:
                    self.add(rel)

    def close(self) -> None:
        self._stop.set()


class NativeWatcher(Watcher):
    """watchdog's native observer (inotify, FSEvents, ReadDirectoryChangesW)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return  # its entries' own events say what changed
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if not path:
                        continue
                    path = os.fsdecode(path)
                    rel = relevant(watcher.root, path)
                    if rel is not None:
                        watcher.add(rel)
                    elif (
                        event.is_directory
                        and event.event_type in ("created", "moved")
                        and Path(path).name in (*WATCHED_DIRS, *WATCHED_FILE_DIRS)
                        and Path(path).parent.resolve() == watcher.root
                    ):  # (made, or moved in, after the start)
                        name = Path(path).name
                        watcher._schedule(Path(path), recursive=name in WATCHED_DIRS)
                        watcher.add(name)

        self._handler = _Handler()
        self._observer = Observer()
        self._observer.daemon = True
        self._watched: set[Path] = set()
        self.kind = "native"

    def _schedule(self, path: Path, *, recursive: bool = True) -> None:
        if path not in self._watched and path.is_dir():
            self._observer.schedule(self._handler, str(path), recursive=recursive)
            self._watched.add(path)

    def start(self) -> None:
        # The root itself only non-recursively: site/, .venv/ and .git/ must not be watched.
        self._observer.schedule(self._handler, str(self.root), recursive=False)
        for name in WATCHED_DIRS:
            self._schedule(self.root / name)
        for name in WATCHED_FILE_DIRS:
            self._schedule(self.root / name, recursive=False)
        self._observer.start()

    def close(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=2)


def make_watcher(root: Path) -> Watcher:
    if os.environ.get("ZHILIAN_SERVE_POLLING") != "1":
        try:
            watcher: Watcher = NativeWatcher(root)
            watcher.start()
            return watcher
        except Exception:  # no watchdog, or no inotify watches left: poll instead
            pass
    watcher = PollingWatcher(root)
    watcher.start()
    return watcher


# --- the builds ------------------------------------------------------------------------------


class Closable(Protocol):
    def close(self) -> None: ...


class BuildProcess:
    """``serve``'s builds, in a child forked before any of ``serve``'s threads starts.

    Having no threads of its own, the child may fork worker processes as ``python build.py``
    does (``zhilian.workers``), and it keeps the parsed and validated files in memory from one
    build to the next (``load.Memo``).  It writes to the same terminal; the diagnostics and
    the exit code come back through a pipe.
    """

    def __init__(self, reporter: Reporter, inherited: Iterable[Closable] = ()) -> None:
        """``inherited``: what the child must close (a listening socket): forked, it holds
        copies of every open file, and one left open would outlive this process."""
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self.process = context.Process(
            target=_build_loop,
            args=(child, [self._conn, *inherited], reporter),
            name="zhilian-build",
        )
        with signals_held():
            self.process.start()
        child.close()

    def build(self, args: argparse.Namespace) -> tuple[int | None, str, list[Diagnostic]]:
        """(exit code, "", diagnostics), or (None, what went wrong, []) after a bug in zhilian.
        Raises :class:`OSError` or :class:`EOFError` when the child is gone."""
        self._conn.send(args)
        reply: tuple[int | None, str, list[Diagnostic]] = self._conn.recv()
        return reply

    def close(self) -> None:
        """Stop the child; one in the middle of a build is interrupted (SIGTERM: it unwinds,
        removing its half-written site) instead of finishing a build nobody will see."""
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._conn.close()
        self.process.join(timeout=0.5)
        # An interrupt that lands in a finaliser is lost ("Exception ignored"): ask again.
        for _ in range(STOP_ATTEMPTS):
            if not self.process.is_alive():
                return
            self.process.terminate()
            self.process.join(timeout=1)
        self.process.kill()
        self.process.join()


def _build_loop(conn: Connection, inherited: list[Closable], reporter: Reporter) -> None:
    """The child's side of :class:`BuildProcess`: one build per request until told to stop,
    or until the parent is gone (the pipe then ends: its other end is closed here)."""
    from .build import build_site
    from .load import Memo
    from .workers import Helper
    from .write import SpareFolders

    for handle in inherited:
        handle.close()

    memo, spare = Memo(), SpareFolders()
    helper = Helper((conn,))  # forked now, while this process is small (``build._Ahead``)
    later: list[Callable[[], None]] = []  # a build's last chores, done after its reply
    try:
        child_signals()  # Ctrl-C reaches every process of the terminal; the parent stops us
        while (args := conn.recv()) is not None:
            args.memo, args.defer, args.spare, args.helper = memo, later.append, spare, helper
            reporter.diagnostics = []
            try:
                reply: tuple[int | None, str, list[Diagnostic]] = (
                    build_site(args, reporter), "", reporter.diagnostics
                )
            except Exception as exc:  # a bug in zhilian: the parent reports it, keeps serving
                if os.environ.get("ZHILIAN_DEBUG"):
                    traceback.print_exc()
                reply = (None, f"{type(exc).__name__}: {exc}", [])
            for stream in (getattr(reporter, "stream", None), sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    stream.flush()  # type: ignore[union-attr]
            conn.send(reply)
            _run_later(later)
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        _run_later(later)
        spare.close()
        helper.close()


def _run_later(tasks: list[Callable[[], None]]) -> None:
    """A build's chores left for after its reply (``build``'s ``defer``): removing the old
    site, the memos for the next build.  Each done once, before the next build starts."""
    while tasks:
        task = tasks.pop(0)
        try:
            task()
        except Exception:  # a chore that fails costs the next build time, nothing more
            if os.environ.get("ZHILIAN_DEBUG"):
                traceback.print_exc()


# --- the serve command -------------------------------------------------------------------------


class DevServer:
    """Build, serve and rebuild; :func:`serve` is the command around it."""

    def __init__(
        self,
        args: argparse.Namespace,
        reporter: Reporter,
        build: Callable[[argparse.Namespace, Reporter], int] | None = None,
    ) -> None:
        self.args = args
        self.reporter = reporter
        self.root: Path = Path(args.root).resolve()
        self.site = self.root / "site"
        self.state = State()
        self._build = build
        self._builder: BuildProcess | None = None
        self._memo: Memo | None = None  # kept between builds made in this process
        self.httpd: DevHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"

    def bind(self) -> None:
        self.httpd = DevHTTPServer((self.args.host, self.args.port), self.site, self.state)

    def start(self) -> None:
        """Start the build process, then serve (``run`` does both, and watches)."""
        self.start_builder()
        self.start_http()

    def start_builder(self) -> None:
        """The build process forks: this must come before any thread starts."""
        if self._build is None and self._builder is None and can_fork():
            inherited = [self.httpd.socket] if self.httpd is not None else []
            self._builder = BuildProcess(self.reporter, inherited)

    def start_http(self) -> None:
        assert self.httpd is not None
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            name="zhilian-http",
            kwargs={"poll_interval": 0.2},
            daemon=True,
        )
        self._thread.start()

    def rebuild(self) -> bool:
        """One build, published to the browsers; True when the site was updated."""
        build_args = argparse.Namespace(**vars(self.args))
        build_args.out = self.site
        build_args.jobs = getattr(self.args, "jobs", 0)
        code, failure, diags = self._run_build(build_args)
        if code is None:  # a bug in zhilian: report it like cli.main, keep serving
            sys.stderr.write(
                f"X002 程序内部错误：{failure}\n这是 zhilian 的缺陷，不是你的数据问题。\n"
            )
            diag = Diagnostic("X002", Severity.ERROR, "", failure)
            self.state.publish(error_page([diag], None, self._has_guide()), ["X002"])
            return False
        if code == EXIT_OK:
            self.state.publish(None, [])
            return True
        shown = _shown_errors(diags, code)
        sources = SourceCache(self.root)
        self.state.publish(
            error_page(shown, sources, self._has_guide()), sorted({d.code for d in shown})
        )
        return False

    def _run_build(self, args: argparse.Namespace) -> tuple[int | None, str, list[Diagnostic]]:
        """(exit code, "", diagnostics) or (None, the bug, []): by the build process when
        there is one, otherwise here (tests' builds; a platform that cannot fork)."""
        if self._builder is not None:
            try:
                return self._builder.build(args)
            except (OSError, EOFError):  # the child died (killed, out of memory): go on here
                self._builder = None
        build = self._build
        if build is None:
            from .build import build_site
            from .load import Memo

            build, self._memo = build_site, self._memo or Memo()
            args.memo = self._memo
        self.reporter.diagnostics = []
        try:
            return build(args, self.reporter), "", self.reporter.diagnostics
        except Exception as exc:
            if os.environ.get("ZHILIAN_DEBUG"):
                traceback.print_exc()
            return None, f"{type(exc).__name__}: {exc}", []

    def _has_guide(self) -> bool:
        return (self.site / "public" / "guide" / "index.html").is_file()

    def close(self) -> None:
        self.state.stop()
        if self._builder is not None:
            self._builder.close()
            self._builder = None
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def say(self, message: str) -> None:
        self.reporter.info(message)
        for stream in (getattr(self.reporter, "stream", None), sys.stdout):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass

    def run(self, stop: threading.Event) -> None:
        """Build, serve, then rebuild on every change until ``stop`` is set."""
        self.start_builder()
        watcher = make_watcher(self.root)
        try:
            # Serve at once: until the first build is done, pages say so and reload by themselves.
            self.start_http()
            url = self.url
            self.say(f"本地预览：{url} （内部网站：{url}internal/）")
            self.say("正在生成站点……")
            if self.rebuild():
                self.say("站点已生成。")
            else:
                self.say("站点有错误：浏览器中会列出这些错误，改正并保存后自动恢复。")
            self.say(
                "修改 data/、templates/、docs/、site_config.yml 或 mkdocs.yml 后会自动重新生成"
                "并刷新浏览器。按 Ctrl+C 停止。"
            )
            while not stop.is_set():
                changed = watcher.wait(stop)
                if not changed:
                    continue
                # Editors' and sed's temporary files come and go; do not list them.
                named = [c for c in changed if (self.root / c).exists() or Path(c).suffix]
                named = named or changed
                shown = "、".join(named[:3]) + (
                    f" 等 {len(named)} 个文件" if len(named) > 3 else ""
                )
                self.say(f"\n—— 检测到修改：{shown}，重新生成 ——")
                if self.rebuild():
                    self.say("已更新，浏览器将自动刷新。")
                else:
                    self.say("有错误，站点没有更新；浏览器中显示错误列表，改正并保存后自动恢复。")
        finally:
            watcher.close()


def serve(args: argparse.Namespace, reporter: Reporter) -> int:
    server = DevServer(args, reporter)
    try:
        server.bind()
    except OSError as exc:
        sys.stderr.write(
            f"无法在 {args.host}:{args.port} 上启动预览：{exc.strerror or exc}。"
            "端口可能已被占用，请用 --port 换一个端口。\n"
        )
        return EXIT_USAGE
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(
            f"注意：预览监听在 {args.host} 上，其他电脑也可能访问到内部网站"
            "（含青年信息）。只在本机预览时请去掉 --host。\n"
        )
    stop = threading.Event()
    restore = _on_sigterm(stop)
    try:
        server.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        restore()
    server.say("\n已停止预览。")
    return EXIT_OK


def _on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM ends the preview like Ctrl-C (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, old)


__all__ = ["DevServer", "error_page", "inject_reload", "relevant", "serve"]

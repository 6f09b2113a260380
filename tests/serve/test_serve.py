"""``python build.py serve`` (DESIGN §5): preview at / and /internal/, rebuild on change,
live reload, an error page instead of a crash, a clean exit.

Only 127.0.0.1, free ports, every wait bounded (≤ 20 s)."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, SAMPLE_TODAY
from zhilian.demo import generate
from zhilian.diagnostics import CODES, Diagnostic, Severity
from zhilian.reporters import SourceCache, TextReporter
from zhilian.serve import (
    DevServer,
    NativeWatcher,
    PollingWatcher,
    error_page,
    inject_reload,
    relevant,
)

WAIT = 20.0  # seconds: the longest any step may take


# --- HTTP helpers ------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(url: str, method: str = "GET") -> Response:
    request = urllib.request.Request(url, method=method)
    try:
        with _OPENER.open(request, timeout=WAIT) as resp:
            return Response(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, dict(err.headers), err.read())


def version(base: str) -> dict[str, Any]:
    return json.loads(get(base + "__zhilian__/version").body)


def wait_for_new_version(base: str, old: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        now = version(base)
        if now["version"] != old:
            return now
        time.sleep(0.1)
    raise AssertionError(f"no rebuild within {WAIT} s")


def wait_until_built(base: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        now = version(base)
        if now["built"]:
            return now
        time.sleep(0.1)
    raise AssertionError(f"the first build did not finish within {WAIT} s")


# --- the real command in a subprocess ----------------------------------------------------------


@dataclass
class Serving:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    base: str = ""

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not printed; output:\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def start_serve(
    root: Path, *extra: str, env: dict[str, str] | None = None, own_session: bool = False
) -> Serving:
    """``python build.py serve``; ``own_session``: in a session of its own, as in a terminal
    (so that Ctrl-C can be sent to every process of it)."""
    cmd = [sys.executable, "-u", str(REPO / "build.py"), "serve", "--root", str(root),
           "--today", SAMPLE_TODAY, *extra]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        start_new_session=own_session,
    )
    serving = Serving(proc)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            serving.lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return serving


@pytest.fixture
def serving(sample: Path) -> Iterator[Serving]:
    s = start_serve(sample, "--port", "0")
    try:
        s.base = s.wait_for_line(r"本地预览：(http://127\.0\.0\.1:\d+/)").group(1)
        assert wait_until_built(s.base)["ok"], s.output()  # the sample builds
        yield s
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(timeout=WAIT)


def a_cadre(root: Path) -> tuple[str, Path, dict[str, Any]]:
    path = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    return path.stem, path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_serve_rebuilds_reloads_shows_errors_and_recovers(sample: Path, serving: Serving) -> None:
    base = serving.base
    # both sites are served, the reload script is injected at serve time only
    home = get(base)
    assert home.status == 200 and home.headers["Content-Type"].startswith("text/html")
    assert '<script src="/__zhilian__/reload.js?v=' in home.text
    internal = get(base + "internal/")
    assert internal.status == 200 and "<html" in internal.text.lower()
    assert "/__zhilian__/reload.js?v=" in internal.text
    assert get(base + "guide/").status == 200
    assert "__zhilian__" not in (sample / "site" / "public" / "index.html").read_text("utf-8")
    assert get(base + "__zhilian__/reload.js").status == 200
    first = version(base)
    assert first["ok"] is True

    # change a cadre's title: the site is rebuilt and the page shows it
    cadre_id, path, _data = a_cadre(sample)
    original = path.read_text(encoding="utf-8")
    new_title = "本地预览测试用的新职务"
    changed = re.sub(r"^title: .*$", f"title: {new_title}", original, count=1, flags=re.M)
    assert changed != original
    path.write_text(changed, encoding="utf-8")
    second = wait_for_new_version(base, first["version"])
    assert second["ok"] is True
    cadre_page = get(base + f"cadres/{cadre_id}.html")
    assert cadre_page.status == 200 and new_title in cadre_page.text

    # break the file (an unterminated quote on a youth's 学号): an error page, not a crash
    match = re.search(r'^(\s*- id: )"(\d+)"$', changed, flags=re.M)
    assert match, "the sample cadre should list youth"
    student_id = match.group(2)
    broken = changed.replace(match.group(0), f'{match.group(1)}"{student_id}', 1)
    path.write_text(broken, encoding="utf-8")
    third = wait_for_new_version(base, second["version"])
    assert third["ok"] is False and third["codes"]
    assert set(third["codes"]) <= set(CODES)
    for url in (base, base + "internal/", base + f"cadres/{cadre_id}.html"):
        failed = get(url)
        assert failed.status == 500, url
        assert "数据有错误" in failed.text
        for code in third["codes"]:
            assert code in failed.text
        assert f"data/cadres/{cadre_id}.yml" in failed.text
        assert student_id not in failed.text  # masked as the text reporter masks
        assert "/__zhilian__/reload.js?v=" in failed.text
    assert third["codes"][0] in serving.output()  # and in the terminal
    assert serving.proc.poll() is None

    # fix it: the site comes back with the new title
    path.write_text(changed, encoding="utf-8")
    fourth = wait_for_new_version(base, third["version"])
    assert fourth["ok"] is True
    recovered = get(base + f"cadres/{cadre_id}.html")
    assert recovered.status == 200 and new_title in recovered.text

    # Ctrl-C: a clean exit with code 0
    assert serving.stop(signal.SIGINT) == 0
    assert "已停止预览" in serving.output()
    assert "Traceback" not in serving.output()


def test_sigterm_also_stops_cleanly(serving: Serving) -> None:
    assert get(serving.base).status == 200
    assert serving.stop(signal.SIGTERM) == 0


def _session_processes(session: int) -> list[int]:
    """Live processes of a session (Linux /proc: field 6 of stat is the session id)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_during_a_build_stops_every_process_and_leaves_no_half_written_site(
    tmp_path: Path,
) -> None:
    """serve builds in a process of its own, which forks workers: Ctrl-C (to every process
    of the terminal) must stop them all, remove the site being written and exit cleanly."""
    root = tmp_path / "d"
    generate(root, cadres=150, seed=3)  # a first build long enough to be interrupted
    s = start_serve(root, "--port", "0", own_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(root.glob(".site.new-*")):  # the first build is writing the site
            assert time.monotonic() < deadline and s.proc.poll() is None, s.output()
            time.sleep(0.02)
        os.killpg(s.proc.pid, signal.SIGINT)
        assert s.proc.wait(timeout=WAIT) == 0, s.output()
        deadline = time.monotonic() + WAIT
        while _session_processes(s.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(s.proc.pid) == []
    finally:
        if s.proc.poll() is None or _session_processes(s.proc.pid):
            os.killpg(s.proc.pid, signal.SIGKILL)
    assert "已停止预览" in s.output()
    assert "Traceback" not in s.output()
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []
    assert not (root / "site").exists()  # interrupted before its first site was complete


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_build_process_ends_when_serve_is_killed(sample: Path) -> None:
    """Even after SIGKILL (no clean-up at all), serve's build process must not live on."""
    s = start_serve(sample, "--port", "0", own_session=True)
    try:
        base = s.wait_for_line(r"本地预览：(http://127\.0\.0\.1:\d+/)").group(1)
        assert wait_until_built(base)["ok"], s.output()
        assert len(_session_processes(s.proc.pid)) >= 2  # serve and its build process
        s.proc.kill()
        s.proc.wait(timeout=WAIT)
        deadline = time.monotonic() + WAIT
        while _session_processes(s.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(s.proc.pid) == []
    finally:
        if _session_processes(s.proc.pid):
            os.killpg(s.proc.pid, signal.SIGKILL)


KILLED_BUILDER_DRIVER = """
import io, os, signal, sys, time
from zhilian.cli import make_parser
from zhilian.reporters import TextReporter
from zhilian.serve import DevServer

args = make_parser().parse_args(["serve", "--root", sys.argv[1], "--today", sys.argv[2], "-q",
                                 "--port", "0"])
server = DevServer(args, TextReporter(io.StringIO()))
server.bind()
server.start()
first = server.rebuild()
builder = server._builder
os.kill(builder.process.pid, signal.SIGKILL)
builder.process.join()
again = server.rebuild()
print(first, again, server._builder is None, flush=True)
server.close()
"""


def test_serve_builds_on_after_its_build_process_was_killed(sample: Path) -> None:
    """The build process killed (out of memory, say), serve builds in its own process from
    then on — its helper process, which holds copies of the build process's open files,
    must not keep serve waiting for an answer that will never come."""
    run = subprocess.run(
        [sys.executable, "-c", KILLED_BUILDER_DRIVER, str(sample), SAMPLE_TODAY],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "True"], run.stdout + run.stderr
    assert (sample / "site" / "public" / "index.html").is_file()


def test_port_in_use_is_a_usage_error(sample: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        s = start_serve(sample, "--port", str(port))
        assert s.proc.wait(timeout=WAIT) == 2
    assert "端口" in s.output()


# --- the server in-process, with a stand-in build (fast, no data needed) -----------------------


class FakeBuild:
    """Writes a tiny site; ``fail`` makes it report a data error like ``build_site`` does."""

    def __init__(self) -> None:
        self.fail = False
        self.calls = 0
        self.may_finish = threading.Event()
        self.may_finish.set()

    def __call__(self, args: argparse.Namespace, reporter: Any) -> int:
        assert self.may_finish.wait(WAIT)
        self.calls += 1
        if self.fail:
            diag = Diagnostic("Y002", Severity.ERROR, "data/cadres/a.yml", "这里 <b>坏了</b>",
                              line=2, col=3)  # fmt: skip
            reporter.report([diag], SourceCache(args.root))
            return 1
        site: Path = args.out
        (site / "public" / "guide").mkdir(parents=True, exist_ok=True)
        (site / "internal").mkdir(parents=True, exist_ok=True)
        (site / "public" / "index.html").write_text(
            f"<!DOCTYPE html><html><body><p>第 {self.calls} 次</p></body></html>", "utf-8"
        )
        (site / "public" / "style.css").write_text("body{}", "utf-8")
        (site / "public" / "card.vcf").write_text("BEGIN:VCARD\nEND:VCARD\n", "utf-8")
        (site / "public" / "404.html").write_text("<html><body>找不到</body></html>", "utf-8")
        (site / "internal" / "index.html").write_text("<html><body>内部</body></html>", "utf-8")
        return 0


@contextmanager
def running(tmp_path: Path, fake: FakeBuild) -> Iterator[DevServer]:
    (tmp_path / "data" / "cadres").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "cadres" / "a.yml").write_text(
        'name: 王晓明\n  - id: "2023990101"\n', encoding="utf-8"
    )
    (tmp_path / "site_config.yml").write_text("secret: 1\n", encoding="utf-8")
    args = argparse.Namespace(root=tmp_path, host="127.0.0.1", port=0, today=None, quiet=True)
    server = DevServer(args, TextReporter(io.StringIO()), build=fake)
    server.bind()
    stop = threading.Event()
    thread = threading.Thread(target=server.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while server._thread is None and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield server
    finally:
        stop.set()
        fake.may_finish.set()
        thread.join(timeout=WAIT)
        server.close()
        assert not thread.is_alive()


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[DevServer, FakeBuild, str]]:
    fake = FakeBuild()
    with running(tmp_path, fake) as server:
        wait_until_built(server.url)
        yield server, fake, server.url


def test_pages_wait_for_the_first_build(tmp_path: Path) -> None:
    fake = FakeBuild()
    fake.may_finish.clear()
    with running(tmp_path, fake) as server:
        waiting = get(server.url)
        assert waiting.status == 503 and "正在生成" in waiting.text
        assert "/__zhilian__/reload.js?v=" in waiting.text
        assert version(server.url)["built"] is False
        fake.may_finish.set()
        assert wait_until_built(server.url)["ok"] is True
        assert get(server.url).status == 200


def test_paths_redirects_and_types(dev: tuple[DevServer, FakeBuild, str]) -> None:
    _server, _fake, base = dev
    assert get(base).status == 200
    assert get(base, method="HEAD").status == 200
    internal = get(base + "internal")
    assert internal.status == 301 and internal.headers["Location"] == "/internal/"
    assert get(base + "guide").headers.get("Location") == "/guide/"
    assert "内部" in get(base + "internal/").text
    css = get(base + "style.css")
    assert css.headers["Content-Type"].startswith("text/css") and b"__zhilian__" not in css.body
    assert get(base + "card.vcf").headers["Content-Type"].startswith("text/vcard")
    missing = get(base + "nothing-here.html")
    assert missing.status == 404 and "找不到" in missing.text
    for sneaky in (
        "../site_config.yml",
        "%2e%2e/site_config.yml",
        "internal/../../site_config.yml",
    ):
        response = get(base + sneaky)
        assert response.status in (400, 404), sneaky
        assert b"secret" not in response.body
    assert get(base + "__zhilian__/unknown").status == 404
    assert all(
        h.lower() != "cache-control" or v == "no-store" for h, v in get(base).headers.items()
    )


def test_poll_answers_reload_when_the_version_changes(
    dev: tuple[DevServer, FakeBuild, str],
) -> None:
    server, _fake, base = dev
    current = version(base)["version"]
    assert get(base + "__zhilian__/poll.js?v=stale").text == "location.reload();\n"
    answer: list[str] = []
    poller = threading.Thread(
        target=lambda: answer.append(get(base + f"__zhilian__/poll.js?v={current}").text)
    )
    poller.start()
    time.sleep(0.3)
    assert not answer  # long-polling: waits for a change
    server.rebuild()
    poller.join(timeout=WAIT)
    assert answer == ["location.reload();\n"]
    assert "第 2 次" in get(base).text


def test_a_failed_build_shows_an_error_page_and_recovers(
    dev: tuple[DevServer, FakeBuild, str],
) -> None:
    server, fake, base = dev
    fake.fail = True
    server.rebuild()
    page = get(base)
    assert page.status == 500 and "Y002" in page.text and "YAML 语法错误" in page.text
    assert "<b>坏了</b>" not in page.text and "&lt;b&gt;坏了&lt;/b&gt;" in page.text
    assert "2023990101" not in page.text and "2023****01" in page.text
    assert get(base + "style.css").status == 200  # assets still served
    assert version(base)["codes"] == ["Y002"]
    fake.fail = False
    server.rebuild()
    assert get(base).status == 200 and version(base)["ok"] is True


def test_a_crashing_build_keeps_the_server_alive(dev: tuple[DevServer, FakeBuild, str]) -> None:
    server, _fake, base = dev

    def boom(args: argparse.Namespace, reporter: Any) -> int:
        raise RuntimeError("模拟的程序缺陷")

    server._build = boom
    server.rebuild()
    page = get(base)
    assert page.status == 500 and "X002" in page.text


def test_a_change_triggers_a_rebuild(dev: tuple[DevServer, FakeBuild, str], tmp_path: Path) -> None:
    _server, fake, base = dev
    before = version(base)["version"]
    (tmp_path / "data" / "cadres" / "a.yml").write_text("name: 李华\n", encoding="utf-8")
    wait_for_new_version(base, before)
    assert fake.calls >= 2


# --- pieces ------------------------------------------------------------------------------------


def test_inject_reload_goes_before_body_end() -> None:
    page = b"<html><body><p>x</p></BODY></html>"
    out = inject_reload(page, "v1")
    assert out.index(b"/__zhilian__/reload.js?v=v1") < out.index(b"</BODY>")
    assert inject_reload(b"plain", "v1").startswith(b"plain<script")


def test_only_watched_paths_are_relevant(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert relevant(root, str(root / "data" / "cadres" / "a.yml")) == "data/cadres/a.yml"
    assert relevant(root, str(root / "site_config.yml")) == "site_config.yml"
    assert relevant(root, str(root / "mkdocs.yml")) == "mkdocs.yml"
    codeowners = root / ".github" / "CODEOWNERS"  # (checked against the data: G005)
    assert relevant(root, str(codeowners)) == ".github/CODEOWNERS"
    assert relevant(root, str(root / ".github" / "workflows" / "check.yml")) is None
    assert relevant(root, str(root / "docs" / "index.md")) == "docs/index.md"
    assert relevant(root, str(root / "templates" / "public" / "base.html"))
    assert relevant(root, str(root / "site" / "public" / "index.html")) is None
    assert relevant(root, str(root / ".zhilian-cache" / "x")) is None
    assert relevant(root, str(root / "data" / "cadres" / ".a.yml.swp")) is None
    assert relevant(root, str(root / "README.md")) is None
    assert relevant(root, str(tmp_path.parent / "elsewhere.yml")) is None


def test_error_page_masks_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.yml").write_text('youth:\n  - id: "2023990101"\n    name: 李明\n')
    diags = [
        Diagnostic("S010", Severity.ERROR, "data/a.yml", "学号 <x>", line=2, col=9),
        Diagnostic("S011", Severity.ERROR, "data/a.yml", "姓名", line=3, col=11),
    ]
    page = error_page(diags, SourceCache(tmp_path), guide=True).decode()
    assert "2023990101" not in page and "2023****01" in page
    assert "李明" not in page and "李*" in page
    assert "学号 &lt;x&gt;" in page
    assert 'href="/guide/reference/diagnostics/#s010"' in page


@pytest.mark.parametrize("kind", [PollingWatcher, NativeWatcher])
def test_watchers_see_data_changes_and_ignore_the_site(kind: type, tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "data").mkdir()
    (root / "site").mkdir()
    (root / "data" / "a.yml").write_text("a: 1\n")
    (root / ".github").mkdir()
    watcher = kind(root)
    watcher.start()
    stop = threading.Event()
    timer = threading.Timer(WAIT, stop.set)
    timer.start()
    try:
        time.sleep(0.1)
        (root / "site" / "index.html").write_text("ignored")
        (root / "data" / "a.yml").write_text("a: 2\n")
        (root / "site_config.yml").write_text("b: 1\n")
        (root / ".github" / "CODEOWNERS").write_text("* @admin\n")
        expected = {"data/a.yml", "site_config.yml", ".github/CODEOWNERS"}
        seen: set[str] = set()
        while not expected <= seen and not stop.is_set():
            seen.update(watcher.wait(stop))
        assert expected <= seen
        assert not any(p.startswith("site/") for p in seen)
    finally:
        timer.cancel()
        watcher.close()


# --- in a real browser: the page reloads itself under the pages' CSP ---------------------------


def test_browser_reloads_public_and_internal_pages(
    sample: Path, serving: Serving, browser: Any
) -> None:
    base = serving.base
    cadre_id, path, _data = a_cadre(sample)
    context = browser.new_context()
    try:
        public = context.new_page()
        internal = context.new_page()
        violations: list[str] = []
        for p in (public, internal):
            p.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
        public.goto(base + f"cadres/{cadre_id}.html")
        internal.goto(base + "internal/")
        marker = "浏览器自动刷新测试职务"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"^title: .*$", f"title: {marker}", text, count=1, flags=re.M), "utf-8"
        )
        public.wait_for_function(
            "m => document.body.innerText.includes(m)", arg=marker, timeout=WAIT * 1000
        )
        # the internal page (CSP default-src 'none') reloaded too: a fresh document
        internal.wait_for_function(
            "() => performance.getEntriesByType('navigation')[0].type === 'reload'",
            timeout=WAIT * 1000,
        )
        assert not [v for v in violations if "Content Security Policy" in v], violations
    finally:
        context.close()

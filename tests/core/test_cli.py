"""The command line as users meet it: exit codes, output formats, scaffolding, schemas."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, SAMPLE_TODAY, copy_deployment, run_cli
from tests.core.test_cache_parallel import tree
from zhilian.demo import generate


def test_sample_check_is_green_with_realistic_warnings(sample: Path) -> None:
    run = run_cli(sample, "check", fmt="json")
    assert run.code == 0, run.out
    found = json.loads(run.out)
    assert found and all(d["severity"] == "warning" for d in found)
    # Two cadres inside their grace period below quota, one without consent (README).
    assert {d["code"] for d in found} >= {"Q004", "P002"}
    assert len({d["cadre"] for d in found if d["code"] == "Q004"}) == 2


def test_text_format_shows_source_line_caret_hint_and_summary(sample: Path) -> None:
    path = sample / "data" / "cadres" / sorted((sample / "data" / "cadres").iterdir())[0].name
    text = path.read_text(encoding="utf-8").replace("\ncontact:", "\ncontactt:", 1)
    path.write_text(text, encoding="utf-8")
    run = run_cli(sample, "check")
    assert run.code == 1
    line_no = text.split("\n").index("contactt:" + text.split("contactt:", 1)[1].split("\n")[0]) + 1
    assert f"{path.relative_to(sample).as_posix()}:{line_no}:1: 错误 S001" in run.out
    assert "是不是想写“contact”" in run.out
    assert "^" in run.out and "提示：" in run.out
    assert "共 1 个错误" in run.out.splitlines()[-1]


def test_json_format_fields(sample: Path) -> None:
    run = run_cli(sample, "check", fmt="json")
    for d in json.loads(run.out):
        assert set(d) >= {"code", "severity", "kind", "file", "line", "col", "message", "hint"}
        assert d["line"] >= 1 and d["col"] >= 1 and (sample / d["file"]).exists()


def test_github_format_is_workflow_commands(sample: Path) -> None:
    run = run_cli(sample, "check", fmt="github")
    lines = [ln for ln in run.out.splitlines() if ln.startswith("::")]
    assert lines and all(ln.startswith("::warning file=data/") for ln in lines)
    assert all(",line=" in ln and ",col=" in ln and "%0A提示：" in ln for ln in lines)


@pytest.mark.parametrize("command", ["check", "build"])
def test_config_error_exits_2(sample: Path, command: str) -> None:
    """(``build``: a first run, whose handbook process starts before anything is checked,
    reads the broken configuration too and leaves it to the check.)"""
    config = sample / "site_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("grace_days: 180", "grace_days: 很久"),
                      encoding="utf-8")
    run = run_cli(sample, command, fmt="json")
    assert run.code == 2
    [d] = json.loads(run.out)
    assert d["file"] == "site_config.yml" and d["code"] == "S003" and d["line"] > 1
    assert not (sample / "site").exists()


@pytest.mark.parametrize("command", ["check", "build"])
def test_missing_config_exits_2(tmp_path: Path, command: str) -> None:
    run = run_cli(tmp_path, command, fmt="json")
    assert run.code == 2 and json.loads(run.out)[0]["code"] == "X001"
    assert not (tmp_path / "site").exists()


def test_usage_error_exits_2(sample: Path) -> None:
    assert run_cli(sample, "check", "--today", "2026-13-01").code == 2
    assert run_cli(sample, "frobnicate").code == 2


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("new", "cadre", "-x"), "缺少参数：编号（和标题）"),
        (("new",), "缺少参数：要新建的内容（cadre 或 note）、编号（和标题）"),
        (("frobnicate",), "命令 不能是 'frobnicate'，可选："),
        (("check", "--jobs", "x"), "--jobs 应为整数：'x'"),
        (("check", "--bogus"), "无法识别的参数：--bogus"),
        (("check", "--today", "2026-13-01"), "--today：日期应为 YYYY-MM-DD：2026-13-01"),
    ],
)
def test_usage_errors_are_said_in_chinese(
    sample: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], said: str
) -> None:
    """argparse's own messages are English; a cadre reads them in Chinese."""
    assert run_cli(sample, *argv).code == 2
    err = capsys.readouterr().err
    assert f"用法错误：{said}" in err, err
    assert not re.search(r"required|unrecognized|invalid|expected", err), err


def test_a_bug_exits_2_without_traceback(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zhilian.rules.quotas as quotas

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(__import__("zhilian.rules", fromlist=["RULES"]).RULES, "quotas.quotas", broken)
    assert quotas  # the module is imported
    proc_err: list[str] = []
    monkeypatch.setattr(sys, "stderr", type("E", (), {"write": lambda self, s: proc_err.append(s)})())
    assert run_cli(sample, "check").code == 2
    assert "X002" in "".join(proc_err) and "Traceback" not in "".join(proc_err)


def test_a_reader_that_stops_early_is_no_internal_error(sample: Path) -> None:
    """``python build.py check | head -1``: once the reader is gone the report ends
    quietly with 141, as a shell reports a command SIGPIPE ended — not X002, which would
    send an admin to report a bug in zhilian.  (Here the reader is gone before the report
    is written: the check takes far longer than closing the pipe.)"""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "check", "--root", str(sample),
         "--today", SAMPLE_TODAY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 141, err
    assert "X002" not in err and "Traceback" not in err, err


def test_check_exits_1_on_compliance_error_but_build_publishes(sample: Path) -> None:
    # Far in the future every grace period has run out: compliance errors.
    run = run_cli(sample, "check", fmt="json", today="2027-12-01")
    assert run.code == 1
    assert any(d["kind"] == "compliance" and d["severity"] == "error" for d in json.loads(run.out))
    build = run_cli(sample, "build", today="2027-12-01")
    assert build.code == 0 and (sample / "site" / "public" / "index.html").exists()


def test_build_with_data_error_writes_nothing_and_keeps_last_site(sample: Path) -> None:
    assert run_cli(sample, "build").code == 0
    index = sample / "site" / "public" / "index.html"
    before = index.read_bytes()
    cadre = next((sample / "data" / "cadres").iterdir())
    cadre.write_text(cadre.read_text(encoding="utf-8") + "\nname: 重复\n", encoding="utf-8")
    run = run_cli(sample, "build")
    assert run.code == 1 and "Y003" in run.codes
    assert index.read_bytes() == before
    assert sorted(p.name for p in sample.iterdir() if p.name.startswith(".site")) == []


# A fresh process (pytest's may hold threads, and then nothing forks): it reports whether
# the build started the report and the public site before the rules had spoken.
AHEAD_DRIVER = """
import json, sys
from zhilian import build
from zhilian.cli import main

forked = []
start = build._Ahead.start

def spy(self, result):
    start(self, result)
    forked.append(self.public.process is not None and self.report.process is not None)

build._Ahead.start = spy
code = main(["build", "--root", sys.argv[1], "--today", sys.argv[2], "-q"])
print(json.dumps({"code": code, "forked": forked}))
"""


def test_a_data_error_found_by_the_rules_drops_the_work_started_before_them(
    sample: Path,
) -> None:
    """The report and the public site are started while the rules run: a data error they
    find (here an unknown 团支部, R002) must still leave the last site as it was, no new
    site folder and no process behind."""
    assert run_cli(sample, "build").code == 0
    before = tree(sample / "site")
    cadre = sorted((sample / "data" / "cadres").glob("*.yml"))[0]
    text = cadre.read_text(encoding="utf-8")
    broken = text.replace("  branches: [", "  branches: [no-such-branch, ", 1)
    assert broken != text
    cadre.write_text(broken, encoding="utf-8")

    proc = subprocess.Popen(
        [sys.executable, "-c", AHEAD_DRIVER, str(sample), SAMPLE_TODAY],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1]) == {"code": 1, "forked": [True]}
    assert "R002" in out + err
    assert tree(sample / "site") == before
    assert [p.name for p in sample.iterdir() if p.name.startswith(".site")] == []
    if Path("/proc").is_dir():  # every process of its session has ended with it
        from tests.serve.test_serve import _session_processes

        assert _session_processes(proc.pid) == []


@pytest.mark.parametrize(
    ("sig", "everyone"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupted_build_keeps_the_last_site_and_leaves_no_half_written_one(
    tmp_path: Path, sig: int, everyone: bool
) -> None:
    """Ctrl-C reaches every process of the terminal; a cancelled job's SIGTERM only ours:
    either way the build's other processes stop, its new site goes, the last one stays."""
    root = tmp_path / "d"
    generate(root, cadres=150, seed=5)  # a build long enough to be interrupted
    assert run_cli(root, "build", today=SAMPLE_TODAY).code == 0
    before = tree(root / "site")
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    text = cadre.read_text("utf-8")
    cadre.write_text(text.replace("\ntitle: ", "\ntitle: 新", 1), encoding="utf-8")

    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", SAMPLE_TODAY],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(root.glob(".site.new-*")):  # the new site is being written
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        if everyone:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, output
    assert b"Traceback" not in output
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".site")) == []
    assert tree(root / "site") == before


def test_an_interrupt_just_as_the_new_site_folder_is_made_leaves_no_folder(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new site's folder is made and registered for removal with Ctrl-C held: a signal
    in between (here raised by the folder's maker itself) is taken once it is registered."""
    from zhilian import write

    made = write.SiteWriter.__init__

    def interrupted(self: write.SiteWriter, *args: Any) -> None:
        made(self, *args)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(write.SiteWriter, "__init__", interrupted)
    assert run_cli(sample, "build").code == 130
    assert sorted(p.name for p in sample.iterdir() if p.name.startswith(".site")) == []


def test_an_interrupt_as_the_new_site_replaces_the_old_leaves_a_whole_site(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the old site is moved aside and before the new one takes its place is
    taken once the new one is there: ``site/`` is never missing, nothing is left over."""
    assert run_cli(sample, "build").code == 0
    cadre = sorted((sample / "data" / "cadres").glob("*.yml"))[0]
    text = cadre.read_text("utf-8")
    cadre.write_text(text.replace("\ntitle: ", "\ntitle: 换岗", 1), encoding="utf-8")
    replace = os.replace

    def interrupted(src: Any, dst: Any) -> None:
        replace(src, dst)
        if Path(src) == sample / "site":  # the old site moved aside
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(os, "replace", interrupted)
    assert run_cli(sample, "build").code == 130
    monkeypatch.setattr(os, "replace", replace)
    page = sample / "site" / "internal" / "cadres" / f"{cadre.stem}.html"
    assert "换岗" in page.read_text("utf-8")
    assert sorted(p.name for p in sample.iterdir() if p.name.startswith(".site")) == []


def test_the_next_build_removes_what_killed_builds_left(sample: Path) -> None:
    """SIGKILL leaves a build no chance to clean up: the next one removes its folders (the
    process id in their names tells them from those of a build still running)."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(ended.stdout)
    left = [
        sample / f".site.new-{dead}-k1ll3d",
        sample / f".site.old-{dead}",
        sample / ".zhilian-cache" / "handbook" / f".build-{dead}-k1ll3d",
    ]
    for folder in left:
        (folder / "public").mkdir(parents=True)
    running = sample / f".site.new-{os.getpid()}-running"
    running.mkdir()
    assert run_cli(sample, "build").code == 0
    assert [folder for folder in left if folder.exists()] == []
    assert running.is_dir()


def _retitled(root: Path, title: str) -> Path:
    """Give the first cadre ``title``; the path of its internal page."""
    cadre = sorted((root / "data" / "cadres").glob("*.yml"))[0]
    text = re.sub(r"(?m)^title:.*$", f"title: {title}", cadre.read_text("utf-8"), count=1)
    cadre.write_text(text, "utf-8")
    return Path("internal", "cadres", f"{cadre.stem}.html")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_replaced_site_is_put_aside_and_removed_by_the_next_build(
    sample: Path, jobs: str
) -> None:
    """A build only renames the site it replaced into the cache; the next build removes it
    (with workers, in another process while it reads the data)."""
    aside = sample / ".zhilian-cache" / "replaced"

    def build(title: str) -> tuple[Path, list[Path]]:
        page = _retitled(sample, title)
        assert run_cli(sample, "build", "--jobs", jobs).code == 0
        assert title in (sample / "site" / page).read_text("utf-8")
        assert [p.name for p in sample.iterdir() if p.name.startswith(".site")] == []
        return page, sorted(aside.iterdir()) if aside.exists() else []

    assert build("第一任职务")[1] == []
    page, first = build("第二任职务")
    assert len(first) == 1 and "第一任职务" in (first[0] / page).read_text("utf-8")
    page, second = build("第三任职务")
    assert len(second) == 1 and second[0] not in first
    assert "第二任职务" in (second[0] / page).read_text("utf-8")


def test_a_site_that_cannot_be_put_aside_is_removed_at_once(sample: Path) -> None:
    (sample / ".zhilian-cache").mkdir()
    (sample / ".zhilian-cache" / "replaced").write_text("not a folder", "utf-8")
    for title in ("第一任职务", "第二任职务"):
        _retitled(sample, title)
        assert run_cli(sample, "build").code == 0
    assert [p.name for p in sample.iterdir() if p.name.startswith(".site")] == []
    assert (sample / ".zhilian-cache" / "replaced").read_text("utf-8") == "not a folder"


def test_a_build_killed_outright_leaves_nothing_in_the_temporary_folder(tmp_path: Path) -> None:
    """The processes that make the report and the public site hand their results back
    through a file with no name: killed with SIGKILL, nothing of them stays in TMPDIR."""
    root = tmp_path / "d"
    generate(root, cadres=150, seed=5)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", SAMPLE_TODAY],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    try:
        deadline = time.monotonic() + 120
        while not list(root.glob(".site.new-*")):  # the report and public site are at work
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    time.sleep(0.2)  # the children's deaths
    assert [p.name for p in temp.iterdir() if p.name.startswith("zhilian-")] == []


def test_all_problems_reported_in_one_run(sample: Path) -> None:
    cadres = sorted((sample / "data" / "cadres").iterdir())
    cadres[0].write_text(cadres[0].read_text(encoding="utf-8").replace("level:", "levell:", 1),
                         encoding="utf-8")
    cadres[1].write_text(cadres[1].read_text(encoding="utf-8").replace("\t", "") + "\nfoo：bar\n",
                         encoding="utf-8")
    note = next((sample / "data" / "notes").rglob("*.md"))
    note.write_text("没有信息块\n", encoding="utf-8")
    run = run_cli(sample, "check", fmt="json")
    files = {d["file"] for d in json.loads(run.out) if d["severity"] == "error"}
    assert {cadres[0].relative_to(sample).as_posix(), cadres[1].relative_to(sample).as_posix(),
            note.relative_to(sample).as_posix()} <= files


def test_new_cadre_and_note_scaffolds(sample: Path) -> None:
    assert run_cli(sample, "new", "cadre", "li-xin").code == 0
    path = sample / "data" / "cadres" / "li-xin.yml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/cadre.schema.json")
    assert run_cli(sample, "new", "cadre", "li-xin").code == 2  # never overwrites
    # Unfilled placeholders are errors; filled in, the file passes (quotas: inside grace).
    assert run_cli(sample, "check").code == 1
    committee = yaml.safe_load((sample / "data/org/committees.yml").read_text("utf-8"))
    filled = (text.replace("请填写姓名", "李欣").replace("请填写职务", "团支部书记")
              .replace("请填写分团委编号", committee["committees"][0]["id"])
              .replace("请填写GitHub账号", "li-xin"))
    path.write_text(filled, encoding="utf-8")
    run = run_cli(sample, "check", fmt="json")
    assert [d["code"] for d in json.loads(run.out) if d["severity"] == "error"] == ["G005"]
    assert run_cli(sample, "codeowners").code == 0  # a new cadre's login joins CODEOWNERS
    run = run_cli(sample, "check", fmt="json")
    mine = [d for d in json.loads(run.out) if d["file"] == "data/cadres/li-xin.yml"]
    assert run.code == 0 and mine and all(d["severity"] == "warning" for d in mine)

    assert run_cli(sample, "new", "note", "li-xin", "五四青年节座谈会").code == 0
    [note] = (sample / "data" / "notes" / "li-xin").iterdir()
    assert note.name == f"{SAMPLE_TODAY}-wu-si-qing-nian-jie-zuo-tan-hui.md"
    assert run_cli(sample, "check").code == 0
    assert run_cli(sample, "new", "note", "nobody", "x").code == 2


def test_new_refuses_names_that_are_no_cadre_file(sample: Path) -> None:
    """An id too long for a file name was an internal error (X002: OSError); a note's
    cadre given as a path ("../../site_config": a file that exists) made a folder outside
    data/notes/.  Both are refused with the usage line, and nothing is written."""
    before = tree(sample)
    run = run_cli(sample, "new", "cadre", "a" * 300)
    assert run.code == 2 and "X002" not in run.out and "不超过 64 个字符" in run.out
    run = run_cli(sample, "new", "note", "../../site_config", "座谈会")
    assert run.code == 2 and "没有团干部文件" in run.out
    assert tree(sample) == before
    assert run_cli(sample, "new", "cadre", "a" * 64).code == 0


def test_schema_command_and_sample_validates(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert run_cli(sample, "schema", "--out", str(out)).code == 0
    names = sorted(p.name for p in out.iterdir())
    assert "cadre.schema.json" in names and "site_config.schema.json" in names
    cadre_schema = json.loads((out / "cadre.schema.json").read_text("utf-8"))
    assert cadre_schema["title"].startswith("团干部") and "youth" in cadre_schema["properties"]
    # The committed schemas are what the models generate.
    for name in names:
        assert (REPO / "schemas" / name).read_text("utf-8") == (out / name).read_text("utf-8"), name
    # check-jsonschema reads the sample files against them.
    pairs = [("cadre", "data/cadres/*.yml"), ("committees", "data/org/committees.yml"),
             ("branches", "data/org/branches.yml"), ("dorm_groups", "data/org/dorm_groups.yml"),
             ("survey", "data/surveys/*.yml"), ("site_config", "site_config.yml")]
    for stem, pattern in pairs:
        files = sorted(str(p) for p in sample.glob(pattern))
        assert files, pattern
        proc = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile",
             str(out / f"{stem}.schema.json"), *files],
            capture_output=True, text=True, check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sample_files_carry_the_schema_line() -> None:
    for path in sorted((REPO / "data" / "cadres").glob("*.yml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/cadre.schema.json"


def test_build_py_runs_as_a_script(tmp_path: Path) -> None:
    root = copy_deployment(tmp_path)
    proc = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "check", "--root", str(root), "--today", SAMPLE_TODAY],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "个警告" in proc.stdout and "Traceback" not in proc.stderr




#: The processes a first build forks, in order (``--jobs 2``; no memo yet, so the
#: fingerprint is taken meanwhile): each is started and registered to be stopped with
#: Ctrl-C held.
FORKED = ["fingerprint", "handbook", "public site", "annual report"]


@pytest.mark.parametrize("which", range(len(FORKED)), ids=FORKED)
def test_an_interrupt_just_as_a_process_of_the_build_starts_stops_it(
    sample: Path, monkeypatch: pytest.MonkeyPatch, which: int
) -> None:
    """A signal just after a process started, before the build had registered it for
    stopping (raised here as it has just started), would leave it running on: the public
    site's writing into the new site's folder after its removal, which makes it again.
    Held, the signal is taken once the process is registered, and stops it."""
    from zhilian import workers

    started = workers.Background.__init__
    children = []

    def interrupted(self: workers.Background, fn: Any, *, enabled: bool = True) -> None:
        started(self, fn, enabled=enabled)
        if self.process is not None:
            children.append(self.process)
            if len(children) == which + 1:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(workers.Background, "__init__", interrupted)
    assert run_cli(sample, "build", "--jobs", "2").code == 130
    for child in children:  # (one left running would go on writing after this)
        child.join(timeout=60)
    assert len(children) == which + 1  # nothing more was started
    assert children[which].exitcode != 0  # stopped, not left to finish its work
    assert sorted(p.name for p in sample.iterdir() if p.name.startswith(".site")) == []
    assert not list((sample / ".zhilian-cache").rglob(".build-*"))  # (the handbook's)


@pytest.mark.parametrize("argv", [["-h"], ["new", "-h"], ["serve", "--help"]])
def test_help_is_in_chinese(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    from zhilian.cli import main

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：python build.py") and "\n选项：\n" in out and "显示这段帮助" in out
    assert not re.search(r"usage|options:|positional arguments|show this help", out), out

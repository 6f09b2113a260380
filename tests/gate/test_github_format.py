"""``--format github``: every workflow command parses back to a real file, a real line and
the exact text (DESIGN §6: ``%``, CR, LF escaped in messages, and ``:`` ``,`` in properties)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from zhilian.diagnostics import Diagnostic, Severity
from zhilian.reporters import GithubReporter, SourceCache

from .conftest import Repo

COMMAND = re.compile(r"^::(?P<cmd>error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


def unescape(text: str, prop: bool = False) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if prop:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for code, char in pairs:
        text = text.replace(code, char)
    return text.replace("%25", "%")


def parse(output: str) -> list[dict[str, str]]:
    """Workflow commands as the runner reads them; anything else must not start with ``::``."""
    found = []
    for line in output.split("\n"):
        if not line.startswith("::"):
            continue
        match = COMMAND.match(line)
        assert match, f"not a valid workflow command: {line!r}"
        assert "\r" not in line
        props = {}
        for part in match.group("props").split(","):
            key, sep, value = part.partition("=")
            assert sep and key in ("file", "line", "col", "title"), part
            assert not re.search(r"%(?!25|0D|0A|3A|2C)", value), f"bad escape in {part!r}"
            props[key] = unescape(value, prop=True)
        msg = match.group("msg")
        assert not re.search(r"%(?!25|0D|0A)", msg), f"bad escape in {msg!r}"
        found.append({"kind": match.group("cmd"), **props, "message": unescape(msg)})
    return found


def test_annotations_of_a_failing_change(repo: Repo) -> None:
    statuses = repo.statuses()
    a, b = [cid for cid, s in statuses.items() if s.quotas_met][:2]
    repo.retitle(a)  # by b: G002
    repo.edit(f"data/cadres/{b}.yml", lambda t: t.replace("level:", "levle:", 1))  # S001/S002
    repo.edit(".github/workflows/check.yml", lambda t: t + "\n# x\n")  # G002
    run = repo.check(author=repo.login(b), fmt="github")
    assert run.code == 1
    notes = parse(run.out)
    assert "error" in {n["kind"] for n in notes}
    codes = {n["title"].split(" ")[0] for n in notes}
    assert "G002" in codes
    for n in notes:
        assert (repo.root / n["file"]).is_file(), n
        assert int(n["line"]) >= 1 and int(n["col"]) >= 1, n
        assert n["title"][:4] in codes
        assert "\n提示：" in n["message"]
    # The summary line follows the annotations.
    assert run.out.rstrip().split("\n")[-1].startswith("共 ")


def test_crafted_text_round_trips(tmp_path: Path) -> None:
    nasty = "100% 完成\r\n第二行::error file=x::伪造, 逗号: 冒号 %0A 不是换行"
    rel = "data/odd,name:file.yml"
    (tmp_path / "data").mkdir()
    (tmp_path / rel).write_text("name: x\n", encoding="utf-8")
    diags = [
        Diagnostic(
            "G002", Severity.ERROR, rel, nasty, hint="提示%也要::转义\n第二行", line=1, col=1
        ),
        Diagnostic("P002", Severity.WARNING, rel, "a,b:c", line=1, col=3),
    ]
    out = io.StringIO()
    GithubReporter(out).report(diags, SourceCache(tmp_path))
    lines = [ln for ln in out.getvalue().split("\n") if ln.startswith("::")]
    assert len(lines) == 2  # CR/LF inside a message never start a new command
    notes = parse(out.getvalue())
    assert notes[0]["file"] == rel and (tmp_path / notes[0]["file"]).is_file()
    assert notes[0]["message"] == f"{nasty}\n提示：提示%也要::转义\n第二行"
    assert notes[0]["title"] == "G002 无权修改此文件"
    assert notes[1]["kind"] == "warning" and notes[1]["col"] == "3"
    assert notes[1]["message"].startswith("a,b:c\n")

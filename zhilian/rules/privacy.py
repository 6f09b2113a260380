"""Privacy rules: a youth's name or 学号 must never sit in a public field or a public note,
and contact channels are published only with the cadre's consent."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator

from ..diagnostics import Diagnostic, error, warning
from ..model.data import Cadre
from ..read import read_file
from .base import RuleContext, cadre_rule

_TOKENS = re.compile(r"[0-9A-Za-z]{4,20}")
@functools.cache
def _cjk_run() -> re.Pattern[str]:
    return re.compile(r"[\u3400-\u9fff]{2,}")  # (compiled when used: 1 ms)


#: one cadre's listed 学号, youth names (≥ 2 characters), and a digest of both
Listed = tuple[frozenset[str], frozenset[str], bytes]


def listed_youth(cadre: Cadre) -> Listed:
    ids = frozenset(y.id for y in cadre.youth)
    names = frozenset(y.name for y in cadre.youth if y.name and len(y.name) >= 2)
    digest = hashlib.blake2b(digest_size=16)
    for values in (ids, names):
        digest.update("\0".join(sorted(values)).encode("utf-8", "surrogatepass"))
        digest.update(b"\1")
    return ids, names, digest.digest()


class PersonalInfo:
    """Every listed youth's 学号 and name (≥ 2 characters), for scanning public text.

    Matching walks the short public text (tokens and CJK runs) against sets, so the cost
    does not grow with the number of youth the way one huge regex would."""

    def __init__(self, cadres: Iterable[Cadre], listed: Iterable[Listed] | None = None) -> None:
        """``listed``: each cadre's :func:`listed_youth`, when kept from an earlier build."""
        cadres = list(cadres)
        each = list(listed) if listed is not None else [listed_youth(c) for c in cadres]
        cadre_names = {c.name for c in cadres}  # a cadre's own name is public
        self.ids: set[str] = set().union(*(ids for ids, _, _ in each))
        self.names: set[str] = set().union(*(names for _, names, _ in each)) - cadre_names
        self.name_lengths = sorted({len(n) for n in self.names})
        # A name can begin only where one of the names' first characters stands (a surname's,
        # mostly): text is looked at there only.  In the demo's 1,000 cadres, 80 characters
        # begin their 33,669 names, and stand at 2,637 of the 384,562 in public text.
        firsts = "".join(sorted({re.escape(n[0]) for n in self.names}))
        self._name_start = re.compile(f"[{firsts}]") if firsts else None
        digest = hashlib.blake2b(digest_size=16)
        for *_, part in each:
            digest.update(part)
        digest.update("\0".join(sorted(cadre_names)).encode("utf-8", "surrogatepass"))
        #: changes whenever the listed 学号 and names do (and when a youth moves to another
        #: cadre's list: then for nothing, but that is rare and costs only time)
        self.digest = digest.digest()

    def find(self, text: str) -> str | None:
        """The first personal value in ``text`` (returned for locating only; never printed)."""
        for token in _TOKENS.findall(text):
            if token in self.ids:
                return token
        if self._name_start is None:
            return None
        for run in _cjk_run().findall(text):
            starts = [m.start() for m in self._name_start.finditer(run)]
            for size in self.name_lengths:  # (the shortest first, then from the left)
                for start in starts:
                    if start + size <= len(run) and run[start : start + size] in self.names:
                        return run[start : start + size]
        return None


def _position(text: str, needle: str, after: int = 0) -> tuple[int, int]:
    index = text.find(needle, after)
    if index < 0:
        return 1, 1
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


PUBLIC_CADRE_FIELDS = ("name", "title", "intro")


@cadre_rule(orphan_notes=True, extra=lambda ctx: ctx.personal.digest)
def public_text(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """公开字段和公开的活动记录中不出现青年的姓名或学号。

    No youth name or 学号 in a cadre's public fields or in a public note.
    """
    info = ctx.personal
    if not info.ids:
        return
    dep = ctx.dep
    cadre = dep.cadres.get(cid)
    if cadre is not None:
        fields = {f: getattr(cadre, f) for f in PUBLIC_CADRE_FIELDS}
        fields["contact.office"] = cadre.contact.office or ""
        for name, value in fields.items():
            if info.find(value):
                yield error("P001", dep.cadre_file(cid),
                            f"公开字段 {name} 中出现了某位青年的姓名或学号",
                            path=tuple(name.split(".")), cadre=cid)
    for note in dep.notes.get(cid, []):
        if note.front.public:
            if info.find(note.slug):
                yield error("P001", note.rel, "公开活动记录的文件名中出现了某位青年的学号",
                            line=1, col=1, cadre=cid,
                            hint="公开的活动记录会出现在网址中：把文件名改成不含学号的简短英文名。")
            if info.find(note.front.title):
                yield error("P001", note.rel, "公开活动记录的标题中出现了某位青年的姓名或学号",
                            path=("title",), cadre=cid)
            needle = info.find(note.body)
            if needle:
                text, _ = read_file(dep.root / note.rel, note.rel, 1 << 30)
                body_start = (text or "").find(note.body[:40]) if note.body else 0
                line, col = _position(text or "", needle, max(body_start, 0))
                yield error("P001", note.rel, "公开活动记录（public: true）的正文中出现了某位青年"
                            "的姓名或学号", line=line, col=col, cadre=cid,
                            hint="删去正文中青年的姓名和学号，或把 public 改为 false。")


@cadre_rule()
def contact_channels(ctx: RuleContext, cid: str) -> Iterator[Diagnostic]:
    """至少有一种公开联系方式；取得本人同意（`consent_on`）后才公开。

    At least one public channel; channels are published only with consent.
    """
    contact = ctx.dep.cadres[cid].contact
    file = ctx.dep.cadre_file(cid)
    if not contact.channels():
        yield error("P003", file, "没有填写任何公开联系方式", path=("contact",), cadre=cid)
    elif contact.consent_on is None:
        yield warning("P002", file, "填写了联系方式但没有 consent_on：目录中只显示姓名和职务",
                      path=("contact",), at_key=True, cadre=cid)

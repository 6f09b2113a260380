"""A cadre's electronic business card: vCard 3.0 (RFC 2426) text and its QR code.

Only public data goes in (a :class:`~zhilian.views.public.PublicCadre`), and only the
channels the cadre consented to publish.  The text is UTF-8 with CRLF line endings, values
escaped (``\\ , ; newline``) and lines folded at 75 octets without splitting a character.
The QR code (segno) encodes exactly that text and is rendered as an inline SVG.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import segno

if TYPE_CHECKING:  # pool workers import this module: keep it light
    from ..views.public import PublicCadre

CRLF = "\r\n"
FOLD_AT = 75  # octets per physical line, excluding CRLF (RFC 2426 §2.6 / RFC 6350 §3.2)

#: Two-character Chinese surnames (复姓): N gets family and given name right for these.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙",
        "夏侯", "长孙", "宇文", "司徒", "申屠", "太史", "端木", "澹台", "轩辕", "独孤",
        "南宫", "西门", "万俟", "闻人", "赫连", "钟离", "宗政", "濮阳", "淳于", "单于",
        "呼延", "第五", "司空", "公冶", "百里", "东郭", "拓跋", "左丘",
    }
)  # fmt: skip
_HAN = re.compile(r"^[\u3400-\u9fff]+$")
MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")


def escape(value: str) -> str:
    """Escape a TEXT value (RFC 2426 §4)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into ≤ 75-octet physical lines, never inside a UTF-8 character."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > FOLD_AT:
            out.append("".join(current))
            current, size = [" "], 1  # a continuation line starts with one space
        current.append(ch)
        size += width
    out.append("".join(current))
    return CRLF.join(out)


def split_name(name: str) -> tuple[str, str]:
    """(family, given) for a Chinese name; anything else is kept whole as the given name."""
    if _HAN.match(name) and len(name) >= 2:
        surname_len = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[:surname_len], name[surname_len:]
    return "", name


def vcard_text(cadre: PublicCadre, organization: str) -> str:
    family, given = split_name(cadre.name)
    org = [escape(organization)]
    if cadre.committee is not None:
        org.append(escape(cadre.committee.name))
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:{escape(family)};{escape(given)};;;",
        f"FN:{escape(cadre.name)}",
        "ORG:" + ";".join(org),
        f"TITLE:{escape(cadre.title)}",
    ]
    contact = cadre.contact
    if contact is not None:
        if contact.phone:
            kind = "CELL,VOICE" if MOBILE.match(contact.phone) else "WORK,VOICE"
            lines.append(f"TEL;TYPE={kind}:{escape(contact.phone)}")
        if contact.email:
            lines.append(f"EMAIL;TYPE=INTERNET:{escape(contact.email)}")
        if contact.weibo:
            lines.append(f"URL:{contact.weibo}")
        if contact.office:
            lines.append(f"ADR;TYPE=WORK:;{escape(contact.office)};;;;;")
        note = []
        if contact.wechat:
            note.append(f"微信：{contact.wechat}")
        if contact.qq:
            note.append(f"QQ：{contact.qq}")
        if note:
            lines.append(f"NOTE:{escape(chr(10).join(note))}")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)


def qr_code(text: str) -> segno.QRCode:
    """The QR code of ``text`` (byte mode, UTF-8, level M; deterministic)."""
    return segno.make_qr(text, error="m", encoding="utf-8", boost_error=False)


def qr_svg(text: str, title: str) -> str:
    """Inline SVG markup of :func:`qr_code` (no XML declaration, sized by CSS)."""
    svg = qr_code(text).svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=title,
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _qr_svg_job(job: tuple[str, str]) -> str:
    return qr_svg(*job)


#: Below this many codes to make, a process pool costs more than it saves.
POOL_THRESHOLD = 64


def qr_svgs(jobs: list[tuple[str, str]], cache_dir: Path | None = None) -> list[str]:
    """:func:`qr_svg` of every ``(text, title)``.

    Choosing the QR mask (segno evaluates all eight, as the standard asks) is the slowest
    step of a large build, so results are cached on disk by content hash (the same text,
    title and segno version always give the same SVG) and misses are spread over a
    process pool when there are many.  The output does not depend on either."""
    keys = [_cache_key(text, title) for text, title in jobs]
    results: list[str | None] = [_cache_get(cache_dir, k) for k in keys]
    misses = [i for i, r in enumerate(results) if r is None]
    workers = min(
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8
    )
    # fork only a single-threaded process (``build``; not ``serve``, whose watcher threads
    # could hold a lock at fork time): no re-import, no ``__main__`` guard needed.
    if (
        len(misses) >= POOL_THRESHOLD
        and workers > 1
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            made = list(pool.map(_qr_svg_job, [jobs[i] for i in misses], chunksize=8))
    else:
        made = [qr_svg(*jobs[i]) for i in misses]
    for i, svg in zip(misses, made, strict=True):
        results[i] = svg
        _cache_put(cache_dir, keys[i], svg)
    return [r for r in results if r is not None]


def _cache_key(text: str, title: str) -> str:
    spec = f"segno {segno.__version__}|m|utf-8|border4|{title}|{text}"
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()


def _cache_get(cache_dir: Path | None, key: str) -> str | None:
    if cache_dir is None:
        return None
    try:
        svg = (cache_dir / f"{key}.svg").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return svg if svg.startswith("<svg ") and svg.endswith("</svg>") else None


def _cache_put(cache_dir: Path | None, key: str, svg: str) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(svg, "utf-8")
        os.replace(tmp, cache_dir / f"{key}.svg")
    except OSError:
        pass  # a read-only checkout builds fine, just without the cache

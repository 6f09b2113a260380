"""A cadre's electronic business card: vCard 3.0 (RFC 2426) text and its QR code.

Only public data goes in (a :class:`~zhilian.views.public.PublicCadre`), and only the
channels the cadre consented to publish.  The text is UTF-8 with CRLF line endings, values
escaped (``\\ , ; newline``) and lines folded at 75 octets without splitting a character.
The QR code (zxing-cpp, which encodes with the Zint C library) holds exactly the UTF-8 bytes
of that text, in byte mode without an ECI, and is drawn here as an inline SVG.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import importlib.metadata
import json
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import zxingcpp

if TYPE_CHECKING:
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
_HAN = r"^[\u3400-\u9fff]+$"  # (compiled when first used, by ``re``: 1 ms)
MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
_QR = zxingcpp.BarcodeFormat.QRCode


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
    if re.match(_HAN, name) and len(name) >= 2:
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


def qr_code(text: str) -> tuple[int, bytes]:
    """The QR code of ``text``: ``(size, modules)``, ``size`` × ``size`` bytes row by row,
    ``0`` for a dark module (no quiet zone).

    Byte mode, the UTF-8 bytes of ``text``, level M, no ECI; deterministic.  Zint is given
    *bytes* with ``eci=0``: from a ``str`` it would try Latin-1 and Shift JIS first (Kanji
    mode for text such as ``QQ：123``) and otherwise add an ECI 26 designator, and from
    bytes without ``eci=0`` zxing-cpp asks for ECI 899 (binary)."""
    code = zxingcpp.create_barcode(text.encode("utf-8"), _QR, ec_level="M", eci=0)
    image = code.to_image(scale=1, add_quiet_zones=False)
    size, width = image.shape
    if size != width:  # pragma: no cover - a QR symbol is square
        raise ValueError(f"QR symbol is {width}x{size}")
    return size, memoryview(image).tobytes()


QUIET = 4  # modules of quiet zone on every side (ISO/IEC 18004)
_SPLIT_RUNS = re.compile(rb"(\x00+)").split  # a row -> light, dark, light, ..., light
_RUN_PATH: dict[bytes, str] = {}  # a run of n light / dark modules -> "m{n} 0" / "h{n}"


def _run_path(size: int) -> dict[bytes, str]:
    if len(_RUN_PATH) < 2 * size:
        for n in range(len(_RUN_PATH) // 2 + 1, size + 1):
            _RUN_PATH[b"\xff" * n] = f"m{n} 0"
            _RUN_PATH[b"\x00" * n] = f"h{n}"
    return _RUN_PATH


def qr_svg(text: str, title: str) -> str:
    """Inline SVG markup of :func:`qr_code` (no XML declaration, sized by CSS).

    One white square, then one path of horizontal strokes of width 1 along the module rows'
    centre lines: a stroke (``h``) per run of dark modules, each reached by a relative move
    (``m``) from the end of the previous one.  Runs are looked up, not formatted: a vCard's
    code has some 1,200 of them (formatting took 0.9 ms a code, the lookups take 0.5)."""
    size, modules = qr_code(text)
    runs = _run_path(size).__getitem__
    side = size + 2 * QUIET
    path: list[str] = []
    x = y = 0  # where the previous stroke ended, in modules (quiet zone included)
    for row in range(size):
        parts = _SPLIT_RUNS(modules[row * size : (row + 1) * size])
        if len(parts) == 1:
            continue  # no dark module in this row
        start = QUIET + len(parts[0])
        if path:
            path.append(f"m{start - x} {QUIET + row - y}h{len(parts[1])}")
        else:
            path.append(f"M{start} {QUIET + row}.5h{len(parts[1])}")
        path.extend(map(runs, parts[2:-1]))
        x, y = QUIET + size - len(parts[-1]), QUIET + row
    return (
        f'<svg role="img" viewBox="0 0 {side} {side}" class="qr">'
        f"<title>{html.escape(title, quote=False)}</title>"
        f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
        f'<path stroke="#000" d="{"".join(path)}"/></svg>'
    )


#: Below this many codes, making them costs less than reading the cache file (30 ms) and
#: writing it again (60 ms at 1,000 cadres).
CACHE_MIN_CODES = 16


def qr_svgs(jobs: list[tuple[str, str]], cache_dir: Path | None = None) -> list[str]:
    """:func:`qr_svg` of every ``(text, title)``, in order.

    A code takes about 2 ms (1.4 ms Zint, the rest the path), so re-rendering 1,000 cadre
    pages (after a template edit, say) would spend 2 s on them: ``cache_dir`` keeps the
    codes made, by content hash, in *one* file (reading it takes some 30 ms for 1,000
    codes; a file per code took longer to write than the codes take to make).  ``jobs``
    may be only the pages being rendered again, so the file keeps the codes of earlier
    calls too: it is rewritten when a code had to be made, with that call's codes last,
    and keeps at most twice as many as the largest call asked for (codes of old vCards
    fall out first).  Fewer than :data:`CACHE_MIN_CODES` codes are made without the file.
    The output does not depend on the cache.

    No process pool: forking the build for 1,000 codes saved 0.3-0.7 s on two cores, less
    than the run-to-run noise of a busy machine, and only on a cold build."""
    if len(jobs) < CACHE_MIN_CODES:  # (``serve`` after an edit: the edited cadre's code)
        return [qr_svg(*job) for job in jobs]
    keys = [_cache_key(text, title) for text, title in jobs]
    cached, peak = _cache_read(cache_dir)
    svgs = [cached.get(key) or qr_svg(*job) for key, job in zip(keys, jobs, strict=True)]
    if cache_dir is not None and not cached.keys() >= set(keys):  # something was made
        fresh = dict(zip(keys, svgs, strict=True))
        kept = {key: svg for key, svg in cached.items() if key not in fresh} | fresh
        peak = max(peak, len(fresh))
        _cache_write(cache_dir, dict(list(kept.items())[-2 * peak :]), peak)
    return svgs


#: Stored with the codes and in their keys: codes made by another encoder never match.
ENCODER = f"zxing-cpp {importlib.metadata.version('zxing-cpp')}"
CACHE_FILE = "qr.json"


def _cache_key(text: str, title: str) -> str:
    spec = f"{ENCODER}|M|utf-8|no-eci|quiet{QUIET}|{title}|{text}"
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()


def _cache_read(cache_dir: Path | None) -> tuple[dict[str, str], int]:
    """The cached codes (oldest first) and the most codes one call has asked for."""
    if cache_dir is None:
        return {}, 0
    try:
        data = json.loads((cache_dir / CACHE_FILE).read_bytes())
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        return {}, 0
    if not isinstance(data, dict) or data.get("encoder") != ENCODER:
        return {}, 0
    svgs, peak = data.get("svgs"), data.get("peak")
    if not isinstance(svgs, dict) or not isinstance(peak, int):
        return {}, 0
    return {
        key: svg
        for key, svg in svgs.items()
        if isinstance(svg, str) and svg.startswith("<svg ") and svg.endswith("</svg>")
    }, peak


def _cache_write(cache_dir: Path, svgs: dict[str, str], peak: int) -> None:
    """Replace the cache file (atomically) with ``svgs``, oldest first."""
    data = {"encoder": ENCODER, "peak": peak, "svgs": svgs}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{CACHE_FILE}.", suffix=".tmp", dir=cache_dir)
    except OSError:
        return  # a read-only checkout builds fine, just without the cache
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, cache_dir / CACHE_FILE)
        for old in cache_dir.glob("*.svg"):  # the earlier cache: a file per (segno) code
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)

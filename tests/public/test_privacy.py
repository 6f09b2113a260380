"""Privacy proof (DESIGN §8): plant a unique marker in every private value of a copy of the
sample, build it, and scan every file under ``site/public`` — no marker may appear.

Markers fit each field's type so the data still passes ``check`` (a 学号 marker is
digits, a name marker is Chinese, dates are dates).  Values that cannot be unique (enums,
family categories, ids of existing dorm groups and branches) keep their sample values.
The same scan run on the unmodified sample finds nothing (no false positives), and a
marker planted in a *public* note's body is found (the scan can find things).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image, PngImagePlugin

from tests.conftest import run_cli

from .util import DUMPER, PLAIN_LOADER, load_plain, public_dir, split_note, walk_files

CJK_DIGITS = "零一二三四五六七八九"
CJK_PREFIX = "蘅芜"

#: Pattern families that only planted private values produce.
PRIVATE_PATTERNS = [
    re.compile(r"zlmark\d{4}", re.IGNORECASE),  # free text, e-mail, WeChat, URL, EXIF
    re.compile(r"9999\d{4}"),  # 学号 and QQ
    re.compile(r"139999\d{5}"),  # phone
    re.compile(CJK_PREFIX),  # names, hometowns
    re.compile(r"(?:1998|1999|2099)(?:-\d\d|年)"),  # youth since/until, resolved_on
    re.compile(r"98[67]0\d\d"),  # survey figures
]
PUBLIC_PATTERN = re.compile(r"zlpublic\d{4}", re.IGNORECASE)


class Markers:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n

    def text(self) -> str:
        return f"ZLMARK{self.next():04d}"

    def digits(self) -> str:
        return f"9999{self.next():04d}"

    def cjk(self) -> str:
        return CJK_PREFIX + "".join(CJK_DIGITS[int(d)] for d in f"{self.next():04d}")

    def phone(self) -> str:
        return f"139999{self.next():05d}"

    def date(self, year: int) -> str:
        return (dt.date(year, 1, 1) + dt.timedelta(days=self.next() % 360)).isoformat()


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False, width=1000)


def plant(root: Path) -> list[str]:
    """Write markers into every private value; return the public markers planted."""
    m = Markers()
    per_student: dict[str, dict[str, str]] = {}  # same 学号 → same markers in every file

    def student(old_id: str) -> dict[str, str]:
        if old_id not in per_student:
            per_student[old_id] = {
                "id": m.digits(),
                "name": m.cjk(),
                "hometown": m.cjk() + "乡",
                "major": m.text(),
                "grade": m.text(),
            }
        return per_student[old_id]

    cadre_files = sorted((root / "data" / "cadres").glob("*.yml"))
    consent_dropped = False
    for path in cadre_files:
        data = load_plain(path)
        data["github"] = f"zlmark{m.next():04d}"
        contact = data.get("contact") or {}
        if contact.get("consent_on") and not consent_dropped:
            del contact["consent_on"]  # this cadre withdraws consent: channels go private
            consent_dropped = True
        if not contact.get("consent_on"):
            contact.update(
                {
                    "phone": m.phone(),
                    "email": f"zlmark{m.next():04d}@example.edu.cn",
                    "wechat": m.text(),
                    "qq": m.digits(),
                    "weibo": f"https://weibo.com/u/zlmark{m.next():04d}",
                    "office": m.text(),
                }
            )
            data["contact"] = contact
        for youth in data.get("youth") or []:
            planted = student(youth["id"])
            youth.update({k: planted[k] for k in ("id", "name", "hometown", "major", "grade")})
            youth["since"] = m.date(1999)
            youth["until"] = m.date(2099)
        path.write_text(dump(data), "utf-8")
    assert consent_dropped, "the sample has no consented cadre to withdraw consent from"

    public_markers = []
    for path in sorted((root / "data" / "notes").glob("*/*.md")):
        front_text, body = split_note(path.read_text("utf-8"))
        front = yaml.load(front_text, Loader=PLAIN_LOADER)
        front["youth"] = [student(y)["id"] for y in front.get("youth") or []]
        front["problems"] = (front.get("problems") or []) or [
            {"category": "实际困难", "summary": "x", "status": "已转交"}
        ]
        for problem in front["problems"]:
            problem["summary"] = m.text()
            problem["forwarded_to"] = m.text()
            problem["resolved_on"] = m.date(1998)
        if front.get("public") == "true":
            marker = f"ZLPUBLIC{m.next():04d}"
            public_markers.append(marker)
            body = f"{body}\n\n公开标记 {marker}\n"
        else:
            front["title"] = f"{front['title']} {m.text()}"
            body = f"{body}\n\n{m.text()} {m.cjk()} {m.digits()}\n"
        path.write_text(f"---\n{dump(front)}---\n{body}", "utf-8")

    for path in sorted((root / "data" / "surveys").glob("*.yml")):
        data = load_plain(path)
        for i, cid in enumerate(sorted(data)):
            data[cid] = {"respondents": str(987000 + i), "satisfied": str(986000 + i)}
        path.write_text(dump(data), "utf-8")

    _plant_photo_metadata(root / "data" / "photos")
    assert public_markers, "the sample has no public note"
    return public_markers


def _plant_photo_metadata(folder: Path) -> None:
    """EXIF with GPS and text in every JPEG, text chunks in every PNG."""
    for path in sorted(folder.iterdir()):
        with Image.open(path) as img:
            img.load()
            if img.format == "JPEG":
                exif = img.getexif()
                exif[0x010E] = "ZLMARK9001 description"  # ImageDescription
                exif[0x013B] = "ZLMARK9002"  # Artist
                gps = exif.get_ifd(0x8825)
                gps.update({1: "N", 2: (37.0, 51.0, 1999.0), 3: "E", 4: (112.0, 33.0, 1998.0)})
                out = io.BytesIO()
                img.save(out, "JPEG", exif=exif, comment=b"ZLMARK9003")
            else:
                info = PngImagePlugin.PngInfo()
                info.add_text("Comment", "ZLMARK9004")
                info.add_itxt("Author", "蘅芜九九", lang="zh")
                out = io.BytesIO()
                img.save(out, "PNG", pnginfo=info)
        path.write_bytes(out.getvalue())


def scan(public: Path, patterns: list[re.Pattern[str]]) -> list[tuple[str, str]]:
    """(file, match) for every pattern match in every file (text, JSON escapes, URL- and
    entity-encoded forms; image bytes too)."""
    hits = []
    for rel, data in walk_files(public):
        text = data.decode("utf-8", errors="replace")
        variants = [text, urllib.parse.unquote(text)]
        if "\\u" in text:
            variants.append(re.sub(r"\\u([0-9a-fA-F]{4})", lambda x: chr(int(x[1], 16)), text))
        for variant in variants:
            for pattern in patterns:
                hits += [(rel, match) for match in pattern.findall(variant)]
    return sorted(set(hits))


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    from tests.conftest import copy_deployment

    root = copy_deployment(tmp_path_factory.mktemp("marked"))
    public_markers = plant(root)
    if (root / ".github" / "CODEOWNERS").exists():  # generated from the github logins
        assert run_cli(root, "codeowners").code == 0
    result = run_cli(root, "build")
    assert result.code == 0, result.out
    return root, public_markers


def test_scan_finds_nothing_in_the_unmodified_sample(built_sample: Path) -> None:
    assert scan(public_dir(built_sample), [*PRIVATE_PATTERNS, PUBLIC_PATTERN]) == []


def test_no_private_value_reaches_the_public_site(marked: tuple[Path, list[str]]) -> None:
    root, _ = marked
    public = public_dir(root)
    assert (public / "index.html").is_file()
    assert scan(public, PRIVATE_PATTERNS) == []


def test_public_note_markers_are_published(marked: tuple[Path, list[str]]) -> None:
    root, public_markers = marked
    found = {match.upper() for _, match in scan(public_dir(root), [PUBLIC_PATTERN])}
    assert found == set(public_markers)
    news = (public_dir(root) / "news.html").read_text("utf-8")
    assert all(marker in news for marker in public_markers)


def test_private_labels_appear_only_where_public_text_has_them(
    marked: tuple[Path, list[str]],
) -> None:
    """Enum-like private values (政治面貌, 家庭情况, problem categories and statuses) cannot
    carry markers.  Such a word may appear on the public site only if a public source text
    (a cadre's public fields, a public note, the organisation files) uses it."""
    root, _ = marked
    public_source = _public_source(root)
    labels = ["中共预备党员", "经济困难", "思想困惑", "实际困难", "意见建议"]
    labels += ["待处理", "已转交", "已解决"]
    for rel, data in walk_files(public_dir(root)):
        if rel.startswith("guide/"):
            continue  # the handbook explains these words
        text = data.decode("utf-8", errors="replace")
        leaked = [label for label in labels if label in text and label not in public_source]
        assert leaked == [], rel


def _public_source(root: Path) -> str:
    parts = [(root / "site_config.yml").read_text("utf-8")]
    parts += [p.read_text("utf-8") for p in sorted((root / "data" / "org").glob("*.yml"))]
    for path in sorted((root / "data" / "cadres").glob("*.yml")):
        data = load_plain(path)
        parts += [str(data.get(k, "")) for k in ("name", "title", "intro")]
        parts.append(str((data.get("contact") or {}).get("office", "")))
    for path in sorted((root / "data" / "notes").glob("*/*.md")):
        front, body = split_note(path.read_text("utf-8"))
        meta = yaml.load(front, Loader=PLAIN_LOADER)
        if meta.get("public") == "true":
            parts += [meta.get("title", ""), body]
    return "\n".join(parts)


def test_public_types_have_no_field_for_private_data() -> None:
    """By construction: walk every dataclass reachable from PublicSite; no field can hold a
    youth entry, a survey figure, a problem item, participants or a non-public note."""
    import dataclasses
    import types
    import typing

    from zhilian.views import public as views

    allowed = {
        "PublicSite": {"title", "organization", "base_url", "indexable", "footer", "today",
                       "cadres", "groups", "committees", "notes"},
        "PublicFooter": {"address", "phone", "email"},
        "PublicCadre": {"id", "name", "pinyin", "pinyin_variants", "level", "level_label",
                        "appointment_label", "title", "committee", "contact", "intro_html",
                        "photo", "avatar_colour", "committees", "branches", "dorm_groups"},
        "PublicContact": {"phone", "email", "wechat", "qq", "weibo", "office"},
        "PublicPhoto": {"path", "data", "width", "height"},
        "PublicUnit": {"id", "name", "kind", "committee"},
        "PublicGroup": {"id", "title", "cadres"},
        "PublicCommittee": {"unit", "serving", "members", "branches", "dorm_groups"},
        "FindUnit": {"unit", "direct", "via_committee", "branch"},
        "PublicNote": {"anchor", "cadre_id", "cadre_name", "title", "date", "kind_label",
                       "body_html"},
    }  # fmt: skip
    seen: set[str] = set()
    todo: list[type] = [views.PublicSite]
    while todo:
        cls = todo.pop()
        if cls.__name__ in seen:
            continue
        seen.add(cls.__name__)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls
        hints = typing.get_type_hints(cls)
        assert {f.name for f in dataclasses.fields(cls)} == allowed[cls.__name__], cls
        for f in dataclasses.fields(cls):
            stack = [hints[f.name]]
            while stack:
                t = stack.pop()
                if typing.get_args(t):  # tuple[X, ...] or X | None: look inside
                    assert typing.get_origin(t) in (tuple, types.UnionType, typing.Union), t
                    stack += [a for a in typing.get_args(t) if a is not Ellipsis]
                elif dataclasses.is_dataclass(t):
                    todo.append(t)
                elif t is views.KeptCadre:  # a PublicCadre kept pickled, and its place
                    assert views._Kept.__slots__ == () and t.__mro__[1:] == (views._Kept, object)
                    assert set(t.__slots__) == {"id", "level", "pinyin", "photo", "_pickled",
                                                "_cadre"}
                    assert typing.get_type_hints(t.whole)["return"] is views.PublicCadre
                    todo.append(views.PublicCadre)
                elif t is views.KeptNote:  # a cadre's PublicNotes kept pickled, and the order
                    assert t.__mro__[1:] == (views._Kept, object)
                    assert set(t.__slots__) == {"anchor", "cadre_id", "date", "_kept", "_index"}
                    assert typing.get_type_hints(t.whole)["return"] is views.PublicNote
                    kept = typing.get_type_hints(views._KeptNotes.notes)["return"]
                    assert kept == list[views.PublicNote]
                    assert set(views._KeptNotes.__slots__) == {"_notes", "_pickled"}
                    todo.append(views.PublicNote)
                else:
                    assert t in (str, int, bool, bytes, dt.date, type(None)), (cls, f.name, t)
    assert seen == set(allowed)

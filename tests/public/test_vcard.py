"""vCards read back (vobject) to the cadre's public data, and each page's QR code (the
inline SVG itself, rasterised here) decodes (zxing-cpp) to exactly the vCard's UTF-8 bytes,
in byte mode without an ECI designator (what WeChat's scanner reads)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import vobject
import zxingcpp
from PIL import Image

from zhilian.views.public import PublicCadre, PublicContact, PublicUnit

from .util import load_plain, parse, public_dir, sample_cadres, sample_org

MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")


def rasterise_qr(svg_path: str, size: int, scale: int = 6) -> Image.Image:
    """Draw the QR code's SVG path (``M x y``, ``m dx dy``, ``h dx``, ``v dy`` strokes of
    width 1 along module rows) onto a white image ``size`` modules square."""
    img = Image.new("L", (size * scale, size * scale), 255)
    x = y = 0.0
    for cmd, args in re.findall(r"([MmHhVv])([^MmHhVvZz]*)", svg_path):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if cmd == "M":
            x, y = nums[0], nums[1]
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        elif cmd in "hH":
            end = nums[0] if cmd == "H" else x + nums[0]
            row = int(y)
            for col in range(int(min(x, end)), int(max(x, end))):
                img.paste(0, (col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
            x = end
        elif cmd in "vV":
            end = nums[0] if cmd == "V" else y + nums[0]
            col = int(x)
            for row in range(int(min(y, end)), int(max(y, end))):
                img.paste(0, (col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
            y = end
    return img


def decode_qr(img: Image.Image) -> tuple[str, bytes]:
    """The one QR code in ``img``: its text and its content *with* any ECI designator
    (``]Q1`` + the bytes when there is none, ``]Q2\\000026`` + … with ECI 26).  The
    Barcode's own ``symbology_identifier`` says ``]Q1`` even when the symbol has an ECI."""
    QR = zxingcpp.BarcodeFormat.QRCode
    results = zxingcpp.read_barcodes(img, formats=QR)
    assert len(results) == 1
    hex_eci = zxingcpp.read_barcodes(img, formats=QR, text_mode=zxingcpp.TextMode.HexECI)
    assert len(hex_eci) == 1
    assert results[0].bytes == bytes.fromhex(hex_eci[0].text)[3:]  # the same content
    return results[0].text, bytes.fromhex(hex_eci[0].text)


def svg_qr(svg: str) -> tuple[str, int]:
    """The stroke path and the viewBox side of an SVG made by ``qr_svg``."""
    side = re.fullmatch(r'<svg role="img" viewBox="0 0 (\d+) \1" class="qr">.*</svg>', svg)
    strokes = re.findall(r'<path stroke="#000" d="([^"]*)"/>', svg)
    assert side and len(strokes) == 1, svg[:200]
    return strokes[0], int(side.group(1))


def page_qr(page_file: Path) -> tuple[str, int]:
    page = parse(page_file)
    svgs = [e for e in page.all("svg") if "qr" in e.classes()]
    assert len(svgs) == 1
    svg = svgs[0]
    assert svg.get("role") == "img"
    size = int(float((svg.get("viewbox") or "").split()[2]))  # html.parser lowercases names
    strokes = [e for e in page.all("path") if e.inside("svg") is svg and e.get("stroke")]
    assert len(strokes) == 1
    return strokes[0].get("d") or "", size


def expected_fields(data: dict, org_names: dict[str, str]) -> dict:
    contact = data.get("contact") or {}
    consented = bool(contact.get("consent_on"))
    return {
        "fn": data["name"],
        "title": data["title"],
        "committee": org_names.get(data.get("committee", "")),
        "phone": contact.get("phone", "").replace(" ", "") if consented else "",
        "email": contact.get("email", "") if consented else "",
        "weibo": contact.get("weibo", "") if consented else "",
        "wechat": contact.get("wechat", "") if consented else "",
        "qq": contact.get("qq", "") if consented else "",
        "office": contact.get("office", "") if consented else "",
    }


@pytest.fixture(scope="module")
def cadres(built_sample: Path) -> dict[str, dict]:
    return sample_cadres(built_sample)


def test_every_cadre_has_a_vcard_with_exactly_its_public_fields(
    built_sample: Path, cadres: dict[str, dict]
) -> None:
    public = public_dir(built_sample)
    organization = load_plain(built_sample / "site_config.yml")["site"]["organization"]
    org_names = {c["id"]: c["name"] for c in sample_org(built_sample)["committees"]}
    seen_consent = seen_private = False
    for cid, data in cadres.items():
        raw = (public / "cadres" / f"{cid}.vcf").read_bytes()
        text = raw.decode("utf-8")
        # CRLF everywhere, folded at 75 octets
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        for line in raw.split(b"\r\n"):
            assert len(line) <= 75, line
        card = vobject.readOne(text)
        want = expected_fields(data, org_names)
        assert card.version.value == "3.0"
        assert card.fn.value == want["fn"]
        assert card.n.value.family + card.n.value.given == want["fn"]
        assert card.title.value == want["title"]
        assert card.org.value == [organization] + ([want["committee"]] if want["committee"] else [])
        contents = card.contents
        assert [t.value for t in contents.get("tel", [])] == (
            [want["phone"]] if want["phone"] else []
        )
        if want["phone"]:
            kinds = card.tel.params["TYPE"]
            assert ("CELL" in kinds) == bool(MOBILE.match(want["phone"]))
        assert [e.value for e in contents.get("email", [])] == (
            [want["email"]] if want["email"] else []
        )
        assert [u.value for u in contents.get("url", [])] == (
            [want["weibo"]] if want["weibo"] else []
        )
        notes = [n.value for n in contents.get("note", [])]
        expected_note = "\n".join(
            [f"微信：{want['wechat']}"] * bool(want["wechat"])
            + [f"QQ：{want['qq']}"] * bool(want["qq"])
        )
        assert notes == ([expected_note] if expected_note else [])
        adrs = [a.value.extended for a in contents.get("adr", [])]
        assert adrs == ([want["office"]] if want["office"] else [])
        consented = bool((data.get("contact") or {}).get("consent_on"))
        seen_consent |= consented
        seen_private |= not consented and bool(data.get("contact"))
        if not consented:
            assert set(contents) <= {"version", "n", "fn", "org", "title"}
    assert seen_consent and seen_private, "the sample should have both kinds of cadre"


def test_qr_code_on_each_page_decodes_to_the_vcard(
    built_sample: Path, cadres: dict[str, dict]
) -> None:
    public = public_dir(built_sample)
    for cid in cadres:
        vcard = (public / "cadres" / f"{cid}.vcf").read_bytes()
        path, size = page_qr(public / "cadres" / f"{cid}.html")
        text, content = decode_qr(rasterise_qr(path, size))
        assert text == vcard.decode("utf-8"), cid
        assert content == b"]Q1" + vcard, cid  # byte mode UTF-8, no ECI


def test_vcard_escaping_and_folding() -> None:
    from zhilian.render.vcard import escape, fold

    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long_line = "NOTE:" + "团干部直接联系青年" * 10
    folded = fold(long_line)
    parts = folded.encode().split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == long_line  # unfolds to the same text, no split character
    card = vobject.readOne(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nN:;x;;;\r\n" + folded + "\r\nEND:VCARD\r\n"
    )
    assert card.note.value == "团干部直接联系青年" * 10


def full_cadre(**contact: str) -> PublicCadre:
    committee = PublicUnit("c-xinxi", "信息科学与技术学院分团委", "committee")
    return PublicCadre(
        id="ouyang-mingyue", name="欧阳明月", pinyin=("ou", "yang", "ming", "yue"),
        pinyin_variants=(), level="department", level_label="系级", appointment_label="兼职",
        title="分团委副书记（兼任学生会指导老师、青年志愿者协会秘书长，负责“青年大学习”）",
        committee=committee,
        contact=PublicContact(
            phone=contact.get("phone", "+86 138 0013 8000"),
            email=contact.get("email", "ouyang.mingyue2024@xinxi.qinglan.example.edu.cn"),
            wechat=contact.get("wechat", "oymy_qinglan;备用,号"),
            qq=contact.get("qq", "1234567890"),
            weibo=contact.get("weibo", "https://weibo.com/u/7654321098?from=团委,主页"),
            office=contact.get("office", "青岚大学南校区学生活动中心三楼 312 室（团委办公室）\\旁"),
        ),
        intro_html="", photo=None, avatar_colour="#00695c",
        committees=(committee,), branches=(), dorm_groups=(),
    )  # fmt: skip


def test_qr_of_a_long_vcard_is_exactly_its_utf8_bytes_without_eci() -> None:
    from zhilian.render.vcard import qr_code, qr_svg, vcard_text

    vcard = vcard_text(full_cadre(), "共青团青岚大学委员会")
    data = vcard.encode("utf-8")
    for field in ("TEL;", "EMAIL;", "URL:", "ADR;", "NOTE:", "微信", "QQ：", "\r\n "):
        assert field in vcard, field  # every contact field, and folded lines
    assert len(data) > 550
    size, modules = qr_code(vcard)
    assert len(modules) == size * size and size > 57  # a large symbol (version > 10)
    path, side = svg_qr(qr_svg(vcard, "欧阳明月的电子名片二维码"))
    assert side == size + 8  # a 4-module quiet zone on every side
    text, content = decode_qr(rasterise_qr(path, side))
    assert content == b"]Q1" + data
    assert text == vcard


@pytest.mark.parametrize(
    "text",
    [
        "QQ：123456",  # all Shift JIS: Zint would use Kanji mode for a str
        "微信：田中_太郎\r\n",
        "José Müller, Zoë",  # all Latin-1: Zint would write Latin-1 bytes for a str
        "BEGIN:VCARD\r\nFN:张三\r\nEND:VCARD\r\n",  # otherwise: ECI 26 for a str
        "0123456789",
        "HELLO WORLD 123",
    ],
)
def test_qr_is_always_utf8_byte_mode_without_eci(text: str) -> None:
    from zhilian.render.vcard import qr_svg

    decoded, content = decode_qr(rasterise_qr(*svg_qr(qr_svg(text, "t"))))
    assert content == b"]Q1" + text.encode("utf-8")
    assert decoded == text


def test_qr_svg_markup() -> None:
    from zhilian.render.vcard import qr_code, qr_svg

    text = vcard_of("赵钱孙")
    svg = qr_svg(text, '赵钱孙 <b>&"的</b>二维码')
    assert svg == qr_svg(text, '赵钱孙 <b>&"的</b>二维码')  # deterministic
    side = qr_code(text)[0] + 8
    assert svg.startswith(f'<svg role="img" viewBox="0 0 {side} {side}" class="qr"><title>')
    assert '<title>赵钱孙 &lt;b&gt;&amp;"的&lt;/b&gt;二维码</title>' in svg
    assert f'<path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>' in svg
    assert not re.search(r"\b(width|height)=", svg)  # CSS sizes it
    assert svg.count("<path") == 2 and svg.endswith("</svg>")
    path, _ = svg_qr(svg)
    assert re.fullmatch(r"M4 4\.5h\d+(m-?\d+ -?\d+h\d+)*", path)


def vcard_of(name: str) -> str:
    from zhilian.render.vcard import vcard_text

    return vcard_text(replace(full_cadre(), name=name, contact=None), "共青团青岚大学委员会")


def test_qr_cache_is_one_file_and_never_changes_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhilian.render import vcard as module

    monkeypatch.setattr(module, "CACHE_MIN_CODES", 1)  # a few codes stand for a province's
    jobs = [(vcard_of(name), f"{name}的电子名片二维码") for name in ("赵一", "钱二", "孙三")]
    fresh = [module.qr_svg(*job) for job in jobs]
    keys = [module._cache_key(*job) for job in jobs]
    cache = tmp_path / "qr"

    def stored() -> dict[str, str]:
        data = json.loads((cache / module.CACHE_FILE).read_text("utf-8"))
        assert data["encoder"] == module.ENCODER
        return data["svgs"]

    # the earlier cache: a (segno) file per code, keyed without the encoder's name
    old = hashlib.sha256(f"segno 1.6.6|m|utf-8|border4|{jobs[0][1]}|{jobs[0][0]}".encode())
    cache.mkdir()
    (cache / f"{old.hexdigest()}.svg").write_text('<svg class="qr">segno</svg>', "utf-8")
    assert module.qr_svgs(jobs, cache) == fresh
    assert sorted(p.name for p in cache.iterdir()) == [module.CACHE_FILE]  # old entries gone
    assert stored() == dict(zip(keys, fresh, strict=True))
    assert module.qr_svgs(jobs, None) == fresh
    assert module.qr_svgs([], cache) == []

    def no_encoding(text: str, title: str) -> str:
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(module, "qr_svg", no_encoding)
    assert module.qr_svgs(jobs, cache) == fresh
    assert module.qr_svgs(jobs[1:], cache) == fresh[1:]
    assert module.qr_svgs([jobs[0]], cache) == fresh[:1]
    monkeypatch.undo()
    monkeypatch.setattr(module, "CACHE_MIN_CODES", 1)
    assert stored() == dict(zip(keys, fresh, strict=True))  # asked for some: all kept
    # damaged: another encoder's file, not JSON, a damaged entry: made again, same output
    good = (cache / module.CACHE_FILE).read_text("utf-8")
    for damage in (
        good.replace(module.ENCODER, "segno 1.6.6"),
        "{not json",
        good.replace("</svg>", "</sv>", 1),
    ):
        (cache / module.CACHE_FILE).write_text(damage, "utf-8")
        assert module.qr_svgs(jobs, cache) == fresh
        assert stored() == dict(zip(keys, fresh, strict=True))


def test_qr_cache_keeps_other_pages_codes_and_drops_old_vcards_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build renders again only the pages that changed: the codes of the others stay;
    edited vCards add codes, and the oldest go beyond twice the largest call."""
    from zhilian.render import vcard as module

    monkeypatch.setattr(module, "CACHE_MIN_CODES", 1)

    def job(name: str) -> tuple[str, str]:
        return vcard_of(name), f"{name}的电子名片二维码"

    def stored() -> list[str]:
        data = json.loads((tmp_path / module.CACHE_FILE).read_text("utf-8"))
        assert data["peak"] == 3
        return list(data["svgs"])

    everyone = [job(name) for name in ("赵一", "钱二", "孙三")]
    module.qr_svgs(everyone, tmp_path)
    edits = [job(f"孙三{'改' * n}") for n in range(1, 5)]  # one page rendered at a time
    for n, edit in enumerate(edits, start=1):
        assert module.qr_svgs([edit], tmp_path) == [module.qr_svg(*edit)]
        expected = [*everyone, *edits[:n]][-6:]
        assert stored() == [module._cache_key(*j) for j in expected]


def test_a_few_qr_codes_are_made_without_the_cache_file(tmp_path: Path) -> None:
    """``serve`` after an edit makes one code: reading and writing the file of a province's
    codes would cost more than making it."""
    from zhilian.render import vcard as module

    few = [(vcard_of(f"赵{n}"), f"赵{n}的电子名片二维码") for n in range(module.CACHE_MIN_CODES - 1)]
    (tmp_path / module.CACHE_FILE).write_text("{not json", "utf-8")
    assert module.qr_svgs(few, tmp_path) == [module.qr_svg(*job) for job in few]
    assert (tmp_path / module.CACHE_FILE).read_text("utf-8") == "{not json"  # not touched
    more = [*few, (vcard_of("钱二"), "钱二的电子名片二维码")]
    assert module.qr_svgs(more, tmp_path) == [module.qr_svg(*job) for job in more]
    assert json.loads((tmp_path / module.CACHE_FILE).read_text("utf-8"))["peak"] == len(more)

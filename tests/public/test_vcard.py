"""vCards read back (vobject) to the cadre's public data, and each page's QR code (the
inline SVG itself, rasterised here) decodes (zxing-cpp) to exactly the vCard text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import vobject
import zxingcpp
from PIL import Image

from .util import load_plain, parse, public_dir, sample_cadres, sample_org

MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")


def rasterise_qr(svg_path: str, size: int, scale: int = 6) -> Image.Image:
    """Draw segno's SVG path (``M x y``, ``m dx dy``, ``h dx``, ``v dy`` strokes of width 1
    along module rows) onto a white image."""
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
        vcard = (public / "cadres" / f"{cid}.vcf").read_bytes().decode("utf-8")
        path, size = page_qr(public / "cadres" / f"{cid}.html")
        results = zxingcpp.read_barcodes(
            rasterise_qr(path, size), formats=zxingcpp.BarcodeFormat.QRCode
        )
        assert len(results) == 1, cid
        assert results[0].text == vcard, cid


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

"""The built sample's public site against the sample's YAML, recomputed here independently:
grouping and pinyin order, the filter's data, the find-my-cadre pages, directory.json,
the sitemap, photos, and byte-for-byte determinism."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypinyin import lazy_pinyin

from tests.conftest import copy_deployment, run_cli

from .util import (
    SCHOOL,
    html_pages,
    load_plain,
    parse,
    public_dir,
    sample_cadres,
    sample_notes,
    sample_org,
    text_of,
    tree,
)


@pytest.fixture(scope="module")
def cadres(built_sample: Path) -> dict[str, dict[str, Any]]:
    return sample_cadres(built_sample)


@pytest.fixture(scope="module")
def org(built_sample: Path) -> dict[str, list[dict[str, str]]]:
    return sample_org(built_sample)


def order(ids: list[str], cadres: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(ids, key=lambda c: (lazy_pinyin(cadres[c]["name"]), c))


def expected_groups(cadres: dict, org: dict) -> list[tuple[str, list[str]]]:
    groups = [("g-school", order([c for c, d in cadres.items() if d["level"] in SCHOOL], cadres))]
    for committee in org["committees"]:
        members = [
            c
            for c, d in cadres.items()
            if d["level"] not in SCHOOL and d.get("committee") == committee["id"]
        ]
        if members:
            groups.append((f"g-{committee['id']}", order(members, cadres)))
    return groups


def units_of(data: dict, kind: str) -> list[str]:
    return list((data.get("units") or {}).get(kind) or [])


# --- directory ------------------------------------------------------------------------------


def test_directory_groups_school_first_then_committees_sorted_by_pinyin(
    built_sample: Path, cadres: dict, org: dict
) -> None:
    page = parse(public_dir(built_sample) / "index.html")
    sections = [e.get("id") for e in page.all("section") if "group" in e.classes()]
    want = expected_groups(cadres, org)
    assert sections == [g for g, _ in want]
    for group, ids in want:
        assert page.card_ids(within=group) == ids, group
    assert sorted(page.card_ids()) == sorted(cadres)
    # the group heading names the 分团委
    names = {f"g-{c['id']}": c["name"] for c in org["committees"]}
    for group, _ in want[1:]:
        assert names[group] in text_of(page.one("h2", id=f"{group}-h"))


def test_cards_carry_the_filter_data(built_sample: Path, cadres: dict, org: dict) -> None:
    page = parse(public_dir(built_sample) / "index.html")
    names = {kind: {u["id"]: u["name"] for u in org[kind]} for kind in org}
    filter_box = page.one("div", role="search")
    assert "hidden" in filter_box.attrs  # shown by app.js only: harmless without JS
    assert page.one("label").get("for") == page.one("input").get("id")
    for card in page.all("li"):
        if "card" not in card.classes():
            continue
        cid = (card.get("id") or "").removeprefix("c-")
        data = cadres[cid]
        hay = (card.get("data-search") or "").split("|")
        syllables = lazy_pinyin(data["name"])
        assert data["name"] in hay
        assert "".join(syllables).lower() in hay
        assert "".join(s[0] for s in syllables).lower() in hay
        for kind in ("committees", "branches", "dorm_groups"):
            for unit in units_of(data, kind):
                assert names[kind][unit].lower().replace(" ", "") in hay, (cid, unit)
        if data.get("committee"):
            assert names["committees"][data["committee"]] in hay


def test_cards_show_consented_channels_as_one_tap_actions(built_sample: Path, cadres: dict) -> None:
    page = parse(public_dir(built_sample) / "index.html")
    for cid, data in cadres.items():
        card = page.one("li", id=f"c-{cid}")
        inside = [e for e in page.all() if card in e.ancestors]
        hrefs = {e.get("href") for e in inside if e.tag == "a"}
        copies = {e.get("data-copy") for e in inside if e.tag == "button"}
        contact = data.get("contact") or {}
        if not contact.get("consent_on"):
            assert not any(h and h.startswith(("tel:", "mailto:", "https://")) for h in hrefs)
            assert copies == set()
            continue
        if contact.get("phone"):
            assert f"tel:{contact['phone'].replace(' ', '')}" in hrefs
        if contact.get("email"):
            assert f"mailto:{contact['email']}" in hrefs
        if contact.get("weibo"):
            assert contact["weibo"] in hrefs
        want_copies = {contact[k] for k in ("wechat", "qq") if contact.get(k)}
        assert copies == want_copies
        for button in (e for e in inside if e.tag == "button"):
            assert button.get("type") == "button" and "hidden" in button.attrs


# --- find my cadre -------------------------------------------------------------------------


def serving(cadres: dict, kind: str, unit_id: str, committee: str) -> tuple[list[str], list[str]]:
    """(direct, through the 分团委) in directory order, recomputed from the YAML."""
    direct = [c for c, d in cadres.items() if unit_id in units_of(d, kind)]
    via = [
        c for c, d in cadres.items() if committee in units_of(d, "committees") and c not in direct
    ]
    return direct, via


def test_find_pages_list_the_cadres_who_serve_each_unit(
    built_sample: Path, cadres: dict, org: dict
) -> None:
    public = public_dir(built_sample)
    index_order = parse(public / "index.html").card_ids()
    rank = {c: i for i, c in enumerate(index_order)}
    start = parse(public / "find" / "index.html")
    links = {e.get("href") for e in start.all("a")}
    checked = 0
    for committee in org["committees"]:
        cid = committee["id"]
        assert f"{cid}/index.html" in links
        page = parse(public / "find" / cid / "index.html")
        want = sorted(
            (c for c, d in cadres.items() if cid in units_of(d, "committees")), key=rank.get
        )
        assert page.card_ids(within="serving") == want
        for kind, folder in (("branches", "branches"), ("dorm_groups", "dorms")):
            units = [u for u in org[kind] if u["committee"] == cid]
            page_links = {e.get("href") for e in page.all("a")}
            for unit in units:
                assert f"{folder}/{unit['id']}.html" in page_links
                unit_page = parse(public / "find" / cid / folder / f"{unit['id']}.html")
                assert unit["name"] in text_of(unit_page.one("h1"))
                direct, via = serving(cadres, kind, unit["id"], cid)
                assert unit_page.card_ids(within="direct") == sorted(direct, key=rank.get)
                assert unit_page.card_ids(within="via") == sorted(via, key=rank.get)
                checked += 1
    assert checked == len(org["branches"]) + len(org["dorm_groups"])


def test_cadre_pages(built_sample: Path, cadres: dict) -> None:
    public = public_dir(built_sample)
    notes = sample_notes(built_sample)
    for cid, data in cadres.items():
        page = parse(public / "cadres" / f"{cid}.html")
        assert text_of(page.one("h1")) == data["name"]
        hrefs = [e.get("href") for e in page.all("a")]
        assert f"{cid}.vcf" in hrefs
        for kind, folder in (("branches", "branches"), ("dorm_groups", "dorms")):
            for unit in units_of(data, kind):
                assert any(h and h.endswith(f"/{folder}/{unit}.html") for h in hrefs), unit
        public_notes = [
            stem for c, stem, front, _ in notes if c == cid and front.get("public") == "true"
        ]
        for stem in public_notes:
            assert f"../news.html#n-{cid}-{stem}" in hrefs


def test_news_lists_public_notes_newest_first(built_sample: Path, cadres: dict) -> None:
    page = parse(public_dir(built_sample) / "news.html")
    articles = [e.get("id") for e in page.all("article")]
    notes = [
        (c, stem, front)
        for c, stem, front, _ in sample_notes(built_sample)
        if front.get("public") == "true"
    ]
    want = sorted(notes, key=lambda n: (-int(n[2]["date"].replace("-", "")), n[0], n[1]))
    assert articles == [f"n-{c}-{stem}" for c, stem, _ in want]
    for c, stem, front in want:
        assert text_of(page.one("h2", id=f"n-{c}-{stem}-h")) == front["title"]
    private_titles = {
        front["title"]
        for _, _, front, _ in sample_notes(built_sample)
        if front.get("public") != "true"
    } - {front["title"] for *_, front in notes}
    text = (public_dir(built_sample) / "news.html").read_text("utf-8")
    assert not [t for t in private_titles if t in text]


# --- machine-readable files --------------------------------------------------------------


def test_directory_json_equals_the_public_data(built_sample: Path, cadres: dict, org: dict) -> None:
    public = public_dir(built_sample)
    data = json.loads((public / "directory.json").read_text("utf-8"))
    assert data["schema_version"] == 1
    index_order = parse(public / "index.html").card_ids()
    assert [c["id"] for c in data["cadres"]] == index_order
    levels = {
        "校级": "school",
        "school": "school",
        "系级": "department",
        "department": "department",
    }
    for entry in data["cadres"]:
        src = cadres[entry["id"]]
        assert set(entry) == {
            "id",
            "name",
            "level",
            "level_label",
            "appointment_label",
            "title",
            "committee",
            "contact",
            "intro_html",
            "photo",
            "page",
            "vcard",
            "units",
        }
        assert entry["name"] == src["name"] and entry["title"] == src["title"]
        assert entry["level"] == levels[src["level"]]
        assert (entry["committee"] or {}).get("id") == src.get("committee")
        contact = src.get("contact") or {}
        if contact.get("consent_on"):
            keys = ("phone", "email", "wechat", "qq", "weibo", "office")
            want = {
                k: (contact[k].replace(" ", "") if k == "phone" else contact[k])
                if k in contact
                else None
                for k in keys
            }
            assert entry["contact"] == want
        else:
            assert entry["contact"] is None
        for kind in ("committees", "branches", "dorm_groups"):
            assert [u["id"] for u in entry["units"][kind]] == units_of(src, kind)
        assert (entry["photo"] is None) == (not src.get("photo"))
        if entry["photo"]:
            assert (public / entry["photo"]).is_file()
        assert (public / entry["page"]).is_file() and (public / entry["vcard"]).is_file()
    assert [c["id"] for c in data["committees"]] == [c["id"] for c in org["committees"]]
    public_notes = sum(
        1 for *_, front, _ in sample_notes(built_sample) if front.get("public") == "true"
    )
    assert len(data["notes"]) == public_notes


def test_sitemap_lists_every_page(built_sample: Path) -> None:
    public = public_dir(built_sample)
    base = load_plain(built_sample / "site_config.yml")["site"]["base_url"]
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.parse(public / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    want = {base + "guide/"}
    for path in html_pages(public):
        rel = path.relative_to(public).as_posix()
        if rel == "404.html":
            continue
        want.add(base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
    assert set(locs) == want
    assert len(locs) == len(want) and locs == sorted(locs)


# --- photos ---------------------------------------------------------------------------------


def test_photos_are_small_clean_jpegs_named_by_content(built_sample: Path, cadres: dict) -> None:
    public = public_dir(built_sample)
    source_had_gps = False
    for cid, data in cadres.items():
        if not data.get("photo"):
            continue
        with Image.open(built_sample / "data" / "photos" / data["photo"]) as src:
            source_had_gps |= bool(src.getexif().get_ifd(0x8825))
        page = parse(public / "cadres" / f"{cid}.html")
        srcs = [e.get("src") or "" for e in page.all("img")]
        assert len(srcs) == 1 and srcs[0].startswith("../photos/")
        raw = (public / "cadres" / srcs[0]).read_bytes()
        assert Path(srcs[0]).stem == hashlib.sha256(raw).hexdigest()[:16]
        with Image.open(io.BytesIO(raw)) as img:
            assert img.format == "JPEG"
            assert max(img.size) <= 240
            assert len(img.getexif()) == 0
            assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(img.info)
        assert b"Exif" not in raw[:4096] and b"GPS" not in raw
    assert source_had_gps, "the sample should contain a photo with GPS metadata"
    photos = sorted(p.name for p in (public / "photos").iterdir())
    assert photos and all(p.endswith(".jpg") for p in photos)


def test_photo_processing_handles_orientation_alpha_and_junk(tmp_path: Path) -> None:
    from zhilian.render.photos import process_photo

    tall = Image.new("RGB", (600, 300), (200, 30, 30))
    exif = tall.getexif()
    exif[0x0112] = 6  # rotate 90° on display
    exif[0x010E] = "secret"
    tall.save(tmp_path / "rot.jpg", exif=exif)
    out = process_photo(tmp_path / "rot.jpg")
    assert out is not None and (out.width, out.height) == (120, 240)
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(tmp_path / "alpha.png")
    out = process_photo(tmp_path / "alpha.png")
    assert out is not None and Image.open(io.BytesIO(out.data)).getpixel((5, 5)) == (255, 255, 255)
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    assert process_photo(tmp_path / "junk.jpg") is None
    Image.new("RGB", (10, 10)).save(tmp_path / "gif.png", format="GIF")
    assert process_photo(tmp_path / "gif.png") is None
    again = process_photo(tmp_path / "rot.jpg")
    assert again == process_photo(tmp_path / "rot.jpg")


# --- determinism ----------------------------------------------------------------------------


def test_two_builds_are_byte_identical(built_sample: Path, tmp_path: Path) -> None:
    root = copy_deployment(tmp_path)
    assert run_cli(root, "build").code == 0
    first = {k: v for k, v in tree(public_dir(root)).items() if not k.startswith("guide/")}
    built = {k: v for k, v in tree(public_dir(built_sample)).items() if not k.startswith("guide/")}
    assert first.keys() == built.keys()
    assert [k for k in first if first[k] != built[k]] == []
    assert run_cli(root, "build").code == 0
    second = {k: v for k, v in tree(public_dir(root)).items() if not k.startswith("guide/")}
    assert second == first


def test_index_and_assets_stay_small(built_sample: Path) -> None:
    public = public_dir(built_sample)
    size = sum(
        (public / p).stat().st_size for p in ("index.html", "assets/app.css", "assets/app.js")
    )
    assert size < 150_000


def test_an_empty_directory_renders(tmp_path: Path) -> None:
    """render_public needs nothing but a PublicSite (no models): an empty one still gives a
    complete, linked site."""
    import datetime as dt

    from tests.conftest import REPO
    from zhilian.render.public import render_public
    from zhilian.views.public import PublicFooter, PublicSite

    view = PublicSite(
        title="直联", organization="共青团测试大学委员会", base_url="https://t.example.edu.cn/",
        indexable=True, footer=PublicFooter("", "", ""), today=dt.date(2026, 1, 2),
        cadres=(), groups=(), committees=(), notes=(),
    )  # fmt: skip
    files = render_public(view, REPO / "templates")
    assert {"index.html", "find/index.html", "news.html", "404.html", "directory.json",
            "sitemap.xml", "robots.txt", "assets/app.js", "assets/app.css"} <= set(files)  # fmt: skip
    assert "暂时还没有公开的团干部信息" in files["index.html"].decode()
    assert json.loads(files["directory.json"])["cadres"] == []


def test_a_names_reading_is_the_same_whether_or_not_pypinyin_has_its_phrases() -> None:
    """pypinyin loads its phrase dictionary when something imports it before zhilian does
    (which reads 会计 kuai ji, and hui ji without it): zhilian reads each character alone,
    so every process of a build sorts a 分团委's units and names in one order."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "if sys.argv[1] == 'first':\n    import pypinyin\n"
        "from zhilian.views.pinyin import other_readings, spelling\n"
        "print(spelling('会计2023级2班团支部'), other_readings('会计'))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, order], capture_output=True, text=True, check=True,
            cwd=Path(__file__).parents[2],
        ).stdout
        for order in ("first", "after")
    }
    assert len(runs) == 1, runs
    assert "('hui', 'ji', '2023', 'ji', '2', 'ban', 'tuan', 'zhi', 'bu')" in runs.pop()

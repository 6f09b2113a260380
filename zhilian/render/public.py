"""Render the public 亮身份 site (``site/public``) from a :class:`PublicSite`.

This module never sees the models: its only input is the public view, which holds public
fields only (see ``zhilian.views.public``).  Output paths (relative to ``site/public``):

``index.html``                       the directory: a card per cadre, grouped and filterable
``cadres/<id>.html``, ``<id>.vcf``   a page per cadre with its vCard and QR code
``find/index.html``                  找到我的团干部: choose a 分团委 …
``find/<committee>/index.html``      … then a 团支部 or 宿舍团小组 …
``find/<committee>/branches/<id>.html``, ``find/<committee>/dorms/<id>.html``  … its cadres
``news.html``                        动态: public notes, newest first
``404.html``, ``directory.json``, ``sitemap.xml``, ``robots.txt``
``assets/…``                         copied from ``templates/assets/`` (CSS, JS, icon)
``photos/<hash>.jpg``                processed photos

Every page links with relative URLs, so the site works under any base path and from disk.
The output is deterministic: the same view gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..records import CadreRecords, digest_of
from ..views.public import (
    ListedNote,
    PublicCadre,
    PublicFooter,
    PublicGroup,
    PublicSite,
    PublicUnit,
)
from .env import environment
from .page_cache import PageCache
from .vcard import qr_svgs, vcard_text

#: The version of ``directory.json``'s shape (see :func:`directory_json`).
DIRECTORY_SCHEMA_VERSION = 1

#: QR codes are cached here, relative to the deployment root (``templates/..``).
QR_CACHE = Path(".zhilian-cache") / "qr"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def cadre_url(cadre_id: str) -> str:
    return f"cadres/{cadre_id}.html"


def find_url(unit: PublicUnit) -> str | None:
    """The find page of a unit (relative to the site root), or None for an unknown unit."""
    if unit.kind == "committee":
        return f"find/{unit.id}/"
    if unit.committee is None:
        return None
    folder = "branches" if unit.kind == "branch" else "dorms"
    return f"find/{unit.committee}/{folder}/{unit.id}.html"


def search_text(cadre: PublicCadre) -> str:
    """What the directory filter matches: name, pinyin (full, initials, surname + initials;
    lazy_pinyin's reading and the other readings of polyphonic characters), 分团委, 团支部
    and 宿舍 names.  Lower case, tokens separated by ``|``."""
    tokens = [cadre.name]
    for reading in (cadre.pinyin, *cadre.pinyin_variants):
        syllables = [p.lower() for p in reading]
        initials = "".join(s[:1] for s in syllables)
        tokens += ["".join(syllables), initials]
        if len(syllables) > 1:
            tokens.append(syllables[0] + initials[1:])
    if cadre.committee is not None:
        tokens.append(cadre.committee.name)
    tokens += [u.name for u in cadre.units]
    seen = dict.fromkeys("".join(t.lower().split()).replace("|", "") for t in tokens)
    return "|".join(t for t in seen if t)


def avatar_svg(cadre: PublicCadre, size: int) -> Markup:
    """A generated avatar: the surname on a colour derived from the id (decorative)."""
    return Markup(
        '<svg class="avatar" viewBox="0 0 96 96" width="{size}" height="{size}" '
        'aria-hidden="true" focusable="false"><rect width="96" height="96" rx="48" '
        'fill="{colour}"/><text x="48" y="50" text-anchor="middle" dominant-baseline="central" '
        'font-size="46" fill="#fff">{initial}</text></svg>'
    ).format(size=size, colour=cadre.avatar_colour, initial=cadre.initial)


def _asset_files(templates: Path) -> dict[str, bytes]:
    folder = templates / "assets"
    files = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[f"assets/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


@dataclass(frozen=True)
class SiteBasics:
    """What every page shows of the site (header, footer): all that the pages kept in the
    page cache (a cadre's page, a unit's find page) and the cards may read of it."""

    title: str
    organization: str
    indexable: bool
    footer: PublicFooter
    today: dt.date


@dataclass(frozen=True)
class NewsSite(SiteBasics):
    """All the news page may read of the site (its key holds the notes, the basics are
    in every key)."""

    notes: tuple[ListedNote, ...] = ()


@dataclass(frozen=True)
class CommitteeHeading:
    """All a unit's find page shows of its 分团委."""

    unit: PublicUnit


class _Pages:
    """Renders templates into ``files`` and remembers the pages for the sitemap."""

    def __init__(
        self,
        view: PublicSite,
        templates: Path,
        assets: dict[str, bytes],
        pages: PageCache,
        records: CadreRecords,
    ) -> None:
        self.view = view
        self.env = environment(templates)
        self.files: dict[str, bytes] = dict(assets)
        self.sitemap: list[str] = []
        self.pages = pages
        # ?v=<hash>: WeChat's browser caches hard; a changed file gets a new URL.
        self.versions = {
            path: hashlib.sha256(data).hexdigest()[:10] for path, data in assets.items()
        }
        self.basics = SiteBasics(
            view.title, view.organization, view.indexable, view.footer, view.today
        )
        self._site_key = repr(self.basics) + repr(self.versions)  # in every page key
        self.globals = {
            "site": self.basics,
            "csp": CSP,
            "cadre_url": cadre_url,
            "find_url": find_url,
            "search_text": search_text,
            "avatar_svg": avatar_svg,
        }
        self._macros: dict[str, Any] = {}
        # Cards and page-key hashes are kept per cadre (``records``) with what else they
        # depend on: the templates and zhilian's code (``pages.code``), the site's basics.
        self.records = records if pages.code else CadreRecords(one_build=True)
        self._rendered_with = (pages.code, self._site_key)

    def asset(self, root: str, name: str) -> str:
        path = f"assets/{name}"
        version = self.versions.get(path)
        return f"{root}{path}?v={version}" if version else f"{root}{path}"

    def card(self, root: str, cadre: PublicCadre, h: int = 3, units: bool = True) -> Markup:
        """A cadre's card, rendered once per page depth and reused (a 校级 cadre's card
        appears on every find page of the 分团委 it serves)."""
        return self.records.get(
            f"public card {root} {h} {units}", cadre.id,
            partial(self._card, root, cadre, h, units), self._rendered_with,
        )

    def _card(self, root: str, cadre: PublicCadre, h: int, units: bool) -> Markup:
        macros = self._macros.get(root)
        if macros is None:
            template = self.env.get_template("public/_macros.html")
            macros = self._macros[root] = template.make_module({**self.globals, "root": root})
        return Markup(macros.card(cadre, h, units))

    def section_cards(self, group: PublicGroup) -> Markup:
        """The cards of a directory section (the index page), kept in the page cache while
        its cadres are the same: after one edit one section's cards are made, not every
        cadre's card unpickled (1,000 of them: 0.02 s of the public site's process)."""
        shown = [self.shown(cadre) for cadre in group.cadres]
        return Markup(self.pages.memo(
            "public/index section", (group.id, shown, self._site_key),
            lambda _: "\n  ".join(self.card("", cadre) for cadre in group.cadres),
        ))

    def shown(self, cadre: PublicCadre) -> str:
        """A cadre as page keys see it: the hash of its ``repr``, made once (a card is on
        many find pages, whose keys took 0.3 s with the whole text in each)."""
        return self.records.get("public shown", cadre.id, partial(digest_of, cadre))

    def made(self, path: str, kind: str, data: bytes) -> None:
        """A file made afresh, not kept in the page cache (a vCard): the site's file is
        taken as it is when the site's manifest vouches that it holds these bytes — else
        the writer reads and compares it (1,000 vCards: 20 ms)."""
        found = self.pages.get(self.pages.key(kind, data), f"public/{path}")
        self.files[path] = data if found is None else found

    def reuse(self, path: str, template: str, inputs: Any) -> str | None:
        """Take ``path`` from the page cache if it was rendered from the same ``inputs``
        (everything the page shows besides :class:`SiteBasics` and the asset versions):
        None then; otherwise the key to :meth:`render` it with (``keep=``)."""
        key = self.pages.key(f"public/{template}", path, repr(inputs), self._site_key)
        page = self.pages.get(key, f"public/{path}")
        if page is None:
            return key
        self.files[path] = page
        self.sitemap.append(path)
        return None

    def render(
        self,
        path: str,
        template: str,
        *,
        nav: str = "",
        in_sitemap: bool = True,
        root: str | None = None,
        keep: str | None = None,
        **context: Any,
    ) -> None:
        """Render one page; with ``keep`` (from :meth:`reuse`) it goes into the cache."""
        if root is None:
            root = "../" * path.count("/")

        def card(cadre: PublicCadre, h: int = 3, units: bool = True) -> Markup:
            return self.card(root, cadre, h, units)

        def cards(ids: Iterable[str], h: int = 3, units: bool = True) -> Markup:
            items = "".join(self.card(root, self.view.cadre(i), h, units) for i in ids)
            return Markup(f'<ul class="cards">\n{items}</ul>\n')

        html = self.env.get_template(f"public/{template}").render(
            {
                **self.globals,
                "root": root,
                "path": path,
                "nav": nav,
                "css_url": self.asset(root, "app.css"),
                "js_url": self.asset(root, "app.js"),
                "icon_url": self.asset(root, "icon.svg"),
                "card": card,
                "cards": cards,
                **context,  # the overview pages pass the whole view as ``site``
            }
        )
        self.files[path] = html.encode("utf-8")
        if in_sitemap:
            self.sitemap.append(path)
        if keep is not None:
            self.files[path] = self.pages.put(keep, self.files[path])


def render_public(
    view: PublicSite,
    templates: Path,
    pages: PageCache | None = None,
    records: CadreRecords | None = None,
) -> dict[str, bytes]:
    """Every file of ``site/public``; a cadre's page and a unit's find page come from
    ``pages`` when what they show is unchanged, cards and page keys from ``records`` (what
    ``serve`` keeps between builds).  The overview pages are made afresh."""
    pages = _Pages(
        view, templates, _asset_files(templates), pages or PageCache(None),
        records if records is not None else CadreRecords(one_build=True),
    )

    pages.render(
        "index.html", "index.html", nav="index", site=view, section_cards=pages.section_cards
    )
    notes_by_cadre: dict[str, list[ListedNote]] = {}
    for note in view.notes:
        notes_by_cadre.setdefault(note.cadre_id, []).append(note)
    # Each cadre's public notes as a hash, made once per cadre (``records``): in the keys
    # of its page and of the news page.
    notes_shown = {
        cid: pages.records.get("public notes shown", cid, partial(digest_of, notes))
        for cid, notes in notes_by_cadre.items()
    }
    todo = []
    for cadre in view.cadres:
        vcard = pages.records.get(
            "vcard", cadre.id, partial(vcard_text, cadre, view.organization), view.organization
        )
        pages.made(f"cadres/{cadre.id}.vcf", "public/vcard", vcard.encode("utf-8"))
        notes = notes_by_cadre.get(cadre.id, [])
        key = pages.reuse(
            cadre_url(cadre.id), "cadre.html", (pages.shown(cadre), vcard, notes_shown.get(cadre.id))
        )
        if key is not None:
            todo.append((cadre, vcard, notes, key))
    qrs = qr_svgs(
        [(text, f"{c.name}的电子名片二维码") for c, text, _, _ in todo],
        cache_dir=templates.parent / QR_CACHE,
    )
    for (cadre, _, notes, key), svg in zip(todo, qrs, strict=True):
        pages.render(
            cadre_url(cadre.id), "cadre.html", nav="index", keep=key, cadre=cadre,
            qr=Markup(svg), notes=notes,
        )
    pages.render("find/index.html", "find_index.html", nav="find", site=view)
    shown = {cadre.id: pages.shown(cadre) for cadre in view.cadres}  # (in many pages' keys)
    for committee in view.committees:
        base = f"find/{committee.unit.id}"
        # (the page shows the units' names and counts, and the cards of the cadres serving it)
        inputs = (committee, [shown[i] for i in committee.serving])
        key = pages.reuse(f"{base}/index.html", "find_committee.html", inputs)
        if key is not None:
            pages.render(
                f"{base}/index.html", "find_committee.html", nav="find", keep=key,
                committee=committee, site=view,
            )
        for kind, folder, units in (
            ("branch", "branches", committee.branches),
            ("dorm_group", "dorms", committee.dorm_groups),
        ):
            for entry in units:
                path = f"{base}/{folder}/{entry.unit.id}.html"
                listed = [shown[i] for i in (*entry.direct, *entry.via_committee)]
                key = pages.reuse(path, "find_unit.html", (committee.unit, entry, kind, listed))
                if key is not None:
                    pages.render(
                        path,
                        "find_unit.html",
                        nav="find",
                        keep=key,
                        committee=CommitteeHeading(committee.unit),
                        entry=entry,
                        kind=kind,
                    )
    # The news page shows the public notes alone: kept while each cadre's are the same.
    key = pages.reuse("news.html", "news.html", list(notes_shown.items()))
    if key is not None:
        basics = {f.name: getattr(pages.basics, f.name) for f in fields(SiteBasics)}
        news = NewsSite(**basics, notes=view.notes)
        pages.render("news.html", "news.html", nav="news", keep=key, site=news)
    base_path = "/" + view.base_url.split("://", 1)[-1].partition("/")[2]
    pages.render("404.html", "404.html", in_sitemap=False, root=base_path, site=view)

    for photo in view.photos:
        pages.files[photo.path] = photo.data
    pages.files["directory.json"] = directory_json(view, pages.records)
    pages.files["sitemap.xml"] = sitemap_xml(view, pages.sitemap)
    pages.files["robots.txt"] = robots_txt(view)
    return dict(sorted(pages.files.items()))


# --- machine-readable files -----------------------------------------------------------------


def _unit_json(unit: PublicUnit) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name}


def directory_json(view: PublicSite, records: CadreRecords | None = None) -> bytes:
    """``directory.json``: the public directory, machine readable.  Shape (version 1)::

        {
          "schema_version": 1,
          "site": {"title", "organization", "base_url"},
          "cadres": [                       # directory order (校级, then per 分团委, pinyin)
            {"id", "name", "level": "school|department", "level_label": "校级|系级",
             "appointment_label": "专职|兼职|挂职", "title",
             "committee": {"id", "name"} | null,          # the 分团委 of a 系级 cadre
             "contact": null | {"phone", "email", "wechat", "qq", "weibo", "office"},
                                            # null without consent; absent channels null
             "intro_html": "<p>…</p>",      # sanitised HTML
             "photo": "photos/<hash>.jpg" | null,
             "page": "cadres/<id>.html", "vcard": "cadres/<id>.vcf",
             "units": {"committees": [{"id", "name"}], "branches": […], "dorm_groups": […]}}
          ],
          "committees": [                   # order of data/org/committees.yml
            {"id", "name", "serving": [cadre ids], "members": [cadre ids],
             "branches":    [{"id", "name", "direct": [ids], "via_committee": [ids]}],
             "dorm_groups": [{"id", "name", "branch": id | null, "direct": [ids],
                              "via_committee": [ids]}]}
          ],
          "notes": [                        # public notes, newest first
            {"id", "cadre", "title", "date": "YYYY-MM-DD", "kind_label", "html"}
          ]
        }

    Paths are relative to the site root (``base_url``)."""
    if records is None:
        records = CadreRecords(one_build=True)
    notes_of: dict[str, list[ListedNote]] = {}
    for note in view.notes:
        notes_of.setdefault(note.cadre_id, []).append(note)
    # Each cadre's part as JSON text, made once per cadre (``records``): serve rebuilds the
    # file after one cadre changed from the others' texts.  (UTF-8 already: the file's
    # 3.7 MB are then joined, not encoded again.)
    cadres = [records.get("public json", c.id, partial(_cadre_json, c)) for c in view.cadres]
    note_texts: dict[str, bytes] = {}
    for cid, notes in notes_of.items():
        note_texts.update(records.get("public notes json", cid, partial(_notes_json, notes)))
    committees = []
    for k in view.committees:
        committees.append(
            {
                **_unit_json(k.unit),
                "serving": list(k.serving),
                "members": list(k.members),
                "branches": [
                    {
                        **_unit_json(e.unit),
                        "direct": list(e.direct),
                        "via_committee": list(e.via_committee),
                    }
                    for e in k.branches
                ],
                "dorm_groups": [
                    {
                        **_unit_json(e.unit),
                        "branch": e.branch.id if e.branch else None,
                        "direct": list(e.direct),
                        "via_committee": list(e.via_committee),
                    }
                    for e in k.dorm_groups
                ],
            }
        )
    site = {"title": view.title, "organization": view.organization, "base_url": view.base_url}
    # The object written by hand around the parts: the same text as ``_json`` of it whole.
    return b"".join((
        f'{{"schema_version":{DIRECTORY_SCHEMA_VERSION},"site":{_json(site)},"cadres":['.encode(),
        b",".join(cadres),
        f'],"committees":{_json(committees)},"notes":['.encode(),
        b",".join([note_texts[n.anchor] for n in view.notes]),
        b"]}\n",
    ))


def _json(value: Any) -> str:
    # compact: only then does json use its C encoder (indenting took 0.8 s at 1,000 cadres)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _cadre_json(c: PublicCadre) -> bytes:
    contact = None
    if c.contact is not None:
        contact = {
            k: getattr(c.contact, k) for k in ("phone", "email", "wechat", "qq", "weibo", "office")
        }
    return _json({
        "id": c.id,
        "name": c.name,
        "level": c.level,
        "level_label": c.level_label,
        "appointment_label": c.appointment_label,
        "title": c.title,
        "committee": _unit_json(c.committee) if c.committee else None,
        "contact": contact,
        "intro_html": c.intro_html,
        "photo": c.photo.path if c.photo else None,
        "page": cadre_url(c.id),
        "vcard": f"cadres/{c.id}.vcf",
        "units": {
            "committees": [_unit_json(u) for u in c.committees],
            "branches": [_unit_json(u) for u in c.branches],
            "dorm_groups": [_unit_json(u) for u in c.dorm_groups],
        },
    }).encode()


def _notes_json(notes: list[ListedNote]) -> dict[str, bytes]:
    """A cadre's public notes as JSON texts (UTF-8), by anchor."""
    return {
        n.anchor: _json({
            "id": n.anchor,
            "cadre": n.cadre_id,
            "title": n.title,
            "date": n.date.isoformat(),
            "kind_label": n.kind_label,
            "html": n.body_html,
        }).encode()
        for n in notes
    }


def page_url(view: PublicSite, path: str) -> str:
    """Absolute URL of a page; ``…/index.html`` becomes ``…/``."""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return view.base_url + path


def sitemap_xml(view: PublicSite, paths: list[str]) -> bytes:
    urls = [page_url(view, p) for p in paths] + [view.base_url + "guide/"]
    body = "".join(f"  <url><loc>{escape(u, quote=False)}</loc></url>\n" for u in sorted(set(urls)))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}</urlset>\n"
    ).encode()


def robots_txt(view: PublicSite) -> bytes:
    if view.indexable:
        text = f"User-agent: *\nAllow: /\n\nSitemap: {view.base_url}sitemap.xml\n"
    else:
        text = "# site_config.yml: site.indexable is false\nUser-agent: *\nDisallow: /\n"
    return text.encode()

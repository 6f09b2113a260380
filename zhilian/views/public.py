"""The public view: everything ``site/public`` may show, and nothing else.

Privacy by construction (DESIGN §8): :func:`build_public_view` is the only code that reads
the validated models for the public site, and it copies PUBLIC fields only into the frozen
dataclasses below.  ``render_public`` receives a :class:`PublicSite` and nothing else, so
no youth entry, survey figure, problem item, participant list or non-public note can reach
a template: none of these types has a field that could hold one.  A cadre kept from the
last build (:class:`KeptCadre`) holds its :class:`PublicCadre` pickled, and nothing else
that could become one.

Who serves a unit (the "找到我的团干部" pages, documented in the handbook too):

* a 团支部 or 宿舍团小组 is served *directly* by every cadre that lists it in
  ``units.branches`` / ``units.dorm_groups``;
* it is served *through its 分团委* by every cadre (校级 or 系级) that lists the unit's
  分团委 in ``units.committees``: such a cadre is the contact for everything in it;
* a 系级 cadre's own ``committee`` (where the cadre works) does not by itself make the
  cadre serve every unit of it; the directory groups the cadre under that 分团委, and the
  find pages link there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from ..load import Deployment, Note
from ..model.data import Branch, Committee, DormGroup
from ..model.enums import Level, label_of
from ..pipeline import CheckResult
from ..records import digest_of
from ..render.markdown import render_markdown
from ..render.photos import process_photo
from .pinyin import other_readings, spelling

#: Avatar background colours: all dark enough for white text (contrast ≥ 4.5 : 1).
AVATAR_COLOURS = (
    "#b71c1c", "#ad1457", "#6a1b9a", "#4527a0", "#283593", "#1565c0",
    "#00695c", "#2e7d32", "#bf360c", "#4e342e", "#37474f", "#006064",
)  # fmt: skip


@dataclass(frozen=True)
class PublicUnit:
    """A 分团委, 团支部 or 宿舍团小组 (organisation data, public)."""

    id: str
    name: str
    kind: str  # "committee" | "branch" | "dorm_group"
    committee: str | None = None  # the 分团委 of a branch or dorm group


@dataclass(frozen=True)
class PublicContact:
    """Contact channels a cadre consented to publish (``contact.consent_on`` is set)."""

    phone: str | None
    email: str | None
    wechat: str | None
    qq: str | None
    weibo: str | None
    office: str | None

    @property
    def is_empty(self) -> bool:
        return not any((self.phone, self.email, self.wechat, self.qq, self.weibo, self.office))


@dataclass(frozen=True)
class PublicPhoto:
    """A published photo: re-encoded JPEG without metadata, named by its content hash."""

    path: str  # "photos/<sha256-prefix>.jpg", relative to site/public
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PublicCadre:
    id: str
    name: str
    pinyin: tuple[str, ...]  # spelling(name): the sort key and the filter's spelling
    pinyin_variants: tuple[tuple[str, ...], ...]  # other readings (晟 cheng/sheng), for the filter
    level: str  # "school" | "department"
    level_label: str  # 校级 | 系级
    appointment_label: str  # 专职 | 兼职 | 挂职
    title: str
    committee: PublicUnit | None  # the 分团委 a 系级 cadre belongs to
    contact: PublicContact | None  # None: no consent, nothing published
    intro_html: str  # sanitised HTML (render_markdown)
    photo: PublicPhoto | None
    avatar_colour: str
    committees: tuple[PublicUnit, ...]  # units served
    branches: tuple[PublicUnit, ...]
    dorm_groups: tuple[PublicUnit, ...]

    @property
    def initial(self) -> str:
        return self.name[:1]

    @property
    def units(self) -> tuple[PublicUnit, ...]:
        return self.committees + self.branches + self.dorm_groups


class Place(NamedTuple):
    """Where a cadre is listed: its section of the directory, and the units it serves (by
    id).  The sections and the find pages are made from the places, so that a cadre kept
    from the last build (:class:`KeptCadre`) is read no further for them.  (A tuple: 1,000
    of them are unpickled in each rebuild, a third of the time of a dataclass.)"""

    level: str
    pinyin: tuple[str, ...]
    committee: str | None  # the 分团委 a 系级 cadre belongs to
    committees: tuple[str, ...]  # the units served
    branches: tuple[str, ...]
    dorm_groups: tuple[str, ...]
    has_photo: bool


def place_of(cadre: PublicCadre) -> Place:
    return Place(
        cadre.level, cadre.pinyin, cadre.committee.id if cadre.committee else None,
        tuple(u.id for u in cadre.committees), tuple(u.id for u in cadre.branches),
        tuple(u.id for u in cadre.dorm_groups), cadre.photo is not None,
    )


class _Kept:
    """A view object as the last build made it from the same inputs, kept pickled, that
    stands for the object :meth:`whole` gives — the same attributes, ``repr`` (page keys)
    and equality —, unpickling it only when asked for more than the slots hold."""

    __slots__ = ()

    def whole(self) -> Any:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:  # (only what the slots do not hold)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.whole(), name)

    def __repr__(self) -> str:
        return repr(self.whole())

    def __eq__(self, other: object) -> bool:
        return bool(self.whole() == (other.whole() if isinstance(other, _Kept) else other))

    def __hash__(self) -> int:
        return hash(self.whole())


class KeptCadre(_Kept):
    """A cadre's :class:`PublicCadre` as the last build made it from the same inputs, kept
    pickled (public fields only) and unpickled the first time a page needs more than its
    id and place: after one edit only the edited cadre's pages are made, and the others'
    entries, 1,000 of them, took 0.03–0.05 s to unpickle."""

    __slots__ = ("_cadre", "_pickled", "id", "level", "photo", "pinyin")

    def __init__(self, cadre_id: str, pickled: bytes | memoryview, place: Place) -> None:
        self.id, self.level, self.pinyin = cadre_id, place.level, place.pinyin
        if not place.has_photo:  # (else unpickled when asked for: ``_Kept.__getattr__``)
            self.photo = None
        self._pickled = pickled
        self._cadre: PublicCadre | None = None

    def whole(self) -> PublicCadre:
        if self._cadre is None:
            cadre = pickle.loads(self._pickled)
            if not isinstance(cadre, PublicCadre):  # (nothing else is ever kept as one)
                raise TypeError(f"not a public cadre entry: {type(cadre).__name__}")
            self._cadre = cadre
        return self._cadre


#: a cadre as the view lists it: made in this build, or kept from the last one
ListedCadre = PublicCadre | KeptCadre


@dataclass(frozen=True)
class PublicNote:
    """A note marked ``public: true``: title, date, kind and body only."""

    anchor: str  # "n-<cadre>-<file stem>", unique
    cadre_id: str
    cadre_name: str
    title: str
    date: dt.date
    kind_label: str
    body_html: str  # sanitised HTML


class _KeptNotes:
    """A cadre's public notes as the last build made them, pickled: unpickled once, when
    the first of them is asked for more than its place in the order."""

    __slots__ = ("_notes", "_pickled")

    def __init__(self, pickled: bytes | memoryview) -> None:
        self._pickled = pickled
        self._notes: list[PublicNote] | None = None

    def notes(self) -> list[PublicNote]:
        if self._notes is None:
            notes = pickle.loads(self._pickled)
            if not all(isinstance(note, PublicNote) for note in notes):
                raise TypeError("not a cadre's public notes")
            self._notes = notes
        return self._notes


class KeptNote(_Kept):
    """A public note as the last build made it from the same inputs (see
    :class:`KeptCadre`): its anchor, cadre and date at hand — the notes' order, and
    ``directory.json``'s —, the rest unpickled, with the cadre's other notes, when a page
    needs it (the news page and the cadre's page: made again only when a note changed)."""

    __slots__ = ("_index", "_kept", "anchor", "cadre_id", "date")

    def __init__(
        self, anchor: str, cadre_id: str, date: dt.date, kept: _KeptNotes, index: int
    ) -> None:
        self.anchor, self.cadre_id, self.date = anchor, cadre_id, date
        self._kept, self._index = kept, index

    def whole(self) -> PublicNote:
        return self._kept.notes()[self._index]


#: a public note as the view lists it: made in this build, or kept from the last one
ListedNote = PublicNote | KeptNote


@dataclass(frozen=True)
class PublicGroup:
    """A directory section: 校级 first, then one per 分团委."""

    id: str  # anchor: "g-school", "g-<committee-id>", "g-other"
    title: str
    cadres: tuple[ListedCadre, ...]


@dataclass(frozen=True)
class FindUnit:
    """A 团支部 or 宿舍团小组 on the find pages with the cadres who serve it."""

    unit: PublicUnit
    direct: tuple[str, ...]  # cadre ids listing the unit itself (directory order)
    via_committee: tuple[str, ...]  # cadre ids listing its 分团委 (not already in direct)
    branch: PublicUnit | None = None  # a dorm group's 团支部, when given


@dataclass(frozen=True)
class PublicCommittee:
    unit: PublicUnit
    serving: tuple[str, ...]  # cadre ids listing this 分团委 in units.committees
    members: tuple[str, ...]  # 系级 cadres belonging to it
    branches: tuple[FindUnit, ...]
    dorm_groups: tuple[FindUnit, ...]


@dataclass(frozen=True)
class PublicFooter:
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class PublicSite:
    title: str
    organization: str
    base_url: str  # absolute, ends with "/"
    indexable: bool
    footer: PublicFooter
    today: dt.date  # the build's --today (the only date on the pages not from the data)
    cadres: tuple[ListedCadre, ...]  # directory order (groups flattened)
    groups: tuple[PublicGroup, ...]
    committees: tuple[PublicCommittee, ...]
    notes: tuple[ListedNote, ...]  # newest first

    def cadre(self, cadre_id: str) -> ListedCadre:
        return self._by_id[cadre_id]

    @property
    def _by_id(self) -> dict[str, ListedCadre]:
        cached = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {c.id: c for c in self.cadres}
            object.__setattr__(self, "_by_id_cache", cached)
        return cached

    @property
    def photos(self) -> tuple[PublicPhoto, ...]:
        """Distinct photos (two cadres may share one file), sorted by path."""
        seen = {c.photo.path: c.photo for c in self.cadres if c.photo}
        return tuple(seen[p] for p in sorted(seen))


# --- building -------------------------------------------------------------------------------


def avatar_colour(cadre_id: str) -> str:
    return AVATAR_COLOURS[hashlib.sha256(cadre_id.encode()).digest()[0] % len(AVATAR_COLOURS)]


def _label(value: object) -> str:
    return label_of(value)


def build_public_view(result: CheckResult) -> PublicSite:
    dep = result.dep
    site = result.config.site

    def unit(kind: str, unit_id: str) -> PublicUnit:
        if kind == "committee":
            committee = dep.committees.get(unit_id)
            return PublicUnit(unit_id, committee.name if committee else unit_id, kind)
        source = dep.branches if kind == "branch" else dep.dorm_groups
        org = source.get(unit_id)
        if org is None:
            return PublicUnit(unit_id, unit_id, kind)
        return PublicUnit(unit_id, org.name, kind, org.committee)

    def units(kind: str, ids: Iterable[str]) -> tuple[PublicUnit, ...]:
        return tuple(unit(kind, i) for i in dict.fromkeys(ids))  # first mention wins

    photos: dict[str, PublicPhoto | None] = {}

    def photo(name: str | None) -> PublicPhoto | None:
        if not name:
            return None
        if name not in photos:
            path = dep.photos.get(name)
            processed = process_photo(path) if path is not None else None
            photos[name] = (
                PublicPhoto(
                    f"photos/{processed.digest}.jpg",
                    processed.data,
                    processed.width,
                    processed.height,
                )
                if processed is not None
                else None
            )
        return photos[name]

    def public_cadre(cid: str) -> PublicCadre:
        cadre = dep.cadres[cid]
        contact = None
        if cadre.contact.consent_on is not None:
            c = cadre.contact
            weibo = c.weibo if c.weibo and c.weibo.startswith("https://") else None
            contact = PublicContact(c.phone, c.email, c.wechat, c.qq, weibo, c.office)
        return PublicCadre(
            id=cid,
            name=cadre.name,
            pinyin=spelling(cadre.name),
            pinyin_variants=other_readings(cadre.name),
            level=cadre.level.value,
            level_label=_label(cadre.level),
            appointment_label=_label(cadre.appointment),
            title=cadre.title,
            committee=unit("committee", cadre.committee) if cadre.committee else None,
            contact=contact,
            intro_html=render_markdown(cadre.intro),
            photo=photo(cadre.photo),
            avatar_colour=avatar_colour(cid),
            committees=units("committee", cadre.units.committees),
            branches=units("branch", cadre.units.branches),
            dorm_groups=units("dorm_group", cadre.units.dorm_groups),
        )

    records = result.records
    places: dict[str, Place] = {}

    def entry(cid: str) -> ListedCadre:
        pickled = records.kept_pickled("public cadre", cid)
        if pickled is None:
            cadre = records.get("public cadre", cid, partial(public_cadre, cid))
            places[cid] = records.get("public place", cid, partial(place_of, cadre))
            return cadre
        places[cid] = records.get(
            "public place", cid, lambda: place_of(pickle.loads(pickled))
        )
        return KeptCadre(cid, pickled, places[cid])

    cadres = [entry(cid) for cid in dep.cadres]
    groups = _groups(cadres, places, dep.committees)
    ordered = tuple(c for g in groups for c in g.cadres)
    return PublicSite(
        title=site.title,
        organization=site.organization,
        base_url=_base_url(str(site.base_url)),
        indexable=site.indexable,
        footer=PublicFooter(site.footer.address, site.footer.phone, site.footer.email),
        today=result.today,
        cadres=ordered,
        groups=groups,
        committees=_committees(ordered, places, dep, unit, _unit_orders(result)),
        notes=_notes(result, {c.id: c for c in ordered}),
    )


def _base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _groups(
    cadres: list[ListedCadre], places: dict[str, Place],
    committees: dict[str, Committee],
) -> tuple[PublicGroup, ...]:
    """校级 first, then one group per 分团委 in the order of committees.yml."""
    by_key: dict[str, list[ListedCadre]] = {}
    for c in cadres:
        place = places[c.id]
        if place.level == Level.SCHOOL.value:
            key = "school"
        elif place.committee is not None and place.committee in committees:
            key = place.committee
        else:
            key = ""
        by_key.setdefault(key, []).append(c)
    specs = [("school", "g-school", "校级团干部")]
    specs += [(cid, f"g-{cid}", committee.name) for cid, committee in committees.items()]
    specs.append(("", "g-other", "其他团干部"))
    groups = []
    for key, anchor, title in specs:
        members = sorted(by_key.get(key, []), key=lambda c: (c.pinyin, c.id))
        if members:
            groups.append(PublicGroup(anchor, title, tuple(members)))
    return tuple(groups)


def _unit_orders(result: CheckResult) -> dict[str, tuple[list[str], list[str]]]:
    """Each 分团委's 团支部 and 宿舍团小组 ids in the order of their names' pinyin: kept while
    the units are the same (a province's 975 names take 0.06 s to spell)."""
    dep = result.dep
    units = [(u.id, u.name, u.committee) for u in (*dep.branches.values(), *dep.dorm_groups.values())]

    def orders() -> dict[str, tuple[list[str], list[str]]]:
        def spelled(table: dict[str, Branch] | dict[str, DormGroup], cid: str) -> list[str]:
            mine = [u for u in table.values() if u.committee == cid]
            return [u.id for u in sorted(mine, key=lambda u: (spelling(u.name), u.id))]

        return {cid: (spelled(dep.branches, cid), spelled(dep.dorm_groups, cid))
                for cid in dep.committees}

    return result.records.whole("unit order", (digest_of(units), tuple(dep.committees)), orders)


def _committees(
    cadres: tuple[ListedCadre, ...],
    places: dict[str, Place],
    dep: Deployment,
    unit: Callable[[str, str], PublicUnit],
    orders: dict[str, tuple[list[str], list[str]]],
) -> tuple[PublicCommittee, ...]:
    serving: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    direct: dict[tuple[str, str], list[str]] = {}
    for c in cadres:  # directory order, so every list below is in directory order
        place = places[c.id]
        for committee in place.committees:
            serving.setdefault(committee, []).append(c.id)
        if place.committee is not None and place.level == Level.DEPARTMENT.value:
            members.setdefault(place.committee, []).append(c.id)
        for branch in place.branches:
            direct.setdefault(("branch", branch), []).append(c.id)
        for dorm_group in place.dorm_groups:
            direct.setdefault(("dorm_group", dorm_group), []).append(c.id)

    def find_unit(kind: str, unit_id: str, committee: str, branch: str | None) -> FindUnit:
        mine = tuple(direct.get((kind, unit_id), ()))
        via = tuple(x for x in serving.get(committee, ()) if x not in mine)
        return FindUnit(unit(kind, unit_id), mine, via, unit("branch", branch) if branch else None)

    result = []
    for cid in dep.committees:
        branches, dorms = orders[cid]
        result.append(
            PublicCommittee(
                unit=unit("committee", cid),
                serving=tuple(serving.get(cid, ())),
                members=tuple(members.get(cid, ())),
                branches=tuple(find_unit("branch", b, cid, None) for b in branches),
                dorm_groups=tuple(
                    find_unit("dorm_group", d, cid, dep.dorm_groups[d].branch) for d in dorms
                ),
            )
        )
    return tuple(result)


def _public_notes(cadre: ListedCadre, notes: list[Note]) -> list[PublicNote]:
    """A cadre's public notes (``public: true``); the others never reach the view."""
    return [
        PublicNote(
            anchor=f"n-{cadre.id}-{note.slug}",
            cadre_id=cadre.id,
            cadre_name=cadre.name,
            title=note.front.title,
            date=note.front.date,
            kind_label=_label(note.front.kind),
            body_html=render_markdown(note.body),
        )
        for note in notes
        if note.front.public is True
    ]


def _order_of_notes(notes: list[PublicNote]) -> tuple[tuple[str, int], ...]:
    """Each note's anchor and day (ordinal): what the notes' order needs of them."""
    return tuple((note.anchor, note.date.toordinal()) for note in notes)


def _order_of_kept(kept: _KeptNotes) -> tuple[tuple[str, int], ...]:
    return _order_of_notes(kept.notes())


def _notes(result: CheckResult, cadres: dict[str, ListedCadre]) -> tuple[ListedNote, ...]:
    records = result.records
    notes: list[ListedNote] = []
    for cid, cadre_notes in result.dep.notes.items():
        if cid not in cadres:
            continue
        pickled = records.kept_pickled("public notes", cid)
        if pickled is None:
            made = records.get(
                "public notes", cid, partial(_public_notes, cadres[cid], cadre_notes)
            )
            records.get("public note order", cid, partial(_order_of_notes, made))
            notes += made
            continue
        kept = _KeptNotes(pickled)
        order = records.get("public note order", cid, partial(_order_of_kept, kept))
        notes += [
            KeptNote(anchor, cid, dt.date.fromordinal(day), kept, index)
            for index, (anchor, day) in enumerate(order)
        ]
    notes.sort(key=lambda n: (-n.date.toordinal(), n.cadre_id, n.anchor))
    return tuple(notes)

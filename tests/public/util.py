"""Helpers for the public-site tests: reading the built tree, parsing HTML, reading the
sample's YAML independently of zhilian's own reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
SCHOOL = {"校级", "school"}
PLAIN_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when available
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def public_dir(root: Path) -> Path:
    return root / "site" / "public"


def html_pages(public: Path, *, include_guide: bool = False) -> list[Path]:
    pages = sorted(public.rglob("*.html"))
    if not include_guide:
        pages = [p for p in pages if p.relative_to(public).parts[0] != "guide"]
    return pages


def tree(public: Path) -> dict[str, bytes]:
    return {
        p.relative_to(public).as_posix(): p.read_bytes()
        for p in sorted(public.rglob("*"))
        if p.is_file()
    }


# --- HTML ----------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    ancestors: tuple[Element, ...] = ()
    text: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    def classes(self) -> set[str]:
        return set((self.get("class") or "").split())

    def inside(self, tag: str | None = None, **attrs: str) -> Element | None:
        """The nearest ancestor with ``tag`` and ``attrs``."""
        for el in reversed(self.ancestors):
            if (tag is None or el.tag == tag) and all(el.get(k) == v for k, v in attrs.items()):
                return el
        return None


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), tuple(self.stack))
        self.elements.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text.append(data)


@dataclass
class Page:
    elements: list[Element]

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag) and all(e.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def card_ids(self, within: str | None = None) -> list[str]:
        """Cadre ids of the directory cards, in page order (optionally inside the element
        with id ``within``)."""
        ids = []
        for e in self.all("li"):
            if "card" in e.classes() and (within is None or e.inside(id=within)):
                ids.append((e.get("id") or "").removeprefix("c-"))
        return ids


def parse(source: str | Path) -> Page:
    text = source.read_text("utf-8") if isinstance(source, Path) else source
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return Page(parser.elements)


def text_of(el: Element) -> str:
    return "".join(el.text)


# --- YAML, read independently of zhilian.read ----------------------------------------------


def load_plain(path: Path) -> Any:
    """YAML with every scalar a string (the sample's conventions), comments ignored."""
    return yaml.load(path.read_text("utf-8-sig"), Loader=PLAIN_LOADER)


def sample_cadres(root: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: load_plain(p) for p in sorted((root / "data" / "cadres").glob("*.yml"))}


def sample_org(root: Path) -> dict[str, list[dict[str, str]]]:
    org = root / "data" / "org"
    return {
        "committees": load_plain(org / "committees.yml")["committees"],
        "branches": load_plain(org / "branches.yml")["branches"],
        "dorm_groups": load_plain(org / "dorm_groups.yml")["dorm_groups"],
    }


def split_note(text: str) -> tuple[str, str]:
    """(front matter, body) of a note file."""
    assert text.startswith("---\n"), "note without front matter"
    front, _, body = text[4:].partition("\n---\n")
    return front, body


def sample_notes(root: Path) -> list[tuple[str, str, dict[str, Any], str]]:
    """(cadre id, file stem, front matter, body) of every note."""
    notes = []
    for path in sorted((root / "data" / "notes").glob("*/*.md")):
        front, body = split_note(path.read_text("utf-8-sig"))
        notes.append((path.parent.name, path.stem, yaml.load(front, Loader=PLAIN_LOADER), body))
    return notes


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>/ (tests.support.static_server)


def walk_files(public: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(public.rglob("*")):
        if path.is_file():
            yield path.relative_to(public).as_posix(), path.read_bytes()

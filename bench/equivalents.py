"""Equivalent Hugo and MkDocs sites built from a zhilian deployment (not timed).

Hugo (``make_hugo_site``): the deployment's YAML is copied unchanged into Hugo's
``data/`` (``data/cadres/<id>.yml``, ``data/org/*.yml``, ``data/surveys/<year>.yml``), so
Hugo parses exactly the bytes zhilian parses.  Content:

- ``content/cadres/<id>.md``: front matter only (``title``, ``cid``); the page template
  looks the cadre up in ``hugo.Data.cadres`` and renders name, level, appointment,
  title, every contact channel, the intro (Markdown), the units served and the number of
  youth (``len .youth``) and notes;
- ``content/notes/<cadre>/<file>.md``: the deployment's note files copied unchanged
  (YAML front matter + Markdown body: Hugo parses and renders the same Markdown), with an
  ``_index.md`` per cadre so each cadre's notes are a section with its own list page;
- the home page lists every cadre (name, title, link) and sums the youth over all cadres
  (the benchmark reads that number back to prove Hugo really loaded every data file).

MkDocs (``make_mkdocs_site``): one Markdown page per cadre generated from its YAML (the
same fields as above, plus a table of its units) and the cadre's notes copied unchanged
(MkDocs reads their YAML front matter as page meta).  ``nav`` lists only the home page,
so the per-page cost is linear; with MkDocs' automatic navigation every page would carry
a sidebar of all pages and the build would be quadratic in the number of pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

HUGO_CONFIG = """\
baseURL = "https://bench.example.invalid/"
title = "zhilian bench (Hugo equivalent)"
hasCJKLanguage = true
disableKinds = ["taxonomy", "term", "rss"]
enableRobotsTXT = false
buildFuture = true

[markup.goldmark.renderer]
unsafe = false
"""

HUGO_LAYOUTS = {
    "baseof.html": """\
<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title></head>
<body><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "home.html": """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
{{ $youth := 0 }}
{{ range $id, $c := hugo.Data.cadres }}{{ $youth = add $youth (len $c.youth) }}{{ end }}
<p>cadres: <span id="cadres-total">{{ len hugo.Data.cadres }}</span>,
youth entries: <span id="youth-total">{{ $youth }}</span>,
notes: <span id="notes-total">{{ len (where site.RegularPages "Section" "notes") }}</span></p>
<ul>
{{ range (where site.RegularPages "Section" "cadres").ByTitle }}
{{ $c := index hugo.Data.cadres .Params.cid }}
<li><a href="{{ .RelPermalink }}">{{ $c.name }}</a> {{ $c.level }} · {{ $c.title }}</li>
{{ end }}
</ul>
{{ end }}
""",
    "section.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">
{{- .Date.Format "2006-01-02" }} {{ .Title }}</a></li>{{ end }}
</ul>
{{ end }}
""",
    "cadres/page.html": """\
{{ define "main" }}
{{ $c := index hugo.Data.cadres .Params.cid }}
<h1>{{ $c.name }}</h1>
<p>{{ $c.level }} · {{ $c.appointment }} · {{ $c.title }}
{{- with $c.committee }} · {{ . }}{{ end }}</p>
{{ with $c.contact }}<ul>
{{ with .phone }}<li><a href="tel:{{ . }}">{{ . }}</a></li>{{ end }}
{{ with .email }}<li><a href="mailto:{{ . }}">{{ . }}</a></li>{{ end }}
{{ with .wechat }}<li>微信 {{ . }}</li>{{ end }}
{{ with .qq }}<li>QQ {{ . }}</li>{{ end }}
{{ with .weibo }}<li><a href="{{ . }}">微博</a></li>{{ end }}
{{ with .office }}<li>{{ . }}</li>{{ end }}
</ul>{{ end }}
{{ with $c.intro }}<div>{{ . | markdownify }}</div>{{ end }}
{{ with $c.units }}
<p>分团委 {{ delimit (.committees | default slice) ", " }}</p>
<p>团支部 {{ delimit (.branches | default slice) ", " }}</p>
<p>宿舍 {{ delimit (.dorm_groups | default slice) ", " }}</p>
{{ end }}
<p>youth: {{ len $c.youth }}</p>
{{ with site.GetPage (printf "/notes/%s" .Params.cid) }}
<p><a href="{{ .RelPermalink }}">notes: {{ len .Pages }}</a></p>
{{ end }}
{{ end }}
""",
    "notes/page.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2006-01-02" }} · {{ .Params.kind }}</p>
{{ .Content }}
{{ end }}
""",
}


def _yaml_str(text: str) -> str:
    return yaml.safe_dump(text, allow_unicode=True, default_style='"').strip()


def data_files(dep: Path) -> list[Path]:
    """Every YAML/Markdown data file of a deployment (what the floor reads and parses)."""
    data = dep / "data"
    files = [p for p in data.rglob("*") if p.suffix in (".yml", ".yaml", ".md") and p.is_file()]
    return sorted(files)


def make_hugo_site(dep: Path, dest: Path) -> dict[str, int]:
    """Write a Hugo site equivalent to ``dep`` into ``dest``; returns counts."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "layouts").mkdir(parents=True)
    (dest / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for rel, text in HUGO_LAYOUTS.items():
        path = dest / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for sub in ("cadres", "org", "surveys"):
        src = dep / "data" / sub
        if src.is_dir():
            shutil.copytree(src, dest / "data" / sub)
    content = dest / "content"
    (content / "cadres").mkdir(parents=True)
    (content / "notes").mkdir(parents=True)
    (content / "cadres" / "_index.md").write_text('---\ntitle: "团干部"\n---\n', encoding="utf-8")
    (content / "notes" / "_index.md").write_text('---\ntitle: "活动记录"\n---\n', encoding="utf-8")
    counts = {"cadre_pages": 0, "note_pages": 0}
    for path in sorted((dep / "data" / "cadres").glob("*.yml")):
        cid = path.stem
        (content / "cadres" / f"{cid}.md").write_text(
            f"---\ntitle: {_yaml_str(cid)}\ncid: {_yaml_str(cid)}\n---\n", encoding="utf-8"
        )
        counts["cadre_pages"] += 1
    notes = dep / "data" / "notes"
    for cadre_dir in sorted(notes.iterdir()) if notes.is_dir() else []:
        if not cadre_dir.is_dir():
            continue
        target = content / "notes" / cadre_dir.name
        shutil.copytree(cadre_dir, target)
        (target / "_index.md").write_text(
            f"---\ntitle: {_yaml_str(cadre_dir.name)}\n---\n", encoding="utf-8"
        )
        counts["note_pages"] += sum(1 for _ in cadre_dir.glob("*.md"))
    return counts


MKDOCS_CONFIG = """\
site_name: zhilian bench (MkDocs equivalent)
docs_dir: docs
use_directory_urls: true
theme:
  name: mkdocs
  highlightjs: false
nav:
  - index.md
"""


def _cadre_markdown(cid: str, c: dict[str, object]) -> str:
    lines = [f"# {c.get('name', cid)}", "", f"{c.get('level')} · {c.get('appointment')} · "
             f"{c.get('title')}", ""]
    contact = c.get("contact") or {}
    if isinstance(contact, dict):
        for key in ("phone", "email", "wechat", "qq", "weibo", "office"):
            if contact.get(key):
                lines.append(f"- {key}: {contact[key]}")
        lines.append("")
    if c.get("intro"):
        lines += [str(c["intro"]), ""]
    units = c.get("units") or {}
    if isinstance(units, dict):
        lines += ["| 类别 | 单位 |", "|---|---|"]
        for key in ("committees", "branches", "dorm_groups"):
            lines.append(f"| {key} | {', '.join(map(str, units.get(key) or []))} |")
        lines.append("")
    youth = c.get("youth") or []
    lines.append(f"youth: {len(youth) if isinstance(youth, list) else 0}")
    return "\n".join(lines) + "\n"


def make_mkdocs_site(dep: Path, dest: Path, cadre_ids: list[str]) -> dict[str, int]:
    """Write a MkDocs project for the cadres ``cadre_ids`` of ``dep`` into ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    docs = dest / "docs"
    (docs / "cadres").mkdir(parents=True)
    (dest / "mkdocs.yml").write_text(MKDOCS_CONFIG, encoding="utf-8")
    index = ["# 团干部", ""]
    counts = {"cadre_pages": 0, "note_pages": 0}
    for cid in cadre_ids:
        src = dep / "data" / "cadres" / f"{cid}.yml"
        raw = yaml.load(src.read_text(encoding="utf-8-sig"), Loader=yaml.CSafeLoader) or {}
        (docs / "cadres" / f"{cid}.md").write_text(_cadre_markdown(cid, raw), encoding="utf-8")
        index.append(f"- [{raw.get('name', cid)}](cadres/{cid}.md)")
        counts["cadre_pages"] += 1
        notes = dep / "data" / "notes" / cid
        if notes.is_dir():
            shutil.copytree(notes, docs / "notes" / cid)
            counts["note_pages"] += sum(1 for _ in notes.glob("*.md"))
    (docs / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return counts

"""Markdown from cadres is untrusted: render it, then sanitise it with nh3 (ammonia).

Rendering uses cmark-gfm (GitHub's C implementation, the dialect cadres see in the GitHub
web editor's preview; about 12× faster than python-markdown, and notes are the bulk of a
large build) in its safe mode, which already drops raw HTML and dangerous links.  nh3 then
keeps only a small set of tags; links keep http, https, mailto and tel only; scripts, event
handlers, styles and data: URLs are removed.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "del", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
#: Block quotes nest as deep as a line has ">" (cmark caps lists, not quotes), and nh3's HTML
#: parser takes n² steps on n nested elements (20,000: 1.4 s; 100,000: 40 s): a line's
#: quotes beyond this many are dropped.
QUOTE_DEPTH = 32
_DEEP_QUOTES = re.compile(rf"^([ \t]*(?:>[ \t]*){{{QUOTE_DEPTH}}})(?:>[ \t]*)+", re.M)
#: HTML that nh3 would return as it is: text, the three entities cmark writes for it, and
#: allowed tags without attributes (no links, no comments, no ``<br />``, which nh3 writes
#: ``<br>``).  Most notes are such paragraphs and lists; nh3 took 0.34 s on a province's
#: 22,000 notes, this check 0.03 s.
_PLAIN_TAGS = "|".join(sorted(ALLOWED_TAGS - {"a"}))
_PLAIN_HTML = re.compile(rf"(?:[^<&]++|&(?:amp|lt|gt);|</?(?:{_PLAIN_TAGS})>)*+")  # (linear)


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML (cached: the same intro or note renders once per process)."""
    if not text.strip():
        return ""
    if _DEEP_QUOTES.search(text):
        text = _DEEP_QUOTES.sub(r"\1", text)
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_DEFAULT)
    if _PLAIN_HTML.fullmatch(html):
        return html
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )

"""Markdown from cadres is untrusted: render it, then sanitise it with nh3 (ammonia).

Only a small set of tags survives; links keep http, https, mailto and tel only; raw HTML,
scripts, event handlers, styles and data: URLs are removed.
"""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_converter = md.Markdown(extensions=["tables", "sane_lists"], output_format="html")


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML (cached: the same intro or note renders once per process)."""
    if not text.strip():
        return ""
    _converter.reset()
    html = _converter.convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )

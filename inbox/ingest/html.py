"""Email HTML: sanitised for display, turned into text for reading.

Email HTML is untrusted. :func:`sanitize_html` keeps what a mail client needs
to show a message (tables, inline styles are dropped, images kept with their
``src`` so the web inbox can block remote ones until the rep allows them) and
removes scripts, event handlers, forms and ``javascript:`` URLs.
"""

from __future__ import annotations

import nh3
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_element import HtmlElement

_TAGS = {
    "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite", "code",
    "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
_GENERIC_ATTRIBUTES = {"align", "valign", "dir", "lang", "title", "width", "height", "bgcolor", "color"}
_ATTRIBUTES = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href", "name"},
    "img": {"src", "alt", "border"},
    "font": {"face", "size"},
    "table": {"border", "cellpadding", "cellspacing"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap", "scope"},
    "col": {"span"},
    "ol": {"start", "type"},
    "blockquote": {"type", "cite"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
# inscriptis's "relaxed" profile (a space around spans, so adjacent spans do not glue words together) without its
# two-space indent per <div>: mail clients nest divs many levels deep, and the indent only costs the AI tokens.
_TEXT_CSS = {**CSS_PROFILES["relaxed"], "div": HtmlElement(display=Display.block)}
_TEXT_CONFIG = ParserConfig(css=_TEXT_CSS, display_links=False, display_images=False)


def sanitize_html(html: str) -> str:
    """HTML safe to show inside the web inbox's sandboxed frame."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: block structure kept as lines."""
    if not html.strip():
        return ""
    text = get_text(html, _TEXT_CONFIG)
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join(lines).strip("\n")

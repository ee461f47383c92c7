"""What tracking changes in an outbound message, built at send time.

- Opens: a 1x1 image at the end of the HTML body (before ``</body>``).
- Clicks: every ``<a>``/``<area>`` whose ``href`` is an absolute http(s) URL
  points at ``/t/c/<token>`` instead; the token carries the URL. ``mailto:``,
  ``tel:``, fragments and relative links are left alone. Only the rewritten
  tag is re-serialised: the rest of the HTML goes out byte for byte.
- Unsubscribe: a footer link in both bodies, and ``List-Unsubscribe`` (the
  HTTPS link and a ``mailto:`` to the sending mailbox) with
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).

A text-only email that tracks opens or clicks gets an HTML alternative made
from its text (escaped, URLs linked), or there would be nothing to put a pixel
in. The text part's URLs are left as written: a redirect URL in plain text is
unreadable and looks like phishing.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

from inbox.tracking.tokens import TokenKind, TokenSigner, is_trackable_url

LINK_TAGS = ("a", "area")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TrackedContent:
    """The bodies and extra headers of a message as tracking sends it."""

    body_text: str
    body_html: str | None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TrackingLinks:
    """The public URLs of one service's tracking endpoints."""

    signer: TokenSigner
    base_url: str

    def _url(self, prefix: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/{prefix}/{token}"

    def open_url(self, email_id: uuid.UUID) -> str:
        return self._url("t/o", self.signer.sign(TokenKind.OPEN, email_id))

    def click_url(self, email_id: uuid.UUID, link: int, url: str) -> str:
        return self._url("t/c", self.signer.sign(TokenKind.CLICK, email_id, link=link, url=url))

    def unsubscribe_url(self, email_id: uuid.UUID) -> str:
        return self._url("u", self.signer.sign(TokenKind.UNSUBSCRIBE, email_id))


class _LinkTags(HTMLParser):
    """Where the link tags with trackable hrefs are, as (start, end, tag, attributes, self-closing)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str, list[tuple[str, str | None]], bool]] = []
        self._line_starts = [0, *(index + 1 for index, char in enumerate(source) if char == "\n")]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in LINK_TAGS:
            return
        href = next((value for name, value in attrs if name == "href"), None)
        text = self.get_starttag_text()
        if href is None or text is None or not is_trackable_url(href.strip()):
            return
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        self.found.append((start, start + len(text), tag, attrs, text.endswith("/>")))


def _start_tag(tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> str:
    parts = [f"<{tag}"]
    for name, value in attrs:
        parts.append(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"')
    parts.append(" />" if self_closing else ">")
    return "".join(parts)


def rewrite_links(source: str, redirect: Callable[[int, str], str]) -> str:
    """``source`` with the href of every trackable link replaced by ``redirect(position, url)``."""
    parser = _LinkTags(source)
    parser.feed(source)
    parser.close()
    pieces: list[str] = []
    done = 0
    for position, (start, end, tag, attrs, self_closing) in enumerate(parser.found):
        replaced = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if name == "href" and not replaced and value is not None:
                value, replaced = redirect(position, value.strip()), True
            new_attrs.append((name, value))
        pieces += [source[done:start], _start_tag(tag, new_attrs, self_closing)]
        done = end
    pieces.append(source[done:])
    return "".join(pieces)


def append_to_body(source: str, snippet: str) -> str:
    """``snippet`` before the last ``</body>``, or at the end when there is none."""
    ends = list(_BODY_END.finditer(source))
    if not ends:
        return source + snippet
    at = ends[-1].start()
    return source[:at] + snippet + source[at:]


def _link_text_url(match: re.Match[str]) -> tuple[str, str]:
    url = match.group(0)
    stripped = url.rstrip(_TRAILING_PUNCTUATION)
    return stripped, url[len(stripped) :]


def text_as_html(text: str) -> str:
    """A plain-text body as simple HTML: escaped, line breaks kept, http(s) URLs linked."""
    pieces: list[str] = []
    done = 0
    for match in _URL_IN_TEXT.finditer(text):
        url, rest = _link_text_url(match)
        pieces.append(html.escape(text[done : match.start()]))
        escaped = html.escape(url, quote=True)
        pieces.append(f'<a href="{escaped}">{escaped}</a>')
        pieces.append(html.escape(rest))
        done = match.end()
    pieces.append(html.escape(text[done:]))
    body = "".join(pieces).replace("\r\n", "\n").replace("\n", "<br>\n")
    return f'<!DOCTYPE html>\n<html><body><div dir="auto">{body}</div></body></html>\n'


def pixel_tag(url: str) -> str:
    src = html.escape(url, quote=True)
    return (
        f'<img src="{src}" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0" />'
    )


def unsubscribe_footer_html(url: str) -> str:
    href = html.escape(url, quote=True)
    return (
        '<p style="margin-top:24px;font-size:12px;color:#888888">'
        f'Don\'t want to hear from us? <a href="{href}" style="color:#888888">Unsubscribe</a>.</p>'
    )


def unsubscribe_footer_text(url: str) -> str:
    return f"\n\nDon't want to hear from us? Unsubscribe: {url}\n"


def list_unsubscribe_headers(url: str, mailbox_address: str | None) -> tuple[tuple[str, str], ...]:
    """RFC 2369 ``List-Unsubscribe`` (HTTPS first, then mail) and RFC 8058's one-click marker."""
    targets = [f"<{url}>"]
    if mailbox_address and "@" in mailbox_address:
        targets.append(f"<mailto:{quote(mailbox_address, safe='@.+-_')}?subject=unsubscribe>")
    return (("List-Unsubscribe", ", ".join(targets)), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def decorate(
    links: TrackingLinks,
    email_id: uuid.UUID,
    body_text: str | None,
    body_html: str | None,
    *,
    opens: bool,
    clicks: bool,
    unsubscribe: bool,
    mailbox_address: str | None,
) -> TrackedContent:
    """The message's bodies and headers with the tracking that is switched on."""
    text = body_text or ""
    markup = body_html
    if (opens or clicks) and not markup:
        markup = text_as_html(text)
    if markup and clicks:
        markup = rewrite_links(markup, lambda position, url: links.click_url(email_id, position, url))
    headers: tuple[tuple[str, str], ...] = ()
    if unsubscribe:
        url = links.unsubscribe_url(email_id)
        text += unsubscribe_footer_text(url)
        if markup:
            markup = append_to_body(markup, unsubscribe_footer_html(url))
        headers = list_unsubscribe_headers(url, mailbox_address)
    if markup and opens:
        markup = append_to_body(markup, pixel_tag(links.open_url(email_id)))
    return TrackedContent(text, markup, headers)

"""What tracking changes in a message's bodies, and what it leaves exactly as written."""

from __future__ import annotations

import re
import uuid

import pytest

from inbox.tracking.rewrite import TrackingLinks, decorate, rewrite_links
from inbox.tracking.tokens import TokenKind, TokenSigner

pytestmark = pytest.mark.no_db

EMAIL = uuid.uuid4()
BASE = "https://t.ourco.example"
LINKS = TrackingLinks(TokenSigner("rewrite-test-secret-0123456789abcdef"), BASE)
HTML = (
    "<!DOCTYPE html><html><head><style>a{color:red}</style></head><BODY>\n"
    '<p>See <a class="x" href="https://acme.example/pricing?plan=team&amp;seats=5">pricing</a>,\n'
    "<A HREF='http://acme.example/docs'>docs</A>, <a href=\"mailto:rep@ourco.example\">mail me</a>,"
    ' <a href="tel:+15550100">call</a>, <a href="#faq">FAQ</a>, <a href="/relative">rel</a>,'
    ' <a name="anchor">no href</a>.</p>\n'
    '<!-- <a href="https://in-a-comment.example">x</a> -->\n'
    '<script>var s = "<a href=https://in-a-script.example>";</script>\n'
    '<map><area shape="rect" href="https://acme.example/map" /></map>\n'
    "</body></html>\n"
)


def _hrefs(markup: str) -> list[str]:
    return re.findall(r"""href=["']?([^"' >]+)""", markup, re.IGNORECASE)


def test_http_links_point_at_signed_redirects_and_everything_else_is_untouched() -> None:
    rewritten = rewrite_links(HTML, lambda position, url: f"{BASE}/t/c/{position}|{url}")

    assert f'href="{BASE}/t/c/0|https://acme.example/pricing?plan=team&amp;seats=5"' in rewritten
    assert 'class="x"' in rewritten
    assert f'href="{BASE}/t/c/1|http://acme.example/docs"' in rewritten
    assert f'<area shape="rect" href="{BASE}/t/c/2|https://acme.example/map" />' in rewritten
    for kept in (
        '<a href="mailto:rep@ourco.example">',
        '<a href="tel:+15550100">',
        '<a href="#faq">',
        '<a href="/relative">',
        '<a name="anchor">',
        '<!-- <a href="https://in-a-comment.example">x</a> -->',
        '"<a href=https://in-a-script.example>"',
    ):
        assert kept in rewritten
    # Outside the three rewritten tags the document is byte for byte the same.
    tags = re.compile(r"<a class=\"x\"[^>]*>|<A HREF='http[^>]*>|<a [^>]*t/c/1[^>]*>|<area[^>]*>")
    assert tags.sub("", HTML) == tags.sub("", rewritten)


def test_the_click_tokens_carry_each_links_url_and_position() -> None:
    tracked = decorate(LINKS, EMAIL, "text", HTML, opens=False, clicks=True, unsubscribe=False, mailbox_address=None)
    assert tracked.body_html is not None
    tokens = [href.rsplit("/", 1)[1] for href in _hrefs(tracked.body_html) if href.startswith(f"{BASE}/t/c/")]
    verified = [LINKS.signer.verify(token, TokenKind.CLICK) for token in tokens]
    assert [(v.link, v.url) for v in verified if v is not None] == [
        (0, "https://acme.example/pricing?plan=team&seats=5"),
        (1, "http://acme.example/docs"),
        (2, "https://acme.example/map"),
    ]
    assert all(v is not None and v.email_id == EMAIL for v in verified)
    assert tracked.headers == () and tracked.body_text == "text"  # no unsubscribe asked for


def test_the_pixel_and_the_unsubscribe_footer_go_before_the_end_of_the_body() -> None:
    tracked = decorate(
        LINKS, EMAIL, "Hi Jane", HTML, opens=True, clicks=True, unsubscribe=True, mailbox_address="rep@ourco.example"
    )
    markup = tracked.body_html
    assert markup is not None and markup.endswith("</body></html>\n")
    pixel = re.search(r'<img src="([^"]+)" width="1" height="1" alt=""', markup)
    assert pixel is not None and pixel.group(1).startswith(f"{BASE}/t/o/")
    assert LINKS.signer.verify(pixel.group(1).rsplit("/", 1)[1], TokenKind.OPEN) is not None
    unsubscribe = LINKS.unsubscribe_url(EMAIL)
    # The footer link is the unsubscribe page itself, not a click redirect.
    assert f'<a href="{unsubscribe}"' in markup
    assert markup.index(unsubscribe) < markup.index(pixel.group(1)) < markup.rindex("</body>")
    assert tracked.body_text.startswith("Hi Jane") and tracked.body_text.rstrip().endswith(unsubscribe)
    assert dict(tracked.headers) == {
        "List-Unsubscribe": f"<{unsubscribe}>, <mailto:rep@ourco.example?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_text_only_email_that_tracks_opens_gets_an_html_part_with_its_text() -> None:
    text = "Hi Jane,\n\nOur plans: https://acme.example/pricing. <Cheap> & good.\n"
    tracked = decorate(LINKS, EMAIL, text, None, opens=True, clicks=True, unsubscribe=False, mailbox_address=None)

    assert tracked.body_text == text  # the text part's URLs stay readable
    markup = tracked.body_html
    assert markup is not None
    assert "&lt;Cheap&gt; &amp; good." in markup and "Hi Jane,<br>" in markup
    click = next(href for href in _hrefs(markup) if "/t/c/" in href)
    verified = LINKS.signer.verify(click.rsplit("/", 1)[1], TokenKind.CLICK)
    assert verified is not None and verified.url == "https://acme.example/pricing"  # the full stop is not the URL's
    assert f"{BASE}/t/o/" in markup
    # Nothing tracked for a text-only email that only carries the unsubscribe link: it stays text only.
    plain = decorate(LINKS, EMAIL, text, None, opens=False, clicks=False, unsubscribe=True, mailbox_address=None)
    assert plain.body_html is None

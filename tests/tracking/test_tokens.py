"""Tracking tokens: what this service signed verifies; anything else, however close, is refused."""

from __future__ import annotations

import base64
import uuid

import pytest

from inbox.tracking.tokens import MAC_BYTES, TokenKind, TokenSigner

pytestmark = pytest.mark.no_db

SECRET = "a-secret-long-enough-for-the-tests-0123456789"
EMAIL = uuid.UUID("2f1c8d3e-6a0b-4c5d-9e8f-0123456789ab")
OTHER_EMAIL = uuid.UUID("99999999-6a0b-4c5d-9e8f-0123456789ab")
URL = "https://acme.example/pricing?plan=team&ref=mail#top"


def _raw(token: str) -> bytearray:
    return bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_each_kind_of_token_round_trips_what_it_carries() -> None:
    signer = TokenSigner(SECRET)

    opened = signer.verify(signer.sign(TokenKind.OPEN, EMAIL), TokenKind.OPEN)
    clicked = signer.verify(signer.sign(TokenKind.CLICK, EMAIL, link=4, url=URL), TokenKind.CLICK)
    unsubscribed = signer.verify(signer.sign(TokenKind.UNSUBSCRIBE, EMAIL), TokenKind.UNSUBSCRIBE)

    assert opened is not None and (opened.kind, opened.email_id, opened.url) == (TokenKind.OPEN, EMAIL, None)
    assert clicked is not None and (clicked.email_id, clicked.link, clicked.url) == (EMAIL, 4, URL)
    assert unsubscribed is not None and unsubscribed.email_id == EMAIL
    token = signer.sign(TokenKind.CLICK, EMAIL, link=0, url="https://ex.example/ü?q=ä b".replace(" ", "%20"))
    assert all(c.isalnum() or c in "-_" for c in token)  # URL-safe, no padding
    # Another signer with the same secret (another replica) accepts it.
    assert TokenSigner(SECRET).verify(token, TokenKind.CLICK) is not None


def test_forged_and_tampered_tokens_are_refused() -> None:
    signer = TokenSigner(SECRET)
    good = signer.sign(TokenKind.CLICK, EMAIL, link=1, url=URL)
    raw = _raw(good)

    # Another email's id with the original MAC (someone counting opens of a colleague's mail).
    other_email = bytearray(raw)
    other_email[2:18] = OTHER_EMAIL.bytes
    # Another URL with the original MAC (an open redirect).
    other_url = bytes(raw[:20]) + b"https://evil.example/" + bytes(raw[-MAC_BYTES:])
    # A flipped bit in the MAC, and in the payload.
    bad_mac, bad_payload = bytearray(raw), bytearray(raw)
    bad_mac[-1] ^= 1
    bad_payload[5] ^= 1
    for forged in (
        _token(bytes(other_email)),
        _token(other_url),
        _token(bytes(bad_mac)),
        _token(bytes(bad_payload)),
        good[:-3],  # truncated
        good + "AA",  # extended
        TokenSigner("another-secret-of-another-service-0123456789").sign(TokenKind.CLICK, EMAIL, link=1, url=URL),
        "",
        "not a token!",
        "é" * 40,
        "A" * 10_000,
    ):
        assert signer.verify(forged, TokenKind.CLICK) is None, forged
    assert signer.verify(good, TokenKind.CLICK) is not None  # the untouched one still passes


def test_a_token_is_only_good_for_its_own_kind() -> None:
    signer = TokenSigner(SECRET)
    opened = signer.sign(TokenKind.OPEN, EMAIL)
    unsubscribed = signer.sign(TokenKind.UNSUBSCRIBE, EMAIL)

    assert signer.verify(opened, TokenKind.UNSUBSCRIBE) is None  # loading the pixel unsubscribes no one
    assert signer.verify(opened, TokenKind.CLICK) is None
    assert signer.verify(unsubscribed, TokenKind.OPEN) is None
    # Relabelling the kind byte breaks the MAC.
    raw = _raw(opened)
    raw[1] = TokenKind.UNSUBSCRIBE
    assert signer.verify(_token(bytes(raw)), TokenKind.UNSUBSCRIBE) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "mailto:a@b.example", "/relative", "https://", "http://a b"])
def test_only_absolute_http_urls_become_click_tokens(url: str) -> None:
    with pytest.raises(ValueError):
        TokenSigner(SECRET).sign(TokenKind.CLICK, EMAIL, link=0, url=url)

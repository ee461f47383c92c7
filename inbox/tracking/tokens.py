"""Signed tokens of the tracking links: the open pixel, click redirects, unsubscribe.

A token is ``base64url(payload || mac)`` without padding, where the payload is
a version byte, a kind byte, the email's UUID (16 bytes) and, for a click, the
link's position (2 bytes) and the target URL (UTF-8), and the MAC is the first
16 bytes of HMAC-SHA256 over the payload. The key is derived (HKDF) from the
service's auth secret with a label of its own, so a tracking token can never
pass for a session cookie signature or the other way round.

Everything a link does comes from its verified token: the email it is about
and, for a click, where it redirects. Nothing unsigned (a query parameter) is
ever trusted, so the redirect cannot be turned into an open redirect, and a
token changed in any byte (another email's id, another URL) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
MAC_BYTES = 16
KEY_LABEL = b"inbox email tracking tokens v1"
# Longer tokens are refused unread (a click token carries its URL; links longer than this are not rewritten).
MAX_URL_BYTES = 2048
MAX_TOKEN_CHARS = 4 * (2 + 16 + 2 + MAX_URL_BYTES + MAC_BYTES) // 3 + 4
_HEAD = 2 + 16  # version, kind, email id


class TokenKind(IntEnum):
    OPEN = 1
    CLICK = 2
    UNSUBSCRIBE = 3


@dataclass(frozen=True, slots=True)
class TrackingToken:
    """What a verified token says."""

    kind: TokenKind
    email_id: uuid.UUID
    link: int | None = None  # a click's position among the email's rewritten links (0-based)
    url: str | None = None  # a click's target


def is_trackable_url(url: str) -> bool:
    """An absolute http(s) URL with a host, short enough to sign, without spaces or control characters."""
    try:
        size = len(url.encode("utf-8"))
        parts = urlsplit(url)
    except (UnicodeEncodeError, ValueError):
        return False
    if size > MAX_URL_BYTES or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    if len(text) > MAX_TOKEN_CHARS or not text.isascii():
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


class TokenSigner:
    """Signs and verifies tracking tokens with a key derived from the auth secret."""

    def __init__(self, secret: str) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_LABEL).derive(secret.encode("utf-8"))

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def sign(self, kind: TokenKind, email_id: uuid.UUID, *, link: int | None = None, url: str | None = None) -> str:
        payload = bytes((VERSION, kind)) + email_id.bytes
        if kind is TokenKind.CLICK:
            if url is None or link is None or not 0 <= link < 2**16 or not is_trackable_url(url):
                raise ValueError("a click token needs a link position and an http(s) URL")
            payload += link.to_bytes(2, "big") + url.encode("utf-8")
        elif url is not None or link is not None:
            raise ValueError("only a click token carries a link")
        return _b64encode(payload + self._mac(payload))

    def verify(self, token: str, kind: TokenKind) -> TrackingToken | None:
        """The token's content when this service signed it for ``kind``; None for anything else."""
        raw = _b64decode(token)
        if raw is None or len(raw) < _HEAD + MAC_BYTES:
            return None
        payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        if payload[0] != VERSION or payload[1] != kind:
            return None
        email_id = uuid.UUID(bytes=payload[2:_HEAD])
        if kind is not TokenKind.CLICK:
            return TrackingToken(kind, email_id) if len(payload) == _HEAD else None
        if len(payload) < _HEAD + 2:
            return None
        try:
            url = payload[_HEAD + 2 :].decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not is_trackable_url(url):
            return None
        return TrackingToken(kind, email_id, int.from_bytes(payload[_HEAD : _HEAD + 2], "big"), url)


@lru_cache(maxsize=8)
def signer_for(secret: str) -> TokenSigner:
    """One signer per secret (deriving the key costs more than signing)."""
    return TokenSigner(secret)

"""Better Auth-compatible primitives: ids, tokens, password hashes, signed cookies.

Each function produces or accepts exactly what Better Auth 1.7 does (checked
against the published package by ``tests/auth/test_crypto.py`` with vectors
from ``tests/interop/better_auth``), so users and sessions created by either
side work on the other. Strings reach Node's scrypt, HMAC and ``TextEncoder`` as
UTF-8 after JavaScript's rule for lone surrogates (each becomes U+FFFD); the
same rule is applied here so that no input makes these functions raise.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from urllib.parse import quote, unquote

ID_ALPHABET = string.ascii_letters + string.digits
SESSION_TOKEN_LENGTH = 32
RESET_TOKEN_LENGTH = 24

SESSION_COOKIE_NAME = "better-auth.session_token"
SECURE_COOKIE_PREFIX = "__Secure-"

SCRYPT_N = 16384
SCRYPT_R = 16
SCRYPT_P = 1
SCRYPT_DKLEN = 64
# 128 * N * r * p is 32 MiB; OpenSSL needs a little more than that, and
# hashlib's default limit (32 MiB) is too small.
SCRYPT_MAXMEM = 64 * 1024 * 1024

_PASSWORD_HASH = re.compile(r"([0-9a-f]{32}):([0-9a-f]{128})")
# HMAC-SHA256 in standard base64 with padding: 43 characters and one "=".
_SIGNATURE_LENGTH = 44
# The characters JavaScript's encodeURIComponent leaves as they are.
_URI_COMPONENT_SAFE = "-_.!~*'()"


def generate_id(length: int = 32) -> str:
    """A random string of ``[A-Za-z0-9]``, each character uniform and independent."""
    if length <= 0:
        raise ValueError("length must be positive")
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def generate_session_token() -> str:
    return generate_id(SESSION_TOKEN_LENGTH)


def generate_reset_token() -> str:
    return generate_id(RESET_TOKEN_LENGTH)


def _well_formed(text: str) -> str:
    """Join surrogate pairs and replace lone surrogates by U+FFFD, as JavaScript
    does when it encodes a string to UTF-8."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _utf8(text: str) -> bytes:
    return _well_formed(text).encode("utf-8")


def _scrypt_key(password: str, salt_hex: str) -> bytes:
    normalized = unicodedata.normalize("NFKC", _well_formed(password))
    return hashlib.scrypt(
        normalized.encode("utf-8"),
        salt=salt_hex.encode("ascii"),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAXMEM,
        dklen=SCRYPT_DKLEN,
    )


def hash_password(password: str) -> str:
    """``<saltHex>:<keyHex>``: scrypt of the NFKC-normalised password, salted
    with the UTF-8 bytes of the 32-character hex salt (not the decoded bytes)."""
    salt_hex = secrets.token_hex(16)
    return f"{salt_hex}:{_scrypt_key(password, salt_hex).hex()}"


def verify_password(hash: str, password: str) -> bool:
    """Whether ``password`` matches ``hash``; False for a malformed hash."""
    match = _PASSWORD_HASH.fullmatch(hash)
    if match is None:
        return False
    salt_hex, key_hex = match.groups()
    return hmac.compare_digest(_scrypt_key(password, salt_hex).hex(), key_hex)


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` in a worker thread (scrypt takes tens of milliseconds)."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(hash: str, password: str) -> bool:
    """:func:`verify_password` in a worker thread."""
    return await asyncio.to_thread(verify_password, hash, password)


def _signature(token: str, secret: str) -> str:
    digest = hmac.new(_utf8(secret), _utf8(token), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign_cookie_value(token: str, secret: str) -> str:
    """``encodeURIComponent(token + "." + base64(HMAC-SHA256(secret, token)))``,
    the cookie value better-call's ``serializeSignedCookie`` writes."""
    return quote(f"{token}.{_signature(token, secret)}", safe=_URI_COMPONENT_SAFE)


def unsign_cookie_value(value: str, secret: str) -> str | None:
    """The token of a signed cookie value (URL-encoded or not), or None when
    the value is malformed or its signature is not ``secret``'s."""
    if "%" in value:
        # On invalid UTF-8, decodeURIComponent throws and better-call keeps the raw value.
        with contextlib.suppress(UnicodeDecodeError):
            value = unquote(value, errors="strict")
    token, dot, signature = value.rpartition(".")
    if not dot or not token or len(signature) != _SIGNATURE_LENGTH or not signature.endswith("="):
        return None
    if not hmac.compare_digest(_signature(token, secret).encode("ascii"), _utf8(signature)):
        return None
    return token


def session_cookie_name(base_url: str) -> str:
    """Better Auth's session cookie name; ``__Secure-`` prefixed when the base URL is https."""
    if base_url.startswith("https://"):
        return SECURE_COOKIE_PREFIX + SESSION_COOKIE_NAME
    return SESSION_COOKIE_NAME

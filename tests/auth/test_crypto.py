"""inbox.auth.crypto against the real Better Auth.

The vectors in tests/interop/better_auth/vectors.json were produced by the
pinned better-auth package (make_vectors.mjs); the last test runs Better Auth's
own verifyPassword on hashes made here.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from inbox.auth import crypto
from inbox.auth.crypto import (
    generate_id,
    generate_reset_token,
    generate_session_token,
    hash_password,
    hash_password_async,
    session_cookie_name,
    sign_cookie_value,
    unsign_cookie_value,
    verify_password,
    verify_password_async,
)

INTEROP_DIR = Path(__file__).resolve().parents[1] / "interop" / "better_auth"
VECTORS: dict[str, Any] = json.loads((INTEROP_DIR / "vectors.json").read_text(encoding="utf-8"))
SECRET = "better-auth-secret-123456789012345"


def _case_id(value: Any) -> str:
    return ascii(value)[:40]


def _independent_scrypt(password: str, salt_hex: str) -> str:
    """BETTER_AUTH.md's recipe, written out without going through the module."""
    params = VECTORS["scrypt"]
    key = hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode("utf-8"),
        salt=salt_hex.encode("utf-8"),
        n=params["N"],
        r=params["r"],
        p=params["p"],
        dklen=params["dkLen"],
        maxmem=64 * 1024 * 1024,
    )
    return key.hex()


def test_vectors_come_from_the_pinned_better_auth() -> None:
    package = json.loads((INTEROP_DIR / "package.json").read_text(encoding="utf-8"))
    assert VECTORS["versions"]["better-auth"] == package["dependencies"]["better-auth"]
    assert VECTORS["scrypt"] == {"N": 16384, "r": 16, "p": 1, "dkLen": 64}
    assert (crypto.SCRYPT_N, crypto.SCRYPT_R, crypto.SCRYPT_P, crypto.SCRYPT_DKLEN) == (16384, 16, 1, 64)


@pytest.mark.parametrize("vector", VECTORS["passwords"], ids=lambda v: _case_id(v["password"]))
def test_verify_password_agrees_with_better_auth(vector: dict[str, Any]) -> None:
    checks = vector["checks"]
    assert any(c["valid"] for c in checks)
    assert any(not c["valid"] for c in checks)
    for check in checks:
        assert verify_password(vector["hash"], check["password"]) is check["valid"], check["password"]


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "no-colon",
        ":",
        "aec0e7dd73176c8b50217e0d62e41177:",
        ":" + "0" * 128,
        # Better Auth's hash with an upper-case key, a truncated key, an extra field.
        VECTORS["passwords"][0]["hash"].upper(),
        VECTORS["passwords"][0]["hash"][:-2],
        VECTORS["passwords"][0]["hash"] + ":extra",
        "é" * 32 + ":" + "0" * 128,
        "\ud800" * 32 + ":" + "0" * 128,
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    ],
    ids=_case_id,
)
def test_verify_password_returns_false_for_a_malformed_hash(malformed: str) -> None:
    assert verify_password(malformed, "password123") is False


@pytest.mark.parametrize(
    "password",
    ["password123", "\ufb01nancial-secret", "\uff30\uff41\uff53\uff53\uff57\uff4f\uff52\uff44", "x" * 128],
    ids=_case_id,
)
def test_hash_password_matches_the_documented_recipe(password: str) -> None:
    hashed = hash_password(password)

    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", hashed), hashed
    salt_hex, key_hex = hashed.split(":")
    assert key_hex == _independent_scrypt(password, salt_hex)
    assert verify_password(hashed, password)
    assert not verify_password(hashed, password + " ")


def test_hash_password_salts_every_hash() -> None:
    first, second = hash_password("password123"), hash_password("password123")
    assert first.split(":")[0] != second.split(":")[0]
    assert first.split(":")[1] != second.split(":")[1]


@pytest.mark.asyncio
async def test_async_variants_hash_and_verify() -> None:
    hashed = await hash_password_async("\ufb01nancial-secret")
    salt_hex, key_hex = hashed.split(":")
    assert key_hex == _independent_scrypt("financial-secret", salt_hex)
    assert await verify_password_async(hashed, "financial-secret") is True
    assert await verify_password_async(hashed, "financial-secreT") is False
    assert await verify_password_async("garbage", "financial-secret") is False


@pytest.mark.parametrize("vector", VECTORS["signed_cookies"], ids=lambda v: _case_id(v["token"]))
def test_signed_cookie_value_is_better_auths_byte_for_byte(vector: dict[str, str]) -> None:
    assert sign_cookie_value(vector["token"], vector["secret"]) == vector["value"]
    assert unsign_cookie_value(vector["value"], vector["secret"]) == vector["token"]


@pytest.mark.parametrize("vector", VECTORS["set_cookie"], ids=lambda v: v["baseURL"])
def test_session_cookie_name_and_value_match_better_auths_set_cookie(vector: dict[str, Any]) -> None:
    name = session_cookie_name(vector["baseURL"])
    assert name == vector["name"]
    value = sign_cookie_value(vector["token"], vector["secret"])
    expected_secure = "; Secure" if vector["baseURL"].startswith("https://") else ""
    assert vector["header"] == (f"{name}={value}; Max-Age=604800; Path=/; HttpOnly{expected_secure}; SameSite=Lax")


def test_session_cookie_name() -> None:
    assert session_cookie_name("http://localhost:8000") == "better-auth.session_token"
    assert session_cookie_name("https://inbox.example.com/") == "__Secure-better-auth.session_token"


@pytest.mark.parametrize("vector", VECTORS["read_signed_cookie"], ids=lambda v: v["name"])
def test_unsign_accepts_and_rejects_what_better_auth_does(vector: dict[str, Any]) -> None:
    assert unsign_cookie_value(vector["value"], vector["secret"]) == vector["token"]


def test_unsign_rejects_tampering_and_other_secrets() -> None:
    token = generate_session_token()
    signed = sign_cookie_value(token, SECRET)
    raw = signed.replace("%2B", "+").replace("%2F", "/").replace("%3D", "=")

    assert unsign_cookie_value(signed, SECRET) == token
    assert unsign_cookie_value(raw, SECRET) == token
    assert unsign_cookie_value(signed, SECRET + "x") is None
    assert unsign_cookie_value(sign_cookie_value(token, "other-secret"), SECRET) is None
    other = "A" if token[0] != "A" else "B"
    assert unsign_cookie_value(other + raw[1:], SECRET) is None
    assert unsign_cookie_value(raw + "x", SECRET) is None
    assert unsign_cookie_value(token, SECRET) is None


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "%", "%E0%A4%A", "%ZZ.%ZZ", "a." + "%C3" * 44, "é.é", "\ud800." + "A" * 43 + "=", "." * 45],
    ids=_case_id,
)
def test_unsign_returns_none_for_garbage(garbage: str) -> None:
    assert unsign_cookie_value(garbage, SECRET) is None


def test_ids_and_tokens_use_the_alphanumeric_alphabet() -> None:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    ids = [generate_id() for _ in range(2000)]

    assert all(len(i) == 32 and set(i) <= alphabet for i in ids)
    assert len(set(ids)) == len(ids)
    counts = Counter("".join(ids))
    # 64,000 characters over 62 symbols: about 1,032 each; a biased generator
    # (e.g. modulo 256) or a missing symbol lands far outside this band.
    assert set(counts) == alphabet
    assert all(850 < n < 1220 for n in counts.values()), counts

    assert len(generate_id(5)) == 5
    assert re.fullmatch(r"[A-Za-z0-9]{32}", generate_session_token())
    assert re.fullmatch(r"[A-Za-z0-9]{24}", generate_reset_token())
    with pytest.raises(ValueError, match="positive"):
        generate_id(0)


def test_better_auth_verifies_hashes_made_here() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (INTEROP_DIR / "node_modules" / "better-auth").is_dir():
        pytest.skip("tests/interop/better_auth/node_modules is absent: run `npm ci` in tests/interop/better_auth")

    passwords = [
        "password123",
        "\ufb01nancial-secret",
        "emoji-\U0001f600-pw",
        "Long-pass-" * 12 + "\u00fcber-\u00df\u20ac!",
    ]
    hashes = [hash_password(p) for p in passwords]
    cases = [{"hash": h, "password": p} for h, p in zip(hashes, passwords, strict=True)]
    cases += [
        {"hash": hashes[1], "password": "financial-secret"},  # NFKC-equal
        {"hash": hashes[0], "password": "password124"},
        {"hash": hashes[2], "password": "emoji--pw"},
    ]

    result = subprocess.run(
        [node, "verify_passwords.mjs"],
        cwd=INTEROP_DIR,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout) == [True, True, True, True, True, False, False]

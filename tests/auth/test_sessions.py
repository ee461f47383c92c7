"""Sessions: get-session, refresh and expiry (with controlled time), sign-out,
list-sessions, revoke-session, and the refreshed cookie on ordinary API routes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import sign_cookie_value
from inbox.auth.models import AuthSession
from inbox.auth.sessions import (
    clearing_cookies,
    lookup_session,
    ms_precision,
    parse_cookie_header,
    presented_token,
    session_cookie,
)
from inbox.core.db import utcnow
from inbox.settings import Settings
from tests.auth.conftest import COOKIE_NAME, ORIGIN, Client, SignedUp, set_cookies, sign_in, sign_up

CLEARING = [
    "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
]


async def _row(session: AsyncSession, token: str) -> AuthSession | None:
    stmt = select(AuthSession).where(AuthSession.token == token).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _age(
    session: AsyncSession, token: str, *, expires_in: timedelta, created_ago: timedelta = timedelta(0)
) -> None:
    """Move a session in time: expiresAt = now + expires_in, createdAt = now - created_ago."""
    now = utcnow()
    await session.execute(
        update(AuthSession)
        .where(AuthSession.token == token)
        .values(expires_at=now + expires_in, created_at=now - created_ago, updated_at=now - created_ago)
    )
    await session.commit()


async def test_get_session_answers(client: Client, settings: Settings, unique: str) -> None:
    user = await sign_up(client, f"gs-{unique}@example.com", name="Gina S")
    for cookie in (user.cookie, user.cookie.replace("%2F", "/").replace("%2B", "+").replace("%3D", "=")):
        response = await client.get("/api/auth/get-session", headers={"cookie": f"{COOKIE_NAME}={cookie}"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
        body = response.json()
        assert list(body) == ["session", "user"]
        assert list(body["session"]) == [
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
            "id",
        ]
        assert body["session"]["token"] == user.token and body["session"]["userId"] == user.user_id
        assert body["user"]["name"] == "Gina S"
        assert set_cookies(response) == []

    async def null(headers: dict[str, str]) -> list[str]:
        response = await client.get("/api/auth/get-session", headers=headers)
        assert (response.status_code, response.text) == (200, "null")
        assert response.headers["cache-control"] == "no-store"
        return set_cookies(response)

    assert await null({}) == []
    assert await null({"cookie": f"{COOKIE_NAME}={user.token}"}) == []  # unsigned
    assert await null({"cookie": f"{COOKIE_NAME}={user.token}.{'A' * 43}="}) == []  # wrong signature
    unknown = sign_cookie_value("N" * 32, settings.auth_secret)
    assert await null({"cookie": f"{COOKIE_NAME}={unknown}"}) == CLEARING  # signed, but no such session

    # A Bearer token works here too (as with Better Auth's bearer plugin).
    bearer = await client.get("/api/auth/get-session", headers={"authorization": f"Bearer {user.token}"})
    assert bearer.json()["session"]["token"] == user.token

    post = await client.post("/api/auth/get-session")
    assert (post.status_code, post.json()["code"]) == (405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")


async def test_refresh_when_older_than_update_age(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    user = await sign_up(client, f"refresh-{unique}@example.com")

    # Issued 12 hours ago: not refreshed.
    await _age(session, user.token, expires_in=timedelta(days=6, hours=12), created_ago=timedelta(hours=12))
    before = await _row(session, user.token)
    assert before is not None
    response = await client.get("/api/auth/get-session", headers=user.cookie_header)
    assert set_cookies(response) == []
    after = await _row(session, user.token)
    assert after is not None and after.expires_at == before.expires_at

    # Issued two days ago: extended to now + 7 days, cookie re-set with a full Max-Age.
    await _age(session, user.token, expires_in=timedelta(days=5), created_ago=timedelta(days=2))
    started = utcnow()
    response = await client.get("/api/auth/get-session", headers=user.cookie_header)
    assert set_cookies(response) == [f"{COOKIE_NAME}={user.cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]
    refreshed = await _row(session, user.token)
    assert refreshed is not None
    assert started + timedelta(days=7) - timedelta(seconds=1) <= refreshed.expires_at <= utcnow() + timedelta(days=7)
    assert response.json()["session"]["expiresAt"].startswith(refreshed.expires_at.strftime("%Y-%m-%dT%H:%M:%S"))

    # A valid dont_remember cookie means: never refresh.
    await _age(session, user.token, expires_in=timedelta(days=5), created_ago=timedelta(days=2))
    dont_remember = sign_cookie_value("true", settings.auth_secret)
    response = await client.get(
        "/api/auth/get-session",
        headers={"cookie": f"{COOKIE_NAME}={user.cookie}; better-auth.dont_remember={dont_remember}"},
    )
    assert response.json()["session"]["token"] == user.token
    assert set_cookies(response) == []


async def test_refreshed_cookie_on_an_ordinary_api_route(client: Client, session: AsyncSession, unique: str) -> None:
    """authenticate_request queues the new cookie; the app's before_send writes it."""
    user = await sign_up(client, f"api-refresh-{unique}@example.com")
    await _age(session, user.token, expires_in=timedelta(days=4), created_ago=timedelta(days=3))
    response = await client.get("/api/users/me", headers=user.cookie_header)
    assert response.status_code == 200
    assert set_cookies(response) == [f"{COOKIE_NAME}={user.cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]
    again = await client.get("/api/users/me", headers=user.cookie_header)
    assert set_cookies(again) == []
    # A Bearer session is refreshed too, but gets no cookie.
    await _age(session, user.token, expires_in=timedelta(days=4), created_ago=timedelta(days=3))
    bearer = await client.get("/api/users/me", headers={"authorization": f"Bearer {user.token}"})
    assert bearer.status_code == 200 and set_cookies(bearer) == []
    row = await _row(session, user.token)
    assert row is not None and row.expires_at > utcnow() + timedelta(days=6)


async def test_expired_session_is_deleted(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    user = await sign_up(client, f"expired-{unique}@example.com")
    await _age(session, user.token, expires_in=-timedelta(seconds=1), created_ago=timedelta(days=7))
    response = await client.get("/api/auth/get-session", headers=user.cookie_header)
    assert response.text == "null"
    assert set_cookies(response) == CLEARING
    assert await _row(session, user.token) is None
    assert (await client.get("/api/users/me", headers=user.cookie_header)).status_code == 401


async def test_lookup_session_with_a_given_now(
    session: AsyncSession, settings: Settings, client: Client, unique: str
) -> None:
    user = await sign_up(client, f"clock-{unique}@example.com")
    now = ms_precision(utcnow())
    assert (await lookup_session(session, settings, user.token, now=now)) is not None
    later = await lookup_session(session, settings, user.token, now=now + timedelta(days=2))
    assert later is not None and later.refreshed
    assert later.session.expires_at >= now + timedelta(days=9)
    assert await lookup_session(session, settings, user.token, now=now + timedelta(days=10)) is None
    assert await _row(session, user.token) is None


async def test_sign_out(client: Client, session: AsyncSession, unique: str) -> None:
    user = await sign_up(client, f"out-{unique}@example.com")
    no_origin = await client.post("/api/auth/sign-out", headers=user.cookie_header)
    assert (no_origin.status_code, no_origin.json()["code"]) == (403, "MISSING_OR_NULL_ORIGIN")
    assert await _row(session, user.token) is not None

    response = await client.post("/api/auth/sign-out", headers={**user.cookie_header, **ORIGIN})
    assert (response.status_code, response.text) == (200, '{"success":true}')
    assert set_cookies(response) == CLEARING
    assert await _row(session, user.token) is None
    assert (await client.get("/api/users/me", headers=user.cookie_header)).status_code == 401

    again = await client.post("/api/auth/sign-out", headers={**user.cookie_header, **ORIGIN})
    assert again.json() == {"success": True}
    anonymous = await client.post("/api/auth/sign-out", json={})
    assert (anonymous.status_code, set_cookies(anonymous)) == (200, CLEARING)


async def test_list_and_revoke_sessions(client: Client, session: AsyncSession, unique: str) -> None:
    email = f"multi-{unique}@example.com"
    first = await sign_up(client, email)
    second = await sign_in(client, email)
    other_user = await sign_up(client, f"other-{unique}@example.com")

    listed = await client.get("/api/auth/list-sessions", headers=first.cookie_header)
    assert listed.status_code == 200
    assert sorted(row["token"] for row in listed.json()) == sorted([first.token, second.token])
    assert all(row["userId"] == first.user_id for row in listed.json())
    assert (await client.get("/api/auth/list-sessions")).json() == {"message": "Unauthorized", "code": "UNAUTHORIZED"}

    # Another user's token is ignored silently.
    revoke_other = await client.post(
        "/api/auth/revoke-session", json={"token": other_user.token}, headers={**first.cookie_header, **ORIGIN}
    )
    assert revoke_other.json() == {"status": True}
    assert await _row(session, other_user.token) is not None

    revoke_second = await client.post(
        "/api/auth/revoke-session", json={"token": second.token}, headers={**first.cookie_header, **ORIGIN}
    )
    assert revoke_second.json() == {"status": True} and set_cookies(revoke_second) == []
    assert await _row(session, second.token) is None

    missing = await client.post("/api/auth/revoke-session", json={}, headers={**first.cookie_header, **ORIGIN})
    assert missing.json() == {
        "message": "[body.token] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    unauthenticated = await client.post("/api/auth/revoke-session", json={"token": first.token})
    assert (unauthenticated.status_code, unauthenticated.json()["code"]) == (401, "UNAUTHORIZED")
    foreign = await client.post(
        "/api/auth/revoke-session",
        json={"token": first.token},
        headers={**first.cookie_header, "origin": "https://evil.example"},
    )
    assert (foreign.status_code, foreign.json()["code"]) == (403, "INVALID_ORIGIN")

    revoke_self = await client.post(
        "/api/auth/revoke-session", json={"token": first.token}, headers={**first.cookie_header, **ORIGIN}
    )
    assert revoke_self.json() == {"status": True} and set_cookies(revoke_self) == CLEARING
    assert await _row(session, first.token) is None


async def test_list_sessions_needs_a_fresh_session(client: Client, session: AsyncSession, unique: str) -> None:
    user: SignedUp = await sign_up(client, f"stale-{unique}@example.com")
    await _age(session, user.token, expires_in=timedelta(days=6, hours=23), created_ago=timedelta(hours=25))
    response = await client.get("/api/auth/list-sessions", headers=user.cookie_header)
    assert (response.status_code, response.json()) == (
        403,
        {"message": "Session is not fresh", "code": "SESSION_NOT_FRESH"},
    )


def test_cookies_on_an_https_base_url(settings: Settings) -> None:
    secure = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"base_url": "https://inbox.example"})}
    )
    value = sign_cookie_value("T" * 32, secure.auth_secret)
    assert session_cookie(secure, "T" * 32) == (
        f"__Secure-better-auth.session_token={value}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"
    )
    assert (
        clearing_cookies(secure)[0]
        == "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"
    )
    # Only the prefixed name counts on https.
    assert presented_token(secure, {"cookie": f"__Secure-better-auth.session_token={value}"}).token == "T" * 32
    assert presented_token(secure, {"cookie": f"better-auth.session_token={value}"}).token is None


def test_cookie_header_parsing_follows_better_call(settings: Settings) -> None:
    first = sign_cookie_value("A" * 32, settings.auth_secret)
    second = sign_cookie_value("B" * 32, settings.auth_secret)
    header = f'theme=dark; {COOKIE_NAME}="{first}"; {COOKIE_NAME}={second}'
    assert parse_cookie_header(header)[COOKIE_NAME] == first  # the first occurrence wins, quotes dropped
    presented = presented_token(settings, {"cookie": header})
    assert (presented.token, presented.from_cookie, presented.dont_remember) == ("A" * 32, True, False)
    bearer = presented_token(settings, {"authorization": f"Bearer {second}", "cookie": header})
    assert (bearer.token, bearer.from_cookie) == ("B" * 32, False)
    forged = sign_cookie_value("true", "another secret")
    assert not presented_token(settings, {"cookie": f"better-auth.dont_remember={forged}"}).dont_remember

"""Sessions, as Better Auth keeps them.

A session is a row in ``session`` whose ``token`` a client presents either
in the signed ``better-auth.session_token`` cookie or as ``Authorization:
Bearer <token>``. A session lives ``session_days`` (one day when the user
asked not to be remembered); a request whose session's ``expiresAt`` lies
less than ``session_days - update_age_hours`` ahead extends it to a full
lifetime (and re-sets the cookie) - Better Auth derives the last refresh from
``expiresAt``, not from ``updatedAt``. A request that also carries a valid
``dont_remember`` cookie never refreshes. Expired sessions are deleted when
seen. A deactivated profile has no working session, whatever its rows say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import (
    SECURE_COOKIE_PREFIX,
    generate_id,
    generate_session_token,
    sign_cookie_value,
    unsign_cookie_value,
)
from inbox.auth.models import AuthSession, AuthUser
from inbox.core.db import utcnow
from inbox.core.principal import Principal, Role
from inbox.settings import Settings
from inbox.users.models import User

SET_COOKIE_STATE_KEY = "set_cookie_headers"
PRINCIPAL_STATE_KEY = "principal"

SESSION_TOKEN_COOKIE = "session_token"  # noqa: S105 (a cookie name)
SESSION_DATA_COOKIE = "session_data"
DONT_REMEMBER_COOKIE = "dont_remember"
# The lifetime of a session whose user unticked "remember me".
DONT_REMEMBER_LIFETIME = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SessionLookup:
    principal: Principal
    session: AuthSession
    auth_user: AuthUser
    profile: User
    refreshed: bool


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """What a request presents: ``token`` is None when there is no credential
    or its signature is wrong; ``from_cookie`` says where it came from."""

    token: str | None
    from_cookie: bool
    dont_remember: bool


def ms_precision(moment: datetime) -> datetime:
    """``moment`` cut to milliseconds, the precision of a JavaScript Date."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def cookie_name(settings: Settings, suffix: str) -> str:
    """``better-auth.<suffix>``, ``__Secure-`` prefixed on an https base URL."""
    name = f"better-auth.{suffix}"
    return SECURE_COOKIE_PREFIX + name if _secure(settings) else name


def _secure(settings: Settings) -> bool:
    return settings.auth.base_url.startswith("https://")


def _set_cookie(settings: Settings, suffix: str, value: str, max_age: int | None) -> str:
    # Better Auth's attribute order: Max-Age; Path; HttpOnly; [Secure]; SameSite.
    parts = [f"{cookie_name(settings, suffix)}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["Path=/", "HttpOnly"]
    if _secure(settings):
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


def session_cookie(settings: Settings, token: str | None, *, remember: bool = True) -> str:
    """A ``Set-Cookie`` value for ``token``; None clears the cookie. A session
    that is not remembered gets a browser-session cookie (no Max-Age)."""
    if token is None:
        return _set_cookie(settings, SESSION_TOKEN_COOKIE, "", 0)
    max_age = settings.auth.session_days * 86400 if remember else None
    return _set_cookie(settings, SESSION_TOKEN_COOKIE, sign_cookie_value(token, settings.auth_secret), max_age)


def sign_in_cookies(settings: Settings, token: str, *, remember: bool) -> list[str]:
    """The cookies a sign-in (or sign-up) sets."""
    cookies = [session_cookie(settings, token, remember=remember)]
    if not remember:
        signed = sign_cookie_value("true", settings.auth_secret)
        cookies.append(_set_cookie(settings, DONT_REMEMBER_COOKIE, signed, None))
    return cookies


def clearing_cookies(settings: Settings) -> list[str]:
    """The three cookies Better Auth clears on sign-out, in its order."""
    return [
        _set_cookie(settings, suffix, "", 0)
        for suffix in (SESSION_TOKEN_COOKIE, SESSION_DATA_COOKIE, DONT_REMEMBER_COOKIE)
    ]


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """Cookies as better-call reads them: the first occurrence of a name wins,
    double quotes around a value are dropped, values stay URL-encoded."""
    cookies: dict[str, str] = {}
    for pair in (header or "").split(";"):
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or name in cookies:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


def presented_token(settings: Settings, headers: Mapping[str, str]) -> PresentedToken:
    """The session token a request presents (Bearer first, then the cookie)."""
    cookies = parse_cookie_header(headers.get("cookie"))
    dont_remember_value = cookies.get(cookie_name(settings, DONT_REMEMBER_COOKIE))
    dont_remember = (
        bool(dont_remember_value) and unsign_cookie_value(dont_remember_value or "", settings.auth_secret) is not None
    )
    authorization = headers.get("authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        raw = authorization[7:].strip()
        # Better Auth's bearer plugin accepts the signed cookie value too.
        token = unsign_cookie_value(raw, settings.auth_secret) if "." in raw else raw
        return PresentedToken(token or None, from_cookie=False, dont_remember=dont_remember)
    cookie = cookies.get(cookie_name(settings, SESSION_TOKEN_COOKIE))
    if cookie:
        return PresentedToken(unsign_cookie_value(cookie, settings.auth_secret), True, dont_remember)
    return PresentedToken(None, from_cookie=False, dont_remember=dont_remember)


async def create_session(
    session: AsyncSession,
    settings: Settings,
    auth_user_id: str,
    *,
    ip_address: str | None,
    user_agent: str | None,
    remember: bool = True,
    now: datetime | None = None,
) -> AuthSession:
    now = ms_precision(now or utcnow())
    lifetime = timedelta(days=settings.auth.session_days) if remember else DONT_REMEMBER_LIFETIME
    row = AuthSession(
        id=generate_id(),
        token=generate_session_token(),
        user_id=auth_user_id,
        expires_at=now + lifetime,
        ip_address=ip_address,
        user_agent=None if user_agent is None else user_agent[:512],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


# get-session and list-sessions load the rows they answer with: an index lookup on
# the unique session.token, then two primary/unique-key joins. Built once, not per request.
_SESSION_BY_TOKEN = (
    select(AuthSession, AuthUser, User)
    .join(AuthUser, AuthUser.id == AuthSession.user_id)
    .join(User, User.auth_user_id == AuthSession.user_id)
    .where(AuthSession.token == bindparam("token"))
)

# Every API request runs this one: the columns a principal is made of, as a Core
# statement (no entities to build). The profile's foreign key to "user" cascades,
# so a profile found here has its Better Auth identity.
_sessions, _profiles = AuthSession.__table__, User.__table__
_PRINCIPAL_BY_TOKEN = (
    select(
        _sessions.c.id,
        _sessions.c.expiresAt,
        _profiles.c.id,
        _profiles.c.auth_user_id,
        _profiles.c.workspace_id,
        _profiles.c.role,
        _profiles.c.email,
        _profiles.c.is_active,
    )
    .join(_profiles, _profiles.c.auth_user_id == _sessions.c.userId)
    .where(_sessions.c.token == bindparam("token"))
)


def _refresh_due(settings: Settings, expires_at: datetime, now: datetime) -> bool:
    """Better Auth's ``updateAge`` rule: refresh once the session was last
    (re)started more than ``update_age_hours`` ago, as ``expiresAt`` tells."""
    lifetime = timedelta(days=settings.auth.session_days)
    return expires_at - lifetime + timedelta(hours=settings.auth.update_age_hours) <= now


async def _forget(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(AuthSession).where(AuthSession.id == session_id))


async def lookup_session(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    now: datetime | None = None,
    refresh: bool = True,
) -> SessionLookup | None:
    """The live session of ``token`` with its rows, refreshed when due (and ``refresh``)."""
    now = ms_precision(now or utcnow())
    row = (await session.execute(_SESSION_BY_TOKEN, {"token": token})).one_or_none()
    if row is None:
        return None
    auth_session, auth_user, user = row
    if auth_session.expires_at <= now:
        await _forget(session, auth_session.id)
        return None
    if not user.is_active:
        return None
    refreshed = refresh and _refresh_due(settings, auth_session.expires_at, now)
    if refreshed:
        auth_session.expires_at = now + timedelta(days=settings.auth.session_days)
        auth_session.updated_at = now
        await session.flush()
    principal = Principal(
        user_id=user.id,
        auth_user_id=user.auth_user_id,
        workspace_id=user.workspace_id,
        role=Role(user.role),
        email=user.email,
        session_id=auth_session.id,
    )
    return SessionLookup(
        principal=principal, session=auth_session, auth_user=auth_user, profile=user, refreshed=refreshed
    )


async def lookup_principal(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    now: datetime | None = None,
    refresh: bool = True,
) -> tuple[Principal, bool] | None:
    """What ``lookup_session`` decides (expired: deleted; deactivated: refused;
    refreshed when due), from one statement that reads only the principal's
    columns: the path of every API request. Returns the principal and whether
    the session was refreshed."""
    now = ms_precision(now or utcnow())
    row = (await session.execute(_PRINCIPAL_BY_TOKEN, {"token": token})).one_or_none()
    if row is None:
        return None
    session_id, expires_at, user_id, auth_user_id, workspace_id, role, email, is_active = row
    if expires_at <= now:
        await _forget(session, session_id)
        return None
    if not is_active:
        return None
    refreshed = refresh and _refresh_due(settings, expires_at, now)
    if refreshed:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id)
            .values(expires_at=now + timedelta(days=settings.auth.session_days), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    principal = Principal(
        user_id=user_id,
        auth_user_id=auth_user_id,
        workspace_id=workspace_id,
        role=Role(role),
        email=email,
        session_id=session_id,
    )
    return principal, refreshed


def queue_cookies(request: Any, cookies: list[str]) -> None:
    """Add ``Set-Cookie`` values to the response of ``request`` (the app's
    ``before_send`` hook writes them)."""
    state = request.scope.setdefault("state", {})
    state.setdefault(SET_COOKIE_STATE_KEY, []).extend(cookies)


async def current_session(session: AsyncSession, request: Any, *, now: datetime | None = None) -> SessionLookup | None:
    """The session of a Litestar request, or None. A refreshed cookie session
    gets its new cookie queued for the response."""
    settings: Settings = request.app.state.settings
    presented = presented_token(settings, request.headers)
    if not presented.token:
        return None
    found = await lookup_session(session, settings, presented.token, now=now, refresh=not presented.dont_remember)
    if found is None:
        return None
    if found.refreshed and presented.from_cookie:
        queue_cookies(request, [session_cookie(settings, found.session.token)])
    request.scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = found.principal
    return found


async def authenticate_request(session: AsyncSession, request: Any, *, now: datetime | None = None) -> Principal | None:
    """The principal of a Litestar request, or None. Like ``current_session``,
    a refreshed cookie session gets its new cookie queued for the response."""
    settings: Settings = request.app.state.settings
    presented = presented_token(settings, request.headers)
    if not presented.token:
        return None
    found = await lookup_principal(session, settings, presented.token, now=now, refresh=not presented.dont_remember)
    if found is None:
        return None
    principal, refreshed = found
    if refreshed and presented.from_cookie:
        queue_cookies(request, [session_cookie(settings, presented.token)])
    request.scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
    return principal


async def delete_user_sessions(session: AsyncSession, auth_user_id: str, *, keep_token: str | None = None) -> None:
    """Sign ``auth_user_id`` out everywhere (but the session of ``keep_token``)."""
    stmt = delete(AuthSession).where(AuthSession.user_id == auth_user_id)
    if keep_token is not None:
        stmt = stmt.where(AuthSession.token != keep_token)
    await session.execute(stmt)

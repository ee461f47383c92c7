"""Sessions, as Better Auth keeps them.

A session is a row in ``session`` whose ``token`` a client presents either
in the signed ``better-auth.session_token`` cookie or as ``Authorization:
Bearer <token>``. A session lives ``session_days``; a request that comes more
than ``update_age_hours`` after the last refresh extends it (and re-sets the
cookie). Expired sessions are deleted when seen. A deactivated profile has no
working session, whatever its rows say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import (
    generate_id,
    generate_session_token,
    session_cookie_name,
    sign_cookie_value,
    unsign_cookie_value,
)
from inbox.auth.models import AuthSession
from inbox.core.db import utcnow
from inbox.core.principal import Principal, Role
from inbox.settings import Settings
from inbox.users.models import User

SET_COOKIE_STATE_KEY = "set_cookie_headers"
PRINCIPAL_STATE_KEY = "principal"


@dataclass(frozen=True, slots=True)
class SessionLookup:
    principal: Principal
    session: AuthSession
    refreshed: bool


def session_cookie(settings: Settings, token: str | None) -> str:
    """A ``Set-Cookie`` value for ``token``; None clears the cookie."""
    name = session_cookie_name(settings.auth.base_url)
    secure = settings.auth.base_url.startswith("https://")
    if token is None:
        value, max_age = "", 0
    else:
        value, max_age = sign_cookie_value(token, settings.auth_secret), settings.auth.session_days * 86400
    parts = [f"{name}={value}", f"Max-Age={max_age}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def token_from_headers(settings: Settings, headers: Any, cookies: dict[str, str]) -> tuple[str | None, bool]:
    """The session token a request presents, and whether it came in a cookie."""
    authorization: str | None = headers.get("authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        raw = authorization[7:].strip()
        # Better Auth's bearer plugin accepts the signed cookie value too.
        token = unsign_cookie_value(raw, settings.auth_secret) if "." in raw else raw
        return token, False
    cookie = cookies.get(session_cookie_name(settings.auth.base_url))
    if cookie:
        return unsign_cookie_value(cookie, settings.auth_secret), True
    return None, False


async def create_session(
    session: AsyncSession,
    settings: Settings,
    auth_user_id: str,
    *,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> AuthSession:
    now = now or utcnow()
    row = AuthSession(
        id=generate_id(),
        token=generate_session_token(),
        user_id=auth_user_id,
        expires_at=now + timedelta(days=settings.auth.session_days),
        ip_address=ip_address,
        user_agent=(user_agent or "")[:512] or None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def lookup_session(
    session: AsyncSession, settings: Settings, token: str, *, now: datetime | None = None
) -> SessionLookup | None:
    now = now or utcnow()
    stmt = (
        select(AuthSession, User).join(User, User.auth_user_id == AuthSession.user_id).where(AuthSession.token == token)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    auth_session, user = row.tuple()
    if auth_session.expires_at <= now:
        await session.execute(delete(AuthSession).where(AuthSession.id == auth_session.id))
        return None
    if not user.is_active:
        return None
    lifetime = timedelta(days=settings.auth.session_days)
    update_age = timedelta(hours=settings.auth.update_age_hours)
    refreshed = auth_session.expires_at - lifetime + update_age <= now
    if refreshed:
        auth_session.expires_at = now + lifetime
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
    return SessionLookup(principal=principal, session=auth_session, refreshed=refreshed)


async def authenticate_request(session: AsyncSession, request: Any) -> Principal | None:
    """The principal of a Litestar request, or None. A refreshed cookie
    session gets its new cookie queued for the response."""
    settings: Settings = request.app.state.settings
    token, from_cookie = token_from_headers(settings, request.headers, request.cookies)
    if not token:
        return None
    found = await lookup_session(session, settings, token)
    if found is None:
        return None
    state = request.scope.setdefault("state", {})
    if found.refreshed and from_cookie:
        state.setdefault(SET_COOKIE_STATE_KEY, []).append(session_cookie(settings, found.session.token))
    state[PRINCIPAL_STATE_KEY] = found.principal
    return found.principal

"""Dependencies every route shares: the request's unit of work, the
authenticated principal, list parameters and role guards."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.schemas import is_trusted_url, origin_of
from inbox.auth.sessions import authenticate_request, presented_token
from inbox.core.db import Database
from inbox.core.errors import Forbidden, Unauthorized
from inbox.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from inbox.core.principal import Principal, Role
from inbox.settings import Settings

DB_SESSION_STATE_KEY = "_inbox_db_session"


async def close_abandoned_session(_: BaseException, scope: Scope) -> None:
    """Litestar skips the cleanup of dependencies already resolved when a later
    one raises (a 401 from ``principal``, a 403 from ``admin``): close (roll back)
    that request's session here, or its connection stays checked out."""
    session: AsyncSession | None = scope.get("state", {}).pop(DB_SESSION_STATE_KEY, None)
    if session is not None:
        await session.close()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db_session(state: State, scope: Scope) -> AsyncGenerator[AsyncSession, None]:
    """One transaction per request: committed when the handler succeeds,
    rolled back when it raises. Jobs enqueued during the request are sent by
    the session's after-commit hook, so a rolled-back request enqueues nothing.
    A safe method reads without a transaction (see ``Database.read_sessionmaker``)."""
    database: Database = state.database
    factory = database.read_sessionmaker if scope.get("method") in SAFE_METHODS else database.sessionmaker
    async with factory() as session:
        scope.setdefault("state", {})[DB_SESSION_STATE_KEY] = session
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
        finally:
            scope["state"].pop(DB_SESSION_STATE_KEY, None)


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def check_cookie_origin(request: Request[object, object, State], settings: Settings) -> None:
    """A state-changing request that authenticates with the session cookie must
    come from our own origin (CSRF defence beyond SameSite=Lax); Bearer clients
    are not a browser's ambient credential and need no such check."""
    if request.method in SAFE_METHODS:
        return
    presented = presented_token(settings, request.headers)
    if not presented.from_cookie:
        return
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    trusted = origin_of(settings.auth.base_url)
    if (
        not origin
        or origin == "null"
        or trusted is None
        or not is_trusted_url(origin, (trusted,), allow_relative=False)
    ):
        raise Forbidden("a cookie-authenticated change must come from this site (Origin or Referer header)")


async def provide_principal(
    request: Request[object, object, State], db_session: NamedDependency[AsyncSession]
) -> Principal:
    """The signed-in user, from the session cookie or a Bearer token; 401 otherwise."""
    principal = await authenticate_request(db_session, request)
    if principal is None:
        raise Unauthorized("sign in first: no valid session cookie or Bearer token")
    check_cookie_origin(request, request.app.state.settings)
    return principal


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int
    cursor: str | None
    sort: str | None


def provide_list_params(
    principal: NamedDependency[Principal],
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, QueryParameter(max_length=512, description="next_cursor of the previous page")
    ] = None,
    sort: Annotated[
        str | None, QueryParameter(max_length=64, description="field to sort by, prefix - for descending")
    ] = None,
) -> ListParams:
    """Taken after ``principal``: a request without a session is refused (401)
    before its parameters are checked, and the route's dependencies form one
    chain (Litestar resolves independent ones concurrently, a task each)."""
    return ListParams(limit=limit, cursor=cursor, sort=sort)


def provide_admin(principal: NamedDependency[Principal]) -> Principal:
    """The principal, who must be a workspace admin (403 otherwise)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("only a workspace admin can do this")
    return principal


def provide_manager(principal: NamedDependency[Principal]) -> Principal:
    """The principal, who must be a manager or an admin (403 otherwise)."""
    if not principal.sees_whole_workspace:
        raise Forbidden("only a manager or an admin can do this")
    return principal

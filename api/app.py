"""The Litestar application: JSON API under /api, Better Auth-compatible auth
under /api/auth, OpenAPI under /schema."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import Message, Scope

from api import routes, web
from api.deps import (
    close_abandoned_session,
    provide_admin,
    provide_db_session,
    provide_list_params,
    provide_manager,
    provide_principal,
    provide_settings,
)
from api.errors import EXCEPTION_HANDLERS
from inbox.auth.sessions import SET_COOKIE_STATE_KEY
from inbox.core.db import Database
from inbox.core.errors import InvalidInput
from inbox.settings import Settings, get_settings


@get("/health", include_in_schema=False, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


async def _refuse_nul(request: Request[Any, Any, Any]) -> None:
    """No text a client sends may hold NUL (PostgreSQL cannot store or compare
    it): refused here for the path and query string, once for every route;
    request bodies are checked by their schemas. A coroutine, because Litestar
    runs a plain function hook in a worker thread (a thread hop per request)."""
    query = request.scope.get("query_string", b"")
    if "\x00" in request.scope["path"] or b"\x00" in query or b"%00" in query.lower():
        raise InvalidInput("the URL must not contain NUL characters (%00)")


async def _append_cookies(message: Message, scope: Scope) -> None:
    """Set-Cookie headers that the auth layer queued (a refreshed session)."""
    if message["type"] != "http.response.start":
        return
    cookies: list[str] = scope.get("state", {}).get(SET_COOKIE_STATE_KEY, [])
    if cookies:
        headers = MutableScopeHeaders.from_message(message)
        for cookie in cookies:
            headers.add("set-cookie", cookie)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    background: Callable[[Litestar], AbstractAsyncContextManager[None]] | None = None,
) -> Litestar:
    """The app. ``background`` is a lifespan entered after the database is open (``api.asgi`` passes the
    embedded mode's worker and ingestion there)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """Opens the database this process owns; a given one is the caller's."""
        if database is not None:
            yield
            return
        db = Database(
            settings.resolved_database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
        )
        app.state.database = db
        # What startup made (modules, the app, mappers: ~160,000 objects) lives as long as the
        # process: frozen out of the collector, a full collection stops requests for
        # milliseconds, not the 100+ ms of walking all of it.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await db.dispose()

    api = Router(
        path="/api",
        route_handlers=routes.API_HANDLERS,
        dependencies={
            "principal": Provide(provide_principal),
            "admin": Provide(provide_admin, sync_to_thread=False),
            "manager": Provide(provide_manager, sync_to_thread=False),
            "page": Provide(provide_list_params, sync_to_thread=False),
        },
        security=[{"session": []}, {"bearer": []}],
    )

    return Litestar(
        route_handlers=[health, api, *routes.PUBLIC_HANDLERS, web.web_router(), web.static_router()],
        template_config=web.template_config(),
        dependencies={
            "db_session": Provide(provide_db_session),
            "app_settings": Provide(provide_settings, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan, *([background] if background else [])],
        state=State({"settings": settings, "database": database}),
        before_send=[_append_cookies],
        before_request=_refuse_nul,
        after_exception=[close_abandoned_session],
        openapi_config=OpenAPIConfig(
            title="inbox",
            version="0.1.0",
            description="AI-assisted inbox triage for sales teams.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
            components=Components(
                security_schemes={
                    "session": SecurityScheme(
                        type="apiKey", name="better-auth.session_token", security_scheme_in="cookie"
                    ),
                    "bearer": SecurityScheme(type="http", scheme="bearer"),
                }
            ),
        ),
        debug=settings.server.debug,
        logging_config=None,
    )


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per HTTP request the LLM and Gmail clients make is noise at INFO (and costs the worker).
    for name in ("httpx", "httpcore", "openai"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

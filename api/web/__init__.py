"""The web inbox: server-rendered pages (Jinja) enhanced with htmx, under ``/``."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from api.web.actions_pages import ActionPages
from api.web.auth_pages import AuthPages
from api.web.common import WEB_DIR, SignInRequired, provide_web_principal, sign_in_redirect, template_config
from api.web.dashboard_pages import DashboardPages
from api.web.inbox_pages import InboxPages
from api.web.template_pages import TemplatePages

# Pages that need a signed-in user take ``web_principal``; a missing session redirects to /sign-in.
PAGE_CONTROLLERS: list[ControllerRouterHandler] = [InboxPages, ActionPages, DashboardPages, TemplatePages]


def web_router() -> Router:
    return Router(
        path="/",
        route_handlers=[AuthPages, *PAGE_CONTROLLERS],
        dependencies={"web_principal": Provide(provide_web_principal)},
        exception_handlers={SignInRequired: sign_in_redirect},
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(
        path="/static", directories=[WEB_DIR / "static"], include_in_schema=False, cache_control=None
    )


__all__ = ["static_router", "template_config", "web_router"]

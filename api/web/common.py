"""What every page of the web inbox shares: who is signed in, CSRF, templates, security headers.

Pages are server-rendered (Jinja) and enhanced with htmx; they authenticate
with the same session cookie as the API. A page without a session redirects
to the sign-in page (an htmx request gets ``HX-Redirect``). A state-changing
request must come from our own origin, as for the API (``check_cookie_origin``).

Every page is sent with a Content-Security-Policy that allows only our own
scripts, styles and images; email HTML is shown only inside a sandboxed frame
whose document has a stricter policy of its own (see ``messages.py``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import check_cookie_origin
from inbox.auth.sessions import authenticate_request
from inbox.core.principal import Principal
from inbox.users.models import User

WEB_DIR = Path(__file__).parent
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "content-security-policy": PAGE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
AnyRequest = Request[Any, Any, State]


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in page."""


def sign_in_redirect(request: AnyRequest, _: SignInRequired) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/sign-in?{urlencode({'next': target})}" if target not in ("/", "") else "/sign-in"
    if request.headers.get("hx-request"):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


async def provide_web_principal(request: AnyRequest, db_session: NamedDependency[AsyncSession]) -> Principal:
    principal = await authenticate_request(db_session, request)
    if principal is None:
        raise SignInRequired
    check_cookie_origin(request, request.app.state.settings)
    return principal


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    def setup(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        env.globals["quote"] = quote
        env.filters["ago"] = ago
        env.filters["when"] = when
        env.filters["initials"] = initials

    return TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine, engine_callback=setup)


def page(name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=name, context=context, status_code=status_code, headers=PAGE_HEADERS)


def is_htmx(request: AnyRequest) -> bool:
    return bool(request.headers.get("hx-request"))


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, //host) goes to the inbox."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def ago(at: datetime | None, now: datetime | None = None) -> str:
    if at is None:
        return ""
    now = now or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 86400 * 7:
        return f"{int(seconds // 86400)}d"
    return at.strftime("%d %b")


def when(at: datetime | None) -> str:
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.strftime("%a %d %b %Y, %H:%M UTC")


def initials(name: str | None) -> str:
    parts = [part for part in (name or "").replace("@", " ").split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


async def current_user(session: AsyncSession, principal: Principal) -> User | None:
    return await session.get(User, principal.user_id)


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None

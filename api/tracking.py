"""The tracking links in outbound mail: public, no session, the signed token is the only authority.

- ``GET/HEAD /t/o/{token}``: the open pixel, a 1x1 transparent GIF that is
  never cached. Always 200, whatever the token: a forged one records nothing.
- ``GET/HEAD /t/c/{token}``: a click; 302 to the URL the token carries (never
  to one taken from the query: no open redirect). A forged token is a 404.
- ``GET /u/{token}``: a page asking to confirm, with a button (a form POST):
  a GET changes nothing, so link scanners that follow it unsubscribe no one.
- ``POST /u/{token}``: unsubscribes. This is also RFC 8058's one-click POST
  (body ``List-Unsubscribe=One-Click``), which mail providers send from their
  servers without cookies: it needs no session and no Origin, and answers 200.
  Repeating it changes nothing.

Recipient-facing, not part of the client API: left out of the OpenAPI
document, like the provider webhooks. The workspace is the one of the email
the verified token names.
"""

from __future__ import annotations

import html
import ipaddress
import logging
from typing import Any
from urllib.parse import quote

from litestar import HttpMethod, MediaType, Request, Response, get, post, route
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import client_ip
from inbox.core.db import Database, utcnow
from inbox.core.errors import NotFound
from inbox.settings import Settings
from inbox.tracking import service
from inbox.tracking.machine import Hit
from inbox.tracking.tokens import TokenKind, TrackingToken

logger = logging.getLogger(__name__)

AnyRequest = Request[Any, Any, State]
# The smallest transparent GIF: 1x1, one transparent colour.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
NO_CACHE = {
    "cache-control": "no-store, no-cache, must-revalidate, max-age=0, private",
    "pragma": "no-cache",
    "expires": "0",
}
PAGE_HEADERS = {
    **NO_CACHE,
    "content-security-policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
# RFC 8058's body is one short form field; a browser's form adds nothing much.
MAX_UNSUBSCRIBE_BODY_BYTES = 16 * 1024
INVALID_LINK = "This link is not valid."
# Characters a Location header keeps as they are; anything else (non-ASCII, spaces) is percent-encoded.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


def _verified(settings: Settings, token: str, kind: TokenKind) -> TrackingToken | None:
    return service.token_signer(settings).verify(token, kind)


def _hit(request: AnyRequest, settings: Settings) -> Hit:
    address: str | None = client_ip(request, settings)
    try:
        address = str(ipaddress.ip_address(address or ""))
    except ValueError:
        address = None
    return Hit(
        method=request.method,
        at=utcnow(),
        ip_address=address,
        user_agent=request.headers.get("user-agent"),
    )


def _database(request: AnyRequest) -> Database:
    database: Database = request.app.state.database
    return database


@route(
    "/t/o/{token:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
)
async def open_pixel(
    request: AnyRequest, app_settings: NamedDependency[Settings], token: FromPath[str]
) -> Response[bytes]:
    """Record an open (a person's or a machine's) and answer the pixel."""
    verified = _verified(app_settings, token, TokenKind.OPEN)
    if verified is not None:
        try:
            async with _database(request).transaction() as session:
                await service.record_open(session, verified, _hit(request, app_settings))
        except OperationalError as exc:  # the image must load all the same; the open is lost
            logger.warning("open of email %s not recorded: %s", verified.email_id, exc)
    return Response(PIXEL_GIF, media_type="image/gif", headers=NO_CACHE)


@route(
    "/t/c/{token:str}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
)
async def click_redirect(
    request: AnyRequest, app_settings: NamedDependency[Settings], token: FromPath[str]
) -> Response[str]:
    """Record a click and send the reader on to the link's URL."""
    verified = _verified(app_settings, token, TokenKind.CLICK)
    if verified is None or verified.url is None:
        return Response(INVALID_LINK, status_code=404, media_type=MediaType.TEXT, headers=NO_CACHE)
    try:
        async with _database(request).transaction() as session:
            await service.record_click(session, verified, _hit(request, app_settings))
    except OperationalError as exc:  # the reader still gets where the link goes; the click is lost
        logger.warning("click of email %s not recorded: %s", verified.email_id, exc)
    location = quote(verified.url, safe=_URL_SAFE)
    return Response("", status_code=302, media_type=MediaType.TEXT, headers={**NO_CACHE, "location": location})


def _page(title: str, body: str, status_code: int = 200) -> Response[str]:
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}"
        "button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )
    return Response(document, status_code=status_code, media_type=MediaType.HTML, headers=PAGE_HEADERS)


@get("/u/{token:str}", include_in_schema=False)
async def unsubscribe_page(app_settings: NamedDependency[Settings], token: FromPath[str]) -> Response[str]:
    """Ask the reader to confirm: unsubscribing takes a POST."""
    if _verified(app_settings, token, TokenKind.UNSUBSCRIBE) is None:
        return _page(INVALID_LINK, "<p>Nothing was changed.</p>", status_code=404)
    return _page(
        "Unsubscribe",
        "<p>Stop receiving these emails?</p>"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    )


@post(
    "/u/{token:str}",
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_UNSUBSCRIBE_BODY_BYTES,
)
async def unsubscribe(
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    token: FromPath[str],
) -> Response[str]:
    """Unsubscribe the recipient (a browser's form or a mail provider's RFC 8058 POST; the body is not needed)."""
    verified = _verified(app_settings, token, TokenKind.UNSUBSCRIBE)
    if verified is None:
        return _page(INVALID_LINK, "<p>Nothing was changed.</p>", status_code=404)
    try:
        await service.unsubscribe(db_session, verified, _hit(request, app_settings))
    except NotFound:  # the email was deleted: nothing left to say who to unsubscribe
        return _page(INVALID_LINK, "<p>This link no longer works; reply to the email to be removed.</p>", 404)
    return _page("You are unsubscribed", "<p>You will not receive these emails any more.</p>")


TRACKING_HANDLERS: list[ControllerRouterHandler] = [open_pixel, click_redirect, unsubscribe_page, unsubscribe]

"""Better Auth's email and password endpoints under /api/auth.

Requests and answers match Better Auth 1.7 byte for byte (bodies, status
codes, ``{"message", "code"}`` errors, cookies), including its CSRF rules: a
POST that carries cookies must come from a trusted origin (the base URL's),
and so must a sign-in or sign-up whose browser sends Fetch Metadata or an
Origin. Bodies are read and validated here rather than by Litestar, because
the error messages are Better Auth's (zod's), not ours.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth import service
from inbox.auth.rate_limit import SignInLimiter
from inbox.auth.schemas import (
    SIGN_IN_MEDIA_TYPES,
    AuthError,
    RequestPasswordReset,
    ResetPassword,
    SignIn,
    SignUp,
    is_trusted_url,
    origin_of,
    parse_body,
    parse_revoke_session,
    parse_sign_out,
    session_json,
    user_json,
    validation_error,
)
from inbox.auth.sessions import (
    clearing_cookies,
    current_session,
    lookup_session,
    presented_token,
    queue_cookies,
    session_cookie,
    sign_in_cookies,
)
from inbox.core.errors import RateLimited
from inbox.settings import Settings

LIMITER_STATE_KEY = "sign_in_limiter"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}

AnyRequest = Request[Any, Any, State]


def _json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    body = b"null" if content is None else content
    return Response(content=body, status_code=status_code, media_type=MediaType.JSON, headers=headers)


def auth_error_handler(_: AnyRequest, exc: AuthError) -> Response[Any]:
    return _json(exc.to_dict(), exc.status_code, exc.headers or None)


def rate_limited_handler(_: AnyRequest, exc: RateLimited) -> Response[Any]:
    retry_after = str(exc.retry_after)
    body = {"message": exc.message, "code": exc.code}
    # Retry-After for HTTP clients, X-Retry-After for Better Auth's client.
    return _json(body, 429, {"Retry-After": retry_after, "X-Retry-After": retry_after})


def sign_in_limiter(state: State, settings: Settings) -> SignInLimiter:
    limiter: SignInLimiter | None = state.get(LIMITER_STATE_KEY)
    if limiter is None:
        limiter = SignInLimiter.from_settings(settings)
        state[LIMITER_STATE_KEY] = limiter
    return limiter


def client_ip(request: AnyRequest, settings: Settings) -> str:
    """The client's address; with ``trust_forwarded_for``, the one the proxy
    in front of us saw (the last X-Forwarded-For entry, the one it added)."""
    forwarded = request.headers.get("x-forwarded-for")
    if settings.auth.trust_forwarded_for and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.client.host if request.client else ""


def _trusted_origins(settings: Settings) -> tuple[str, ...]:
    origin = origin_of(settings.auth.base_url)
    return (origin,) if origin else ()


def _validate_origin(request: AnyRequest, settings: Settings, *, force: bool = False) -> None:
    if not (force or "cookie" in request.headers):
        return
    header = request.headers.get("origin") or request.headers.get("referer") or ""
    if not header or header == "null":
        raise AuthError(403, "Missing or null Origin", "MISSING_OR_NULL_ORIGIN")
    if not is_trusted_url(header, _trusted_origins(settings), allow_relative=False):
        raise AuthError(403, "Invalid origin", "INVALID_ORIGIN")


def _check_request_origin(request: AnyRequest, settings: Settings, body: Any) -> None:
    """Better Auth's origin-check middleware, which every POST goes through:
    the origin (when cookies are sent), then any redirect target in the body."""
    _validate_origin(request, settings)
    fields = body if isinstance(body, dict) else {}
    targets = (
        (
            "callbackURL",
            fields.get("callbackURL") or request.query_params.get("callbackURL"),
            "Invalid callbackURL",
            "INVALID_CALLBACK_URL",
        ),
        ("redirectURL", fields.get("redirectTo"), "Invalid redirectURL", "INVALID_REDIRECT_URL"),
    )
    for label, url, message, code in targets:
        if not url:
            continue
        if not isinstance(url, str):
            raise AuthError(400, f"Invalid {label}: expected a string", "BAD_REQUEST")
        if not is_trusted_url(url, _trusted_origins(settings), allow_relative=True):
            raise AuthError(403, message, code)


def _check_form_csrf(request: AnyRequest, settings: Settings) -> None:
    """Sign-in and sign-up without cookies: block cross-site navigations, and
    check the origin whenever the browser says where the request comes from."""
    headers = request.headers
    if "cookie" in headers:
        _validate_origin(request, settings)
        return
    site, mode, dest = (headers.get(f"sec-fetch-{name}") or "" for name in ("site", "mode", "dest"))
    if site.strip() or mode.strip() or dest.strip():
        if site == "cross-site" and mode == "navigate":
            raise AuthError(
                403,
                "Cross-site navigation login blocked. This request appears to be a CSRF attack.",
                "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
            )
        _validate_origin(request, settings, force=True)
    elif headers.get("origin") or headers.get("referer"):
        _validate_origin(request, settings, force=True)


async def _read_body(request: AnyRequest, allowed: tuple[str, ...] | None = None) -> Any:
    return parse_body(request.headers.get("content-type"), await request.body(), allowed)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]
    exception_handlers = {AuthError: auth_error_handler, RateLimited: rate_limited_handler}

    @post("/sign-up/email", status_code=200)
    async def sign_up(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """Create an account with email and password; sets the session cookie.
        An invited address joins the inviting workspace; anyone else founds one."""
        body = await _read_body(request, SIGN_IN_MEDIA_TYPES)
        _check_request_origin(request, app_settings, body)
        data = SignUp.parse(body)
        _check_form_csrf(request, app_settings)
        signed_in = await service.sign_up(
            db_session,
            app_settings,
            data,
            ip_address=client_ip(request, app_settings),
            user_agent=request.headers.get("user-agent", ""),
        )
        queue_cookies(request, sign_in_cookies(app_settings, signed_in.session.token, remember=data.remember_me))
        return _json({"token": signed_in.session.token, "user": user_json(signed_in.user)})

    @post("/sign-in/email", status_code=200)
    async def sign_in(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        state: State,
    ) -> Response[Any]:
        """Sign in with email and password; sets the session cookie. Throttled
        per client IP and per address (429 with Retry-After)."""
        body = await _read_body(request, SIGN_IN_MEDIA_TYPES)
        _check_request_origin(request, app_settings, body)
        data = SignIn.parse(body)
        _check_form_csrf(request, app_settings)
        ip = client_ip(request, app_settings)
        signed_in = await service.sign_in(
            db_session,
            app_settings,
            sign_in_limiter(state, app_settings),
            data,
            client_ip=ip,
            ip_address=ip,
            user_agent=request.headers.get("user-agent", ""),
        )
        queue_cookies(request, sign_in_cookies(app_settings, signed_in.session.token, remember=data.remember_me))
        content: dict[str, Any] = {"redirect": bool(data.callback_url), "token": signed_in.session.token}
        headers = None
        if data.callback_url:
            content["url"] = data.callback_url
            headers = {"location": data.callback_url}
        content["user"] = user_json(signed_in.user)
        return _json(content, headers=headers)

    @post("/sign-out", status_code=200)
    async def sign_out(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """End the current session (if any) and clear the cookies."""
        body = await _read_body(request)
        _check_request_origin(request, app_settings, body)
        parse_sign_out(body)
        await service.sign_out(db_session, presented_token(app_settings, request.headers).token)
        queue_cookies(request, clearing_cookies(app_settings))
        return _json({"success": True})

    @get("/get-session")
    async def get_session(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """The current session and user, or ``null``."""
        presented = presented_token(app_settings, request.headers)
        if not presented.token:
            return _json(None, headers=NO_STORE)
        found = await lookup_session(db_session, app_settings, presented.token, refresh=not presented.dont_remember)
        if found is None:
            if presented.from_cookie:
                queue_cookies(request, clearing_cookies(app_settings))
            return _json(None, headers=NO_STORE)
        if found.refreshed and presented.from_cookie:
            queue_cookies(request, [session_cookie(app_settings, found.session.token)])
        return _json({"session": session_json(found.session), "user": user_json(found.auth_user)}, headers=NO_STORE)

    @post("/get-session", status_code=405, include_in_schema=False)
    async def post_get_session(self) -> Response[Any]:
        raise AuthError(
            405,
            "POST method requires deferSessionRefresh to be enabled in session config",
            "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
            NO_STORE,
        )

    @post("/request-password-reset", status_code=200)
    async def request_password_reset(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """Mail a reset link if the address has an account. The answer is the
        same either way."""
        body = await _read_body(request)
        _check_request_origin(request, app_settings, body)
        data = RequestPasswordReset.parse(body)
        mail = await service.request_password_reset(db_session, app_settings, data)
        content = {"status": True, "message": "If this email exists in our system, check your email for the reset link"}
        # Sent after the response, hence after the token's transaction has committed.
        background = BackgroundTask(service.send_reset_mail, app_settings, mail) if mail else None
        return Response(content=content, media_type=MediaType.JSON, background=background)

    @get("/reset-password/{token:str}", status_code=302)
    async def reset_password_callback(
        self,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        token: FromPath[str],
        callback_url: Annotated[str | None, QueryParameter(name="callbackURL")] = None,
    ) -> Response[Any]:
        """The link of a reset mail: redirects to ``callbackURL`` with
        ``?token=`` when the token is valid, ``?error=INVALID_TOKEN`` otherwise."""
        if callback_url is None:
            raise validation_error("[query.callbackURL] Invalid input: expected string, received undefined")
        if callback_url and not is_trusted_url(callback_url, _trusted_origins(app_settings), allow_relative=True):
            raise AuthError(403, "Invalid callbackURL", "INVALID_CALLBACK_URL")
        base = app_settings.auth.base_url.rstrip("/") + "/api/auth"
        if not callback_url:
            target, query = f"{base}/error", {"error": "INVALID_TOKEN"}
        elif await service.reset_token_is_valid(db_session, token):
            target, query = urljoin(base, callback_url), {"token": token}
        else:
            target, query = urljoin(base, callback_url), {"error": "INVALID_TOKEN"}
        return Response(
            content=b"", status_code=302, media_type=MediaType.JSON, headers={"location": _with_query(target, query)}
        )

    @post("/reset-password", status_code=200)
    async def reset_password(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        token: Annotated[str | None, QueryParameter(name="token")] = None,
    ) -> Response[Any]:
        """Set a new password with the token of a reset mail. Every session of
        the user ends, except the one making this request."""
        body = await _read_body(request)
        _check_request_origin(request, app_settings, body)
        data = ResetPassword.parse(body, token)
        keep = presented_token(app_settings, request.headers).token
        await service.reset_password(db_session, app_settings, data, keep_session_token=keep)
        return _json({"status": True})

    @get("/list-sessions")
    async def list_sessions(self, request: AnyRequest, db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        """The user's unexpired sessions. Needs a session younger than a day."""
        found = await current_session(db_session, request)
        if found is None:
            raise AuthError(401, "Unauthorized", "UNAUTHORIZED")
        service.check_fresh(found.session)
        sessions = await service.list_sessions(db_session, found.session.user_id)
        return _json([session_json(row) for row in sessions])

    @post("/revoke-session", status_code=200)
    async def revoke_session(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Response[Any]:
        """End one of the user's sessions, by its token."""
        body = await _read_body(request)
        _check_request_origin(request, app_settings, body)
        token = parse_revoke_session(body)
        found = await current_session(db_session, request)
        if found is None:
            raise AuthError(401, "Unauthorized", "UNAUTHORIZED")
        await service.revoke_session(db_session, found.session.user_id, token)
        if token == found.session.token:
            queue_cookies(request, clearing_cookies(app_settings))
        return _json({"status": True})


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))

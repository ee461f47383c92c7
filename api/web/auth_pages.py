"""Sign-in, sign-out and password reset pages, over the same auth service as ``/api/auth``.

The forms post here (not to the JSON endpoints) so that they work without
JavaScript; the service, its rate limits and its cookies are the API's.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import client_ip, sign_in_limiter
from api.web.common import AnyRequest, page, safe_next
from inbox.auth import service
from inbox.auth.schemas import AuthError, RequestPasswordReset, ResetPassword, SignIn
from inbox.auth.sessions import authenticate_request, clearing_cookies, presented_token, queue_cookies, sign_in_cookies
from inbox.core.errors import InboxError, RateLimited
from inbox.settings import Settings

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _same_site(request: AnyRequest, settings: Settings) -> bool:
    """A form post from our own pages (the browser says where it comes from)."""
    from inbox.auth.schemas import is_trusted_url, origin_of

    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    trusted = origin_of(settings.auth.base_url)
    if not origin:
        # No Origin or Referer: not a browser form of another site (browsers send Origin on POST).
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    return trusted is not None and origin != "null" and is_trusted_url(origin, (trusted,), allow_relative=False)


class AuthPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/sign-in")
    async def sign_in_page(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        next_: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    ) -> Template | Redirect:
        if await authenticate_request(db_session, request) is not None:
            return Redirect(safe_next(next_), status_code=303)
        return page("sign_in.html", next=safe_next(next_), email="", error=None)

    @post("/sign-in", status_code=303)
    async def sign_in(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        state: State,
        data: Form,
    ) -> Template | Redirect:
        email, target = (data.get("email") or "").strip(), safe_next(data.get("next"))
        if not _same_site(request, app_settings):
            return page("sign_in.html", 403, next=target, email=email, error="This form must be sent from this site.")
        try:
            credentials = SignIn.parse({"email": email, "password": data.get("password") or "", "rememberMe": True})
            ip = client_ip(request, app_settings)
            signed_in = await service.sign_in(
                db_session,
                app_settings,
                sign_in_limiter(state, app_settings),
                credentials,
                client_ip=ip,
                ip_address=ip,
                user_agent=request.headers.get("user-agent", ""),
            )
        except RateLimited as exc:
            error = f"Too many attempts. Try again in {exc.retry_after} seconds."
            return page("sign_in.html", 429, next=target, email=email, error=error)
        except AuthError as exc:
            message = "Wrong email or password." if exc.status_code == 401 else exc.message
            return page("sign_in.html", exc.status_code, next=target, email=email, error=message)
        queue_cookies(request, sign_in_cookies(app_settings, signed_in.session.token, remember=True))
        return Redirect(target, status_code=303)

    @post("/sign-out", status_code=303)
    async def sign_out(
        self, request: AnyRequest, db_session: NamedDependency[AsyncSession], app_settings: NamedDependency[Settings]
    ) -> Redirect:
        if _same_site(request, app_settings):
            await service.sign_out(db_session, presented_token(app_settings, request.headers).token)
            queue_cookies(request, clearing_cookies(app_settings))
        return Redirect("/sign-in", status_code=303)

    @get("/forgot-password")
    async def forgot_page(self) -> Template:
        return page("forgot_password.html", sent=False, error=None, email="")

    @post("/forgot-password", status_code=200)
    async def forgot(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        data: Form,
    ) -> Template:
        email = (data.get("email") or "").strip()
        if not _same_site(request, app_settings):
            return page("forgot_password.html", 403, sent=False, email=email, error="Send this form from this site.")
        try:
            wanted = RequestPasswordReset.parse({"email": email})
        except AuthError:
            return page("forgot_password.html", 400, sent=False, email=email, error="Enter a valid email address.")
        mail = await service.request_password_reset(db_session, app_settings, wanted)
        template = page("forgot_password.html", sent=True, email=email, error=None)
        if mail is not None:
            template.background = BackgroundTask(service.send_reset_mail, app_settings, mail)
        return template

    @get("/reset-password")
    async def reset_page(
        self, token: Annotated[str | None, QueryParameter(name="token", max_length=200)] = None
    ) -> Template:
        if not token:
            return page("reset_password.html", 400, token="", error="This link has no reset token.", done=False)
        return page("reset_password.html", token=token, error=None, done=False)

    @post("/reset-password", status_code=200)
    async def reset(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        data: Form,
    ) -> Template:
        token = data.get("token") or ""
        if not _same_site(request, app_settings):
            return page("reset_password.html", 403, token=token, error="Send this form from this site.", done=False)
        password, again = data.get("password") or "", data.get("password_again") or ""
        if password != again:
            return page("reset_password.html", 400, token=token, error="The two passwords differ.", done=False)
        try:
            await service.reset_password(
                db_session, app_settings, ResetPassword.parse({"newPassword": password}, token)
            )
        except (AuthError, InboxError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            status = getattr(exc, "status_code", 400)
            return page("reset_password.html", status, token=token, error=_reset_error(message), done=False)
        return page("reset_password.html", token="", error=None, done=True)


def _reset_error(message: str) -> str:
    if "token" in message.lower():
        return "This reset link is invalid or has expired. Ask for a new one."
    return message


__all__: list[Any] = ["AuthPages"]

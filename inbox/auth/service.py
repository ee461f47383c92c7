"""Email and password authentication, as Better Auth 1.7 does it.

Sign-up, sign-in, sign-out, password reset and session management write the
same rows Better Auth writes and refuse with the same errors (see
``inbox.auth.schemas.AuthError``), so a Better Auth server on the same database
and this service are interchangeable. Beyond Better Auth: sign-in is throttled
(``inbox.auth.rate_limit``), a deactivated profile cannot sign in, and a
password reset signs the user out of every other session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import generate_id, generate_reset_token, hash_password_async, verify_password_async
from inbox.auth.models import AuthAccount, AuthSession, AuthUser, Verification
from inbox.auth.rate_limit import SignInLimiter
from inbox.auth.schemas import (
    EMAIL_PATTERN,
    AuthError,
    RequestPasswordReset,
    ResetPassword,
    SignIn,
    SignUp,
    password_length,
)
from inbox.auth.sessions import create_session, delete_user_sessions, ms_precision
from inbox.core.db import utcnow
from inbox.mail.system_mail import send_system_mail
from inbox.settings import Settings
from inbox.users.models import User
from inbox.users.provisioning import ensure_profile

CREDENTIAL_PROVIDER = "credential"
RESET_PREFIX = "reset-password:"
# Better Auth's freshAge: listing sessions needs a session younger than this.
FRESH_AGE = timedelta(days=1)
# The characters JavaScript's encodeURIComponent leaves as they are.
_URI_COMPONENT_SAFE = "-_.!~*'()"

INVALID_CREDENTIALS = (401, "Invalid email or password", "INVALID_EMAIL_OR_PASSWORD")
INVALID_TOKEN = (400, "Invalid token", "INVALID_TOKEN")


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: AuthUser
    session: AuthSession
    profile: User


@dataclass(frozen=True, slots=True)
class ResetMail:
    to: str
    name: str
    url: str
    token: str
    expires_at: datetime


def check_password_length(settings: Settings, password: str, *, minimum: bool = True) -> None:
    length = password_length(password)
    if minimum and length < settings.auth.password_min_length:
        raise AuthError(400, "Password too short", "PASSWORD_TOO_SHORT")
    if length > settings.auth.password_max_length:
        raise AuthError(400, "Password too long", "PASSWORD_TOO_LONG")


async def user_by_email(session: AsyncSession, email: str) -> AuthUser | None:
    stmt = select(AuthUser).where(AuthUser.email == email.lower())
    user: AuthUser | None = (await session.execute(stmt)).scalar_one_or_none()
    return user


async def credential_account(session: AsyncSession, auth_user_id: str) -> AuthAccount | None:
    stmt = (
        select(AuthAccount)
        .where(
            AuthAccount.user_id == auth_user_id,
            AuthAccount.provider_id == CREDENTIAL_PROVIDER,
            AuthAccount.account_id == auth_user_id,
        )
        .order_by(AuthAccount.created_at)
        .limit(1)
    )
    account: AuthAccount | None = (await session.execute(stmt)).scalar_one_or_none()
    return account


async def _start_session(
    session: AsyncSession,
    settings: Settings,
    auth_user: AuthUser,
    profile: User,
    *,
    remember: bool,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> SignedIn:
    auth_session = await create_session(
        session, settings, auth_user.id, ip_address=ip_address, user_agent=user_agent, remember=remember, now=now
    )
    profile.last_login_at = now
    await session.flush()
    return SignedIn(user=auth_user, session=auth_session, profile=profile)


async def sign_up(
    session: AsyncSession,
    settings: Settings,
    data: SignUp,
    *,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> SignedIn:
    """A new identity with a credential account, its profile (an invitation's
    workspace, or a new one it administers) and a first session."""
    check_password_length(settings, data.password)
    email = data.email.lower()
    if await user_by_email(session, email) is not None:
        raise AuthError(422, "User already exists. Use another email.", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    password_hash = await hash_password_async(data.password)
    now = ms_precision(now or utcnow())
    auth_user = AuthUser(
        id=generate_id(),
        name=data.name,
        email=email,
        email_verified=False,
        image=data.image,
        created_at=now,
        updated_at=now,
    )
    session.add(auth_user)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same address, signed up a moment ago
        raise AuthError(422, "Failed to create user", "FAILED_TO_CREATE_USER") from exc
    session.add(
        AuthAccount(
            id=generate_id(),
            account_id=auth_user.id,
            provider_id=CREDENTIAL_PROVIDER,
            user_id=auth_user.id,
            password=password_hash,
            created_at=now,
            updated_at=now,
        )
    )
    profile = await ensure_profile(session, auth_user)
    return await _start_session(
        session,
        settings,
        auth_user,
        profile,
        remember=data.remember_me,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now,
    )


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    limiter: SignInLimiter,
    data: SignIn,
    *,
    client_ip: str,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> SignedIn:
    if not EMAIL_PATTERN.fullmatch(data.email):
        raise AuthError(400, "Invalid email", "INVALID_EMAIL")
    check_password_length(settings, data.password, minimum=False)
    email = data.email.lower()
    await limiter.before_attempt(client_ip, email)

    auth_user = await user_by_email(session, email)
    account = await credential_account(session, auth_user.id) if auth_user is not None else None
    if auth_user is None or account is None or account.password is None:
        # Spend the time a real check would, so the answer does not tell whether the address exists.
        await hash_password_async(data.password)
        await limiter.failed(email)
        raise AuthError(*INVALID_CREDENTIALS)
    if not await verify_password_async(account.password, data.password):
        await limiter.failed(email)
        raise AuthError(*INVALID_CREDENTIALS)

    profile = await ensure_profile(session, auth_user)
    if not profile.is_active:
        raise AuthError(
            403,
            "This account has been deactivated. Ask an admin of your workspace to reactivate it.",
            "ACCOUNT_DEACTIVATED",
        )
    await limiter.succeeded(email)
    return await _start_session(
        session,
        settings,
        auth_user,
        profile,
        remember=data.remember_me,
        ip_address=ip_address,
        user_agent=user_agent,
        now=ms_precision(now or utcnow()),
    )


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(AuthSession).where(AuthSession.token == token))


def _reset_url(settings: Settings, token: str, redirect_to: str | None) -> str:
    base = settings.auth.base_url.rstrip("/")
    if redirect_to is None:
        return f"{base}/reset-password?token={token}"
    # Better Auth's own link: its callback endpoint checks the token, then
    # redirects to ``redirect_to`` with ``?token=``.
    return f"{base}/api/auth/reset-password/{token}?callbackURL={quote(redirect_to, safe=_URI_COMPONENT_SAFE)}"


async def request_password_reset(
    session: AsyncSession, settings: Settings, data: RequestPasswordReset, *, now: datetime | None = None
) -> ResetMail | None:
    """A reset token for the address, or None when no user has it (the
    caller answers the same either way)."""
    auth_user = await user_by_email(session, data.email)
    if auth_user is None:
        return None
    token = generate_reset_token()
    now = ms_precision(now or utcnow())
    expires_at = now + timedelta(minutes=settings.auth.reset_token_minutes)
    session.add(
        Verification(
            id=generate_id(),
            identifier=RESET_PREFIX + token,
            value=auth_user.id,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return ResetMail(
        to=auth_user.email,
        name=auth_user.name,
        url=_reset_url(settings, token, data.redirect_to),
        token=token,
        expires_at=expires_at,
    )


async def _live_reset_verification(session: AsyncSession, token: str, now: datetime) -> Verification | None:
    stmt = select(Verification).where(Verification.identifier == RESET_PREFIX + token).limit(1)
    verification: Verification | None = (await session.execute(stmt)).scalar_one_or_none()
    if verification is None or verification.expires_at < now:
        return None
    return verification


async def reset_token_is_valid(session: AsyncSession, token: str, *, now: datetime | None = None) -> bool:
    return await _live_reset_verification(session, token, now or utcnow()) is not None


async def reset_password(
    session: AsyncSession,
    settings: Settings,
    data: ResetPassword,
    *,
    keep_session_token: str | None = None,
    now: datetime | None = None,
) -> None:
    """Set a new password with a reset token, consume the token, and end every
    session of the user except ``keep_session_token``'s."""
    if not data.token:
        raise AuthError(*INVALID_TOKEN)
    check_password_length(settings, data.new_password)
    now = ms_precision(now or utcnow())
    verification = await _live_reset_verification(session, data.token, now)
    if verification is None:
        raise AuthError(*INVALID_TOKEN)
    auth_user = await session.get(AuthUser, verification.value)
    if auth_user is None:
        raise AuthError(400, "User not found", "USER_NOT_FOUND")
    password_hash = await hash_password_async(data.new_password)
    # Deleting is what claims the token: of two concurrent resets, one deletes nothing.
    consumed = await session.execute(delete(Verification).where(Verification.id == verification.id))
    if getattr(consumed, "rowcount", 0) != 1:
        raise AuthError(*INVALID_TOKEN)
    account = await credential_account(session, auth_user.id)
    if account is None:
        session.add(
            AuthAccount(
                id=generate_id(),
                account_id=auth_user.id,
                provider_id=CREDENTIAL_PROVIDER,
                user_id=auth_user.id,
                password=password_hash,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        account.password = password_hash
        account.updated_at = now
    await delete_user_sessions(session, auth_user.id, keep_token=keep_session_token)
    await session.flush()


async def list_sessions(session: AsyncSession, auth_user_id: str, *, now: datetime | None = None) -> list[AuthSession]:
    now = now or utcnow()
    stmt = (
        select(AuthSession)
        .where(AuthSession.user_id == auth_user_id, AuthSession.expires_at > now)
        .order_by(AuthSession.created_at, AuthSession.id)
    )
    return list((await session.execute(stmt)).scalars())


def check_fresh(auth_session: AuthSession, *, now: datetime | None = None) -> None:
    if (now or utcnow()) - auth_session.created_at >= FRESH_AGE:
        raise AuthError(403, "Session is not fresh", "SESSION_NOT_FRESH")


async def revoke_session(session: AsyncSession, auth_user_id: str, token: str) -> None:
    """End one of the user's own sessions; another user's token is ignored."""
    await session.execute(delete(AuthSession).where(AuthSession.token == token, AuthSession.user_id == auth_user_id))


async def send_reset_mail(settings: Settings, mail: ResetMail) -> None:
    """Mail the reset link; call it once the token is committed."""
    minutes = settings.auth.reset_token_minutes
    text = (
        f"Hello {mail.name or mail.to},\n\n"
        "Someone (hopefully you) asked to reset the password of your\n"
        f"inbox account. Choose a new password within {minutes} minutes here:\n\n"
        f"{mail.url}\n\n"
        "If you did not ask for this, ignore this message:\n"
        "your password stays as it is.\n"
    )
    await send_system_mail(settings, to=mail.to, subject="Reset your inbox password", text=text)

"""POST /api/auth/sign-up/email and /sign-in/email, against Better Auth 1.7.25's observed answers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import sign_cookie_value, verify_password
from inbox.auth.models import AuthAccount, AuthSession, AuthUser
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.settings import Settings
from inbox.users.models import Invitation, User, UserRole
from inbox.workspaces.models import Workspace
from tests.auth.conftest import BASE_URL, COOKIE_NAME, ORIGIN, PASSWORD, Client, set_cookies, sign_in, sign_up
from tests.factories import Member

JS_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ID = re.compile(r"^[A-Za-z0-9]{32}$")


async def test_sign_up_creates_identity_credential_profile_workspace_and_session(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    response = await client.post(
        "/api/auth/sign-up/email",
        json={
            "name": "Alice Smith",
            "email": f"Alice-{unique}@Example.com",
            "password": "password123",
            "role": "admin",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token", "user"]
    user = body["user"]
    assert list(user) == ["name", "email", "emailVerified", "image", "createdAt", "updatedAt", "id"]
    assert user["email"] == f"alice-{unique}@example.com"
    assert user["emailVerified"] is False and user["image"] is None
    assert JS_DATE.match(user["createdAt"]) and user["createdAt"] == user["updatedAt"]
    assert ID.match(user["id"]) and ID.match(body["token"])
    # Compact JSON, key order as Better Auth writes it.
    assert response.text.startswith('{"token":"') and ", " not in response.text

    cookie = f"{COOKIE_NAME}={sign_cookie_value(body['token'], settings.auth_secret)}"
    assert set_cookies(response) == [f"{cookie}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"]

    account = (await session.execute(select(AuthAccount).where(AuthAccount.user_id == user["id"]))).scalar_one()
    assert (account.provider_id, account.account_id) == ("credential", user["id"])
    assert account.password is not None and verify_password(account.password, "password123")
    assert account.access_token is None and account.scope is None

    auth_session = (await session.execute(select(AuthSession).where(AuthSession.token == body["token"]))).scalar_one()
    assert auth_session.user_id == user["id"]
    assert auth_session.expires_at - auth_session.created_at == timedelta(days=7)

    profile = (await session.execute(select(User).where(User.auth_user_id == user["id"]))).scalar_one()
    assert profile.role == UserRole.ADMIN
    assert (profile.first_name, profile.last_name, profile.email) == ("Alice", "Smith", user["email"])
    assert profile.last_login_at is not None
    workspace = await session.get(Workspace, profile.workspace_id)
    assert workspace is not None and workspace.name == "Alice Smith's workspace"


async def test_sign_up_validation_errors_match_better_auth(client: Client) -> None:
    async def error(body: object = None, **kwargs: object) -> tuple[int, dict[str, str]]:
        if body is not None:
            kwargs["json"] = body
        response = await client.post("/api/auth/sign-up/email", **kwargs)  # type: ignore[arg-type]
        return response.status_code, response.json()

    assert await error({}) == (
        400,
        {
            "message": "[body.name] Invalid input: expected string, received undefined; "
            "[body.email] Invalid input: expected string, received undefined; "
            "[body.password] Invalid input: expected string, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )
    assert await error() == (
        400,
        {
            "message": "[body] Invalid input: expected object, received undefined; "
            "[body] Invalid input: expected record, received undefined",
            "code": "VALIDATION_ERROR",
        },
    )
    assert await error({"name": "A", "email": "a@example.com", "password": 12345678}) == (
        400,
        {"message": "[body.password] Invalid input: expected string, received number", "code": "VALIDATION_ERROR"},
    )
    assert await error({"name": "A", "email": " gina@example.com ", "password": "password123"}) == (
        400,
        {"message": "[body.email] Invalid email address", "code": "VALIDATION_ERROR"},
    )
    assert await error({"name": "A", "email": "a@example.com", "password": ""}) == (
        400,
        {"message": "[body.password] Too small: expected string to have >=1 characters", "code": "VALIDATION_ERROR"},
    )
    assert await error({"name": "A", "email": "a@example.com", "password": "short"}) == (
        400,
        {"message": "Password too short", "code": "PASSWORD_TOO_SHORT"},
    )
    # JavaScript counts UTF-16 units: 64 emoji are 128 units (allowed), 65 are 130.
    assert await error({"name": "A", "email": "a@example.com", "password": "\U0001f600" * 65}) == (
        400,
        {"message": "Password too long", "code": "PASSWORD_TOO_LONG"},
    )
    assert await error({"name": "A", "email": "a@example.com", "password": "p", "rememberMe": "yes"}) == (
        400,
        {"message": "[body.rememberMe] Invalid input: expected boolean, received string", "code": "VALIDATION_ERROR"},
    )
    assert await error(content=b"{not json", headers={"content-type": "application/json"}) == (
        400,
        {"message": "Invalid JSON in request body", "code": "BAD_REQUEST"},
    )
    assert await error(content=b"hello", headers={"content-type": "text/plain"}) == (
        415,
        {
            "message": 'Content-Type "text/plain" is not allowed. '
            "Allowed types: application/x-www-form-urlencoded, application/json",
            "code": "UNSUPPORTED_MEDIA_TYPE",
        },
    )


async def test_sign_up_form_encoded_and_duplicate_address(client: Client, unique: str) -> None:
    email = f"form-{unique}@example.com"
    response = await client.post(
        "/api/auth/sign-up/email",
        data={"name": "", "email": email, "password": PASSWORD, "image": "https://img.example/a.png"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["image"] == "https://img.example/a.png"
    assert response.json()["user"]["name"] == ""
    client.cookies.clear()

    duplicate = await client.post(
        "/api/auth/sign-up/email", json={"name": "B", "email": email.upper(), "password": "another-password"}
    )
    assert duplicate.status_code == 422
    assert duplicate.json() == {
        "message": "User already exists. Use another email.",
        "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    }


async def test_sign_in_with_callback_url_and_case_insensitive_email(client: Client, unique: str) -> None:
    signed_up = await sign_up(client, f"bob-{unique}@example.com", name="Bob")
    response = await client.post(
        "/api/auth/sign-in/email",
        json={"email": f"BOB-{unique}@example.com", "password": PASSWORD, "callbackURL": "/dashboard"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["redirect", "token", "url", "user"]
    assert body["redirect"] is True and body["url"] == "/dashboard"
    assert response.headers["location"] == "/dashboard"
    assert body["user"]["id"] == signed_up.user_id
    assert body["token"] != signed_up.token
    client.cookies.clear()

    plain = await client.post("/api/auth/sign-in/email", json={"email": signed_up.email, "password": PASSWORD})
    assert list(plain.json()) == ["redirect", "token", "user"]
    assert plain.json()["redirect"] is False
    assert "location" not in plain.headers


async def test_sign_in_remember_me_false(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    email = f"forgetful-{unique}@example.com"
    await sign_up(client, email)
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD, "rememberMe": False}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert set_cookies(response) == [
        f"{COOKIE_NAME}={sign_cookie_value(token, settings.auth_secret)}; Path=/; HttpOnly; SameSite=Lax",
        f"better-auth.dont_remember={sign_cookie_value('true', settings.auth_secret)}; Path=/; HttpOnly; SameSite=Lax",
    ]
    row = (await session.execute(select(AuthSession).where(AuthSession.token == token))).scalar_one()
    assert row.expires_at - row.created_at == timedelta(days=1)


async def test_sign_in_failures(client: Client, session: AsyncSession, unique: str) -> None:
    email = f"carol-{unique}@example.com"
    await sign_up(client, email)
    invalid = {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}

    wrong = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "wrong password"})
    assert (wrong.status_code, wrong.json()) == (401, invalid)
    unknown = await client.post(
        "/api/auth/sign-in/email", json={"email": f"nobody-{unique}@example.com", "password": PASSWORD}
    )
    assert (unknown.status_code, unknown.json()) == (401, invalid)
    # Sign-in checks no minimum length: a one-character password is just wrong.
    short = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "x"})
    assert (short.status_code, short.json()) == (401, invalid)
    too_long = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "x" * 129})
    assert (too_long.status_code, too_long.json()) == (
        400,
        {"message": "Password too long", "code": "PASSWORD_TOO_LONG"},
    )
    not_email = await client.post("/api/auth/sign-in/email", json={"email": "not-an-email", "password": PASSWORD})
    assert (not_email.status_code, not_email.json()) == (400, {"message": "Invalid email", "code": "INVALID_EMAIL"})
    missing = await client.post("/api/auth/sign-in/email", json={"email": email})
    assert missing.json() == {
        "message": "[body.password] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    assert set_cookies(wrong) == []

    # An identity without a credential account (a social sign-up) cannot sign in with a password.
    now = utcnow()
    session.add(
        AuthUser(id="S" * 32, name="Social", email=f"social-{unique}@example.com", created_at=now, updated_at=now)
    )
    await session.commit()
    social = await client.post(
        "/api/auth/sign-in/email", json={"email": f"social-{unique}@example.com", "password": PASSWORD}
    )
    assert (social.status_code, social.json()) == (401, invalid)


async def test_csrf_and_origin_rules(client: Client, unique: str) -> None:
    email = f"dave-{unique}@example.com"
    signed_up = await sign_up(client, email)
    body = {"email": email, "password": PASSWORD}

    no_origin = await client.post("/api/auth/sign-in/email", json=body, headers=signed_up.cookie_header)
    assert (no_origin.status_code, no_origin.json()) == (
        403,
        {"message": "Missing or null Origin", "code": "MISSING_OR_NULL_ORIGIN"},
    )
    foreign = await client.post(
        "/api/auth/sign-in/email", json=body, headers={**signed_up.cookie_header, "origin": "https://evil.example"}
    )
    assert (foreign.status_code, foreign.json()) == (403, {"message": "Invalid origin", "code": "INVALID_ORIGIN"})
    with_origin = await client.post("/api/auth/sign-in/email", json=body, headers={**signed_up.cookie_header, **ORIGIN})
    assert with_origin.status_code == 200
    client.cookies.clear()
    referer = await client.post(
        "/api/auth/sign-in/email", json=body, headers={**signed_up.cookie_header, "referer": f"{BASE_URL}/settings"}
    )
    assert referer.status_code == 200
    client.cookies.clear()

    navigation = await client.post(
        "/api/auth/sign-in/email", json=body, headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
    )
    assert (navigation.status_code, navigation.json()["code"]) == (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
    same_origin_no_header = await client.post(
        "/api/auth/sign-in/email", json=body, headers={"sec-fetch-site": "same-origin"}
    )
    assert same_origin_no_header.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    foreign_no_cookie = await client.post(
        "/api/auth/sign-up/email", json={**body, "name": "X"}, headers={"origin": "https://evil.example"}
    )
    assert foreign_no_cookie.json()["code"] == "INVALID_ORIGIN"

    untrusted_callback = await client.post(
        "/api/auth/sign-in/email", json={**body, "callbackURL": "https://evil.example/x"}
    )
    assert (untrusted_callback.status_code, untrusted_callback.json()) == (
        403,
        {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"},
    )
    protocol_relative = await client.post("/api/auth/sign-in/email", json={**body, "callbackURL": "//evil.example/x"})
    assert protocol_relative.status_code == 403
    absolute_trusted = await client.post("/api/auth/sign-in/email", json={**body, "callbackURL": f"{BASE_URL}/inbox"})
    assert absolute_trusted.status_code == 200


async def test_deactivated_user_cannot_sign_in(client: Client, session: AsyncSession, unique: str) -> None:
    email = f"eve-{unique}@example.com"
    signed_up = await sign_up(client, email)
    profile = (await session.execute(select(User).where(User.auth_user_id == signed_up.user_id))).scalar_one()
    profile.is_active = False
    await session.commit()
    refused = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "This account has been deactivated. Ask an admin of your workspace to reactivate it.",
        "code": "ACCOUNT_DEACTIVATED",
    }
    assert set_cookies(refused) == []
    # A wrong password still says only "invalid": deactivation is not revealed to strangers.
    wrong = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "not the password"})
    assert wrong.status_code == 401


async def test_invited_address_signs_up_into_the_inviting_workspace(
    client: Client, session: AsyncSession, team: dict[Role, Member], unique: str
) -> None:
    admin = team[Role.ADMIN]
    invited = await client.post(
        "/api/users/invitations",
        json={"email": f"Newbie-{unique}@Example.com", "role": "manager"},
        headers=admin.headers,
    )
    assert invited.status_code == 201, invited.text
    signed_up = await sign_up(client, f"newbie-{unique}@example.com", name="New Bie")
    profile = (await session.execute(select(User).where(User.auth_user_id == signed_up.user_id))).scalar_one()
    assert profile.workspace_id == admin.workspace_id
    assert profile.role == UserRole.MANAGER
    invitation = (
        await session.execute(
            select(Invitation)
            .where(Invitation.id == uuid.UUID(invited.json()["id"]))
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert invitation.accepted_at is not None
    me = await client.get("/api/users/me", headers=signed_up.cookie_header)
    assert me.json()["role"] == "manager"
    assert me.json()["workspace_id"] == str(admin.workspace_id)
    pending = await client.get("/api/users/invitations", headers=admin.headers)
    assert pending.json()["total"] == 0

    # A sign-in sets last_login_at and leaves the workspace alone.
    await sign_in(client, signed_up.email)
    profile = (
        await session.execute(select(User).where(User.id == profile.id).execution_options(populate_existing=True))
    ).scalar_one()
    assert profile.workspace_id == admin.workspace_id and profile.last_login_at is not None

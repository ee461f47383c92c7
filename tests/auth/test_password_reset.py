"""Password reset: the mail (outbox and real SMTP), the verification row, the
reset itself and Better Auth's link callback."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from inbox.auth.models import AuthSession, Verification
from inbox.core.db import Database, utcnow
from inbox.settings import Settings, SmtpSettings
from tests.auth.conftest import BASE_URL, ORIGIN, PASSWORD, Client, outbox, set_cookies, sign_in, sign_up

GENERIC = {"status": True, "message": "If this email exists in our system, check your email for the reset link"}
LINK = re.compile(r"http://testserver\.local/reset-password\?token=([A-Za-z0-9]{24})")


def _token_from(message: EmailMessage) -> str:
    body = message.get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


async def _verification(session: AsyncSession, token: str) -> Verification | None:
    stmt = select(Verification).where(Verification.identifier == f"reset-password:{token}")
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


async def test_request_reset_writes_row_and_mail(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    user = await sign_up(client, f"Reset-{unique}@example.com", name="Rex")
    response = await client.post("/api/auth/request-password-reset", json={"email": f"RESET-{unique}@example.com"})
    assert (response.status_code, response.json()) == (200, GENERIC)
    [message] = outbox(settings)
    assert message["To"] == user.email
    assert message["From"] == settings.smtp.from_address
    assert message["Subject"] == "Reset your inbox password"
    token = _token_from(message)
    row = await _verification(session, token)
    assert row is not None and row.value == user.user_id
    assert timedelta(minutes=59) < row.expires_at - utcnow() <= timedelta(minutes=60)

    # Unknown address: the same answer, no row, no mail.
    unknown = await client.post("/api/auth/request-password-reset", json={"email": f"ghost-{unique}@example.com"})
    assert (unknown.status_code, unknown.text) == (200, response.text)
    assert len(outbox(settings)) == 1

    invalid = await client.post("/api/auth/request-password-reset", json={"email": "nope"})
    assert (invalid.status_code, invalid.json()) == (
        400,
        {"message": "[body.email] Invalid email address", "code": "VALIDATION_ERROR"},
    )
    untrusted = await client.post(
        "/api/auth/request-password-reset", json={"email": user.email, "redirectTo": "https://evil.example/reset"}
    )
    assert (untrusted.status_code, untrusted.json()) == (
        403,
        {"message": "Invalid redirectURL", "code": "INVALID_REDIRECT_URL"},
    )
    assert len(outbox(settings)) == 1


async def test_reset_password_sets_hash_consumes_token_and_ends_other_sessions(
    client: Client, session: AsyncSession, settings: Settings, unique: str
) -> None:
    email = f"forgot-{unique}@example.com"
    first = await sign_up(client, email)
    second = await sign_in(client, email)
    await client.post("/api/auth/request-password-reset", json={"email": email})
    token = _token_from(outbox(settings)[-1])

    too_short = await client.post("/api/auth/reset-password", json={"newPassword": "short", "token": token})
    assert too_short.json() == {"message": "Password too short", "code": "PASSWORD_TOO_SHORT"}
    no_token = await client.post("/api/auth/reset-password", json={"newPassword": "a brand new password"})
    assert (no_token.status_code, no_token.json()) == (400, {"message": "Invalid token", "code": "INVALID_TOKEN"})
    wrong_token = await client.post(
        "/api/auth/reset-password", json={"newPassword": "a brand new password", "token": "x" * 24}
    )
    assert wrong_token.json()["code"] == "INVALID_TOKEN"
    missing = await client.post("/api/auth/reset-password", json={"token": token})
    assert missing.json() == {
        "message": "[body.newPassword] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }

    # The session making the request (the second one) is kept; every other one ends.
    response = await client.post(
        f"/api/auth/reset-password?token={token}",
        json={"newPassword": "a brand new password"},
        headers={**second.cookie_header, **ORIGIN},
    )
    assert (response.status_code, response.text) == (200, '{"status":true}')
    assert set_cookies(response) == []
    assert await _verification(session, token) is None
    tokens = set(
        (await session.execute(select(AuthSession.token).where(AuthSession.user_id == first.user_id))).scalars()
    )
    assert tokens == {second.token}

    old = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    await sign_in(client, email, "a brand new password")

    reused = await client.post("/api/auth/reset-password", json={"newPassword": "yet another password", "token": token})
    assert reused.json()["code"] == "INVALID_TOKEN"


async def test_expired_reset_token(client: Client, session: AsyncSession, settings: Settings, unique: str) -> None:
    email = f"late-{unique}@example.com"
    await sign_up(client, email)
    await client.post("/api/auth/request-password-reset", json={"email": email})
    token = _token_from(outbox(settings)[-1])
    await session.execute(
        update(Verification)
        .where(Verification.identifier == f"reset-password:{token}")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    response = await client.post(
        "/api/auth/reset-password", json={"newPassword": "a brand new password", "token": token}
    )
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_TOKEN")
    assert await _verification(session, token) is not None  # Better Auth leaves an expired row in place


async def test_redirect_to_link_and_callback(client: Client, settings: Settings, unique: str) -> None:
    email = f"spa-{unique}@example.com"
    await sign_up(client, email)
    await client.post("/api/auth/request-password-reset", json={"email": email, "redirectTo": "/reset"})
    body = outbox(settings)[-1].get_content()
    match = re.search(r"http://testserver\.local/api/auth/reset-password/([A-Za-z0-9]{24})\?callbackURL=%2Freset", body)
    assert match, body
    token = match.group(1)

    valid = await client.get(f"/api/auth/reset-password/{token}?callbackURL=%2Freset", follow_redirects=False)
    assert valid.status_code == 302
    assert valid.headers["location"] == f"{BASE_URL}/reset?token={token}"
    unknown = await client.get("/api/auth/reset-password/unknown?callbackURL=/reset", follow_redirects=False)
    assert unknown.headers["location"] == f"{BASE_URL}/reset?error=INVALID_TOKEN"
    missing = await client.get(f"/api/auth/reset-password/{token}", follow_redirects=False)
    assert missing.json() == {
        "message": "[query.callbackURL] Invalid input: expected string, received undefined",
        "code": "VALIDATION_ERROR",
    }
    evil = await client.get(
        f"/api/auth/reset-password/{token}?callbackURL=https://evil.example/", follow_redirects=False
    )
    assert (evil.status_code, evil.json()["code"]) == (403, "INVALID_CALLBACK_URL")
    # The GET does not consume the token.
    done = await client.post("/api/auth/reset-password", json={"newPassword": "a brand new password", "token": token})
    assert done.status_code == 200


class _Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, _Collector]]:
    collector = _Collector()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, collector
    finally:
        controller.stop()


async def test_reset_mail_goes_through_smtp(
    settings: Settings, db: Database, smtp_server: tuple[Controller, _Collector], unique: str
) -> None:
    controller, collector = smtp_server
    port = controller.port
    smtp_settings = settings.model_copy(
        update={"smtp": SmtpSettings(host="127.0.0.1", port=port, from_address="noreply@inbox.example")}
    )
    transport = httpx.ASGITransport(app=create_app(smtp_settings, db))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        email = f"smtp-{unique}@example.com"
        await sign_up(client, email)
        response = await client.post("/api/auth/request-password-reset", json={"email": email})
        assert response.json() == GENERIC
    [(mail_from, recipients, message)] = collector.messages
    assert (mail_from, recipients) == ("noreply@inbox.example", [email])
    assert LINK.search(message.get_content())
    assert outbox(settings) == []

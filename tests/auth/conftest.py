"""Fixtures of the auth tests: a private outbox, and helpers that talk to
/api/auth the way a browser or a Better Auth client does."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from inbox.auth.crypto import unsign_cookie_value
from inbox.settings import Settings

Client = httpx.AsyncClient
BASE_URL = "http://testserver.local"
ORIGIN = {"origin": BASE_URL}
COOKIE_NAME = "better-auth.session_token"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shared settings with an outbox of this test's own."""
    return settings.model_copy(update={"data_dir": tmp_path})


@dataclass
class SignedUp:
    user_id: str
    email: str
    token: str
    cookie: str  # the signed, URL-encoded cookie value

    @property
    def cookie_header(self) -> dict[str, str]:
        return {"cookie": f"{COOKIE_NAME}={self.cookie}"}


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def session_cookie_value(response: httpx.Response) -> str:
    for header in set_cookies(response):
        name, _, rest = header.partition("=")
        if name == COOKIE_NAME:
            return rest.split(";", 1)[0]
    raise AssertionError("no session cookie set")


async def sign_up(
    client: Client, email: str, password: str = PASSWORD, name: str = "Test Person", **extra: object
) -> SignedUp:
    response = await client.post(
        "/api/auth/sign-up/email", json={"name": name, "email": email, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    body = response.json()
    cookie = session_cookie_value(response)
    return SignedUp(user_id=body["user"]["id"], email=body["user"]["email"], token=body["token"], cookie=cookie)


async def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: object) -> SignedUp:
    response = await client.post("/api/auth/sign-in/email", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    body = response.json()
    return SignedUp(body["user"]["id"], body["user"]["email"], body["token"], session_cookie_value(response))


def outbox(settings: Settings) -> list[EmailMessage]:
    folder = settings.data_dir / "outbox"
    if not folder.exists():
        return []
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(folder.glob("*.eml"))]


def token_of(cookie: str, secret: str) -> str | None:
    return unsign_cookie_value(cookie, secret)

"""This service and a real Better Auth 1.7.25 server on one PostgreSQL database.

The server is ``tests/interop/better_auth/server.mjs`` (the pinned package,
installed by ``npm ci`` in that folder). Both sides must see committed rows, so
the database is a fresh one of this module, built by the migrations, not the
rolled-back transaction of the other tests.
"""

from __future__ import annotations

import asyncio
import os
import queue
import socket
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from api.app import create_app
from inbox.auth.models import AuthUser
from inbox.core.db import Database
from inbox.core.migrate import upgrade
from inbox.settings import AuthSettings, Settings
from inbox.users.models import User, UserRole
from tests.conftest import TEST_AUTH_SECRET, create_postgres_database, drop_postgres_database

BETTER_AUTH_DIR = Path(__file__).resolve().parent / "better_auth"
OUR_BASE_URL = "http://testserver.local"
COOKIE_NAME = "better-auth.session_token"
PASSWORD = "interop password 1"

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not (BETTER_AUTH_DIR / "node_modules").is_dir(),
        reason="tests/interop/better_auth/node_modules is missing: run `npm ci` in tests/interop/better_auth",
    ),
]


@dataclass
class BetterAuthServer:
    base_url: str
    process: subprocess.Popen[str]
    lines: queue.Queue[str]

    @property
    def origin(self) -> dict[str, str]:
        return {"origin": self.base_url}


@pytest.fixture(scope="module")
async def interop_url() -> AsyncIterator[str]:
    url = await create_postgres_database("inbox_interop")
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await drop_postgres_database(url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def better_auth(interop_url: str) -> Iterator[BetterAuthServer]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": interop_url.replace("postgresql+asyncpg://", "postgresql://", 1),
        "BETTER_AUTH_SECRET": TEST_AUTH_SECRET,
        "BETTER_AUTH_URL": base_url,
        "PORT": str(port),
    }
    process = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=BETTER_AUTH_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        while True:
            try:
                line = lines.get(timeout=30)
            except queue.Empty:
                pytest.fail(f"Better Auth did not start within 30 s: {seen}")
            seen.append(line)
            if line.startswith("READY"):
                break
            if process.poll() is not None:
                pytest.fail(f"Better Auth exited: {seen}")
        yield BetterAuthServer(base_url=base_url, process=process, lines=lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
async def database(interop_url: str) -> AsyncIterator[Database]:
    database = Database(interop_url, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def interop_settings(interop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("interop"),
        database_url=interop_url,
        encryption_keys=[SecretStr(Fernet.generate_key().decode())],
        auth=AuthSettings(secret=SecretStr(TEST_AUTH_SECRET), base_url=OUR_BASE_URL),
    )


@pytest.fixture
async def ours(interop_settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(interop_settings, database))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=OUR_BASE_URL) as client:
        yield client


@pytest.fixture
async def theirs(better_auth: BetterAuthServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=better_auth.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def email() -> str:
    return f"interop-{uuid.uuid4().hex[:12]}@example.com"


def _cookie(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == COOKIE_NAME:
            return f"{COOKIE_NAME}={rest.split(';', 1)[0]}"
    raise AssertionError(f"no session cookie in {response.headers}")


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, object], **headers: str) -> httpx.Response:
    response = await client.post(f"/api/auth{path}", json=body, headers=headers)
    client.cookies.clear()
    return response


async def _profile(database: Database, auth_user_id: str) -> User:
    async with database.sessionmaker() as session:
        return (await session.execute(select(User).where(User.auth_user_id == auth_user_id))).scalar_one()


async def test_better_auth_user_signs_in_here_with_a_profile(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, database: Database, email: str
) -> None:
    signed_up = await _post(theirs, "/sign-up/email", {"name": "Bea Auth", "email": email, "password": PASSWORD})
    assert signed_up.status_code == 200, signed_up.text
    user_id = signed_up.json()["user"]["id"]

    # The trigger gave the Better Auth sign-up a workspace of its own, as admin.
    profile = await _profile(database, user_id)
    assert (profile.role, profile.first_name, profile.last_name, profile.email) == (
        UserRole.ADMIN,
        "Bea",
        "Auth",
        email,
    )

    signed_in = await _post(ours, "/sign-in/email", {"email": email.upper(), "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"] == signed_up.json()["user"]
    me = await ours.get("/api/users/me", headers={"cookie": _cookie(signed_in)})
    assert (me.status_code, me.json()["role"], me.json()["workspace_id"]) == (200, "admin", str(profile.workspace_id))

    wrong = await _post(ours, "/sign-in/email", {"email": email, "password": "not the password"})
    assert (wrong.status_code, wrong.json()) == (
        401,
        (await _post(theirs, "/sign-in/email", {"email": email, "password": "nope nope"})).json(),
    )


async def test_better_auth_cookie_is_accepted_here(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, email: str
) -> None:
    signed_up = await _post(theirs, "/sign-up/email", {"name": "Cookie Monster", "email": email, "password": PASSWORD})
    cookie = {"cookie": _cookie(signed_up)}
    here = await ours.get("/api/auth/get-session", headers=cookie)
    there = await theirs.get("/api/auth/get-session", headers=cookie)
    assert here.status_code == there.status_code == 200
    assert here.json()["session"]["token"] == signed_up.json()["token"]
    # The same session, told the same way, byte for byte.
    assert here.text == there.text
    me = await ours.get("/api/users/me", headers=cookie)
    assert (me.status_code, me.json()["email"]) == (200, email)


async def test_our_user_and_cookie_work_on_better_auth(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, better_auth: BetterAuthServer, email: str
) -> None:
    signed_up = await _post(ours, "/sign-up/email", {"name": "Otto Ours", "email": email, "password": PASSWORD})
    assert signed_up.status_code == 200, signed_up.text
    cookie = {"cookie": _cookie(signed_up)}

    there = await theirs.get("/api/auth/get-session", headers=cookie)
    assert there.status_code == 200
    assert there.json() is not None, "Better Auth refused our cookie"
    assert there.json()["user"] == signed_up.json()["user"]
    assert there.text == (await ours.get("/api/auth/get-session", headers=cookie)).text

    signed_in = await _post(theirs, "/sign-in/email", {"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"] == signed_up.json()["user"]
    assert list(signed_in.json()) == list(
        (await _post(ours, "/sign-in/email", {"email": email, "password": PASSWORD})).json()
    )

    sessions_there = await theirs.get("/api/auth/list-sessions", headers=cookie)
    sessions_here = await ours.get("/api/auth/list-sessions", headers=cookie)
    assert sorted(s["token"] for s in sessions_there.json()) == sorted(s["token"] for s in sessions_here.json())
    assert len(sessions_here.json()) == 3


async def test_sign_out_on_one_side_ends_the_session_on_the_other(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, better_auth: BetterAuthServer, email: str
) -> None:
    await _post(ours, "/sign-up/email", {"name": "Sam Out", "email": email, "password": PASSWORD})

    # Signed in on Better Auth, signed out here.
    theirs_cookie = {"cookie": _cookie(await _post(theirs, "/sign-in/email", {"email": email, "password": PASSWORD}))}
    assert (await ours.get("/api/users/me", headers=theirs_cookie)).status_code == 200
    out_here = await _post(ours, "/sign-out", {}, origin=OUR_BASE_URL, **theirs_cookie)
    assert out_here.json() == {"success": True}
    assert (await theirs.get("/api/auth/get-session", headers=theirs_cookie)).text == "null"

    # Signed in here, signed out on Better Auth.
    ours_cookie = {"cookie": _cookie(await _post(ours, "/sign-in/email", {"email": email, "password": PASSWORD}))}
    assert (await theirs.get("/api/auth/get-session", headers=ours_cookie)).json() is not None
    out_there = await _post(theirs, "/sign-out", {}, **better_auth.origin, **ours_cookie)
    assert out_there.json() == {"success": True}
    assert (await ours.get("/api/auth/get-session", headers=ours_cookie)).text == "null"
    assert (await ours.get("/api/users/me", headers=ours_cookie)).status_code == 401


async def test_invited_address_signing_up_on_better_auth_joins_the_workspace(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, database: Database, email: str
) -> None:
    admin = await _post(ours, "/sign-up/email", {"name": "Ada Admin", "email": email, "password": PASSWORD})
    admin_cookie = {"cookie": _cookie(admin)}
    invited_email = f"invited-{uuid.uuid4().hex[:8]}@example.com"
    invitation = await ours.post(
        "/api/users/invitations",
        json={"email": invited_email, "role": "sales_rep"},
        headers={**admin_cookie, "origin": OUR_BASE_URL},
    )
    assert invitation.status_code == 201, invitation.text

    joined = await _post(
        theirs, "/sign-up/email", {"name": "Ivy Invited", "email": invited_email, "password": PASSWORD}
    )
    assert joined.status_code == 200, joined.text
    profile = await _profile(database, joined.json()["user"]["id"])
    admin_profile = await _profile(database, admin.json()["user"]["id"])
    assert (profile.workspace_id, profile.role) == (admin_profile.workspace_id, UserRole.SALES_REP)
    members = await ours.get("/api/users", headers=admin_cookie)
    assert invited_email in {item["email"] for item in members.json()["items"]}
    assert (await ours.get("/api/users/invitations", headers=admin_cookie)).json()["total"] == 0


async def test_password_reset_here_signs_in_there(
    ours: httpx.AsyncClient, theirs: httpx.AsyncClient, interop_settings: Settings, database: Database, email: str
) -> None:
    await _post(theirs, "/sign-up/email", {"name": "Rae Set", "email": email, "password": PASSWORD})
    requested = await _post(ours, "/request-password-reset", {"email": email})
    assert requested.status_code == 200
    outbox = interop_settings.data_dir / "outbox"
    mails = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in outbox.glob("*.eml")]
    [mail] = [mail for mail in mails if mail["To"] == email]
    token = mail.get_content().split("/reset-password?token=", 1)[1][:24]
    reset = await _post(ours, "/reset-password", {"newPassword": "a whole new password", "token": token})
    assert reset.status_code == 200, reset.text
    assert (await _post(theirs, "/sign-in/email", {"email": email, "password": PASSWORD})).status_code == 401
    assert (
        await _post(theirs, "/sign-in/email", {"email": email, "password": "a whole new password"})
    ).status_code == 200
    async with database.sessionmaker() as session:
        assert (await session.execute(select(AuthUser.email).where(AuthUser.email == email))).scalar_one() == email

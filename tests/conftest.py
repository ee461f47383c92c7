"""Test harness: a real database built by the migrations, once per run.

``INBOX_TEST_DATABASE`` picks the backend: ``postgres`` (default; the server
at ``INBOX_TEST_POSTGRES_URL``) or ``sqlite``. On PostgreSQL every test runs in
an outer transaction that is rolled back at its end; on SQLite every test gets
a fresh copy of the migrated database file.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from litestar import Litestar
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from api.app import create_app
from inbox.core.db import Database
from inbox.core.migrate import upgrade
from inbox.core.principal import Role
from inbox.settings import AuthSettings, Settings
from tests.factories import Member, make_workspace_with_team

pytest_plugins = ["tests.sending.smtp_fixtures"]

BACKEND = os.environ.get("INBOX_TEST_DATABASE", "postgres")
POSTGRES_ADMIN_URL = os.environ.get("INBOX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
TEST_AUTH_SECRET = "test-secret-that-is-long-enough-for-hmac-0123456789"
TEST_FERNET_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND != "sqlite":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (INBOX_TEST_DATABASE=sqlite)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _postgres_url(database: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


async def create_postgres_database(prefix: str = "inbox_test") -> str:
    """A new, empty PostgreSQL database; returns its asyncpg URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return _postgres_url(name)


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
async def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The URL of a database the migrations built (a template file on SQLite)."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        await _upgrade_in_thread(url)
        yield url
        return
    url = await create_postgres_database()
    try:
        await _upgrade_in_thread(url)
        yield url
    finally:
        await drop_postgres_database(url)


async def _upgrade_in_thread(url: str) -> None:
    import asyncio

    await asyncio.to_thread(upgrade, url)


@pytest.fixture(scope="session")
async def engine_database(migrated_url: str) -> AsyncIterator[Database]:
    if BACKEND == "sqlite":
        yield Database(migrated_url)  # unused on SQLite: each test copies the template
        return
    database = Database(migrated_url, pool_size=5)
    yield database
    await database.dispose()


@pytest.fixture
async def db(engine_database: Database, migrated_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """The database of one test; everything it writes is gone afterwards."""
    if BACKEND == "sqlite":
        template = Path(migrated_url.removeprefix("sqlite+aiosqlite:///"))
        copy = tmp_path / "test.db"
        shutil.copyfile(template, copy)
        database = Database(f"sqlite+aiosqlite:///{copy}")
        yield database
        await database.dispose()
        return
    async with engine_database.engine.connect() as connection:
        transaction = await connection.begin()
        yield engine_database.bound_to(connection)
        await transaction.rollback()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    async with db.sessionmaker() as session:
        yield session


@pytest.fixture
def settings(data_dir: Path, migrated_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=migrated_url,
        encryption_keys=[SecretStr(key) for key in TEST_FERNET_KEYS],
        auth=AuthSettings(secret=SecretStr(TEST_AUTH_SECRET), base_url="http://testserver.local"),
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> Litestar:
    return create_app(settings, db)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (the database
    connection of the test belongs to this loop, so no portal thread)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def unique() -> str:
    """A short unique string for names and addresses."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def team(session: AsyncSession, settings: Settings) -> dict[Role, Member]:
    """An admin, a manager and a sales rep of one workspace, signed in."""
    return await make_workspace_with_team(session, settings)


@pytest.fixture
async def rival(session: AsyncSession, settings: Settings) -> dict[Role, Member]:
    """A second workspace's team: none of their data may reach ``team``."""
    return await make_workspace_with_team(session, settings)

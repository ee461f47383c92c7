"""Fresh databases for the schema tests: one PostgreSQL database and one
SQLite file per test module, built by the migrations and dropped afterwards.

On the SQLite pass of the suite (``INBOX_TEST_DATABASE=sqlite``) only SQLite
is used; otherwise both dialects are.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from inbox.core.db import Database
from inbox.core.migrate import upgrade_async

BACKEND = os.environ.get("INBOX_TEST_DATABASE", "postgres")
POSTGRES_ADMIN_URL = os.environ.get("INBOX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
DIALECTS = ["sqlite"] if BACKEND == "sqlite" else ["postgresql", "sqlite"]


async def create_database(dialect: str, folder: Path) -> str:
    """The URL of a new, empty database."""
    if dialect == "sqlite":
        return f"sqlite+aiosqlite:///{folder / f'schema_{secrets.token_hex(4)}.db'}"
    name = f"inbox_schema_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return  # a file in pytest's temporary folder
    name = url.rsplit("/", 1)[1]
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="module", params=DIALECTS)
async def schema_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A database the migrations built, shared by the tests of one module."""
    url = await create_database(request.param, tmp_path_factory.mktemp("schema"))
    try:
        await upgrade_async(url)
        database = Database(url, pool_size=2)
        yield database
        await database.dispose()
    finally:
        await drop_database(url)


@pytest.fixture(params=DIALECTS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, for one test."""
    url = await create_database(request.param, tmp_path)
    try:
        yield url
    finally:
        await drop_database(url)

"""Database plumbing shared by every domain: the declarative base, column
types that behave the same on PostgreSQL and SQLite, and the engine and
session factory.

Sessions never expire on commit and relationships raise on lazy load, so a
query is always visible in the code that makes it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import JSON, DateTime, MetaData, Uuid, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, always UTC when read back.

    PostgreSQL stores ``timestamptz``; SQLite stores text without an offset,
    so values are normalised to UTC on the way in and tagged UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        """On PostgreSQL, one plain function per value instead of the
        TypeDecorator chain: a list page reads three datetimes a row, and
        asyncpg already returns ``timestamptz`` values in UTC, left as they are."""
        if dialect.name == "sqlite":
            return super().result_processor(dialect, coltype)
        normalize = self.process_result_value

        def process(value: datetime | None) -> datetime | None:
            return value if value is None or value.tzinfo is UTC else normalize(value, dialect)

        return process


# JSONB on PostgreSQL (indexable containment), JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class sql_now(FunctionElement[datetime]):
    """The database's current time, for defaults and updates.

    On SQLite it is text in exactly the format SQLAlchemy writes datetimes in
    (``YYYY-MM-DD HH:MM:SS.ffffff``): CURRENT_TIMESTAMP has whole seconds and
    no fraction, which sorts and compares differently from bound values, so a
    keyset cursor on a defaulted column would never match its own row."""

    type = UTCDateTime()
    inherit_cache = True
    name = "sql_now"


@compiles(sql_now)
def _now_default(element: sql_now, compiler: Any, **kw: Any) -> str:
    return "now()"


@compiles(sql_now, "sqlite")
def _now_sqlite(element: sql_now, compiler: Any, **kw: Any) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


class Timestamps:
    """``created_at``/``updated_at`` kept by the database.

    The server default sets ``created_at``; ``updated_at`` is set by the ORM on
    every update and, on PostgreSQL, by a trigger for writes made outside it.
    Eager defaults read both back with RETURNING, so no attribute is left
    expired after a flush (an expired attribute would be a hidden query).
    """

    __mapper_args__ = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=sql_now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(server_default=sql_now(), onupdate=sql_now(), nullable=False)


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        # Every mapper must be known before the first query configures them
        # (a foreign key names its table by string), whatever a process imported.
        import inbox.models  # noqa: F401

        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, poolclass=NullPool, connect_args={"timeout": 30}
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
        else:
            # A fixed pool: overflow connections opened and closed with every burst
            # cost more (new backends, re-prepared statements) than waiting for one.
            # No pre-ping (a round trip per request); recycling bounds a connection's age.
            # JSON columns are decoded by msgspec (C) rather than the json module: a contact
            # list page decodes two per row. PostgreSQL's jsonb only ever holds plain JSON
            # (no NaN), which both read the same.
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=0,
                pool_pre_ping=False,
                pool_recycle=1800,
                json_deserializer=msgspec.json.decode,
            )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads (a GET's unit of work): every statement commits on its own, which saves
        # the BEGIN and COMMIT round trips. Nothing is lost: under READ COMMITTED each
        # statement takes its own snapshot inside a transaction too, and the writes a
        # read may make (a session's refresh) are single statements. SQLite's driver
        # only begins a transaction before a write, so its reads need nothing else.
        self.read_sessionmaker = (
            self.sessionmaker
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
            )
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def bound_to(self, connection: AsyncConnection) -> Database:
        """A Database whose sessions run inside ``connection``'s transaction,
        committing to savepoints: how tests roll back everything a test did."""
        bound = object.__new__(Database)
        bound.url, bound.is_sqlite, bound.engine = self.url, self.is_sqlite, self.engine
        bound.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
        )
        bound.read_sessionmaker = bound.sessionmaker
        return bound

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

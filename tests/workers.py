"""An ``inbox worker`` process for tests, as production runs it: its own process, on Redis and
PostgreSQL, so what it does is read back from the database and from the servers it talked to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import redis
from cryptography.fernet import Fernet
from pydantic import SecretStr

from inbox.core.migrate import upgrade
from inbox.settings import Settings
from tests.conftest import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[1]


@contextlib.asynccontextmanager
async def committed_database(prefix: str) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own (a worker process cannot see a test's transaction)."""
    url = await create_postgres_database(prefix)
    await asyncio.to_thread(upgrade, url)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@contextlib.contextmanager
def worker_process(
    database_url: str, redis_url: str, data_dir: Path, *, env: dict[str, str] | None = None, threads: int = 8
) -> Iterator[Settings]:
    """Run ``inbox worker`` until the block ends; yields settings that enqueue to it and share its key.

    ``redis_url`` should name a Redis database of the caller's own: it is flushed first."""
    redis.Redis.from_url(redis_url).flushdb()
    key = Fernet.generate_key().decode()
    environment = {
        **os.environ,
        "INBOX_ENVIRONMENT": "production",
        "INBOX_DATABASE_URL": database_url,
        "INBOX_REDIS_URL": redis_url,
        "INBOX_DATA_DIR": str(data_dir),
        "INBOX_AUTH__SECRET": uuid.uuid4().hex * 2,
        "INBOX_ENCRYPTION_KEYS": json.dumps([key]),
        **(env or {}),
    }
    with (data_dir / "worker.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "inbox.cli", "worker", "--threads", str(threads)],
            cwd=ROOT,
            env=environment,
            stderr=log,
        )
        try:
            yield Settings(
                environment="test",
                database_url=database_url,
                redis_url=redis_url,
                data_dir=data_dir,
                encryption_keys=[SecretStr(key)],
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

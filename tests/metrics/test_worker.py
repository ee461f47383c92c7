"""The ``rollup_metrics`` actor as production runs it: ``inbox worker`` on Redis and PostgreSQL, fed by the
scheduler's tick."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from inbox.auth.crypto import generate_id
from inbox.auth.models import AuthUser
from inbox.core.db import Database, utcnow
from inbox.metrics.models import PerformanceMetric
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.users.models import User
from tests.workers import committed_database, worker_process

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/11"  # this module's own: flushed before the worker starts


@pytest.fixture(scope="module")
async def worker_db() -> AsyncIterator[str]:
    async with committed_database("inbox_metrics_worker") as url:
        yield url


@pytest.fixture(scope="module")
def worker(worker_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with worker_process(worker_db, REDIS_URL, tmp_path_factory.mktemp("metrics-worker"), threads=2) as settings:
        yield settings


async def seed(url: str) -> tuple[uuid.UUID, int]:
    """A rep who sent three emails yesterday and two today; their user id and how many were sent today."""
    database = Database(url)
    now = utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        async with database.transaction() as session:
            identity = AuthUser(
                id=generate_id(),
                name="Rep",
                email=f"rep-{uuid.uuid4().hex[:8]}@x.example",
                created_at=now,
                updated_at=now,
            )
            session.add(identity)
            await session.flush()
            # The sign-up trigger made the profile, in a workspace of its own.
            user = await session.scalar(sa.select(User).where(User.auth_user_id == identity.id))
            assert user is not None
            moments = [today - timedelta(hours=n) for n in (1, 2, 3)] + [today + (now - today) / n for n in (2, 3)]
            session.add_all(
                Email(
                    workspace_id=user.workspace_id,
                    user_id=user.id,
                    direction=Direction.OUTBOUND,
                    delivery_status=DeliveryStatus.SENT,
                    sent_at=moment,
                    message_id=f"{uuid.uuid4()}@x.example",
                )
                for moment in moments
            )
        return user.id, 2
    finally:
        await database.dispose()


async def test_the_scheduler_tick_has_the_worker_roll_up_yesterday_and_today(worker: Settings, worker_db: str) -> None:
    from workers.broker import install_broker
    from workers.scheduler import schedule_metrics_rollup

    user_id, sent_today = await seed(worker_db)
    broker = install_broker(worker)
    database = Database(worker_db)
    today = utcnow().date()
    try:
        assert await schedule_metrics_rollup() == 1
        deadline = time.monotonic() + 30
        while True:
            async with database.read_sessionmaker() as session:
                rows = {
                    row.date: row.emails_sent
                    for row in await session.scalars(
                        sa.select(PerformanceMetric).where(PerformanceMetric.user_id == user_id)
                    )
                }
            if len(rows) == 2:
                break
            assert time.monotonic() < deadline, f"rows after 30 s: {rows}"
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()
        broker.close()
    assert rows == {today - timedelta(days=1): 3, today: sent_today}

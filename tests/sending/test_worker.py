"""The ``send_email`` actor as production runs it: ``inbox worker`` on Redis and PostgreSQL,
sending to the test SMTP server. Duplicated queue messages and the scheduler's sweeper send nothing twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa

from inbox.core.db import Database
from inbox.mailboxes.models import EmailAccount
from inbox.sending.service import new_message_id
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.workspaces.models import Workspace
from tests.sending.factories import mailbox_values
from tests.sending.smtp_server import USERNAME, SmtpServer
from tests.workers import committed_database, worker_process

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/12"  # this module's own: flushed before the worker starts


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def worker_db() -> AsyncIterator[str]:
    async with committed_database("inbox_send_worker") as url:
        yield url


@pytest.fixture(scope="module")
def worker(worker_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with worker_process(worker_db, REDIS_URL, tmp_path_factory.mktemp("send-worker")) as settings:
        yield settings


async def seed(url: str, settings: Settings, smtp: SmtpServer, count: int) -> list[Email]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Send worker", slug=f"send-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            values = mailbox_values(
                settings, smtp.host, smtp.port, email_address=f"rep-{uuid.uuid4().hex[:6]}@x.example"
            )
            values["username"] = USERNAME  # the server's login
            account = EmailAccount(workspace_id=workspace.id, **values)
            session.add(account)
            await session.flush()
            emails = [
                Email(
                    workspace_id=workspace.id,
                    email_account_id=account.id,
                    direction=Direction.OUTBOUND,
                    delivery_status=DeliveryStatus.QUEUED,
                    to_addresses=[f"lead-{n}@acme-corp.example"],
                    subject=f"Hello {n}",
                    body_text="Hi\n",
                    message_id=new_message_id(account.email_address),
                )
                for n in range(count)
            ]
            session.add_all(emails)
        return emails
    finally:
        await database.dispose()


async def wait_sent(url: str, email_ids: list[uuid.UUID], seconds: float = 30.0) -> None:
    database = Database(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            async with database.read_sessionmaker() as session:
                done = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Email)
                    .where(Email.id.in_(email_ids), Email.delivery_status == DeliveryStatus.SENT)
                )
            if done == len(email_ids):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{done} of {len(email_ids)} emails sent after {seconds:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()


async def test_every_email_enqueued_twice_and_swept_is_sent_once(
    worker: Settings, worker_db: str, smtp: SmtpServer
) -> None:
    from workers.broker import install_broker
    from workers.queue import enqueue_send
    from workers.scheduler import sweep_sends

    emails = await seed(worker_db, worker, smtp, 20)
    ids = [email.id for email in emails]
    broker = install_broker(worker)
    database = Database(worker_db)
    try:
        enqueue_send(ids + ids)
        await wait_sent(worker_db, ids)
        # Nothing is left for the sweeper: it enqueues nothing more.
        assert await sweep_sends(database) == 0
        await asyncio.sleep(1.0)  # let the duplicates reach the worker
    finally:
        await database.dispose()
        broker.close()

    sent = sorted(
        r.message["Message-ID"]
        for r in smtp.received
        if r.message["Message-ID"] in {f"<{e.message_id}>" for e in emails}
    )
    assert sent == sorted(f"<{email.message_id}>" for email in emails)


async def test_the_sweeper_sends_mail_whose_queue_message_was_lost(
    worker: Settings, worker_db: str, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import scheduler
    from workers.broker import install_broker

    [email] = await seed(worker_db, worker, smtp, 1)
    database = Database(worker_db)
    broker = install_broker(worker)
    try:
        # Nothing was enqueued: the message is lost. Past the grace period the sweeper finds it.
        monkeypatch.setattr(scheduler, "SEND_HINT_GRACE_SECONDS", 0.0)
        await asyncio.sleep(0.05)
        assert await scheduler.sweep_sends(database) >= 1
        await wait_sent(worker_db, [email.id])
    finally:
        await database.dispose()
        broker.close()
    assert len(smtp.with_message_id(email.message_id or "")) == 1

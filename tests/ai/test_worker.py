"""The triage worker as production runs it: ``inbox worker`` on Redis and PostgreSQL, with the
``openai`` provider pointed at a local server that speaks the chat-completions protocol.

The worker is a separate process: what it writes is read back from the database, and what it
asked the model is what the server recorded.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from inbox.core.db import Database
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.insights.models import AiInsight, InsightType
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import AiSettings, Settings
from inbox.threads.models import Email
from inbox.workspaces.models import Workspace
from tests.ai.fake_openai import FakeOpenAI, malformed, rate_limited, server_error, slow
from tests.ingest.factories import message
from tests.workers import committed_database, worker_process

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/13"  # this module's own: flushed before the worker starts
TIMEOUT_SECONDS = 1.0  # the worker's LLM timeout: a "slow" answer of 3 s times out


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_script(fake: FakeOpenAI) -> None:
    fake.reset()


@pytest.fixture(scope="module")
async def worker_db() -> AsyncIterator[str]:
    async with committed_database("inbox_worker") as url:
        yield url


@pytest.fixture(scope="module")
def worker(worker_db: str, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One ``inbox worker`` process for the module, triaging with the ``openai`` provider against ``fake``."""
    env = {
        "INBOX_AI__PROVIDER": "openai",
        "INBOX_AI__BASE_URL": fake.base_url,
        "INBOX_AI__API_KEY": "test-key",
        "INBOX_AI__TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "INBOX_AI__BACKOFF_SECONDS": "0.05",
        "INBOX_AI__MAX_RETRIES": "4",
    }
    with worker_process(worker_db, REDIS_URL, tmp_path_factory.mktemp("worker"), env=env) as settings:
        yield settings


async def seed(url: str, tmp_path: Path, *raws: bytes) -> list[uuid.UUID]:
    """A new workspace with a mailbox that received ``raws``, committed (the worker is another process)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Worker", slug=f"worker-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            mailbox = EmailAccount(
                workspace_id=workspace.id, email_address="rep@ourco.example", provider=MailboxProvider.IMAP
            )
            session.add(mailbox)
            await session.flush()
            stored = await ingest_messages(
                session,
                mailbox,
                [IncomingMessage(raw=raw) for raw in raws],
                blobs=LocalBlobStore(tmp_path / "blobs"),
            )
        return stored.stored
    finally:
        await database.dispose()


def enqueue(settings: Settings, email_ids: list[uuid.UUID]) -> None:
    from workers.broker import install_broker
    from workers.queue import enqueue_triage

    broker = install_broker(settings)
    enqueue_triage(email_ids)
    broker.close()


async def wait_triaged(url: str, email_ids: list[uuid.UUID], seconds: float = 30.0) -> None:
    database = Database(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            async with database.read_sessionmaker() as session:
                done = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Email)
                    .where(Email.id.in_(email_ids), Email.triaged_at.is_not(None))
                )
            if done == len(email_ids):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{done} of {len(email_ids)} emails triaged after {seconds:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()


async def intent_rows(url: str, email_ids: list[uuid.UUID]) -> dict[uuid.UUID, AiInsight]:
    database = Database(url)
    try:
        async with database.read_sessionmaker() as session:
            rows = await session.scalars(
                sa.select(AiInsight).where(
                    AiInsight.email_id.in_(email_ids), AiInsight.insight_type == InsightType.INTENT
                )
            )
            return {row.email_id: row for row in rows}
    finally:
        await database.dispose()


async def test_each_email_is_triaged_once_and_header_recognised_mail_costs_no_request(
    worker: Settings, worker_db: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    people = [
        message(subject="Pricing", body="What does the team plan cost per seat?\n"),
        message(subject="Call", body="Let's meet on Thursday at 3pm to go through it.\n"),
        message(subject="No", body="Not interested, thanks.\n"),
    ]
    robots = [
        message(
            subject="Automatic reply: Pricing",
            body="I am out of the office until Monday.\n",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    ]
    email_ids = await seed(worker_db, tmp_path, *people, *robots)
    # Every email twice, as a retried publish or the sweeper would send it.
    enqueue(worker, email_ids + email_ids)

    await wait_triaged(worker_db, email_ids)
    await asyncio.sleep(1.0)  # let the duplicates reach the worker too

    assert len(fake.chat_requests()) == len(people)
    intents = await intent_rows(worker_db, email_ids)
    assert set(intents) == set(email_ids)
    assert [intents[email_id].provider for email_id in email_ids] == ["openai"] * 3 + ["offline"]
    assert intents[email_ids[1]].content == "meeting_request"
    assert all(intents[email_id].tokens_in for email_id in email_ids[:3])
    database = Database(worker_db)
    try:
        async with database.read_sessionmaker() as session:
            per_email = await session.execute(
                sa.select(AiInsight.email_id, sa.func.count())
                .where(AiInsight.email_id.in_(email_ids))
                .group_by(AiInsight.email_id)
            )
            assert {count for _, count in per_email} == {6}  # one row per insight type, never two
    finally:
        await database.dispose()


async def test_rate_limits_server_errors_and_timeouts_are_retried(
    worker: Settings, worker_db: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script(rate_limited("1"), server_error(500), slow(TIMEOUT_SECONDS * 3))
    [email_id] = await seed(worker_db, tmp_path, message(body="Could you send me the security whitepaper?\n"))
    enqueue(worker, [email_id])

    await wait_triaged(worker_db, [email_id], seconds=60)

    calls = fake.chat_requests()
    assert len(calls) == 4  # 429, 500, a timeout, then the answer
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After: 1 was honoured
    intent = (await intent_rows(worker_db, [email_id]))[email_id]
    assert intent.provider == "openai"
    assert intent.data["requests"] == 4
    assert "fallback_reason" not in intent.data


async def test_invalid_output_twice_falls_back_to_the_offline_provider_and_says_so(
    worker: Settings, worker_db: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.script(malformed(), malformed())
    [email_id] = await seed(worker_db, tmp_path, message(body="Sounds good, send me more details please.\n"))
    enqueue(worker, [email_id])

    await wait_triaged(worker_db, [email_id])

    assert len(fake.chat_requests()) == 2  # the request and its one repair, no more
    intent = (await intent_rows(worker_db, [email_id]))[email_id]
    assert intent.provider == "offline"
    assert "invalid output" in intent.data["fallback_reason"]


async def test_the_sweeper_triages_mail_whose_queue_message_was_lost(
    worker: Settings, worker_db: str, fake: FakeOpenAI, tmp_path: Path
) -> None:
    from workers.broker import install_broker
    from workers.scheduler import sweep_untriaged

    [email_id] = await seed(worker_db, tmp_path, message(body="Is there a discount for a two-year term?\n"))
    # Nothing was enqueued: the message is lost. The sweeper finds it in the database.
    settings = worker.model_copy(update={"ai": AiSettings(sweep_after_seconds=0)})
    broker = install_broker(settings)
    database = Database(worker_db)
    try:
        assert await sweep_untriaged(database, settings) >= 1
    finally:
        await database.dispose()
        broker.close()

    await wait_triaged(worker_db, [email_id])
    assert len(fake.chat_requests()) == 1

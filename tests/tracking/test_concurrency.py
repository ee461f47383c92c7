"""A scanner clicks every link of an email at the same moment: on a database of its own (every request its
own connection and transaction), the clicks are judged one after the other and none of them counts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from api.app import create_app
from inbox.core.db import Database, utcnow
from inbox.core.migrate import upgrade
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType
from inbox.tracking.rewrite import TrackingLinks
from inbox.workspaces.models import Workspace
from tests.conftest import create_postgres_database, drop_postgres_database

BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}


@pytest.fixture(scope="module")
async def own_db() -> AsyncIterator[str]:
    url = await create_postgres_database("inbox_tracking")
    await asyncio.to_thread(upgrade, url)
    yield url
    await drop_postgres_database(url)


@pytest.mark.postgres_only
async def test_simultaneous_clicks_on_every_link_are_all_a_machines(
    own_db: str, settings: Settings, links: TrackingLinks
) -> None:
    database = Database(own_db, pool_size=10)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Tracking", slug=f"tracking-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            email = Email(
                workspace_id=workspace.id,
                direction=Direction.OUTBOUND,
                delivery_status=DeliveryStatus.SENT,
                to_addresses=["lead@acme-corp.example"],
                message_id=f"{uuid.uuid4()}@ourco.example",
                sent_at=utcnow() - timedelta(hours=1),
            )
            session.add(email)
        urls = [f"https://acme.example/page-{n}" for n in range(6)]
        transport = httpx.ASGITransport(app=create_app(settings, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
            answers = await asyncio.gather(
                *(
                    client.get(links.click_url(email.id, n, url).split("testserver.local", 1)[1], headers=BROWSER)
                    for n, url in enumerate(urls)
                )
            )

        assert sorted(answer.headers["location"] for answer in answers) == urls
        async with database.read_sessionmaker() as session:
            machine = (
                await session.scalars(
                    sa.select(EmailEvent.is_machine).where(
                        EmailEvent.email_id == email.id, EmailEvent.event_type == EmailEventType.CLICKED
                    )
                )
            ).all()
            stored = await session.scalar(sa.select(Email).where(Email.id == email.id))
        assert machine == [True] * len(urls)
        assert stored is not None and (stored.click_count, stored.delivery_status) == (0, DeliveryStatus.SENT)
    finally:
        await database.dispose()

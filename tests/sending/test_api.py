"""``POST /api/emails/{id}/send``: approval in the caller's scope, 202, and a send job after the commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dramatiq
import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus
from tests.factories import Member
from tests.sending.factories import mailbox_values, make_draft
from workers.broker import install_broker
from workers.queue import SEND_QUEUE


@pytest.fixture
def broker(settings: Settings) -> Iterator[StubBroker]:
    previous = dramatiq.get_broker()
    stub = install_broker(settings)
    assert isinstance(stub, StubBroker)
    yield stub
    stub.close()
    dramatiq.set_broker(previous)


def queued(broker: StubBroker) -> list[dramatiq.Message[Any]]:
    queue = broker.queues.get(SEND_QUEUE)
    if queue is None:
        return []
    return [dramatiq.Message.decode(data) for data in list(queue.queue)]


@pytest.fixture
async def mailbox(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> EmailAccount:
    rep = team[Role.SALES_REP]
    # The server is never contacted here: sending is the worker's.
    values = mailbox_values(settings, "127.0.0.1", 2525)
    account = EmailAccount(workspace_id=rep.workspace_id, user_id=rep.user.id, **values)
    session.add(account)
    await session.commit()
    return account


async def test_a_rep_approves_their_draft_202_and_the_send_is_enqueued(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    broker: StubBroker,
) -> None:
    draft = await make_draft(session, mailbox)

    response = await client.post(f"/api/emails/{draft.id}/send", headers=team[Role.SALES_REP].headers)

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["id"] == str(draft.id)
    assert body["delivery_status"] == "queued"
    assert body["message_id"].endswith("@ourco.example") and not body["message_id"].startswith("<")
    assert body["in_reply_to"] is not None and body["last_error"] is None
    assert [(m.actor_name, m.args) for m in queued(broker)] == [("send_email", (str(draft.id),))]

    again = await client.post(f"/api/emails/{draft.id}/send", headers=team[Role.SALES_REP].headers)
    assert again.status_code == 409
    assert len(queued(broker)) == 1


async def test_send_at_in_the_future_schedules_without_a_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    broker: StubBroker,
) -> None:
    draft = await make_draft(session, mailbox)
    send_at = (utcnow() + timedelta(days=1)).isoformat()

    response = await client.post(
        f"/api/emails/{draft.id}/send", json={"send_at": send_at}, headers=team[Role.SALES_REP].headers
    )

    assert response.status_code == 202, response.text
    assert response.json()["delivery_status"] == "scheduled"
    assert response.json()["scheduled_at"] is not None
    assert queued(broker) == []


async def test_a_draft_outside_the_callers_scope_is_404_and_bad_requests_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    mailbox: EmailAccount,
    broker: StubBroker,
) -> None:
    draft = await make_draft(session, mailbox)
    no_recipients = await make_draft(session, mailbox, to=[])

    other_workspace = await client.post(f"/api/emails/{draft.id}/send", headers=rival[Role.ADMIN].headers)
    unknown = await client.post(f"/api/emails/{uuid.uuid4()}/send", headers=team[Role.SALES_REP].headers)
    naive = await client.post(
        f"/api/emails/{draft.id}/send", json={"send_at": "2030-01-01T09:00:00"}, headers=team[Role.SALES_REP].headers
    )
    empty = await client.post(f"/api/emails/{no_recipients.id}/send", headers=team[Role.SALES_REP].headers)
    anonymous = await client.post(f"/api/emails/{draft.id}/send")

    assert other_workspace.status_code == 404
    assert unknown.status_code == 404
    assert naive.status_code == 400
    assert empty.status_code == 400
    assert anonymous.status_code == 401
    assert queued(broker) == []


async def test_another_reps_mailbox_draft_is_404_for_a_rep_and_sendable_by_a_manager(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    broker: StubBroker,
) -> None:
    manager = team[Role.MANAGER]
    values = mailbox_values(settings, "127.0.0.1", 2525)
    values["email_address"] = "max@ourco.example"
    theirs = EmailAccount(workspace_id=manager.workspace_id, user_id=manager.user.id, **values)
    session.add(theirs)
    await session.commit()
    draft = await make_draft(session, theirs)

    as_rep = await client.post(f"/api/emails/{draft.id}/send", headers=team[Role.SALES_REP].headers)
    as_manager = await client.post(f"/api/emails/{draft.id}/send", headers=manager.headers)

    assert as_rep.status_code == 404
    assert as_manager.status_code == 202
    assert len(queued(broker)) == 1


async def test_a_failed_send_shows_the_servers_answer_in_the_thread(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], mailbox: EmailAccount
) -> None:
    draft = await make_draft(session, mailbox)
    draft.delivery_status = DeliveryStatus.FAILED
    draft.retry_count = 5
    draft.last_error = "gave up after 5 retries: 451 4.3.0 Temporary lookup failure"
    await session.commit()

    response = await client.get(f"/api/threads/{draft.thread_id}", headers=team[Role.SALES_REP].headers)

    assert response.status_code == 200, response.text
    sent = next(email for email in response.json()["emails"] if email["id"] == str(draft.id))
    assert sent["delivery_status"] == "failed"
    assert sent["retry_count"] == 5
    assert sent["last_error"] == "gave up after 5 retries: 451 4.3.0 Temporary lookup failure"

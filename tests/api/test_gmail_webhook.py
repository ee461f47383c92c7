"""POST /webhooks/gmail: Pub/Sub push notifications of Gmail, authenticated by the token in the URL."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount, MailboxProvider, MailboxStatus, MailboxSyncState
from inbox.settings import GmailSettings, Settings
from tests.factories import Member
from workers.broker import install_broker
from workers.queue import INGEST_QUEUE

PUSH_TOKEN = "pubsub-push-secret-0123456789abcdef"
ADDRESS = "rep@ourco.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"gmail": GmailSettings(push_token=SecretStr(PUSH_TOKEN))})


@pytest.fixture
def broker(settings: Settings) -> Iterator[StubBroker]:
    previous = dramatiq.get_broker()
    stub = install_broker(settings)
    assert isinstance(stub, StubBroker)
    yield stub
    stub.close()
    dramatiq.set_broker(previous)


def queued(broker: StubBroker) -> list[dramatiq.Message[Any]]:
    queue = broker.queues.get(INGEST_QUEUE)
    if queue is None:
        return []
    return [dramatiq.Message.decode(data) for data in list(queue.queue)]


async def make_gmail_mailbox(
    session: AsyncSession, workspace_id: uuid.UUID, *, address: str = ADDRESS, **values: Any
) -> EmailAccount:
    values.setdefault("provider", MailboxProvider.GMAIL)
    account = EmailAccount(workspace_id=workspace_id, email_address=address, **values)
    session.add(account)
    await session.commit()
    return account


def envelope(email_address: str = ADDRESS, history_id: int = 987654, **data: Any) -> dict[str, Any]:
    notification = json.dumps({"emailAddress": email_address, "historyId": history_id, **data}).encode()
    return {
        "message": {
            "data": base64.b64encode(notification).decode(),
            "messageId": "2070443601311540",
            "message_id": "2070443601311540",
            "publishTime": "2021-02-26T19:13:55.749Z",
            "publish_time": "2021-02-26T19:13:55.749Z",
        },
        "subscription": "projects/inbox-test/subscriptions/gmail-push",
    }


async def push(client: httpx.AsyncClient, body: Any, token: str | None = PUSH_TOKEN) -> httpx.Response:
    params = {"token": token} if token is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        "/webhooks/gmail", params=params, content=content, headers={"Content-Type": "application/json"}
    )


async def test_notification_queues_a_sync_of_the_mailbox(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], broker: StubBroker
) -> None:
    mailbox = await make_gmail_mailbox(session, team[Role.ADMIN].workspace_id)

    response = await push(client, envelope(ADDRESS.upper()))

    assert response.status_code == 204
    assert response.content == b""
    (message,) = queued(broker)
    assert message.actor_name == "sync_gmail_mailbox"
    assert message.args == (str(mailbox.id),)


async def test_the_address_is_looked_up_in_every_workspace(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    broker: StubBroker,
) -> None:
    ours = await make_gmail_mailbox(session, team[Role.ADMIN].workspace_id)
    theirs = await make_gmail_mailbox(session, rival[Role.ADMIN].workspace_id)
    await make_gmail_mailbox(session, team[Role.ADMIN].workspace_id, address="other@ourco.example")
    await make_gmail_mailbox(
        session, rival[Role.ADMIN].workspace_id, address="paused@ourco.example", status=MailboxStatus.PAUSED
    )

    assert (await push(client, envelope())).status_code == 204

    assert sorted(message.args[0] for message in queued(broker)) == sorted([str(ours.id), str(theirs.id)])


async def test_no_sync_for_mailboxes_that_cannot_or_need_not_sync(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], broker: StubBroker
) -> None:
    workspace_id = team[Role.ADMIN].workspace_id
    await make_gmail_mailbox(session, workspace_id, status=MailboxStatus.ERROR, last_error="invalid_grant")
    await make_gmail_mailbox(session, workspace_id, address="off@ourco.example", is_active=False)
    await make_gmail_mailbox(session, workspace_id, address="imap@ourco.example", provider=MailboxProvider.IMAP)
    synced = await make_gmail_mailbox(session, workspace_id, address="synced@ourco.example")
    session.add(
        MailboxSyncState(workspace_id=workspace_id, email_account_id=synced.id, folder="gmail", gmail_history_id="5000")
    )
    await session.commit()

    for address, history_id in [
        (ADDRESS, 100),
        ("off@ourco.example", 100),
        ("imap@ourco.example", 100),
        ("synced@ourco.example", 5000),  # a sync already reached it
    ]:
        assert (await push(client, envelope(address, history_id))).status_code == 204
    assert queued(broker) == []

    assert (await push(client, envelope("synced@ourco.example", 5001))).status_code == 204
    assert [message.args for message in queued(broker)] == [(str(synced.id),)]


async def test_unknown_address_is_acknowledged_and_nothing_queued(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], broker: StubBroker
) -> None:
    await make_gmail_mailbox(session, team[Role.ADMIN].workspace_id)

    response = await push(client, envelope("stranger@elsewhere.example"))

    assert response.status_code == 204
    assert queued(broker) == []


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("", 401), ("wrong-token", 403), (PUSH_TOKEN[:-1], 403), (PUSH_TOKEN + "x", 403)],
)
async def test_missing_or_wrong_token_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    broker: StubBroker,
    token: str | None,
    status: int,
) -> None:
    await make_gmail_mailbox(session, team[Role.ADMIN].workspace_id)

    response = await push(client, envelope(), token=token)

    assert response.status_code == status
    assert "token" in response.json()["detail"]
    assert queued(broker) == []


def _data(raw: bytes) -> dict[str, Any]:
    return {"message": {"data": base64.b64encode(raw).decode(), "messageId": "1"}, "subscription": "s"}


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"not json", "not a Pub/Sub push envelope"),
        (b"[]", "not a Pub/Sub push envelope"),
        ({"subscription": "s"}, "message"),
        ({"message": {"messageId": "1"}}, "message.data"),
        ({"message": {"data": "%%%not base64%%%"}}, "not base64"),
        (_data(b"not json"), "not a Gmail notification"),
        (_data(json.dumps({"historyId": 1}).encode()), "emailAddress"),
        (_data(json.dumps({"emailAddress": ADDRESS, "historyId": "soon"}).encode()), "historyId"),
    ],
)
async def test_malformed_body_is_a_400_with_a_reason(
    client: httpx.AsyncClient, broker: StubBroker, body: Any, complaint: str
) -> None:
    response = await push(client, body)

    assert response.status_code == 400
    assert complaint in response.json()["detail"]
    assert queued(broker) == []


async def test_not_configured_is_a_503(settings: Settings, db: Database, broker: StubBroker) -> None:
    app = create_app(settings.model_copy(update={"gmail": GmailSettings()}), db)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        response = await push(client, envelope())

    assert response.status_code == 503
    assert "INBOX_GMAIL__PUSH_TOKEN" in response.json()["detail"]
    assert queued(broker) == []

"""Mailgun's webhooks end to end: events and inbound routes, signed with a test key the way Mailgun
signs (HMAC-SHA256 over timestamp + token), against the replay guard in this process and in Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dramatiq
import dramatiq.broker
import httpx
import pytest
import sqlalchemy as sa
from dramatiq.brokers.stub import StubBroker
from litestar import Litestar
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.webhooks.mailgun import REPLAY_GUARD_STATE_KEY
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.webhooks import MemoryReplayGuard, RedisReplayGuard
from inbox.mailboxes.models import EmailAccount, MailboxStatus
from inbox.settings import Settings, WebhookSettings
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailAttachment, EmailEvent, EmailEventType
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message
from tests.ingest.test_events import Sent, make_sent_email, reload

KEY = "key-test-" + "3a" * 16
REDIS_URL = "redis://127.0.0.1:6379/15"
BASE_URL = "http://testserver.local"
MAILBOX = "rep@ourco.example"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={"data_dir": tmp_path, "webhooks": WebhookSettings(mailgun_signing_key=SecretStr(KEY))}
    )


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    """An in-process broker, so the test sees what was enqueued (and nothing reaches a real one)."""
    previous = dramatiq.broker.global_broker
    stub = StubBroker()
    stub.emit_after("process_boot")
    dramatiq.set_broker(stub)
    yield stub
    dramatiq.broker.global_broker = previous


def queued(broker: StubBroker, queue: str) -> list[dramatiq.Message[Any]]:
    if queue not in broker.queues:
        return []
    return [dramatiq.Message.decode(data) for data in list(broker.queues[queue].queue)]


@pytest.fixture
async def sent(session: AsyncSession, team: dict[Role, Member]) -> Sent:
    return await make_sent_email(session, team[Role.ADMIN].workspace_id)


@pytest.fixture
async def mailbox(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> EmailAccount:
    rep = team[Role.SALES_REP]
    account = await make_mailbox(session, settings, workspace_id=rep.workspace_id, user_id=rep.user.id, address=MAILBOX)
    await session.commit()
    return account


def signature(timestamp: int | None = None, token: str | None = None, key: str = KEY) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    token = token or secrets.token_hex(25)
    digest = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": str(timestamp), "token": token, "signature": digest}


def event_post(event_data: dict[str, Any], signed: dict[str, str] | None = None) -> dict[str, Any]:
    base = {"id": uuid.uuid4().hex[:22], "timestamp": time.time(), "recipient": "lead@prospect.example"}
    return {"signature": signed if signed is not None else signature(), "event-data": base | event_data}


def about(sent: Sent, event: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "recipient": sent.contact.email,
        "message": {"headers": {"message-id": sent.message_id}},
        **extra,
    }


async def event_rows(session: AsyncSession) -> list[EmailEvent]:
    return list(await session.scalars(sa.select(EmailEvent).order_by(EmailEvent.occurred_at)))


# --- Events ----------------------------------------------------------------------------------------


async def test_a_signed_event_is_recorded(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    response = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered")))

    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 1, "duplicates": 0, "unmatched": 0, "ignored": 0}
    [row] = await event_rows(session)
    assert (row.provider, row.event_type, row.email_id) == ("mailgun", EmailEventType.DELIVERED, sent.email.id)
    assert (await reload(session, sent))[0].delivery_status is DeliveryStatus.DELIVERED


async def test_delivering_the_same_event_twice_writes_one_row(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    """Mailgun may deliver an event again (a new signature each time): recorded once, counted once."""
    event_data = about(sent, "opened", id="same-event-id", timestamp=1770146431.5)
    first = await client.post("/webhooks/mailgun/events", json=event_post(event_data))
    second = await client.post("/webhooks/mailgun/events", json=event_post(event_data))

    assert first.json()["recorded"] == 1
    assert second.status_code == 200 and second.json() == {"recorded": 0, "duplicates": 1, "unmatched": 0, "ignored": 0}
    assert len(await event_rows(session)) == 1
    assert (await reload(session, sent))[0].open_count == 1


async def test_a_bounce_marks_the_contact_bounced(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    failed = about(
        sent,
        "failed",
        severity="permanent",
        reason="bounce",
        **{
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist",
            }
        },
    )
    response = await client.post("/webhooks/mailgun/events", json=event_post(failed))

    assert response.status_code == 200
    email, contact = await reload(session, sent)
    assert email.delivery_status is DeliveryStatus.BOUNCED
    assert contact.bounced is True and contact.bounced_at is not None


async def test_an_unsubscribe_marks_the_contact_unsubscribed(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    response = await client.post(
        "/webhooks/mailgun/events",
        json=event_post(
            about(sent, "unsubscribed", message={}, **{"user-variables": {"email_id": str(sent.email.id)}})
        ),
    )

    assert response.status_code == 200 and response.json()["recorded"] == 1
    contact = (await reload(session, sent))[1]
    assert contact.unsubscribed is True and contact.unsubscribed_at is not None


async def test_events_we_cannot_place_are_accepted_and_skipped(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    unknown = await client.post(
        "/webhooks/mailgun/events",
        json=event_post({"event": "delivered", "message": {"headers": {"message-id": "x@y"}}}),
    )
    untracked = await client.post("/webhooks/mailgun/events", json=event_post({"event": "accepted"}))

    assert unknown.status_code == 200 and unknown.json()["unmatched"] == 1
    assert untracked.status_code == 200 and untracked.json()["ignored"] == 1
    assert await event_rows(session) == []


async def test_a_forged_signature_is_refused(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    forged = signature(key="key-not-ours")
    response = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered"), forged))

    assert response.status_code == 401
    assert response.json()["code"] == "SIGNATURE_INVALID"
    assert await event_rows(session) == []


@pytest.mark.parametrize(
    "signed",
    [{}, {"timestamp": "1", "token": "abc"}, {"timestamp": "", "token": "abc", "signature": "00"}],
    ids=["no block", "no signature", "empty timestamp"],
)
async def test_a_missing_signature_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent, signed: dict[str, str]
) -> None:
    response = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered"), signed))
    without_block = await client.post("/webhooks/mailgun/events", json={"event-data": about(sent, "delivered")})

    assert response.status_code == 401 and response.json()["code"] == "SIGNATURE_MISSING"
    assert without_block.status_code == 401
    assert await event_rows(session) == []


async def test_a_replayed_token_is_refused(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    """The signature covers the timestamp and token only: a captured one must not carry another body."""
    signed = signature()
    first = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered"), signed))
    replayed = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered"), signed))
    other_body = await client.post(
        "/webhooks/mailgun/events",
        json=event_post(about(sent, "failed", severity="permanent", reason="suppress-bounce"), signed),
    )

    assert first.status_code == 200
    assert replayed.status_code == 403 and replayed.json()["code"] == "REPLAYED"
    assert other_body.status_code == 403
    assert len(await event_rows(session)) == 1
    assert (await reload(session, sent))[1].bounced is False


@pytest.mark.parametrize("direction", [-1, 1], ids=["old", "future"])
async def test_a_stale_timestamp_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, sent: Sent, direction: int
) -> None:
    signed = signature(timestamp=int(time.time()) + direction * (settings.webhooks.max_age_seconds + 1))
    response = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "delivered"), signed))

    assert response.status_code == 403
    assert response.json()["code"] == "STALE_TIMESTAMP"
    assert await event_rows(session) == []


async def test_malformed_posts_are_400(client: httpx.AsyncClient) -> None:
    not_json = await client.post(
        "/webhooks/mailgun/events", content=b"{oops", headers={"content-type": "application/json"}
    )
    no_event = await client.post("/webhooks/mailgun/events", json={"signature": signature()})
    bad_time = await client.post(
        "/webhooks/mailgun/events", json=event_post({"event": "opened", "timestamp": "yesterday"})
    )

    assert not_json.status_code == 400 and not_json.json()["code"] == "MALFORMED_PAYLOAD"
    assert no_event.status_code == 400
    assert bad_time.status_code == 400


async def test_without_a_signing_key_the_webhooks_are_unavailable(settings: Settings, db: Database) -> None:
    app = create_app(settings.model_copy(update={"webhooks": WebhookSettings()}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        events = await client.post("/webhooks/mailgun/events", json=event_post({"event": "delivered"}))
        inbound = await client.post("/webhooks/mailgun/inbound", data={"recipient": MAILBOX, **signature()})

    assert events.status_code == inbound.status_code == 503
    assert "INBOX_WEBHOOKS__MAILGUN_SIGNING_KEY" in events.json()["detail"]


# --- The replay guard across replicas ----------------------------------------------------------------


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test:webhook-replay:{uuid.uuid4().hex}"
    yield prefix
    async with Redis.from_url(REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)


async def test_replicas_sharing_redis_accept_a_token_once(
    settings: Settings, db: Database, session: AsyncSession, sent: Sent, redis_prefix: str
) -> None:
    with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
    replicas: list[Litestar] = []
    for _ in range(2):
        app = create_app(with_redis, db)
        app.state[REPLAY_GUARD_STATE_KEY] = RedisReplayGuard(REDIS_URL, prefix=redis_prefix)
        replicas.append(app)
    signed = signature()
    answers = []
    for app in replicas:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
            answers.append(
                await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "opened"), signed))
            )

    assert [answer.status_code for answer in answers] == [200, 403]
    async with Redis.from_url(REDIS_URL) as redis:
        [key] = [key async for key in redis.scan_iter(f"{redis_prefix}:*")]
        assert 0 < await redis.ttl(key) <= 2 * settings.webhooks.max_age_seconds + 60
    assert len(await event_rows(session)) == 1


async def test_the_guard_is_redis_when_configured_and_in_process_otherwise(
    settings: Settings, db: Database, sent: Sent
) -> None:
    for redis_url, kind in ((REDIS_URL, RedisReplayGuard), (None, MemoryReplayGuard)):
        app = create_app(settings.model_copy(update={"redis_url": redis_url}), db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
            signed = signature()
            ok = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "opened"), signed))
            again = await client.post("/webhooks/mailgun/events", json=event_post(about(sent, "opened"), signed))
        assert (ok.status_code, again.status_code) == (200, 403)
        assert isinstance(app.state[REPLAY_GUARD_STATE_KEY], kind)


async def test_memory_guard_forgets_a_token_after_its_ttl() -> None:
    now = [1000.0]
    guard = MemoryReplayGuard(clock=lambda: now[0])
    assert await guard.claim("t", 60) is True
    assert await guard.claim("t", 60) is False
    now[0] += 61
    assert await guard.claim("t", 60) is True
    await guard.release("t")
    assert await guard.claim("t", 60) is True


# --- Inbound ---------------------------------------------------------------------------------------


async def test_a_raw_mime_route_post_is_stored_and_queued_for_triage(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker, settings: Settings
) -> None:
    raw = message(subject="Pricing for 40 seats", to=MAILBOX, body="Could you send pricing?\n")
    response = await client.post(
        "/webhooks/mailgun/inbound/mime",
        files={"body-mime": (None, raw)},
        data={"recipient": MAILBOX, "sender": "jane@acme-corp.example", **signature()},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 1, "duplicates": 0}
    email = await session.scalar(sa.select(Email).where(Email.email_account_id == mailbox.id))
    assert email is not None
    assert (email.direction, email.subject, email.workspace_id) == (
        Direction.INBOUND,
        "Pricing for 40 seats",
        mailbox.workspace_id,
    )
    assert email.raw_storage_key is not None
    assert LocalBlobStore(settings.blob_dir).get(email.raw_storage_key) == raw
    assert [m.args for m in queued(broker, "triage")] == [(str(email.id),)]


async def test_a_parsed_route_post_is_rebuilt_into_a_message(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker, settings: Settings
) -> None:
    """The "fully parsed" format: message-headers as JSON, UTF-8 bodies, files attachment-1..n."""
    headers = [
        ["Received", "from mail.acme-corp.example by mxa.mailgun.org"],
        ["From", "Jürgen Käufer <juergen@acme-corp.example>"],
        ["To", f"Rep <{MAILBOX}>"],
        ["Subject", "Grüße: Angebot"],
        ["Message-Id", "<offer-123@acme-corp.example>"],
        ["Date", "Tue, 03 Nov 2026 09:30:00 +0100"],
        ["Content-Type", 'multipart/mixed; boundary="original-boundary"'],
        ["Mime-Version", "1.0"],
        ["X-Evil", "line\r\nInjected: yes"],
    ]
    form = {
        "recipient": MAILBOX,
        "sender": "juergen@acme-corp.example",
        "from": "Jürgen Käufer <juergen@acme-corp.example>",
        "subject": "Grüße: Angebot",
        "body-plain": "Hallo, anbei das Angebot.\n",
        "body-html": '<p>Hallo, anbei das Angebot.<img src="cid:logo@acme"></p>',
        "stripped-text": "Hallo, anbei das Angebot.",
        "message-headers": json.dumps(headers),
        "attachment-count": "2",
        "content-id-map": json.dumps({"<logo@acme>": "attachment-2"}),
        **signature(),
    }
    files = {
        "attachment-1": ("Angebot Q4.pdf", b"%PDF-1.4 offer", "application/pdf"),
        "attachment-2": ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
    }
    response = await client.post("/webhooks/mailgun/inbound", data=form, files=files)

    assert response.status_code == 200, response.text
    email = await session.scalar(sa.select(Email).where(Email.email_account_id == mailbox.id))
    assert email is not None
    assert email.message_id == "offer-123@acme-corp.example"
    assert (email.subject, email.from_address, email.from_name) == (
        "Grüße: Angebot",
        "juergen@acme-corp.example",
        "Jürgen Käufer",
    )
    assert email.to_addresses == [MAILBOX]
    assert email.body_text is not None and "anbei das Angebot" in email.body_text
    assert email.parse_error is None
    assert email.raw_storage_key is not None
    raw = LocalBlobStore(settings.blob_dir).get(email.raw_storage_key)
    assert b"\r\nInjected:" not in raw and b"original-boundary" not in raw
    attachments = list(await session.scalars(sa.select(EmailAttachment).where(EmailAttachment.email_id == email.id)))
    by_name = {a.filename: a for a in attachments}
    assert set(by_name) == {"Angebot Q4.pdf", "logo.png"}
    assert by_name["Angebot Q4.pdf"].size_bytes == len(b"%PDF-1.4 offer") and not by_name["Angebot Q4.pdf"].is_inline
    assert by_name["logo.png"].content_id == "logo@acme" and by_name["logo.png"].is_inline
    assert len(queued(broker, "triage")) == 1


async def test_an_urlencoded_parsed_post_without_attachments(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    headers = [["From", "a@acme-corp.example"], ["To", MAILBOX], ["Subject", "Plain"], ["Message-Id", "<p1@acme>"]]
    body = urlencode({"recipient": MAILBOX, "message-headers": json.dumps(headers), "body-plain": "hi", **signature()})
    response = await client.post(
        "/webhooks/mailgun/inbound", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 200, response.text
    email = await session.scalar(sa.select(Email).where(Email.message_id == "p1@acme"))
    assert email is not None and email.subject == "Plain"


async def test_8bit_mail_in_another_charset_arrives_byte_for_byte(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker, settings: Settings
) -> None:
    raw = (
        b"From: =?iso-8859-1?q?Ren=E9?= <rene@acme-corp.example>\r\nTo: " + MAILBOX.encode() + b"\r\n"
        b"Subject: Caf\xe9\r\nMessage-ID: <latin1@acme>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nPrix: 30\xa0\x80\r\n"
    )
    response = await client.post(
        "/webhooks/mailgun/inbound/mime", files={"body-mime": (None, raw)}, data={"recipient": MAILBOX, **signature()}
    )

    assert response.status_code == 200, response.text
    email = await session.scalar(sa.select(Email).where(Email.message_id == "latin1@acme"))
    assert email is not None and email.raw_storage_key is not None
    assert LocalBlobStore(settings.blob_dir).get(email.raw_storage_key) == raw
    assert email.subject == "Café" and email.from_name == "René"
    assert email.body_text is not None and "Prix: 30" in email.body_text


async def test_the_same_message_posted_again_is_stored_once(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    raw = message(to=MAILBOX, message_id="<once@acme-corp.example>")
    answers = [
        await client.post(
            "/webhooks/mailgun/inbound/mime",
            files={"body-mime": (None, raw)},
            data={"recipient": MAILBOX, **signature()},
        )
        for _ in range(2)
    ]

    assert [a.json() for a in answers] == [{"stored": 1, "duplicates": 0}, {"stored": 0, "duplicates": 1}]
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Email).where(Email.email_account_id == mailbox.id)
    )
    assert count == 1
    assert len(queued(broker, "triage")) == 1


async def test_inbound_for_no_mailbox_is_406_and_the_token_is_released(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, team: dict[Role, Member], broker: StubBroker
) -> None:
    """406 makes Mailgun drop the message for good; the token claim is given back, so the same signed
    post is accepted once a mailbox receives that address (it is not mistaken for a replay)."""
    signed = signature()
    post = {"recipient": MAILBOX, **signed}
    raw = message(to=MAILBOX)
    refused = await client.post("/webhooks/mailgun/inbound/mime", files={"body-mime": (None, raw)}, data=post)

    assert refused.status_code == 406 and refused.json()["code"] == "NO_RECEIVING_MAILBOX"
    assert await session.scalar(sa.select(sa.func.count()).select_from(Email)) == 0

    paused = await make_mailbox(session, settings, workspace_id=team[Role.ADMIN].workspace_id, address=MAILBOX)
    paused.status = MailboxStatus.PAUSED
    await session.commit()
    still_refused = await client.post("/webhooks/mailgun/inbound/mime", files={"body-mime": (None, raw)}, data=post)
    assert still_refused.status_code == 406

    paused.status = MailboxStatus.ERROR  # an IMAP login failing does not stop webhook mail
    await session.commit()
    accepted = await client.post("/webhooks/mailgun/inbound/mime", files={"body-mime": (None, raw)}, data=post)
    assert accepted.status_code == 200 and accepted.json()["stored"] == 1


async def test_inbound_signatures_are_checked_like_events(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    mailbox: EmailAccount,
    broker: StubBroker,
) -> None:
    raw = message(to=MAILBOX)
    files = {"body-mime": (None, raw)}
    forged = await client.post(
        "/webhooks/mailgun/inbound/mime", files=files, data={"recipient": MAILBOX, **signature(key="not-ours")}
    )
    missing = await client.post("/webhooks/mailgun/inbound/mime", files=files, data={"recipient": MAILBOX})
    stale = await client.post(
        "/webhooks/mailgun/inbound/mime",
        files=files,
        data={"recipient": MAILBOX, **signature(timestamp=int(time.time()) - settings.webhooks.max_age_seconds - 60)},
    )
    signed = signature()
    first = await client.post("/webhooks/mailgun/inbound/mime", files=files, data={"recipient": MAILBOX, **signed})
    replayed = await client.post("/webhooks/mailgun/inbound/mime", files=files, data={"recipient": MAILBOX, **signed})

    assert (forged.status_code, forged.json()["code"]) == (401, "SIGNATURE_INVALID")
    assert (missing.status_code, missing.json()["code"]) == (401, "SIGNATURE_MISSING")
    assert (stale.status_code, stale.json()["code"]) == (403, "STALE_TIMESTAMP")
    assert first.status_code == 200
    assert (replayed.status_code, replayed.json()["code"]) == (403, "REPLAYED")
    assert await session.scalar(sa.select(sa.func.count()).select_from(Email)) == 1


async def test_malformed_inbound_posts_are_400(
    client: httpx.AsyncClient, mailbox: EmailAccount, broker: StubBroker
) -> None:
    no_message = await client.post("/webhooks/mailgun/inbound", data={"recipient": MAILBOX, **signature()})
    no_recipient = await client.post(
        "/webhooks/mailgun/inbound/mime", files={"body-mime": (None, b"x")}, data=signature()
    )
    bad_headers = await client.post(
        "/webhooks/mailgun/inbound", data={"recipient": MAILBOX, "message-headers": "{nope", **signature()}
    )
    not_a_form = await client.post("/webhooks/mailgun/inbound", json={"recipient": MAILBOX})
    broken_multipart = await client.post(
        "/webhooks/mailgun/inbound",
        content=b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated',
        headers={"content-type": "multipart/form-data; boundary=b"},
    )

    for answer in (no_message, no_recipient, bad_headers, not_a_form, broken_multipart):
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "MALFORMED_PAYLOAD"

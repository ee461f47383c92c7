"""SendGrid's webhooks end to end: the Signed Event Webhook (an EC P-256 key pair made here, signing
``timestamp + body`` as SendGrid does) and Inbound Parse (a secret token in the URL), raw and parsed."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import dramatiq.broker
import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from dramatiq.brokers.stub import StubBroker
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.webhooks import load_sendgrid_public_key, verify_sendgrid_signature
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings, WebhookSettings
from inbox.threads.models import DeliveryStatus, Email, EmailAttachment, EmailEvent, EmailEventType
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message
from tests.ingest.test_events import Sent, make_sent_email, reload

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
INBOUND_TOKEN = "inbound-token-" + "7f" * 16
BASE_URL = "http://testserver.local"
MAILBOX = "rep@ourco.example"
PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())


def public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    """The key as SendGrid's settings page shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    webhooks = WebhookSettings(
        sendgrid_public_key=public_key_text(PRIVATE_KEY), sendgrid_inbound_token=SecretStr(INBOUND_TOKEN)
    )
    return settings.model_copy(update={"data_dir": tmp_path, "webhooks": webhooks})


@pytest.fixture
def broker() -> Iterator[StubBroker]:
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


def signed_headers(
    body: bytes, *, timestamp: int | None = None, key: ec.EllipticCurvePrivateKey = PRIVATE_KEY
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: stamp,
        "content-type": "application/json",
    }


def batch(*events: dict[str, Any]) -> bytes:
    # SendGrid's own body ends with CRLF; the signature covers it byte for byte.
    return json.dumps(list(events)).encode() + b"\r\n"


def about(sent: Sent, event: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": sent.contact.email,
        "timestamp": int(time.time()),
        "smtp-id": f"<{sent.message_id}>",
        "event": event,
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **extra,
    }


async def post_events(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks/sendgrid/events", content=body, headers=headers)


async def event_rows(session: AsyncSession) -> list[EmailEvent]:
    return list(await session.scalars(sa.select(EmailEvent).order_by(EmailEvent.occurred_at, EmailEvent.event_type)))


# --- Signature verification ------------------------------------------------------------------------

# The test vector of SendGrid's own libraries (sendgrid-python test/unit/test_eventwebhook.py).
VECTOR_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8e"
    "NEc6wEA3F+g=="
)
VECTOR_SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
VECTOR_TIMESTAMP = "1600112502"
VECTOR_PAYLOAD = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
).encode()


def test_sendgrids_own_test_vector_verifies() -> None:
    key = load_sendgrid_public_key(VECTOR_KEY)
    assert verify_sendgrid_signature(key, VECTOR_TIMESTAMP, VECTOR_PAYLOAD, VECTOR_SIGNATURE)
    assert not verify_sendgrid_signature(key, VECTOR_TIMESTAMP, VECTOR_PAYLOAD.rstrip(), VECTOR_SIGNATURE)
    assert not verify_sendgrid_signature(key, "1600112503", VECTOR_PAYLOAD, VECTOR_SIGNATURE)
    assert not verify_sendgrid_signature(key, VECTOR_TIMESTAMP, VECTOR_PAYLOAD, "not base64!")
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert verify_sendgrid_signature(load_sendgrid_public_key(pem), VECTOR_TIMESTAMP, VECTOR_PAYLOAD, VECTOR_SIGNATURE)


# --- Events ----------------------------------------------------------------------------------------


async def test_a_signed_batch_is_recorded(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    body = batch(
        about(sent, "processed"),
        about(sent, "delivered"),
        about(sent, "open", useragent="Mozilla/5.0", ip="198.51.100.7"),
        about(sent, "click", url="https://ourco.example/demo"),
    )
    response = await post_events(client, body, signed_headers(body))

    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 3, "duplicates": 0, "unmatched": 0, "ignored": 1}
    rows = await event_rows(session)
    assert {row.event_type for row in rows} == {EmailEventType.DELIVERED, EmailEventType.OPENED, EmailEventType.CLICKED}
    assert all(row.provider == "sendgrid" and row.email_id == sent.email.id for row in rows)
    email, _ = await reload(session, sent)
    assert (email.delivery_status, email.open_count, email.click_count) == (DeliveryStatus.CLICKED, 1, 1)


async def test_the_same_event_delivered_twice_writes_one_row(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    """A retried batch is signed again (a new timestamp): its events are recognised by sg_event_id."""
    opened = about(sent, "open", sg_event_id="sg-event-1")
    body = batch(opened)
    first = await post_events(client, body, signed_headers(body, timestamp=int(time.time()) - 5))
    second = await post_events(client, body, signed_headers(body))

    assert first.json()["recorded"] == 1
    assert second.status_code == 200 and second.json()["duplicates"] == 1
    assert len(await event_rows(session)) == 1
    assert (await reload(session, sent))[0].open_count == 1


async def test_a_bounce_marks_the_contact_bounced(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    body = batch(about(sent, "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 No such user"))
    response = await post_events(client, body, signed_headers(body))

    assert response.status_code == 200
    email, contact = await reload(session, sent)
    assert email.delivery_status is DeliveryStatus.BOUNCED
    assert contact.bounced is True


async def test_an_unsubscribe_by_custom_arg_marks_the_contact_unsubscribed(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    unsubscribe = about(sent, "unsubscribe", email_id=str(sent.email.id))
    del unsubscribe["smtp-id"]  # engagement events carry no smtp-id: the custom arg finds the email
    body = batch(unsubscribe)
    response = await post_events(client, body, signed_headers(body))

    assert response.status_code == 200 and response.json()["recorded"] == 1
    contact = (await reload(session, sent))[1]
    assert contact.unsubscribed is True and not contact.bounced


async def test_a_forged_or_tampered_post_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    body = batch(about(sent, "spamreport"))
    forged = await post_events(client, body, signed_headers(body, key=ec.generate_private_key(ec.SECP256R1())))
    tampered_body = batch(about(sent, "bounce", type="bounce", status="5.1.1"))
    tampered = await post_events(client, tampered_body, signed_headers(body))
    garbage = await post_events(client, body, signed_headers(body) | {SIGNATURE_HEADER: "%%%"})

    for answer in (forged, tampered, garbage):
        assert answer.status_code == 401 and answer.json()["code"] == "SIGNATURE_INVALID"
    assert await event_rows(session) == []
    assert (await reload(session, sent))[1].unsubscribed is False


@pytest.mark.parametrize("missing", [SIGNATURE_HEADER, TIMESTAMP_HEADER])
async def test_a_missing_signature_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent, missing: str
) -> None:
    body = batch(about(sent, "delivered"))
    headers = signed_headers(body)
    del headers[missing]
    response = await post_events(client, body, headers)

    assert response.status_code == 401 and response.json()["code"] == "SIGNATURE_MISSING"
    assert await event_rows(session) == []


async def test_a_replayed_post_is_refused(client: httpx.AsyncClient, session: AsyncSession, sent: Sent) -> None:
    body = batch(about(sent, "delivered"))
    headers = signed_headers(body)
    first = await post_events(client, body, headers)
    replayed = await post_events(client, body, headers)

    assert first.status_code == 200
    assert replayed.status_code == 403 and replayed.json()["code"] == "REPLAYED"


@pytest.mark.parametrize("direction", [-1, 1], ids=["old", "future"])
async def test_a_stale_timestamp_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, sent: Sent, direction: int
) -> None:
    body = batch(about(sent, "delivered"))
    stale = int(time.time()) + direction * (settings.webhooks.max_age_seconds + 100)
    response = await post_events(client, body, signed_headers(body, timestamp=stale))

    assert response.status_code == 403 and response.json()["code"] == "STALE_TIMESTAMP"
    assert await event_rows(session) == []


async def test_a_signed_body_that_is_not_an_event_array_is_400(client: httpx.AsyncClient) -> None:
    for body in (b"{not json", b'{"event": "open"}'):
        response = await post_events(client, body, signed_headers(body))
        assert response.status_code == 400 and response.json()["code"] == "MALFORMED_PAYLOAD"


async def test_hostile_strings_in_events_are_stored_not_crashed_on(
    client: httpx.AsyncClient, session: AsyncSession, sent: Sent
) -> None:
    """JSON can carry NUL and lone surrogates, which PostgreSQL refuses: they are cleaned, not a 500."""
    hostile = about(sent, "click", url="https://x.example/\\u0000\\ud800", useragent="\\ud800", note="\\u0000")
    body = json.dumps([hostile]).replace("\\\\u", "\\u").encode()
    assert b"\\ud800" in body and b"\\u0000" in body
    response = await post_events(client, body, signed_headers(body))

    assert response.status_code == 200, response.text
    [row] = await event_rows(session)
    assert row.url == "https://x.example/?" and row.user_agent == "?" and row.data["note"] == ""


async def test_without_a_public_key_the_event_webhook_is_unavailable(settings: Settings, db: Database) -> None:
    app = create_app(settings.model_copy(update={"webhooks": WebhookSettings(sendgrid_public_key="not a key")}), db)
    unset = create_app(settings.model_copy(update={"webhooks": WebhookSettings()}), db)
    body = batch({"event": "open"})
    for application in (app, unset):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url=BASE_URL) as client:
            response = await post_events(client, body, signed_headers(body))
        assert response.status_code == 503
        assert "INBOX_WEBHOOKS__SENDGRID_PUBLIC_KEY" in response.json()["detail"]


# --- Inbound Parse ---------------------------------------------------------------------------------


def inbound_url(token: str | None = INBOUND_TOKEN) -> str:
    return "/webhooks/sendgrid/inbound" + (f"?token={token}" if token is not None else "")


def envelope(to: str = MAILBOX) -> str:
    return json.dumps({"to": [to], "from": "jane@acme-corp.example"})


async def test_a_raw_post_is_stored_and_queued_for_triage(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker, settings: Settings
) -> None:
    raw = message(to=f"Rep <{MAILBOX}>", subject="Renewal", message_id="<renewal@acme-corp.example>")
    fields = {"envelope": envelope(), "from": "Jane <jane@acme-corp.example>", "spam_score": "0.1", "SPF": "pass"}
    response = await client.post(inbound_url(), data=fields, files={"email": (None, raw)})

    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 1, "duplicates": 0, "mailboxes": 1}
    email = await session.scalar(sa.select(Email).where(Email.email_account_id == mailbox.id))
    assert email is not None and email.subject == "Renewal"
    assert email.raw_storage_key is not None
    assert LocalBlobStore(settings.blob_dir).get(email.raw_storage_key) == raw
    assert [m.args for m in queued(broker, "triage")] == [(str(email.id),)]


async def test_a_parsed_post_is_rebuilt_with_its_charsets_and_attachments(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    """The default (not "send raw") format: raw ``headers``, bodies in the charsets ``charsets`` names,
    files ``attachment1``... described by ``attachment-info``."""
    headers = (
        "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Wed, 27 Jul 2016 20:53:06 +0000 (UTC)\n"
        "From: =?utf-8?q?Ren=C3=A9?= <rene@acme-corp.example>\n"
        f"To: {MAILBOX}\n"
        "Subject: =?iso-8859-1?q?Caf=E9?=\n"
        "Message-ID: <parsed-1@acme-corp.example>\n"
        "Date: Wed, 27 Jul 2016 16:53:05 -0400\n"
        'Content-Type: multipart/mixed; boundary="001a113df448cad2d00538a2e29f"\n'
        "MIME-Version: 1.0\n"
    )
    fields = [
        ("headers", headers.encode()),
        ("dkim", b"{@acme-corp.example : pass}"),
        ("to", MAILBOX.encode()),
        ("from", "René <rene@acme-corp.example>".encode()),
        ("subject", "Café".encode()),
        ("text", "Prix : 30 € pour l'équipe\n".encode("cp1252")),
        ("html", "<p>Prix : 30 € pour l'équipe</p>".encode("cp1252")),
        ("envelope", envelope().encode()),
        (
            "charsets",
            json.dumps({"to": "UTF-8", "html": "windows-1252", "subject": "UTF-8", "text": "windows-1252"}).encode(),
        ),
        ("attachments", b"1"),
        ("attachment-info", json.dumps({"attachment1": {"filename": "devis.pdf", "type": "application/pdf"}}).encode()),
    ]
    files = [(name, (None, value)) for name, value in fields]
    files.append(("attachment1", ("devis.pdf", b"%PDF-1.7 devis", "application/pdf")))
    response = await client.post(inbound_url(), files=files)

    assert response.status_code == 200, response.text
    email = await session.scalar(sa.select(Email).where(Email.message_id == "parsed-1@acme-corp.example"))
    assert email is not None
    assert (email.subject, email.from_name, email.from_address) == ("Café", "René", "rene@acme-corp.example")
    assert email.body_text is not None and "30 € pour l'équipe" in email.body_text
    assert email.body_html is not None and "30 € pour l'équipe" in email.body_html
    [attachment] = await session.scalars(sa.select(EmailAttachment).where(EmailAttachment.email_id == email.id))
    assert (attachment.filename, attachment.content_type, attachment.size_bytes) == (
        "devis.pdf",
        "application/pdf",
        len(b"%PDF-1.7 devis"),
    )


async def test_a_replayed_inbound_post_stores_nothing_new(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    """Inbound Parse is unsigned, so a replay cannot be told from a retry: the Message-ID dedupes it."""
    raw = message(to=MAILBOX, message_id="<dup@acme-corp.example>")
    answers = [
        await client.post(inbound_url(), data={"envelope": envelope()}, files={"email": (None, raw)}) for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1].json() == {"stored": 0, "duplicates": 1, "mailboxes": 1}
    assert await session.scalar(sa.select(sa.func.count()).select_from(Email)) == 1
    assert len(queued(broker, "triage")) == 1


async def test_the_inbound_token_is_required_and_checked(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    raw = message(to=MAILBOX)
    missing = await client.post(inbound_url(None), data={"envelope": envelope()}, files={"email": (None, raw)})
    wrong = await client.post(inbound_url("guess"), data={"envelope": envelope()}, files={"email": (None, raw)})

    assert (missing.status_code, missing.json()["code"]) == (401, "SIGNATURE_MISSING")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "TOKEN_INVALID")
    assert await session.scalar(sa.select(sa.func.count()).select_from(Email)) == 0


async def test_inbound_for_no_mailbox_is_acknowledged_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, broker: StubBroker
) -> None:
    raw = message(to="nobody@ourco.example")
    response = await client.post(
        inbound_url(), data={"envelope": envelope("nobody@ourco.example")}, files={"email": (None, raw)}
    )

    assert response.status_code == 200 and response.json() == {"stored": 0, "duplicates": 0, "mailboxes": 0}
    assert await session.scalar(sa.select(sa.func.count()).select_from(Email)) == 0


async def test_without_an_envelope_the_to_header_names_the_mailbox(
    client: httpx.AsyncClient, session: AsyncSession, mailbox: EmailAccount, broker: StubBroker
) -> None:
    raw = message(to=f"Someone <someone@else.example>, {MAILBOX.upper()}")
    response = await client.post(inbound_url(), files={"email": (None, raw)})

    assert response.status_code == 200 and response.json()["stored"] == 1


async def test_malformed_inbound_posts_are_400(client: httpx.AsyncClient, mailbox: EmailAccount) -> None:
    neither = await client.post(inbound_url(), data={"envelope": envelope(), "subject": "x"})
    bad_json = await client.post(inbound_url(), data={"envelope": "{", "headers": "Subject: x"})
    urlencoded_json = await client.post(inbound_url(), json={"email": "x"})

    for answer in (neither, bad_json, urlencoded_json):
        assert answer.status_code == 400 and answer.json()["code"] == "MALFORMED_PAYLOAD"


async def test_without_an_inbound_token_inbound_parse_is_unavailable(settings: Settings, db: Database) -> None:
    app = create_app(settings.model_copy(update={"webhooks": WebhookSettings()}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        response = await client.post(inbound_url(), files={"email": (None, b"x")})

    assert response.status_code == 503
    assert "INBOX_WEBHOOKS__SENDGRID_INBOUND_TOKEN" in response.json()["detail"]

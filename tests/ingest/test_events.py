"""Provider events: normalising Mailgun and SendGrid payloads, recording them once, and their effects
on our emails and contacts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.core.principal import Role
from inbox.ingest.events import ProviderEvent, RecordedEvents, mark_bounced, record_events
from inbox.ingest.types import BounceKind
from inbox.ingest.webhooks import MalformedPayload, bounce_kind, parse_mailgun_event, parse_sendgrid_events
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType
from tests.factories import Member

AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


@dataclass
class Sent:
    email: Email
    contact: Contact

    @property
    def message_id(self) -> str:
        assert self.email.message_id is not None
        return self.email.message_id


async def make_sent_email(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    address: str | None = None,
    status: DeliveryStatus = DeliveryStatus.SENT,
    message_id: str | None = None,
) -> Sent:
    """An outbound email we sent to a contact, as the sending code leaves it."""
    address = address or f"lead-{uuid.uuid4().hex[:8]}@prospect.example"
    contact = await session.scalar(
        sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.email == address)
    )
    if contact is None:
        contact = Contact(workspace_id=workspace_id, email=address, first_name="Lee")
        session.add(contact)
        await session.flush()
    email = Email(
        workspace_id=workspace_id,
        contact_id=contact.id,
        direction=Direction.OUTBOUND,
        from_address="rep@ourco.example",
        to_addresses=[address],
        subject="Quick question",
        message_id=message_id or f"{uuid.uuid4().hex}@ourco.example",
        delivery_status=status,
        sent_at=AT - timedelta(minutes=5),
    )
    session.add(email)
    await session.commit()
    return Sent(email, contact)


def event(
    sent: Sent | None,
    event_type: EmailEventType,
    *,
    event_id: str | None = None,
    at: datetime = AT,
    by: str = "message_id",
    **extra: Any,
) -> ProviderEvent:
    fields: dict[str, Any] = {
        "provider": "sendgrid",
        "provider_event_id": event_id or uuid.uuid4().hex,
        "event_type": event_type,
        "occurred_at": at,
        "recipient": sent.contact.email if sent else "someone@elsewhere.example",
    }
    if sent is not None and by == "message_id":
        fields["message_id"] = sent.message_id
    if sent is not None and by == "email_id":
        fields["email_id"] = sent.email.id
    return ProviderEvent(**(fields | extra))


async def reload(session: AsyncSession, sent: Sent) -> tuple[Email, Contact]:
    email = await session.scalar(
        sa.select(Email).where(Email.id == sent.email.id).execution_options(populate_existing=True)
    )
    contact = await session.scalar(
        sa.select(Contact).where(Contact.id == sent.contact.id).execution_options(populate_existing=True)
    )
    assert email is not None and contact is not None
    return email, contact


async def events_of(session: AsyncSession, email_id: uuid.UUID) -> list[EmailEvent]:
    query = sa.select(EmailEvent).where(EmailEvent.email_id == email_id).order_by(EmailEvent.occurred_at)
    return list(await session.scalars(query))


@pytest.fixture
async def sent(session: AsyncSession, team: dict[Role, Member]) -> Sent:
    return await make_sent_email(session, team[Role.ADMIN].workspace_id)


# --- Recording -------------------------------------------------------------------------------------


async def test_engagement_events_count_and_move_the_status_forward(session: AsyncSession, sent: Sent) -> None:
    batch = [
        event(sent, EmailEventType.DELIVERED, at=AT),
        event(sent, EmailEventType.OPENED, at=AT + timedelta(minutes=1), ip_address="203.0.113.9", user_agent="Mail"),
        event(sent, EmailEventType.OPENED, at=AT + timedelta(minutes=2)),
        event(sent, EmailEventType.CLICKED, at=AT + timedelta(minutes=3), url="https://ourco.example/pricing"),
    ]
    result = await record_events(session, batch)
    await session.commit()

    assert result == RecordedEvents(recorded=4, duplicates=0, unmatched=0)
    email, _ = await reload(session, sent)
    assert (email.open_count, email.click_count, email.delivery_status) == (2, 1, DeliveryStatus.CLICKED)
    rows = await events_of(session, sent.email.id)
    assert [row.event_type for row in rows] == [
        EmailEventType.DELIVERED,
        EmailEventType.OPENED,
        EmailEventType.OPENED,
        EmailEventType.CLICKED,
    ]
    assert all(row.workspace_id == sent.email.workspace_id and row.contact_id == sent.contact.id for row in rows)
    assert rows[1].ip_address == "203.0.113.9" and rows[1].user_agent == "Mail"
    assert rows[3].url == "https://ourco.example/pricing"
    assert rows[0].occurred_at == AT


async def test_the_same_event_twice_is_one_row_and_counts_once(session: AsyncSession, sent: Sent) -> None:
    opened = event(sent, EmailEventType.OPENED, event_id="evt-1")
    first = await record_events(session, [opened, opened])
    second = await record_events(session, [opened])
    await session.commit()

    assert (first.recorded, first.duplicates) == (1, 1)
    assert (second.recorded, second.duplicates) == (0, 1)
    email, _ = await reload(session, sent)
    assert email.open_count == 1
    assert len(await events_of(session, sent.email.id)) == 1


async def test_status_never_moves_back(session: AsyncSession, team: dict[Role, Member]) -> None:
    workspace_id = team[Role.ADMIN].workspace_id
    clicked = await make_sent_email(session, workspace_id, status=DeliveryStatus.CLICKED)
    replied = await make_sent_email(session, workspace_id, status=DeliveryStatus.REPLIED)
    await record_events(
        session,
        [
            event(clicked, EmailEventType.DELIVERED),
            event(clicked, EmailEventType.OPENED),
            event(replied, EmailEventType.OPENED),
            event(replied, EmailEventType.BOUNCED, bounce_kind=BounceKind.SOFT),
        ],
    )
    await session.commit()

    assert (await reload(session, clicked))[0].delivery_status is DeliveryStatus.CLICKED
    email, _ = await reload(session, replied)
    assert email.delivery_status is DeliveryStatus.REPLIED
    assert email.open_count == 1  # counted, though the status stays


async def test_a_hard_bounce_marks_the_contact_bounced(session: AsyncSession, sent: Sent) -> None:
    bounced_at = AT + timedelta(minutes=1)
    await record_events(session, [event(sent, EmailEventType.BOUNCED, at=bounced_at, bounce_kind=BounceKind.HARD)])
    await session.commit()

    email, contact = await reload(session, sent)
    assert email.delivery_status is DeliveryStatus.BOUNCED
    assert contact.bounced is True and contact.bounced_at == bounced_at
    assert not contact.unsubscribed


@pytest.mark.parametrize("kind", [BounceKind.SOFT, BounceKind.POLICY])
async def test_soft_and_policy_bounces_leave_the_contact_mailable(
    session: AsyncSession, sent: Sent, kind: BounceKind
) -> None:
    await record_events(session, [event(sent, EmailEventType.BOUNCED, bounce_kind=kind)])
    await session.commit()

    email, contact = await reload(session, sent)
    assert email.delivery_status is DeliveryStatus.BOUNCED
    assert contact.bounced is False and contact.bounced_at is None


async def test_a_deferral_changes_nothing_but_is_recorded(session: AsyncSession, sent: Sent) -> None:
    result = await record_events(session, [event(sent, EmailEventType.DEFERRED)])
    await session.commit()

    email, contact = await reload(session, sent)
    assert result.recorded == 1
    assert email.delivery_status is DeliveryStatus.SENT and not contact.bounced


@pytest.mark.parametrize("event_type", [EmailEventType.UNSUBSCRIBED, EmailEventType.SPAM_COMPLAINT])
async def test_unsubscribes_and_spam_complaints_unsubscribe_the_contact(
    session: AsyncSession, sent: Sent, event_type: EmailEventType
) -> None:
    await record_events(session, [event(sent, event_type)])
    await session.commit()

    email, contact = await reload(session, sent)
    assert contact.unsubscribed is True and contact.unsubscribed_at == AT
    assert not contact.bounced
    assert email.delivery_status is DeliveryStatus.SENT


async def test_events_match_by_our_email_id_or_a_bracketed_message_id(session: AsyncSession, sent: Sent) -> None:
    by_id = event(sent, EmailEventType.DELIVERED, by="email_id")
    by_bracketed = event(sent, EmailEventType.OPENED, by="none", message_id=f"  <{sent.message_id}> ")
    result = await record_events(session, [by_id, by_bracketed])
    await session.commit()

    assert result.recorded == 2
    assert (await reload(session, sent))[0].open_count == 1


async def test_events_about_mail_we_do_not_know_are_skipped_and_counted(session: AsyncSession, sent: Sent) -> None:
    unknown = [
        event(None, EmailEventType.OPENED, message_id="nobody@elsewhere.example"),
        event(None, EmailEventType.BOUNCED, email_id=uuid.uuid4(), bounce_kind=BounceKind.HARD),
        event(None, EmailEventType.DELIVERED),
    ]
    result = await record_events(session, [*unknown, event(sent, EmailEventType.DELIVERED)])
    await session.commit()

    assert result == RecordedEvents(recorded=1, duplicates=0, unmatched=3)
    assert await session.scalar(sa.select(sa.func.count()).select_from(EmailEvent)) == 1


async def test_the_workspace_is_the_emails_never_another(
    session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    """The same address is a contact in both workspaces: only the sending workspace's contact is touched."""
    address = f"shared-{uuid.uuid4().hex[:6]}@prospect.example"
    ours = await make_sent_email(session, team[Role.ADMIN].workspace_id, address=address)
    theirs = await make_sent_email(session, rival[Role.ADMIN].workspace_id, address=address)
    await record_events(session, [event(theirs, EmailEventType.BOUNCED, bounce_kind=BounceKind.HARD)])
    await session.commit()

    assert (await reload(session, theirs))[1].bounced is True
    assert (await reload(session, ours))[1].bounced is False
    row = (await events_of(session, theirs.email.id))[0]
    assert row.workspace_id == rival[Role.ADMIN].workspace_id and row.contact_id == theirs.contact.id


async def test_a_message_id_in_two_workspaces_is_not_guessed(
    session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    shared = f"{uuid.uuid4().hex}@copied.example"
    ours = await make_sent_email(session, team[Role.ADMIN].workspace_id, message_id=shared)
    await make_sent_email(session, rival[Role.ADMIN].workspace_id, message_id=shared)

    result = await record_events(session, [event(ours, EmailEventType.OPENED)])
    assert result.unmatched == 1
    # Our own email_id still settles it.
    assert (await record_events(session, [event(ours, EmailEventType.OPENED, by="email_id")])).recorded == 1


async def test_machine_opens_are_recorded_not_counted(session: AsyncSession, sent: Sent) -> None:
    await record_events(session, [event(sent, EmailEventType.OPENED, is_machine=True)])
    await session.commit()

    email, _ = await reload(session, sent)
    assert (email.open_count, email.delivery_status) == (0, DeliveryStatus.SENT)
    assert (await events_of(session, sent.email.id))[0].is_machine is True


async def test_provider_data_is_kept_and_hostile_values_are_made_storable(session: AsyncSession, sent: Sent) -> None:
    hostile = event(
        sent,
        EmailEventType.CLICKED,
        url="https://x.example/\x00" + "a" * 5000,
        ip_address="not an ip",
        user_agent="agent\x00",
        data={"event": "click", "note\x00": "nul\x00inside", "nested": [{"k": "\x00"}]},
    )
    assert (await record_events(session, [hostile])).recorded == 1
    await session.commit()

    row = (await events_of(session, sent.email.id))[0]
    assert row.data == {"event": "click", "note": "nulinside", "nested": [{"k": ""}]}
    assert row.ip_address is None and row.user_agent == "agent"
    assert row.url is not None and "\x00" not in row.url and len(row.url) == 2000


async def test_mark_bounced_keeps_the_first_bounce_time(session: AsyncSession, sent: Sent) -> None:
    await mark_bounced(session, [sent.contact.id], AT)
    await mark_bounced(session, [sent.contact.id], AT + timedelta(days=1))
    await mark_bounced(session, [], AT)  # nothing to mark: no statement, no error
    await session.commit()
    contact = (await reload(session, sent))[1]
    assert contact.bounced is True and contact.bounced_at == AT  # the first bounce's time is kept


# --- Normalising provider payloads -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent", "kind"),
    [
        ("5.1.1", True, BounceKind.HARD),
        ("550 5.1.1 The email account that you tried to reach does not exist", True, BounceKind.HARD),
        ("5.7.1", True, BounceKind.POLICY),
        ("4.2.2", True, BounceKind.SOFT),
        (None, True, BounceKind.HARD),
        ("", False, BounceKind.SOFT),
    ],
)
def test_bounce_kind_follows_rfc_3463(status: str | None, permanent: bool, kind: BounceKind) -> None:
    assert bounce_kind(status, permanent=permanent) is kind


def mailgun(event_data: dict[str, Any]) -> dict[str, Any]:
    """A Mailgun webhook post, shaped like the examples of Mailgun's "Webhook Payloads" page."""
    base = {
        "id": "CPgfbmQMTCKtHW6uIWtuVe",
        "timestamp": 1770146431.6585283,
        "recipient": "alice@example.com",
        "message": {"headers": {"message-id": "20260203192638.000be97f99f8cea1@ourco.example"}},
        "user-variables": {},
    }
    return {"signature": {"timestamp": "1", "token": "t", "signature": "s"}, "event-data": base | event_data}


def test_mailgun_events_are_normalised() -> None:
    email_id = uuid.uuid4()
    delivered = parse_mailgun_event(mailgun({"event": "delivered", "user-variables": {"email_id": str(email_id)}}))
    assert delivered is not None
    assert delivered.event_type is EmailEventType.DELIVERED
    assert delivered.email_id == email_id
    assert delivered.message_id == "20260203192638.000be97f99f8cea1@ourco.example"
    assert delivered.recipient == "alice@example.com"
    assert delivered.occurred_at == datetime.fromtimestamp(1770146431.6585283, UTC)
    assert delivered.provider_event_id == "CPgfbmQMTCKtHW6uIWtuVe:1770146431.6585283"

    clicked = parse_mailgun_event(
        mailgun(
            {
                "event": "clicked",
                "url": "https://ourco.example/a",
                "ip": "50.56.129.169",
                "client-info": {"user-agent": "Mozilla/5.0"},
                "user-variables": [],  # what Mailgun sends when there are none
            }
        )
    )
    assert clicked is not None
    assert (clicked.event_type, clicked.url, clicked.ip_address, clicked.user_agent, clicked.email_id) == (
        EmailEventType.CLICKED,
        "https://ourco.example/a",
        "50.56.129.169",
        "Mozilla/5.0",
        None,
    )


@pytest.mark.parametrize(
    ("event_data", "event_type", "kind"),
    [
        (
            {
                "event": "failed",
                "severity": "permanent",
                "reason": "bounce",
                "delivery-status": {"code": 550, "message": "5.1.1 The email account does not exist"},
            },
            EmailEventType.BOUNCED,
            BounceKind.HARD,
        ),
        (
            {"event": "failed", "severity": "permanent", "reason": "bounce", "delivery-status": {"code": 550}},
            EmailEventType.BOUNCED,
            BounceKind.HARD,
        ),
        (
            {"event": "failed", "severity": "permanent", "delivery-status": {"message": "5.7.1 blocked by policy"}},
            EmailEventType.BOUNCED,
            BounceKind.POLICY,
        ),
        ({"event": "failed", "severity": "permanent", "reason": "suppress-bounce"}, EmailEventType.BOUNCED, "hard"),
        ({"event": "failed", "severity": "permanent", "reason": "old"}, EmailEventType.BOUNCED, BounceKind.SOFT),
        (
            {"event": "failed", "severity": "permanent", "reason": "suppress-unsubscribe"},
            EmailEventType.UNSUBSCRIBED,
            None,
        ),
        ({"event": "failed", "severity": "temporary", "reason": "generic"}, EmailEventType.DEFERRED, None),
        ({"event": "complained"}, EmailEventType.SPAM_COMPLAINT, None),
        ({"event": "unsubscribed"}, EmailEventType.UNSUBSCRIBED, None),
        ({"event": "opened"}, EmailEventType.OPENED, None),
    ],
)
def test_mailgun_failures_and_list_events(
    event_data: dict[str, Any], event_type: EmailEventType, kind: BounceKind | None
) -> None:
    parsed = parse_mailgun_event(mailgun(event_data))
    assert parsed is not None
    assert (parsed.event_type, parsed.bounce_kind) == (event_type, kind)


def test_mailgun_events_we_do_not_track_and_malformed_posts() -> None:
    assert parse_mailgun_event(mailgun({"event": "accepted"})) is None
    assert parse_mailgun_event(mailgun({"event": "rejected"})) is None
    for bad in ([], {"signature": {}}, {"event-data": "x"}, mailgun({"event": "opened", "timestamp": "soon"})):
        with pytest.raises(MalformedPayload):
            parse_mailgun_event(bad)


def test_sendgrid_events_are_normalised() -> None:
    """Event shapes from SendGrid's event webhook reference; custom args arrive as top-level keys."""
    email_id = uuid.uuid4()
    common = {"email": "example@test.com", "timestamp": 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>"}
    parsed = parse_sendgrid_events(
        [
            common | {"event": "processed", "sg_event_id": "p1"},
            common | {"event": "delivered", "sg_event_id": "d1", "email_id": str(email_id)},
            common | {"event": "open", "sg_event_id": "o1", "useragent": "Mozilla/4.0", "ip": "255.255.255.255"},
            common | {"event": "open", "sg_event_id": "o2", "sg_machine_open": True},
            common | {"event": "click", "sg_event_id": "c1", "url": "http://www.sendgrid.com/"},
            common | {"event": "bounce", "sg_event_id": "b1", "type": "bounce", "status": "5.0.0"},
            common | {"event": "bounce", "sg_event_id": "b2", "type": "blocked", "status": "5.0.0"},
            common | {"event": "bounce", "sg_event_id": "b3", "type": "bounce", "status": "4.0.0"},
            common | {"event": "dropped", "sg_event_id": "x1", "reason": "Bounced Address"},
            common | {"event": "dropped", "sg_event_id": "x2", "reason": "Unsubscribed Address"},
            common | {"event": "dropped", "sg_event_id": "x3", "reason": "Spam Content"},
            common | {"event": "deferred", "sg_event_id": "f1"},
            common | {"event": "spamreport", "sg_event_id": "s1"},
            common | {"event": "group_unsubscribe", "sg_event_id": "u1", "asm_group_id": 10},
            "not an event",
            {"event": "open"},  # no timestamp
        ]
    )
    got = {e.provider_event_id: (e.event_type, e.bounce_kind) for e in parsed.events}
    assert got == {
        "d1": (EmailEventType.DELIVERED, None),
        "o1": (EmailEventType.OPENED, None),
        "o2": (EmailEventType.OPENED, None),
        "c1": (EmailEventType.CLICKED, None),
        "b1": (EmailEventType.BOUNCED, BounceKind.HARD),
        "b2": (EmailEventType.BOUNCED, BounceKind.POLICY),
        "b3": (EmailEventType.BOUNCED, BounceKind.SOFT),
        "x1": (EmailEventType.BOUNCED, BounceKind.HARD),
        "x2": (EmailEventType.UNSUBSCRIBED, None),
        "x3": (EmailEventType.BOUNCED, BounceKind.POLICY),
        "f1": (EmailEventType.DEFERRED, None),
        "s1": (EmailEventType.SPAM_COMPLAINT, None),
        "u1": (EmailEventType.UNSUBSCRIBED, None),
    }
    assert parsed.ignored == 3  # processed, a string, an open without a time
    by_id = {e.provider_event_id: e for e in parsed.events}
    assert by_id["d1"].email_id == email_id
    assert by_id["d1"].message_id == "14c5d75ce93.dfd.64b469@ismtpd-555"
    assert by_id["o1"].user_agent == "Mozilla/4.0" and by_id["o1"].ip_address == "255.255.255.255"
    assert by_id["o2"].is_machine and not by_id["o1"].is_machine
    assert by_id["c1"].url == "http://www.sendgrid.com/"
    with pytest.raises(MalformedPayload):
        parse_sendgrid_events({"event": "open"})

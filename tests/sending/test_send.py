"""Approving and sending outbound mail against a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage, Message

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database, utcnow
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.migrate import upgrade
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.sending import service
from inbox.sending.service import (
    DAILY_LIMIT_REACHED,
    INTERRUPTED,
    MAX_RETRIES,
    approve_send,
    due_for_sending,
    recover_interrupted,
    send_email,
)
from inbox.sending.smtp import SmtpLogin, SmtpPool
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType
from inbox.workspaces.models import Workspace
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.factories import Member
from tests.sending.factories import PARENT_ID, ROOT_ID, mailbox_values, make_draft
from tests.sending.smtp_server import USERNAME, SmtpServer


async def reload(session: AsyncSession, email_id: uuid.UUID) -> Email:
    email = await session.scalar(sa.select(Email).where(Email.id == email_id).execution_options(populate_existing=True))
    assert email is not None
    return email


async def reload_mailbox(session: AsyncSession, account_id: uuid.UUID) -> EmailAccount:
    account = await session.scalar(
        sa.select(EmailAccount).where(EmailAccount.id == account_id).execution_options(populate_existing=True)
    )
    assert account is not None
    return account


async def approved(session: AsyncSession, team: dict[Role, Member], mailbox: EmailAccount, **draft: object) -> Email:
    email = await make_draft(session, mailbox, **draft)  # type: ignore[arg-type]
    email = await approve_send(session, team[Role.SALES_REP].principal, email.id, None)
    await session.commit()
    return email


# --- Approval ---------------------------------------------------------------------------------------------------


async def test_approval_queues_the_draft_with_our_message_id_and_the_threads_reply_headers(
    session: AsyncSession, team: dict[Role, Member], mailbox: EmailAccount
) -> None:
    draft = await make_draft(session, mailbox, key="1")

    email = await approve_send(session, team[Role.SALES_REP].principal, draft.id, None)

    assert email.delivery_status is DeliveryStatus.QUEUED
    assert email.message_id is not None
    # Stored as ingestion stores Message-IDs (no brackets), so a reply to it threads and a Sent copy dedupes.
    assert not email.message_id.startswith("<") and email.message_id.endswith("@ourco.example")
    assert email.in_reply_to == PARENT_ID
    assert email.references == [ROOT_ID, PARENT_ID]
    assert email.from_address == USERNAME


async def test_approval_with_a_future_send_at_schedules_and_refuses_what_is_not_a_sendable_draft(
    session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member], mailbox: EmailAccount
) -> None:
    rep = team[Role.SALES_REP].principal
    draft = await make_draft(session, mailbox)
    later = utcnow() + timedelta(hours=3)

    email = await approve_send(session, rep, draft.id, later)
    assert (email.delivery_status, email.scheduled_at) == (DeliveryStatus.SCHEDULED, later)
    await session.commit()

    with pytest.raises(Conflict):
        await approve_send(session, rep, draft.id, None)
    with pytest.raises(NotFound):
        await approve_send(session, rival[Role.ADMIN].principal, draft.id, None)
    empty = await make_draft(session, mailbox, to=[])
    with pytest.raises(InvalidInput):
        await approve_send(session, rep, empty.id, None)


# --- Sending ----------------------------------------------------------------------------------------------------


async def test_a_send_delivers_once_with_its_headers_and_records_it(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    email = await approved(session, team, mailbox, html="<p>Hi Jane,</p><p>The team plan is $30 per seat.</p>", key="1")

    first = await send_email(db, email.id, settings)
    second = await send_email(db, email.id, settings)

    assert (first.status, second.status) == ("sent", "skipped")
    [received] = smtp.received
    message = received.message
    assert message["Message-ID"] == f"<{email.message_id}>"
    assert message["In-Reply-To"] == f"<{PARENT_ID}>"
    assert message["References"] == f"<{ROOT_ID}> <{PARENT_ID}>"
    assert message["From"] == f"Rita Rep <{USERNAME}>"
    assert message["To"] == "Jane Buyer <jane@acme-corp.example>"
    assert message["Cc"] == "boss@acme-corp.example"
    assert message["Bcc"] is None
    assert received.mail_from == USERNAME
    assert sorted(received.rcpt_tos) == ["boss@acme-corp.example", "crm@ourco.example", "jane@acme-corp.example"]
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert "$30 per seat" in plain.get_content()
    assert "<p>Hi Jane,</p>" in html.get_content()
    assert smtp.logins == [USERNAME]  # the decrypted password was accepted

    stored = await reload(session, email.id)
    assert stored.delivery_status is DeliveryStatus.SENT
    assert stored.sent_at is not None and stored.last_error is None
    events = (await session.scalars(sa.select(EmailEvent).where(EmailEvent.email_id == email.id))).all()
    assert [event.event_type for event in events] == [EmailEventType.SENT]
    account = await reload_mailbox(session, mailbox.id)
    assert (account.sent_today, account.sent_today_date) == (1, utcnow().date())


async def test_a_kept_connection_is_reused_for_the_next_message_of_the_mailbox(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    pool = SmtpPool()
    emails = [await approved(session, team, mailbox) for _ in range(3)]
    try:
        outcomes = [await send_email(db, email.id, settings, pool=pool) for email in emails]
    finally:
        await pool.close()

    assert [outcome.status for outcome in outcomes] == ["sent"] * 3
    assert sorted(r.message["Message-ID"] for r in smtp.received) == sorted(f"<{e.message_id}>" for e in emails)
    assert smtp.logins == [USERNAME]  # one connection, one login


class WorkerKilled(BaseException):
    """What a SIGKILL looks like to the code after it: nothing runs any more."""


class DiesAfterTheServerAccepted(SmtpPool):
    async def send(self, login: SmtpLogin, message: Message, sender: str, recipients: list[str]) -> None:
        await super().send(login, message, sender, recipients)
        raise WorkerKilled()


async def test_a_worker_killed_after_the_server_accepted_never_causes_a_second_copy(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    email = await approved(session, team, mailbox)
    with pytest.raises(WorkerKilled):
        await send_email(db, email.id, settings, pool=DiesAfterTheServerAccepted())
    assert len(smtp.received) == 1
    assert (await reload(session, email.id)).delivery_status is DeliveryStatus.SENDING

    # The queue redelivers the message (the worker never acknowledged it): the row is not ours to send.
    assert (await send_email(db, email.id, settings)).status == "skipped"
    # Within the lease the row may belong to a live worker: recovery leaves it alone.
    assert await recover_interrupted(db) == []
    # Past the lease: failed, with why, and not resent by the sweeper.
    await session.execute(
        sa.update(Email).where(Email.id == email.id).values(updated_at=utcnow() - timedelta(minutes=11))
    )
    await session.commit()
    assert await recover_interrupted(db) == [email.id]
    stored = await reload(session, email.id)
    assert (stored.delivery_status, stored.last_error) == (DeliveryStatus.FAILED, INTERRUPTED)
    assert email.id not in await due_for_sending(db, hint_grace_seconds=0, limit=1000)
    assert (await send_email(db, email.id, settings)).status == "skipped"
    assert len(smtp.with_message_id(email.message_id or "")) == 1

    # A rep who checked may send it again: the same Message-ID, so clients that merge copies show one.
    again = await approve_send(session, team[Role.SALES_REP].principal, email.id, None)
    await session.commit()
    assert again.message_id == email.message_id
    assert (await send_email(db, email.id, settings)).status == "sent"
    assert len(smtp.with_message_id(email.message_id or "")) == 2


async def test_the_daily_limit_defers_to_the_next_utc_midnight_and_a_new_day_resets_the_count(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    today = utcnow().date()
    mailbox.daily_send_limit, mailbox.sent_today, mailbox.sent_today_date = 2, 2, today
    await session.commit()
    email = await approved(session, team, mailbox)

    outcome = await send_email(db, email.id, settings)

    assert outcome.status == "deferred"
    assert smtp.received == []
    stored = await reload(session, email.id)
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
    assert (stored.delivery_status, stored.scheduled_at, stored.last_error) == (
        DeliveryStatus.QUEUED,
        midnight,
        DAILY_LIMIT_REACHED,
    )
    assert email.id not in await due_for_sending(db, hint_grace_seconds=0, limit=1000)
    assert (await reload_mailbox(session, mailbox.id)).sent_today == 2

    # Tomorrow: due again, and yesterday's count no longer holds it back.
    await session.execute(
        sa.update(Email).where(Email.id == email.id).values(scheduled_at=utcnow() - timedelta(seconds=1))
    )
    await session.execute(
        sa.update(EmailAccount).where(EmailAccount.id == mailbox.id).values(sent_today_date=today - timedelta(days=1))
    )
    await session.commit()
    assert email.id in await due_for_sending(db, hint_grace_seconds=0, limit=1000)
    assert (await send_email(db, email.id, settings)).status == "sent"
    assert len(smtp.received) == 1
    account = await reload_mailbox(session, mailbox.id)
    assert (account.sent_today, account.sent_today_date) == (1, today)


async def test_a_4xx_is_retried_with_growing_backoff_then_failed_with_the_servers_reply(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    email = await approved(session, team, mailbox)
    smtp.fail_next(*["451 4.3.0 Mailbox busy, try later"] * (MAX_RETRIES + 1))
    waits: list[float] = []

    for attempt in range(1, MAX_RETRIES + 1):
        before = utcnow()
        outcome = await send_email(db, email.id, settings)
        assert outcome.status == "retry"
        stored = await reload(session, email.id)
        assert stored.delivery_status is DeliveryStatus.QUEUED
        assert stored.retry_count == attempt
        assert stored.last_error == "451 4.3.0 Mailbox busy, try later"
        assert stored.scheduled_at is not None
        waits.append((stored.scheduled_at - before).total_seconds())
        # Not due yet: a duplicate queue message changes nothing.
        assert (await send_email(db, email.id, settings)).status == "skipped"
        await session.execute(
            sa.update(Email).where(Email.id == email.id).values(scheduled_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    outcome = await send_email(db, email.id, settings)

    assert outcome.status == "failed"
    assert smtp.received == []
    stored = await reload(session, email.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.last_error == f"gave up after {MAX_RETRIES} retries: 451 4.3.0 Mailbox busy, try later"
    expected = [service.BACKOFF_SECONDS * 2**n for n in range(MAX_RETRIES)]
    assert all(e <= w < e + 5 for e, w in zip(expected, waits, strict=True)), waits
    assert (await reload_mailbox(session, mailbox.id)).sent_today == 0  # failed attempts do not count


async def test_a_transient_failure_then_success_sends_once(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    email = await approved(session, team, mailbox)
    smtp.fail_next("421 4.7.0 Too many connections")
    assert (await send_email(db, email.id, settings)).status == "retry"
    await session.execute(sa.update(Email).where(Email.id == email.id).values(scheduled_at=utcnow()))
    await session.commit()
    assert email.id in await due_for_sending(db, hint_grace_seconds=60, limit=1000)

    assert (await send_email(db, email.id, settings)).status == "sent"
    assert len(smtp.received) == 1
    assert (await reload(session, email.id)).retry_count == 1


async def test_a_5xx_fails_at_once_with_the_servers_reply(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
) -> None:
    email = await approved(session, team, mailbox)
    smtp.fail_next("550 5.1.1 No such user here")

    outcome = await send_email(db, email.id, settings)

    assert outcome.status == "failed"
    stored = await reload(session, email.id)
    assert (stored.delivery_status, stored.retry_count) == (DeliveryStatus.FAILED, 0)
    assert stored.last_error == "550 5.1.1 No such user here"
    assert (await send_email(db, email.id, settings)).status == "skipped"
    assert smtp.received == []


async def test_an_unreachable_server_is_a_transient_failure(
    db: Database, session: AsyncSession, settings: Settings, team: dict[Role, Member], mailbox: EmailAccount
) -> None:
    from tests.sending.smtp_server import free_port

    mailbox.smtp_port = free_port()  # nobody listens there
    await session.commit()
    email = await approved(session, team, mailbox)

    outcome = await send_email(db, email.id, settings)

    assert outcome.status == "retry"
    stored = await reload(session, email.id)
    assert stored.last_error is not None and "cannot connect" in stored.last_error


# --- Concurrency, on a database of its own (every session its own connection) -----------------------------------


@pytest.fixture(scope="module")
async def own_db() -> AsyncIterator[str]:
    url = await create_postgres_database("inbox_send")
    await asyncio.to_thread(upgrade, url)
    yield url
    await drop_postgres_database(url)


@pytest.mark.postgres_only
async def test_the_same_send_run_concurrently_sends_each_email_once(
    own_db: str, settings: Settings, smtp: SmtpServer
) -> None:
    database = Database(own_db, pool_size=10)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Send", slug=f"send-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            account = EmailAccount(workspace_id=workspace.id, **mailbox_values(settings, smtp.host, smtp.port))
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
                    message_id=service.new_message_id(USERNAME),
                )
                for n in range(10)
            ]
            session.add_all(emails)
        pool = SmtpPool()
        runs = [send_email(database, email.id, settings, pool=pool) for email in emails for _ in range(3)]
        outcomes = await asyncio.gather(*runs)
        await pool.close()
    finally:
        await database.dispose()

    statuses = sorted(outcome.status for outcome in outcomes)
    assert statuses == ["sent"] * 10 + ["skipped"] * 20
    assert sorted(r.message["Message-ID"] for r in smtp.received) == sorted(f"<{e.message_id}>" for e in emails)


def test_the_backoff_doubles() -> None:
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert service.next_utc_midnight(datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == datetime(2026, 3, 2, tzinfo=UTC)
    assert date(2026, 3, 2) == service.next_utc_midnight(datetime(2026, 3, 1, 0, 0, tzinfo=UTC)).date()


def test_non_ascii_names_subjects_and_bodies_survive_the_trip() -> None:
    import email
    import email.policy

    account = EmailAccount(email_address=USERNAME, display_name="Renée Ça")
    message_id = service.new_message_id(USERNAME)
    draft = Email(
        to_addresses=["José Núñez <jose@acme-corp.example>", "plain@acme-corp.example"],
        cc_addresses=[],
        subject="Re: Preise für 2026 — Angebot",
        body_text="Grüße aus München,\n" + "x" * 1200 + "\n",
        body_html="<p>Grüße</p>",
        message_id=message_id,
        in_reply_to=None,
        references=[],
        reply_to=None,
    )

    raw = service.build_message(draft, account, utcnow()).as_bytes()

    assert raw.isascii()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Re: Preise für 2026 — Angebot"
    assert parsed["From"] == f"Renée Ça <{USERNAME}>"
    assert parsed["To"] == "José Núñez <jose@acme-corp.example>, plain@acme-corp.example"
    assert parsed["Message-ID"] == f"<{message_id}>"
    plain = parsed.get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    assert plain.get_content() == "Grüße aus München,\n" + "x" * 1200 + "\n"
    assert all(len(line) <= 998 for line in raw.splitlines())

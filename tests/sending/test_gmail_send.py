"""Sending from a Gmail mailbox through ``users.messages.send``, against the local server that speaks Gmail's
and Google's token endpoint's wire protocol (``tests/ingest/fake_gmail.py``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database, utcnow
from inbox.core.principal import Role
from inbox.core.secrets import SecretBox
from inbox.ingest.oauth import GoogleTokens, load_tokens, store_tokens
from inbox.mailboxes.models import EmailAccount, MailboxProvider, MailboxStatus
from inbox.sending.service import MAX_RETRIES, approve_send, send_email
from inbox.settings import GmailSettings, Settings
from inbox.threads.models import DeliveryStatus, Email, EmailEvent, EmailEventType, EmailThread
from tests.factories import Member
from tests.ingest.fake_gmail import FakeGmail
from tests.sending.factories import PARENT_ID, ROOT_ID, make_draft

ADDRESS = "rita@ourco.example"
GMAIL_THREAD = "18c2f0a1b2c3d4e5"


@pytest.fixture
def fake() -> Iterator[FakeGmail]:
    with FakeGmail(email_address=ADDRESS) as server:
        yield server


@pytest.fixture
def gmail_settings(settings: Settings, fake: FakeGmail) -> Settings:
    return settings.model_copy(
        update={
            "gmail": GmailSettings(
                api_base_url=fake.base_url,
                token_url=fake.token_url,
                client_id=fake.state.client_id,
                client_secret=SecretStr(fake.state.client_secret),
                timeout_seconds=10,
            )
        }
    )


async def gmail_mailbox(
    session: AsyncSession, settings: Settings, member: Member, fake: FakeGmail, *, expires_in: timedelta
) -> EmailAccount:
    account = EmailAccount(
        workspace_id=member.workspace_id,
        user_id=member.user.id,
        email_address=ADDRESS,
        display_name="Rita Rep",
        provider=MailboxProvider.GMAIL,
    )
    store_tokens(
        account,
        GoogleTokens(
            access_token=fake.issue_access_token(expires_in=max(expires_in.total_seconds(), 0)),
            refresh_token=fake.issue_refresh_token(),
            expires_at=datetime.now(UTC) + expires_in,
            scope="https://www.googleapis.com/auth/gmail.modify",
        ),
        SecretBox.from_settings(settings),
    )
    session.add(account)
    await session.commit()
    return account


@pytest.fixture
async def mailbox(
    session: AsyncSession, gmail_settings: Settings, team: dict[Role, Member], fake: FakeGmail
) -> EmailAccount:
    return await gmail_mailbox(session, gmail_settings, team[Role.SALES_REP], fake, expires_in=timedelta(hours=1))


async def approved(
    session: AsyncSession,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    *,
    gmail_thread: bool = True,
    to: list[str] | None = None,
) -> Email:
    """A draft reply in a thread of the mailbox (filed by Gmail's threadId unless ``gmail_thread`` is false),
    approved by the rep."""
    draft = await make_draft(session, mailbox, key="1", to=to)
    if gmail_thread:
        await session.execute(
            sa.update(EmailThread)
            .where(EmailThread.id == draft.thread_id)
            .values(thread_identifier=f"gmail:{GMAIL_THREAD}")
        )
    email = await approve_send(session, team[Role.SALES_REP].principal, draft.id, None)
    await session.commit()
    return email


async def reload(session: AsyncSession, model: type[Email] | type[EmailAccount], key: uuid.UUID) -> object:
    return await session.scalar(sa.select(model).where(model.id == key).execution_options(populate_existing=True))


async def reload_email(session: AsyncSession, email_id: uuid.UUID) -> Email:
    email = await reload(session, Email, email_id)
    assert isinstance(email, Email)
    return email


async def reload_mailbox(session: AsyncSession, account_id: uuid.UUID) -> EmailAccount:
    account = await reload(session, EmailAccount, account_id)
    assert isinstance(account, EmailAccount)
    return account


async def make_due(session: AsyncSession, email_id: uuid.UUID) -> None:
    """Skip the backoff: the retry is due now."""
    await session.execute(sa.update(Email).where(Email.id == email_id).values(scheduled_at=utcnow()))
    await session.commit()


def sent_message(fake: FakeGmail, index: int = 0) -> EmailMessage:
    parsed = message_from_bytes(fake.state.sent[index].raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_a_reply_is_sent_through_gmail_in_its_gmail_thread_with_the_threading_headers(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox)

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "sent", outcome.error
    assert len(fake.state.sent) == 1
    received = fake.state.sent[0]
    assert received.thread_id == GMAIL_THREAD
    assert set(received.body) == {"raw", "threadId"}
    assert not set("=+/") & set(received.body["raw"])  # base64url, unpadded
    message = sent_message(fake)
    assert message["From"] == f"Rita Rep <{ADDRESS}>"
    assert message["To"] == "Jane Buyer <jane@acme-corp.example>"
    assert message["Cc"] == "boss@acme-corp.example"
    assert message["Bcc"] == "crm@ourco.example"  # Gmail takes recipients from the headers (and drops Bcc)
    assert message["Subject"] == "Re: Pricing"
    assert message["Message-ID"] == f"<{email.message_id}>"
    assert message["In-Reply-To"] == f"<{PARENT_ID}>"
    assert message["References"] == f"<{ROOT_ID}> <{PARENT_ID}>"
    assert message.get_content() == "Hi Jane,\n\nThe team plan is $30 per seat.\n"

    stored = await reload_email(session, email.id)
    assert stored.delivery_status is DeliveryStatus.SENT
    assert stored.gmail_message_id == received.id
    assert stored.sent_at is not None and stored.last_error is None
    events = list(await session.scalars(sa.select(EmailEvent).where(EmailEvent.email_id == email.id)))
    assert [(e.event_type, e.provider) for e in events] == [(EmailEventType.SENT, "gmail")]
    assert (await reload_mailbox(session, mailbox.id)).sent_today == 1

    again = await send_email(db, email.id, gmail_settings)  # a duplicated queue message sends nothing
    assert again.status == "skipped"
    assert len(fake.state.sent) == 1


async def test_a_thread_gmail_did_not_file_is_sent_without_a_thread_id(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox, gmail_thread=False)

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "sent", outcome.error
    assert fake.state.sent[0].thread_id is None
    assert "threadId" not in fake.state.sent[0].body
    assert sent_message(fake)["In-Reply-To"] == f"<{PARENT_ID}>"  # the recipient's client still threads it


async def test_an_expired_access_token_is_refreshed_before_sending_and_the_new_one_saved(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    fake: FakeGmail,
) -> None:
    box = SecretBox.from_settings(gmail_settings)
    account = await gmail_mailbox(session, gmail_settings, team[Role.SALES_REP], fake, expires_in=timedelta(0))
    old = load_tokens(account, box)
    assert old is not None
    email = await approved(session, team, account)

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "sent", outcome.error
    assert len(fake.calls("/token")) == 1
    assert [call.status for call in fake.calls("/messages/send")] == [200]  # the dead token was never sent
    fresh = load_tokens(await reload_mailbox(session, account.id), box)
    assert fresh is not None
    assert fresh.access_token != old.access_token and fresh.refresh_token == old.refresh_token
    assert fresh.expires_at is not None and fresh.expires_at > utcnow() + timedelta(minutes=30)


async def test_a_token_gmail_refuses_with_401_is_refreshed_once_and_the_send_retried(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox)
    fake.expire_access_tokens()  # Google stopped honouring a token our clock still thinks valid

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "sent", outcome.error
    assert [call.status for call in fake.calls("/messages/send")] == [401, 200]
    assert len(fake.calls("/token")) == 1
    assert len(fake.state.sent) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_gmail_server_error_or_rate_limit_is_retried_with_backoff_then_sent(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
    status: int,
) -> None:
    email = await approved(session, team, mailbox)
    fake.fail_next(1, status=status)

    before = utcnow()
    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "retry"
    assert outcome.retry_at is not None and outcome.retry_at > before
    stored = await reload_email(session, email.id)
    assert stored.delivery_status is DeliveryStatus.QUEUED
    assert stored.retry_count == 1
    expected = "Too many concurrent requests for user" if status == 429 else "Backend Error"
    assert stored.last_error == f"Gmail answered {status}: {expected}"
    assert (await reload_mailbox(session, mailbox.id)).sent_today == 0  # the failed send was given back
    assert fake.state.sent == []

    assert (await send_email(db, email.id, gmail_settings)).status == "skipped"  # not yet due
    await make_due(session, email.id)
    assert (await send_email(db, email.id, gmail_settings)).status == "sent"
    assert len(fake.state.sent) == 1
    assert (await reload_email(session, email.id)).delivery_status is DeliveryStatus.SENT


async def test_gmail_errors_that_never_pass_give_up_after_the_retries(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox)
    fake.fail_next(MAX_RETRIES + 1, status=503)

    for _ in range(MAX_RETRIES):
        assert (await send_email(db, email.id, gmail_settings)).status == "retry"
        await make_due(session, email.id)
    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "failed"
    stored = await reload_email(session, email.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.last_error == f"gave up after {MAX_RETRIES} retries: Gmail answered 503: Backend Error"


async def test_a_message_gmail_refuses_fails_at_once_with_googles_message(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox, to=["jane-at-acme-corp"])

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "failed"
    assert outcome.error == "Gmail answered 400: Invalid To header"
    stored = await reload_email(session, email.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.last_error == "Gmail answered 400: Invalid To header"
    assert stored.retry_count == 0
    assert [call.status for call in fake.calls("/messages/send")] == [400]  # not retried
    assert (await reload_mailbox(session, mailbox.id)).sent_today == 0


async def test_a_revoked_grant_fails_the_send_and_marks_the_mailbox(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    fake: FakeGmail,
) -> None:
    account = await gmail_mailbox(session, gmail_settings, team[Role.SALES_REP], fake, expires_in=timedelta(0))
    tokens = load_tokens(account, SecretBox.from_settings(gmail_settings))
    assert tokens is not None and tokens.refresh_token is not None
    fake.revoke(tokens.refresh_token)
    email = await approved(session, team, account)

    outcome = await send_email(db, email.id, gmail_settings)

    assert outcome.status == "failed"
    assert outcome.error is not None and "connect the mailbox again" in outcome.error
    assert fake.calls("/messages/send") == []
    mailbox = await reload_mailbox(session, account.id)
    assert mailbox.status is MailboxStatus.ERROR
    assert (await reload_email(session, email.id)).delivery_status is DeliveryStatus.FAILED


async def test_a_gmail_mailbox_without_tokens_fails_with_a_reason(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    email = await approved(session, team, mailbox)
    await session.execute(
        sa.update(EmailAccount).where(EmailAccount.id == mailbox.id).values(encrypted_oauth_tokens=None)
    )
    await session.commit()

    outcome = await send_email(db, email.id, gmail_settings)

    assert (outcome.status, outcome.error) == ("failed", "the Gmail mailbox has no OAuth tokens: connect it again")
    assert fake.calls("/messages/send") == []


async def test_no_answer_after_the_request_went_out_fails_without_a_resend(
    session: AsyncSession,
    db: Database,
    gmail_settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    fake: FakeGmail,
) -> None:
    """A read timeout: Gmail may have sent the message (here it did), and messages.send has no idempotency key."""
    email = await approved(session, team, mailbox)
    impatient = gmail_settings.model_copy(
        update={"gmail": gmail_settings.gmail.model_copy(update={"timeout_seconds": 0.3})}
    )
    fake.latency = 1.0

    outcome = await send_email(db, email.id, impatient)

    assert outcome.status == "failed"
    stored = await reload_email(session, email.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.last_error is not None and "Gmail may have sent it" in stored.last_error
    for _ in range(50):  # the server finishes the request it was given
        if fake.state.sent:
            break
        await asyncio.sleep(0.05)
    assert len(fake.state.sent) == 1
    assert (await send_email(db, email.id, gmail_settings)).status == "skipped"  # never resent on its own

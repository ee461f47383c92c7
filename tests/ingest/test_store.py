"""The ingestion store: dedupe, threading, lead matching, bounces, sequences."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.contacts.models import Contact
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages, stable_message_id
from inbox.ingest.types import IncomingMessage
from inbox.mailboxes.models import EmailAccount
from inbox.sequences.models import EnrollmentStatus, Sequence, SequenceEnrollment
from inbox.settings import Settings
from inbox.threads.models import (
    DeliveryStatus,
    Direction,
    Email,
    EmailAttachment,
    EmailEvent,
    EmailEventType,
    EmailThread,
)
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message

NOV = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
async def mailbox(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> EmailAccount:
    rep = team[Role.SALES_REP]
    return await make_mailbox(
        session, settings, workspace_id=rep.workspace_id, user_id=rep.user.id, address="rep@ourco.example"
    )


async def ingest(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore, *raws: bytes, **where: object
) -> list[uuid.UUID]:
    incoming = [IncomingMessage(raw=raw, **where) for raw in raws]  # type: ignore[arg-type]
    result = await ingest_messages(session, mailbox, incoming, blobs=blobs)
    await session.flush()
    return result.stored


async def emails(session: AsyncSession, mailbox: EmailAccount) -> list[Email]:
    query = sa.select(Email).where(Email.email_account_id == mailbox.id).order_by(Email.created_at, Email.subject)
    return list(await session.scalars(query))


async def thread_of(session: AsyncSession, message_id: str) -> uuid.UUID | None:
    thread: uuid.UUID | None = await session.scalar(sa.select(Email.thread_id).where(Email.message_id == message_id))
    return thread


# --- dedupe -------------------------------------------------------------------------------------------------


async def test_the_same_message_is_stored_once(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    raw = message(message_id="<once@test.example>")
    assert len(await ingest(session, mailbox, blobs, raw, raw)) == 1
    assert await ingest(session, mailbox, blobs, raw) == []
    # The same Message-ID at another UID (a folder recreated with a new UIDVALIDITY) is still a duplicate.
    assert await ingest(session, mailbox, blobs, raw, folder="INBOX", uidvalidity=2, uid=7) == []
    assert len(await emails(session, mailbox)) == 1


async def test_a_message_without_message_id_gets_a_stable_one(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    raw = b"From: someone@elsewhere.example\r\nSubject: no id\r\n\r\nbody\r\n"
    assert len(await ingest(session, mailbox, blobs, raw)) == 1
    assert await ingest(session, mailbox, blobs, raw) == []
    (stored,) = await emails(session, mailbox)
    assert stored.message_id == stable_message_id(raw)


async def test_message_ids_are_unique_per_workspace_not_globally(
    session: AsyncSession, settings: Settings, mailbox: EmailAccount, rival: dict[Role, Member], blobs: LocalBlobStore
) -> None:
    other = await make_mailbox(session, settings, workspace_id=rival[Role.ADMIN].workspace_id)
    raw = message(message_id="<shared@test.example>", to="rep@ourco.example, other@rival.example")
    assert len(await ingest(session, mailbox, blobs, raw)) == 1
    assert len(await ingest(session, other, blobs, raw)) == 1


async def test_raw_bytes_and_attachments_go_to_the_blob_store(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "jane@acme-corp.example"
    msg["To"] = "rep@ourco.example"
    msg["Subject"] = "The contract"
    msg["Message-ID"] = "<attach@test.example>"
    msg.set_content("Attached.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="contract.pdf")
    raw = msg.as_bytes()
    (email_id,) = await ingest(session, mailbox, blobs, raw)

    stored = await session.get(Email, email_id)
    assert stored is not None and stored.raw_storage_key is not None
    assert blobs.get(stored.raw_storage_key) == raw
    (attachment,) = await session.scalars(sa.select(EmailAttachment).where(EmailAttachment.email_id == email_id))
    assert attachment.filename == "contract.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size_bytes == len(b"%PDF-1.4 fake")
    assert attachment.storage_key is not None and blobs.get(attachment.storage_key) == b"%PDF-1.4 fake"


async def test_unparseable_bytes_are_stored_raw_and_flagged(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    good = message(message_id="<fine@test.example>")
    garbage = b"\xff\xfe\x00\x00garbage that is not a message"
    stored_ids = await ingest(session, mailbox, blobs, garbage, good)
    assert len(stored_ids) == 2
    rows = {row.message_id: row for row in await emails(session, mailbox)}
    assert rows["fine@test.example"].parse_error is None
    flagged = rows[stable_message_id(garbage)]
    assert flagged.raw_storage_key is not None and blobs.get(flagged.raw_storage_key) == garbage
    assert flagged.parse_error


# --- threading ----------------------------------------------------------------------------------------------


async def test_a_reply_joins_its_parents_thread_in_either_order(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    parent = message(message_id="<p1@test.example>", date=NOV)
    reply = message(
        message_id="<r1@test.example>",
        subject="Re: Pricing question",
        in_reply_to="<p1@test.example>",
        references=["<p1@test.example>"],
        date=NOV + timedelta(hours=1),
    )
    later = message(
        message_id="<r2@test.example>",
        subject="RE: Pricing question",
        in_reply_to="<r1@test.example>",
        references=["<p1@test.example>", "<r1@test.example>"],
        date=NOV + timedelta(hours=2),
    )
    # An initial sync is newest first: the replies arrive before their parent, in separate batches.
    await ingest(session, mailbox, blobs, later)
    await ingest(session, mailbox, blobs, reply)
    await ingest(session, mailbox, blobs, parent)

    threads = {await thread_of(session, f"{name}@test.example") for name in ("p1", "r1", "r2")}
    assert len(threads) == 1
    (thread_id,) = threads
    thread = await session.get(EmailThread, thread_id)
    assert thread is not None
    assert thread.message_count == 3
    assert thread.last_message_at == NOV + timedelta(hours=2)


async def test_a_reply_naming_only_in_reply_to_joins_the_thread(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    await ingest(session, mailbox, blobs, message(message_id="<root@test.example>"))
    await ingest(
        session,
        mailbox,
        blobs,
        message(message_id="<child@test.example>", subject="Re: x", in_reply_to="<mid-ref@test.example>"),
        message(message_id="<mid-ref@test.example>", references=["<root@test.example>"], date=NOV - timedelta(1)),
    )
    assert await thread_of(session, "child@test.example") == await thread_of(session, "root@test.example")


async def test_without_headers_the_subject_and_contact_thread_within_a_window(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    await ingest(session, mailbox, blobs, message(message_id="<s1@test.example>", subject="Renewal", date=NOV))
    await ingest(
        session,
        mailbox,
        blobs,
        # Same contact and subject, a client that dropped In-Reply-To: same thread.
        message(message_id="<s2@test.example>", subject="Re: [Sales] Renewal", date=NOV + timedelta(days=3)),
        # Same subject from someone else: another conversation.
        message(message_id="<s3@test.example>", sender="bob@other-co.example", subject="Renewal", date=NOV),
        # Same contact, same subject, but months later: a new conversation.
        message(message_id="<s4@test.example>", subject="Renewal", date=NOV + timedelta(days=120)),
    )
    s1, s2, s3, s4 = [await thread_of(session, f"s{n}@test.example") for n in (1, 2, 3, 4)]
    assert s1 == s2
    assert s3 not in (s1, None)
    assert s4 not in (s1, s3, None)


async def test_gmail_thread_ids_decide_the_thread(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    a = IncomingMessage(raw=message(message_id="<g1@test.example>", subject="A"), gmail_thread_id="t-1")
    b = IncomingMessage(raw=message(message_id="<g2@test.example>", subject="B"), gmail_thread_id="t-1")
    c = IncomingMessage(raw=message(message_id="<g3@test.example>", subject="A"), gmail_thread_id="t-2")
    await ingest_messages(session, mailbox, [a, b, c], blobs=blobs)
    assert await thread_of(session, "g1@test.example") == await thread_of(session, "g2@test.example")
    assert await thread_of(session, "g1@test.example") != await thread_of(session, "g3@test.example")
    counts = {
        thread.thread_identifier: thread.message_count
        for thread in await session.scalars(sa.select(EmailThread).where(EmailThread.email_account_id == mailbox.id))
    }
    assert counts == {"gmail:t-1": 2, "gmail:t-2": 1}


# --- leads --------------------------------------------------------------------------------------------------


async def contact(session: AsyncSession, mailbox: EmailAccount, address: str) -> Contact | None:
    found: Contact | None = await session.scalar(
        sa.select(Contact).where(Contact.workspace_id == mailbox.workspace_id, Contact.email == address)
    )
    if found is not None:
        await session.refresh(found)
    return found


async def test_an_unknown_sender_becomes_a_contact_of_a_company_account(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    raw = message(sender="Jane Q. Buyer <Jane@Acme-Corp.example>", body="Can we talk on Tuesday?\n", date=NOV)
    (email_id,) = await ingest(session, mailbox, blobs, raw)
    jane = await contact(session, mailbox, "jane@acme-corp.example")
    assert jane is not None
    assert (jane.first_name, jane.last_name) == ("Jane Q.", "Buyer")
    assert jane.owner_id == mailbox.user_id
    assert jane.last_contact_at == NOV
    assert jane.last_message == "Can we talk on Tuesday?"
    company = await session.get(Account, jane.account_id)
    assert company is not None and (company.domain, company.name) == ("acme-corp.example", "Acme Corp")
    stored = await session.get(Email, email_id)
    assert stored is not None and stored.contact_id == jane.id and stored.direction == Direction.INBOUND


async def test_free_mail_senders_get_no_account_and_machines_no_contact(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    await ingest(
        session,
        mailbox,
        blobs,
        message(sender="Sam <sam.smith@gmail.com>"),
        message(sender="Acme <no-reply@acme-corp.example>"),
    )
    sam = await contact(session, mailbox, "sam.smith@gmail.com")
    assert sam is not None and sam.account_id is None
    assert await contact(session, mailbox, "no-reply@acme-corp.example") is None
    assert (
        await session.scalar(sa.select(sa.func.count()).select_from(Account).where(Account.domain == "gmail.com")) == 0
    )


async def test_existing_contacts_and_accounts_are_matched_not_duplicated(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    company = Account(workspace_id=mailbox.workspace_id, name="ACME Corporation", domain="acme-corp.example")
    session.add(company)
    await session.flush()
    known = Contact(
        workspace_id=mailbox.workspace_id, email="jane@acme-corp.example", first_name="Janet", account_id=company.id
    )
    session.add(known)
    await session.flush()
    await ingest(
        session,
        mailbox,
        blobs,
        message(sender="JANE@acme-corp.example", date=NOV),
        message(sender="Tom <tom@acme-corp.example>", date=NOV),
    )
    jane = await contact(session, mailbox, "jane@acme-corp.example")
    tom = await contact(session, mailbox, "tom@acme-corp.example")
    assert jane is not None and jane.id == known.id and jane.first_name == "Janet"
    assert tom is not None and tom.account_id == company.id
    count = sa.select(sa.func.count()).select_from(Account).where(Account.workspace_id == mailbox.workspace_id)
    assert await session.scalar(count) == 1


async def test_the_reps_own_mail_files_under_the_recipient_and_moves_last_contact(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore, team: dict[Role, Member]
) -> None:
    manager = team[Role.MANAGER].user.email
    inbound = message(sender="jane@acme-corp.example", message_id="<in@test.example>", date=NOV)
    outbound = message(
        sender="Rep <rep@ourco.example>",
        to=f"{manager}, Jane <jane@acme-corp.example>",
        subject="Re: Pricing question",
        message_id="<out@test.example>",
        in_reply_to="<in@test.example>",
        date=NOV + timedelta(hours=3),
    )
    await ingest(session, mailbox, blobs, inbound)
    await ingest(session, mailbox, blobs, outbound, folder="Sent", uidvalidity=1, uid=1, outbound=True)
    rows = {row.message_id: row for row in await emails(session, mailbox)}
    assert rows["out@test.example"].direction == Direction.OUTBOUND
    assert rows["out@test.example"].thread_id == rows["in@test.example"].thread_id
    jane = await contact(session, mailbox, "jane@acme-corp.example")
    assert jane is not None and rows["out@test.example"].contact_id == jane.id
    assert jane.last_contact_at == NOV + timedelta(hours=3)
    # A teammate is never a lead.
    assert await contact(session, mailbox, manager) is None


async def test_new_inbound_mail_is_queued_for_triage_outbound_is_not(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    inbound = IncomingMessage(raw=message(message_id="<t-in@test.example>"))
    outbound = IncomingMessage(raw=message(sender="rep@ourco.example", message_id="<t-out@test.example>"))
    result = await ingest_messages(session, mailbox, [inbound, outbound], blobs=blobs)
    assert len(result.stored) == 2
    (triage_id,) = result.triage
    stored = await session.get(Email, triage_id)
    assert stored is not None and stored.message_id == "t-in@test.example"


# --- bounces and sequences ----------------------------------------------------------------------------------

DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.acme-corp.example>\r
To: rep@ourco.example\r
Subject: Undelivered Mail Returned to Sender\r
Message-ID: <dsn-1@mx.acme-corp.example>\r
Date: Sun, 01 Nov 2026 10:00:00 +0000\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r
\r
--B\r
Content-Type: text/plain\r
\r
I'm sorry to have to inform you that your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.acme-corp.example\r
\r
Final-Recipient: rfc822; gone@acme-corp.example\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 user unknown\r
\r
--B--\r
"""


async def test_a_dsn_marks_the_recipient_bounced(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    gone = Contact(workspace_id=mailbox.workspace_id, email="gone@acme-corp.example")
    session.add(gone)
    await session.flush()
    sequence = Sequence(workspace_id=mailbox.workspace_id, name="Q4")
    session.add(sequence)
    await session.flush()
    enrollment = SequenceEnrollment(workspace_id=mailbox.workspace_id, sequence_id=sequence.id, contact_id=gone.id)
    session.add(enrollment)
    await session.flush()
    sent = message(sender="rep@ourco.example", to="gone@acme-corp.example", message_id="<to-gone@test.example>")
    await ingest(session, mailbox, blobs, sent, outbound=True)
    result = await ingest_messages(session, mailbox, [IncomingMessage(raw=DSN)], blobs=blobs)
    assert result.bounces == 1
    await session.refresh(gone)
    assert gone.bounced is True and gone.bounced_at is not None
    (event,) = await session.scalars(sa.select(EmailEvent).where(EmailEvent.contact_id == gone.id))
    assert event.event_type == EmailEventType.BOUNCED
    assert event.data["status"] == "5.1.1"
    original = await session.scalar(sa.select(Email).where(Email.message_id == "to-gone@test.example"))
    assert original is not None and event.email_id == original.id
    await session.refresh(original)
    assert original.delivery_status == DeliveryStatus.BOUNCED
    await session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.BOUNCED
    # The DSN itself is no lead: MAILER-DAEMON never becomes a contact.
    assert await contact(session, mailbox, "mailer-daemon@mx.acme-corp.example") is None
    # Ingesting the DSN again changes nothing.
    await ingest(session, mailbox, blobs, DSN)
    assert len(list(await session.scalars(sa.select(EmailEvent).where(EmailEvent.contact_id == gone.id)))) == 1


async def test_a_reply_to_a_sequence_email_marks_the_enrollment_replied(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore
) -> None:
    await ingest(
        session,
        mailbox,
        blobs,
        message(sender="rep@ourco.example", to="jane@acme-corp.example", message_id="<seq-1@test.example>"),
        outbound=True,
    )
    jane = await contact(session, mailbox, "jane@acme-corp.example")
    assert jane is not None
    sequence = Sequence(workspace_id=mailbox.workspace_id, name="Q4 outreach")
    session.add(sequence)
    await session.flush()
    enrollment = SequenceEnrollment(workspace_id=mailbox.workspace_id, sequence_id=sequence.id, contact_id=jane.id)
    session.add(enrollment)
    await session.flush()
    await session.execute(
        sa.update(Email).where(Email.message_id == "seq-1@test.example").values(enrollment_id=enrollment.id)
    )

    auto = message(
        message_id="<ooo@test.example>",
        subject="Automatic reply: Pricing",
        in_reply_to="<seq-1@test.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    await ingest(session, mailbox, blobs, auto)
    await session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.ACTIVE  # an out-of-office is not a reply

    reply = message(message_id="<seq-reply@test.example>", subject="Re: Pricing", in_reply_to="<seq-1@test.example>")
    await ingest(session, mailbox, blobs, reply)
    await session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.REPLIED


@pytest.mark.parametrize(
    ("action", "status", "event_type", "kind"),
    [
        (b"delayed", b"4.2.2", EmailEventType.DEFERRED, "soft"),
        (b"failed", b"5.7.1", EmailEventType.BOUNCED, "policy"),
    ],
    ids=["soft", "policy"],
)
async def test_soft_and_policy_bounces_are_recorded_and_leave_the_contact_mailable(
    session: AsyncSession,
    mailbox: EmailAccount,
    blobs: LocalBlobStore,
    action: bytes,
    status: bytes,
    event_type: EmailEventType,
    kind: str,
) -> None:
    busy = Contact(workspace_id=mailbox.workspace_id, email="gone@acme-corp.example")
    session.add(busy)
    await session.flush()
    report = (
        DSN.replace(b"Action: failed", b"Action: " + action).replace(b"5.1.1", status).replace(b"dsn-1@", b"dsn-2@")
    )
    result = await ingest_messages(session, mailbox, [IncomingMessage(raw=report)], blobs=blobs)
    assert result.bounces == 1
    await session.refresh(busy)
    assert busy.bounced is False
    (event,) = await session.scalars(sa.select(EmailEvent).where(EmailEvent.contact_id == busy.id))
    assert event.event_type == event_type
    assert event.data["kind"] == kind

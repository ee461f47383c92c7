"""The statements of sending: each state change of an outbound email is one
conditional UPDATE, so two workers racing for the same email cannot both win.

The worker's statements are Core statements on the tables (a send is a few
of them, and the ORM's bulk-update machinery cost more than the database); what
they return is copied into detached model objects for the service to read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Table, and_, bindparam, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.mailboxes.models import EmailAccount
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType
from inbox.threads.repository import EMAIL_DATE

EMAILS: Table = Email.__table__  # type: ignore[assignment]
EMAIL_ACCOUNTS: Table = EmailAccount.__table__  # type: ignore[assignment]
EMAIL_EVENTS: Table = EmailEvent.__table__  # type: ignore[assignment]


# The hot path's statements, built once: composing a statement costs a worker more CPU than running it.
_e, _a = EMAILS.c, EMAIL_ACCOUNTS.c
_CLAIM = (
    update(EMAILS)
    .where(
        _e.id == bindparam("email_id"),
        _e.direction == Direction.OUTBOUND,
        _e.delivery_status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SCHEDULED]),
        or_(_e.scheduled_at.is_(None), _e.scheduled_at <= bindparam("now", type_=_e.scheduled_at.type)),
    )
    .values(delivery_status=DeliveryStatus.SENDING, updated_at=bindparam("now", type_=_e.updated_at.type))
    .returning(*_e)
)
_NEW_DAY = or_(_a.sent_today_date.is_(None), _a.sent_today_date != bindparam("today", type_=_a.sent_today_date.type))
_COUNT_SEND = (
    update(EMAIL_ACCOUNTS)
    .where(
        _a.id == bindparam("account_id"),
        _a.daily_send_limit > 0,
        or_(_NEW_DAY, _a.sent_today < _a.daily_send_limit),
    )
    .values(
        sent_today=case((_NEW_DAY, 1), else_=_a.sent_today + 1),
        sent_today_date=bindparam("today", type_=_a.sent_today_date.type),
    )
    .returning(*_a)
)
_MARK_SENT = (
    update(EMAILS)
    .where(_e.id == bindparam("email_id"), _e.delivery_status == DeliveryStatus.SENDING)
    .values(
        delivery_status=DeliveryStatus.SENT,
        sent_at=bindparam("at", type_=_e.sent_at.type),
        updated_at=bindparam("at", type_=_e.updated_at.type),
        last_error=None,
    )
)
_INSERT_EVENT = insert(EMAIL_EVENTS)


async def claim(session: AsyncSession, email_id: uuid.UUID, now: datetime) -> Email | None:
    """QUEUED (or SCHEDULED), due, outbound → SENDING; the email, or None when
    it is not ours to send (sent, being sent, failed, a draft, not yet due)."""
    row = (await session.execute(_CLAIM, {"email_id": email_id, "now": now})).one_or_none()
    return None if row is None else Email(**row._mapping)


async def count_send(session: AsyncSession, account_id: uuid.UUID, today: date) -> EmailAccount | None:
    """Count one send against the mailbox's daily limit (the counter restarts
    on a new UTC day); the mailbox, or None when its limit is reached. The row
    lock taken here is held to the end of the claim's short transaction."""
    row = (await session.execute(_COUNT_SEND, {"account_id": account_id, "today": today})).one_or_none()
    return None if row is None else EmailAccount(**row._mapping)


async def mark_sent(session: AsyncSession, email_id: uuid.UUID, at: datetime) -> bool:
    """SENDING → SENT; False when the row is no longer SENDING."""
    result = await session.execute(_MARK_SENT, {"email_id": email_id, "at": at})
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def uncount_send(session: AsyncSession, account_id: uuid.UUID, day: date) -> None:
    """Give back a send counted on ``day`` that did not happen."""
    c = EMAIL_ACCOUNTS.c
    await session.execute(
        update(EMAIL_ACCOUNTS)
        .where(c.id == account_id, c.sent_today_date == day, c.sent_today > 0)
        .values(sent_today=c.sent_today - 1)
    )


async def mailbox(session: AsyncSession, account_id: uuid.UUID) -> EmailAccount | None:
    account: EmailAccount | None = await session.get(EmailAccount, account_id)
    return account


async def finish(session: AsyncSession, email_id: uuid.UUID, **values: object) -> bool:
    """Leave SENDING for the state in ``values``; False when the row is no longer SENDING."""
    c = EMAILS.c
    result = await session.execute(
        update(EMAILS).where(c.id == email_id, c.delivery_status == DeliveryStatus.SENDING).values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def add_sent_event(session: AsyncSession, email: Email, provider: str, at: datetime) -> None:
    await session.execute(
        _INSERT_EVENT,
        {
            "id": uuid.uuid4(),
            "workspace_id": email.workspace_id,
            "email_id": email.id,
            "contact_id": email.contact_id,
            "event_type": EmailEventType.SENT,
            "occurred_at": at,
            "provider": provider,
            "data": {"message_id": email.message_id},
        },
    )


async def thread_parent(session: AsyncSession, email: Email) -> Email | None:
    """The newest other message of the draft's thread that has a Message-ID: what a reply answers."""
    if email.thread_id is None:
        return None
    stmt = (
        select(Email)
        .where(
            Email.workspace_id == email.workspace_id,
            Email.thread_id == email.thread_id,
            Email.id != email.id,
            Email.message_id.is_not(None),
            or_(Email.direction == Direction.INBOUND, Email.delivery_status != DeliveryStatus.DRAFT),
        )
        .order_by(EMAIL_DATE.desc(), Email.id.desc())
        .limit(1)
    )
    parent: Email | None = (await session.execute(stmt)).scalar_one_or_none()
    return parent


async def due_emails(session: AsyncSession, now: datetime, *, unhinted_before: datetime, limit: int) -> list[uuid.UUID]:
    """Outbound mail the database says should be sending now: SCHEDULED and due
    (through the partial index ``ix_emails_scheduled_due``), and QUEUED mail
    that is due and whose queue message had time to arrive (or was lost), through ``ix_emails_outbox``."""
    scheduled = (
        select(Email.id)
        .where(Email.delivery_status == DeliveryStatus.SCHEDULED, Email.scheduled_at <= now)
        .order_by(Email.scheduled_at)
        .limit(limit)
    )
    queued = (
        select(Email.id)
        .where(
            Email.delivery_status == DeliveryStatus.QUEUED,
            or_(
                Email.scheduled_at <= now,
                and_(Email.scheduled_at.is_(None), Email.updated_at < unhinted_before),
            ),
        )
        .limit(limit)
    )
    ids = list((await session.scalars(scheduled)).all())
    ids += [email_id for email_id in (await session.scalars(queued)).all() if email_id not in set(ids)]
    return ids[:limit]


async def interrupted(
    session: AsyncSession, now: datetime, started_before: datetime, reason: str
) -> Sequence[uuid.UUID]:
    """SENDING rows older than the lease → FAILED with ``reason``: their worker died mid-delivery."""
    result = await session.execute(
        update(Email)
        .where(Email.delivery_status == DeliveryStatus.SENDING, Email.updated_at < started_before)
        .values(delivery_status=DeliveryStatus.FAILED, last_error=reason, updated_at=now)
        .returning(Email.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalars().all()

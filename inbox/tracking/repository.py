"""The queries of tracking.

The tracking endpoints have no session: the workspace of every statement is
the one of the email the verified token names (as for provider webhooks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType
from inbox.workspaces.models import Workspace

PROVIDER = "tracking"  # email_events.provider of the events our own links record


@dataclass(frozen=True, slots=True)
class TrackedEmail:
    id: uuid.UUID
    workspace_id: uuid.UUID
    contact_id: uuid.UUID | None
    to_addresses: list[str]
    sent_at: datetime | None
    delivery_status: DeliveryStatus | None


@dataclass(frozen=True, slots=True)
class RecentClick:
    id: uuid.UUID
    url: str | None
    is_machine: bool
    data: dict[str, Any]


async def outbound_email(session: AsyncSession, email_id: uuid.UUID, *, lock: bool = False) -> TrackedEmail | None:
    """The outbound email a token names; ``lock`` holds its row (PostgreSQL) to the end of the transaction,
    so that the clicks of one email are judged one after the other."""
    statement = sa.select(
        Email.id, Email.workspace_id, Email.contact_id, Email.to_addresses, Email.sent_at, Email.delivery_status
    ).where(Email.id == email_id, Email.direction == Direction.OUTBOUND)
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else TrackedEmail(**row._mapping)


async def recent_clicks(session: AsyncSession, email: TrackedEmail, since: datetime) -> list[RecentClick]:
    rows = await session.execute(
        sa.select(EmailEvent.id, EmailEvent.url, EmailEvent.is_machine, EmailEvent.data).where(
            EmailEvent.workspace_id == email.workspace_id,
            EmailEvent.email_id == email.id,
            EmailEvent.event_type == EmailEventType.CLICKED,
            EmailEvent.provider == PROVIDER,
            EmailEvent.occurred_at >= since,
        )
    )
    return [RecentClick(row.id, row.url, row.is_machine, dict(row.data or {})) for row in rows]


async def mark_machine(session: AsyncSession, email: TrackedEmail, clicks: list[RecentClick], reason: str) -> None:
    for click in clicks:  # a burst is a handful of links
        await session.execute(
            sa.update(EmailEvent)
            .where(EmailEvent.id == click.id, EmailEvent.workspace_id == email.workspace_id)
            .values(is_machine=True, data={**click.data, "reason": reason})
            .execution_options(synchronize_session=False)
        )


async def _has_human_event(session: AsyncSession, email: TrackedEmail, kind: EmailEventType) -> bool:
    """Any source's (a provider's webhook too)."""
    found = await session.scalar(
        sa.select(EmailEvent.id)
        .where(
            EmailEvent.workspace_id == email.workspace_id,
            EmailEvent.email_id == email.id,
            EmailEvent.event_type == kind,
            EmailEvent.is_machine.is_(False),
        )
        .limit(1)
    )
    return found is not None


async def has_event(session: AsyncSession, email: TrackedEmail, kind: EmailEventType) -> bool:
    """Whether our own links recorded an event of ``kind`` for the email."""
    found = await session.scalar(
        sa.select(EmailEvent.id)
        .where(
            EmailEvent.workspace_id == email.workspace_id,
            EmailEvent.email_id == email.id,
            EmailEvent.event_type == kind,
            EmailEvent.provider == PROVIDER,
        )
        .limit(1)
    )
    return found is not None


async def take_back_clicks(session: AsyncSession, email: TrackedEmail, count: int) -> None:
    """Clicks counted as a person's that turned out to be a scanner's: out of ``click_count`` and, when no
    person's click is left, the status goes back from clicked to what the remaining events show."""
    await session.execute(
        sa.update(Email)
        .where(Email.id == email.id, Email.workspace_id == email.workspace_id)
        .values(click_count=sa.case((Email.click_count >= count, Email.click_count - count), else_=0))
        .execution_options(synchronize_session=False)
    )
    if await _has_human_event(session, email, EmailEventType.CLICKED):
        return
    if await _has_human_event(session, email, EmailEventType.OPENED):
        status = DeliveryStatus.OPENED
    elif await _has_human_event(session, email, EmailEventType.DELIVERED):
        status = DeliveryStatus.DELIVERED
    else:
        status = DeliveryStatus.SENT
    await session.execute(
        sa.update(Email)
        .where(
            Email.id == email.id,
            Email.workspace_id == email.workspace_id,
            Email.delivery_status == DeliveryStatus.CLICKED,
        )
        .values(delivery_status=status)
        .execution_options(synchronize_session=False)
    )


async def contact_to_unsubscribe(session: AsyncSession, email: TrackedEmail, address: str | None) -> uuid.UUID | None:
    """The email's contact, else the workspace's contact with the address it was sent to."""
    if email.contact_id is not None:
        found = await session.scalar(
            sa.select(Contact.id).where(Contact.id == email.contact_id, Contact.workspace_id == email.workspace_id)
        )
        if found is not None:
            return found
    if not address:
        return None
    contact_id: uuid.UUID | None = await session.scalar(
        sa.select(Contact.id).where(Contact.workspace_id == email.workspace_id, Contact.email == address.lower())
    )
    return contact_id


async def add_event(session: AsyncSession, email: TrackedEmail, contact_id: uuid.UUID | None, **values: Any) -> None:
    session.add(
        EmailEvent(
            workspace_id=email.workspace_id,
            email_id=email.id,
            contact_id=contact_id,
            provider=PROVIDER,
            provider_event_id=uuid.uuid4().hex,
            **values,
        )
    )
    await session.flush()


async def workspace_settings(session: AsyncSession, workspace_id: uuid.UUID) -> dict[str, Any]:
    settings: dict[str, Any] | None = await session.scalar(
        sa.select(Workspace.settings).where(Workspace.id == workspace_id)
    )
    return settings or {}

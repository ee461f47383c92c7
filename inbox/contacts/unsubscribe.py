"""Unsubscribing a contact: the flag, and every sequence it is running in stopped.

One function for every way a person asks to stop (the AI reading "remove me",
a one-click unsubscribe link, a provider's unsubscribe event), so all of them
stop the same things.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.sequences.models import EnrollmentStatus, SequenceEnrollment

# Enrollments that may still send: stopped by an unsubscribe.
LIVE_ENROLLMENTS = (EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED)


async def unsubscribe_contact(
    session: AsyncSession, workspace_id: uuid.UUID, contact_id: uuid.UUID, at: datetime, *, reason: str
) -> bool:
    """Mark the contact unsubscribed (the first request's time is kept) and stop its live
    enrollments with ``reason``. Idempotent. True when the contact was not unsubscribed before."""
    changed = await session.execute(
        sa.update(Contact)
        .where(Contact.id == contact_id, Contact.workspace_id == workspace_id, Contact.unsubscribed.is_(False))
        .values(unsubscribed=True, unsubscribed_at=at)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        sa.update(SequenceEnrollment)
        .where(
            SequenceEnrollment.workspace_id == workspace_id,
            SequenceEnrollment.contact_id == contact_id,
            SequenceEnrollment.status.in_(LIVE_ENROLLMENTS),
        )
        .values(
            status=EnrollmentStatus.UNSUBSCRIBED,
            stopped_reason=reason,
            completed_at=at,
            next_email_scheduled_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]

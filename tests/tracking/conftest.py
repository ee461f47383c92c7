"""Fixtures of the tracking tests: a contact in a sequence, outbound mail already sent to them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.sequences.models import EnrollmentStatus, Sequence, SequenceEnrollment, SequenceStatus
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.tracking.rewrite import TrackingLinks
from inbox.tracking.service import token_signer, tracking_base_url
from tests.factories import Member

LEAD = "jane@acme-corp.example"
SentEmail = Callable[..., Awaitable[Email]]


@pytest.fixture
def links(settings: Settings) -> TrackingLinks:
    """The links the send path puts in mail, signed with the test settings' secret."""
    return TrackingLinks(token_signer(settings), tracking_base_url(settings))


@pytest.fixture
async def contact(session: AsyncSession, team: dict[Role, Member]) -> Contact:
    lead = Contact(workspace_id=team[Role.SALES_REP].workspace_id, email=LEAD, first_name="Jane")
    session.add(lead)
    await session.commit()
    return lead


@pytest.fixture
async def enrollment(session: AsyncSession, team: dict[Role, Member], contact: Contact) -> SequenceEnrollment:
    sequence = Sequence(workspace_id=contact.workspace_id, name="Q3 outreach", status=SequenceStatus.ACTIVE)
    session.add(sequence)
    await session.flush()
    enrolled = SequenceEnrollment(
        workspace_id=contact.workspace_id,
        sequence_id=sequence.id,
        contact_id=contact.id,
        status=EnrollmentStatus.ACTIVE,
        next_email_scheduled_at=utcnow() + timedelta(days=2),
    )
    session.add(enrolled)
    await session.commit()
    return enrolled


@pytest.fixture
def sent_email(session: AsyncSession, contact: Contact) -> SentEmail:
    """Makes an outbound email to the contact, sent ``sent_ago`` (an hour) ago."""

    async def make(sent_ago: timedelta = timedelta(hours=1), **values: Any) -> Email:
        email = Email(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            direction=Direction.OUTBOUND,
            delivery_status=DeliveryStatus.SENT,
            from_address="rep@ourco.example",
            to_addresses=[f"Jane Buyer <{LEAD}>"],
            subject="Pricing",
            body_text="Hi Jane",
            message_id=f"{uuid.uuid4()}@ourco.example",
            sent_at=utcnow() - sent_ago,
            **values,
        )
        session.add(email)
        await session.commit()
        return email

    return make

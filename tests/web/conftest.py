"""Fixtures of the web tests: a rep's mailbox and three triaged emails in it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Email
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message
from tests.web.helpers import receive, triage

HOT = message(
    sender="Hannah Hot <hannah@bigbuyer.example>",
    subject="Ready to sign",
    body="We are ready to move forward and sign the contract this week. Can you send the order form today? "
    "This is urgent for us.\n",
)
QUESTION = message(
    sender="Quinn Query <quinn@curious.example>",
    subject="Pricing question",
    body="Hi, what does the team plan cost for 12 seats? Thanks, Quinn\n",
)
NO = message(
    sender="Nora Nope <nora@elsewhere.example>",
    subject="Re: intro",
    body="Thanks, but we are not interested. Please do not contact us again about this.\n",
)


@pytest.fixture
async def mailbox(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> EmailAccount:
    rep = team[Role.SALES_REP]
    mailbox = await make_mailbox(
        session, settings, workspace_id=rep.workspace_id, user_id=rep.user.id, address="rita@ourco.example"
    )
    await session.commit()
    return mailbox


@pytest.fixture
async def inbox(db: Database, session: AsyncSession, mailbox: EmailAccount, tmp_path: Path) -> dict[str, uuid.UUID]:
    """Three triaged emails: a hot lead, a question, a refusal. Their thread ids by name."""
    ids = await receive(session, mailbox, tmp_path / "blobs", HOT, QUESTION, NO)
    await triage(db, *ids)
    rows = await session.execute(sa.select(Email.id, Email.thread_id).where(Email.id.in_(ids)))
    by_email = {row.id: row.thread_id for row in rows}
    return dict(zip(("hot", "question", "no"), (by_email[i] for i in ids), strict=True))


async def draft_of(session: AsyncSession, thread_id: uuid.UUID) -> Email:
    draft = await session.scalar(
        sa.select(Email)
        .where(Email.thread_id == thread_id, Email.delivery_status == DeliveryStatus.DRAFT)
        .execution_options(populate_existing=True)
    )
    assert draft is not None
    return draft

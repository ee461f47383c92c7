"""What the inbox list shows of a thread, kept on the thread row.

The inbox sorts and filters a workspace's threads by whether a person is
needed, so those facts live on ``email_threads`` (migration 0005) instead of
being recomputed from every email of 100,000 threads per page view.
``refresh_threads`` recomputes them from the thread's emails, actions, insights
and contact in two set-based UPDATEs; every writer that changes one of those
calls it for the threads it touched, in its own transaction: ingestion (new
mail), triage (intent, drafts, reply actions), sending (a draft approved or
sent), the web inbox (read, archive, discard).

- ``unread_count``: inbound emails still unread.
- ``has_draft``: an outbound email in the thread is a draft.
- ``needs_reply``: the newest message a person wrote (auto-replies, bounces,
  drafts and failed sends aside) is inbound, and either triage has not read it
  yet or a reply action for the thread is pending.
- ``intent``, ``urgency``: what triage said of the newest inbound message.
- ``attention``: 3 a hot lead waits for a reply, 2 an urgent message does, 1 a
  reply or a draft waits, 0 nothing does. The inbox shows higher first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus, ActionType
from inbox.contacts.models import Contact, Temperature
from inbox.insights.models import AiInsight, InsightType
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread, InboxStatus

_THREAD = EmailThread.id
_WHEN = sa.func.coalesce(Email.received_at, Email.sent_at, Email.scheduled_at, Email.created_at)


def _newest_human() -> sa.ScalarSelect[uuid.UUID]:
    """The id of the thread's newest message a person wrote and that exists for its recipient."""
    return (
        sa.select(Email.id)
        .where(
            Email.thread_id == _THREAD,
            Email.is_auto_reply.is_(False),
            Email.is_bounce.is_(False),
            sa.or_(
                Email.direction == Direction.INBOUND,
                Email.delivery_status.not_in([DeliveryStatus.DRAFT, DeliveryStatus.FAILED]),
            ),
        )
        .order_by(_WHEN.desc(), Email.id.desc())
        .limit(1)
        .correlate(EmailThread)
        .scalar_subquery()
    )


def _newest_inbound() -> sa.ScalarSelect[uuid.UUID]:
    return (
        sa.select(Email.id)
        .where(Email.thread_id == _THREAD, Email.direction == Direction.INBOUND, Email.is_bounce.is_(False))
        .order_by(_WHEN.desc(), Email.id.desc())
        .limit(1)
        .correlate(EmailThread)
        .scalar_subquery()
    )


def _insight(kind: InsightType) -> sa.ScalarSelect[str]:
    return (
        sa.select(AiInsight.content)
        .where(AiInsight.email_id == _newest_inbound(), AiInsight.insight_type == kind)
        .order_by(AiInsight.created_at.desc())
        .limit(1)
        .correlate(EmailThread)
        .scalar_subquery()
    )


async def refresh_threads(session: AsyncSession, thread_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the inbox state of ``thread_ids`` (any number; unknown ids are ignored)."""
    ids = list({*thread_ids})
    if not ids:
        return
    # Email is the subqueries' own table here, so aliased: the newest message is looked up by id.
    newest = sa.orm.aliased(Email)
    newest_is_untriaged_inbound = sa.exists(
        sa.select(newest.id).where(
            newest.id == _newest_human(), newest.direction == Direction.INBOUND, newest.triaged_at.is_(None)
        )
    ).correlate(EmailThread)
    newest_is_inbound = sa.exists(
        sa.select(newest.id).where(newest.id == _newest_human(), newest.direction == Direction.INBOUND)
    ).correlate(EmailThread)
    reply_pending = sa.exists(
        sa.select(Action.id).where(
            Action.thread_id == _THREAD, Action.status == ActionStatus.PENDING, Action.type == ActionType.REPLY
        )
    )
    await session.execute(
        sa.update(EmailThread)
        .where(EmailThread.id.in_(ids))
        .values(
            unread_count=sa.select(sa.func.count(Email.id))
            .where(
                Email.thread_id == _THREAD,
                Email.direction == Direction.INBOUND,
                Email.inbox_status == InboxStatus.UNREAD,
            )
            .scalar_subquery(),
            has_draft=sa.exists(
                sa.select(Email.id).where(
                    Email.thread_id == _THREAD,
                    Email.direction == Direction.OUTBOUND,
                    Email.delivery_status == DeliveryStatus.DRAFT,
                )
            ),
            needs_reply=sa.and_(newest_is_inbound, sa.or_(newest_is_untriaged_inbound, reply_pending)),
            intent=_insight(InsightType.INTENT),
            urgency=_insight(InsightType.URGENCY),
        )
        .execution_options(synchronize_session=False)
    )
    hot = sa.exists(
        sa.select(Contact.id).where(Contact.id == EmailThread.contact_id, Contact.temperature == Temperature.HOT)
    )
    await session.execute(
        sa.update(EmailThread)
        .where(EmailThread.id.in_(ids))
        .values(
            attention=sa.case(
                (sa.and_(EmailThread.needs_reply, hot), 3),
                (sa.and_(EmailThread.needs_reply, EmailThread.urgency == "high"), 2),
                (sa.or_(EmailThread.needs_reply, EmailThread.has_draft), 1),
                else_=0,
            )
        )
        .execution_options(synchronize_session=False)
    )

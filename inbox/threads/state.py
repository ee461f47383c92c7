"""What the inbox list shows of a thread, kept on the thread row.

The inbox sorts and filters a workspace's threads by whether a person is
needed, so those facts live on ``email_threads`` (migration 0005) instead of
being recomputed from every email of 100,000 threads per page view.
``refresh_threads`` recomputes them for the threads a writer touched, in the
writer's transaction: ingestion (new mail), triage (intent, drafts, reply
actions), sending (a draft approved), the web inbox (read, archive, discard).

- ``message_count``, ``last_message_at``: its emails, and when the newest was
  received or sent.
- ``unread_count``: inbound emails still unread.
- ``has_draft``: an outbound email in the thread is a draft.
- ``needs_reply``: the newest message a person wrote (auto-replies, bounces,
  drafts and failed sends aside) is inbound, and either triage has not read it
  yet or a reply action for the thread is pending.
- ``intent``, ``urgency``: what triage said of the newest inbound message.
- ``attention``: 3 a hot lead waits for a reply, 2 an urgent message does, 1 a
  reply or a draft waits, 0 nothing does. The inbox shows higher first.

The facts are read with six statements, each a probe per thread (or email) id
on PostgreSQL (``each_key``), aggregated in the database so that a long thread
is not read into this process; only the threads whose facts changed are
written, in one batch. (Correlated subqueries in one
UPDATE did the same work, but right after a bulk load the planner read them
through a partial index over every inbound email, and a sync slowed as its
mailbox grew.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus, ActionType
from inbox.contacts.models import Contact, Temperature
from inbox.core.queries import each_key
from inbox.insights.models import AiInsight, InsightType
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread, InboxStatus

STATE_COLUMNS = (
    "message_count",
    "last_message_at",
    "unread_count",
    "needs_reply",
    "has_draft",
    "intent",
    "urgency",
    "attention",
)
_INBOUND = Email.direction == Direction.INBOUND
# When a message happened, for ordering: received, sent, due or written.
_AT = sa.func.coalesce(Email.received_at, Email.sent_at, Email.scheduled_at, Email.created_at)
# A message a person wrote that exists for its recipient: auto-replies, bounces, drafts and failed sends aside.
_HUMAN = sa.and_(
    Email.is_auto_reply.is_(False),
    Email.is_bounce.is_(False),
    sa.or_(_INBOUND, Email.delivery_status.not_in([DeliveryStatus.DRAFT, DeliveryStatus.FAILED])),
)
_TABLE: sa.Table = EmailThread.__table__  # type: ignore[assignment]
# Core, not ORM: executed with many parameter sets (one per changed thread) as one executemany.
_UPDATE = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("b_id"))
    .values({column: sa.bindparam(f"b_{column}") for column in STATE_COLUMNS})
)


@dataclass(slots=True)
class _Thread:
    count: int = 0
    last: datetime | None = None  # the newest message received or sent (drafts and scheduled mail aside)
    unread: int = 0
    draft: bool = False
    newest_human: tuple[uuid.UUID, bool, bool] | None = None  # (id, inbound, untriaged)
    newest_inbound: uuid.UUID | None = None


def attention(*, needs_reply: bool, hot: bool, urgency: str | None, has_draft: bool) -> int:
    if needs_reply and hot:
        return 3
    if needs_reply and urgency == "high":
        return 2
    return 1 if needs_reply or has_draft else 0


async def refresh_threads(session: AsyncSession, thread_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the inbox state of ``thread_ids`` (any number; unknown ids are ignored)."""
    ids = list({*thread_ids})
    if not ids:
        return
    # Core execution on the session's connection: no ORM result processing and no autoflush walk of what
    # the caller's session holds (an ingestion batch holds thousands of objects).
    connection = await session.connection()
    threads = {thread_id: _Thread() for thread_id in ids}
    # Per thread, in the database: a long thread is not read row by row into this process.
    totals = sa.select(
        Email.thread_id,
        sa.func.count().label("messages"),
        sa.func.max(sa.func.coalesce(Email.received_at, Email.sent_at)).label("last"),
        sa.func.sum(sa.case((sa.and_(_INBOUND, Email.inbox_status == InboxStatus.UNREAD), 1), else_=0)).label("unread"),
        sa.func.max(sa.case((sa.and_(~_INBOUND, Email.delivery_status == DeliveryStatus.DRAFT), 1), else_=0)).label(
            "draft"
        ),
    ).group_by(Email.thread_id)
    for row in await connection.execute(each_key(session, totals, Email.thread_id, ids)):
        thread = threads[row.thread_id]
        thread.count, thread.last = row.messages, row.last
        thread.unread, thread.draft = row.unread or 0, bool(row.draft)
    newest = sa.select(Email.thread_id, Email.id, Email.direction, Email.triaged_at).order_by(
        _AT.desc(), Email.id.desc()
    )
    # Without a per-key probe (SQLite) every matching row comes back, newest first: the first one wins.
    for row in await connection.execute(each_key(session, newest.where(_HUMAN), Email.thread_id, ids)):
        thread = threads[row.thread_id]
        if thread.newest_human is None:
            inbound = row.direction == Direction.INBOUND
            thread.newest_human = (row.id, inbound, inbound and row.triaged_at is None)
    inbound_only = newest.where(_INBOUND, Email.is_bounce.is_(False))
    for row in await connection.execute(each_key(session, inbound_only, Email.thread_id, ids)):
        thread = threads[row.thread_id]
        if thread.newest_inbound is None:
            thread.newest_inbound = row.id

    pending_replies = sa.select(Action.thread_id).where(
        Action.status == ActionStatus.PENDING, Action.type == ActionType.REPLY
    )
    pending = {
        row.thread_id
        for row in await connection.execute(each_key(session, pending_replies, Action.thread_id, ids, unique=False))
    }
    newest_inbound = {t.newest_inbound: thread_id for thread_id, t in threads.items() if t.newest_inbound}
    said: dict[tuple[uuid.UUID, str], str | None] = {}
    if newest_inbound:
        read = sa.select(AiInsight.email_id, AiInsight.insight_type, AiInsight.content, AiInsight.created_at).where(
            AiInsight.insight_type.in_([InsightType.INTENT, InsightType.URGENCY])
        )
        insights = await connection.execute(
            each_key(session, read, AiInsight.email_id, list(newest_inbound), unique=False)
        )
        for row in sorted(insights, key=lambda row: row.created_at):  # the latest prompt version's answer wins
            said[(newest_inbound[row.email_id], str(row.insight_type))] = row.content
    now_state = sa.select(
        EmailThread.id,
        sa.select(Contact.temperature)
        .where(Contact.id == EmailThread.contact_id)
        .scalar_subquery()
        .label("temperature"),
        *(getattr(EmailThread, c) for c in STATE_COLUMNS),
    )
    current = await connection.execute(each_key(session, now_state, EmailThread.id, ids))
    changes: list[dict[str, Any]] = []
    for now in current:
        thread = threads[now.id]
        latest = thread.newest_human
        needs_reply = latest is not None and latest[1] and (latest[2] or now.id in pending)
        urgency = said.get((now.id, InsightType.URGENCY.value))
        state = {
            "message_count": thread.count,
            "last_message_at": thread.last,
            "unread_count": thread.unread,
            "needs_reply": needs_reply,
            "has_draft": thread.draft,
            "intent": said.get((now.id, InsightType.INTENT.value)),
            "urgency": urgency,
            "attention": attention(
                needs_reply=needs_reply,
                hot=now.temperature == Temperature.HOT,
                urgency=urgency,
                has_draft=thread.draft,
            ),
        }
        if any(getattr(now, column) != value for column, value in state.items()):
            changes.append({"b_id": now.id, **{f"b_{column}": value for column, value in state.items()}})
    if changes:
        await connection.execute(_UPDATE, changes)


async def after_triage(
    session: AsyncSession,
    *,
    thread_id: uuid.UUID,
    received_at: datetime,
    intent: str,
    urgency: str,
    needs_reply: bool,
    drafted: bool,
) -> None:
    """What triage of an inbound message changes of its thread. When the message is still the thread's newest
    (the usual case: triage runs seconds after arrival) the facts are all known here and one single-row
    UPDATE sets them; otherwise (mail came or went after it) :func:`refresh_threads` recomputes the thread."""
    result = await session.execute(
        _AFTER_TRIAGE,
        {
            "b_thread": thread_id,
            "b_at": received_at,
            "b_intent": intent,
            "b_urgency": urgency,
            "b_needs": needs_reply,
            "b_drafted": drafted,
            "b_urgent": urgency == "high",
        },
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await refresh_threads(session, [thread_id])


def _after_triage_statement() -> sa.Update:
    needs = sa.bindparam("b_needs", type_=sa.Boolean)
    has_draft = sa.or_(_TABLE.c.has_draft, sa.bindparam("b_drafted", type_=sa.Boolean))
    hot = sa.exists(
        sa.select(Contact.id).where(Contact.id == _TABLE.c.contact_id, Contact.temperature == Temperature.HOT)
    )
    return (
        sa.update(_TABLE)
        .where(
            _TABLE.c.id == sa.bindparam("b_thread"),
            # The message is still the newest of the thread: nothing came or went after it.
            sa.or_(_TABLE.c.last_message_at.is_(None), _TABLE.c.last_message_at <= sa.bindparam("b_at")),
        )
        .values(
            intent=sa.bindparam("b_intent"),
            urgency=sa.bindparam("b_urgency"),
            needs_reply=needs,
            has_draft=has_draft,
            attention=sa.case(
                (sa.and_(needs, hot), 3),
                (sa.and_(needs, sa.bindparam("b_urgent", type_=sa.Boolean)), 2),
                (sa.or_(needs, has_draft), 1),
                else_=0,
            ),
        )
    )


_AFTER_TRIAGE = _after_triage_statement()

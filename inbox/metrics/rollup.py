"""The metrics rollup: ``performance_metrics`` recomputed from emails and actions, per user and UTC day.

A rollup of a date range writes one row for every user of the workspace (or of
every workspace) and every day of the range, zeros included, with one
``INSERT ... SELECT ... ON CONFLICT (user_id, date) DO UPDATE`` per stretch of
up to ``CHUNK_DAYS`` days: the figures are computed by the database, set-based,
never message by message. Rerunning it is harmless (rows whose figures did not
change are not rewritten) and so is running two at once (each row is upserted
atomically); a row whose source data went away is set back to zeros. So any
range can be rebuilt, and the scheduler rolls up yesterday and today every few
minutes.

The figures of user U on UTC day D (a day runs from 00:00 UTC to the next
00:00 UTC; timestamps are compared as stored, in UTC):

``emails_sent``
    Outbound emails with ``sent_at`` on D and ``user_id`` U: mail sent through
    the service and the rep's own mail found in the Sent folder by ingestion.
    Drafts, scheduled and failed mail have no ``sent_at`` and do not count.
``emails_received``
    Inbound emails with ``received_at`` on D that U owns, bounces excepted (a
    delivery report is not mail from someone). U owns an inbound email when the
    email's ``user_id`` is U: ingestion stamps it with the owner of the mailbox
    it arrived in (``email_accounts.user_id``) at that time, so mail keeps its
    owner when a mailbox changes hands later. When that stamp is empty (the
    mailbox had no owner yet), the mailbox's current owner owns it.
    Contact ownership (``contacts.owner_id``) plays no part: a lead may write
    to any rep's mailbox.
``replies_received``
    Inbound emails received on D, not bounces and not auto-replies, in a thread
    holding an outbound email of U sent before it. Counted for every user who
    had written in that thread before (normally one), whoever's mailbox got it.
``reply_rate``
    ``replies_received / emails_sent``, 0 when nothing was sent. A reply on D may
    answer mail of an earlier day, so replies can outnumber the day's sends: the
    rate is capped at 1. Over several days or users it is recomputed from the
    summed counts (with the same cap), never averaged.
``avg_response_time_minutes``, ``response_count``
    A *response* is an outbound email of U sent on D whose thread's latest
    earlier message (outbound, or inbound other than bounces and auto-replies)
    is inbound: U answered the lead. Its response time is its ``sent_at`` minus
    that inbound email's ``received_at``. The average is over the day's
    responses, NULL when there were none; ``response_count`` is how many, the
    weight of the average when days or users are combined. A follow-up sent
    after the rep's own reply is not a response.
``leads_contacted``
    Distinct contacts (``emails.contact_id``) of U's outbound emails sent on D.
    Over several days it is the sum of the daily counts.
``meetings_scheduled``
    Actions of type ``meeting`` completed on D (``completed_at``) and credited
    to U: an AI or manual "book a meeting" to-do is done when the meeting is
    booked. Creating such an action is only a suggestion and does not count.
``actions_completed``
    Actions of any type with status ``completed`` and ``completed_at`` on D,
    credited to U. An action is credited to its assignee, or to its creator
    when it has none. Dismissed actions do not count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from inbox.actions.models import Action
from inbox.core.db import Database, UTCDateTime, sql_now
from inbox.mailboxes.models import EmailAccount
from inbox.metrics.models import PerformanceMetric
from inbox.threads.models import Email
from inbox.users.models import User

CHUNK_DAYS = 31  # days per statement: bounds its size and how long one transaction holds row locks

_EMAILS: sa.Table = Email.__table__  # type: ignore[assignment]
_ACTIONS: sa.Table = Action.__table__  # type: ignore[assignment]
_ACCOUNTS: sa.Table = EmailAccount.__table__  # type: ignore[assignment]
_USERS: sa.Table = User.__table__  # type: ignore[assignment]
_METRICS: sa.Table = PerformanceMetric.__table__  # type: ignore[assignment]

# Literal, not bound: the partial indexes of migration 0006 match these predicates only as written.
_OUTBOUND: sa.ColumnElement[str] = sa.literal_column("'outbound'")
_INBOUND: sa.ColumnElement[str] = sa.literal_column("'inbound'")
_COMPLETED: sa.ColumnElement[str] = sa.literal_column("'completed'")
_MEETING: sa.ColumnElement[str] = sa.literal_column("'meeting'")

FIGURES = (
    "emails_sent",
    "emails_received",
    "replies_received",
    "reply_rate",
    "avg_response_time_minutes",
    "response_count",
    "leads_contacted",
    "meetings_scheduled",
    "actions_completed",
)


class new_uuid(FunctionElement[uuid.UUID]):
    """A random UUID made by the database, for rows inserted by INSERT ... SELECT."""

    type = sa.Uuid()
    inherit_cache = True
    name = "new_uuid"


@compiles(new_uuid)
def _new_uuid_postgres(element: new_uuid, compiler: Any, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(new_uuid, "sqlite")
def _new_uuid_sqlite(element: new_uuid, compiler: Any, **kw: Any) -> str:
    # How SQLAlchemy stores a Uuid on SQLite: 32 hex digits.
    return "lower(hex(randomblob(16)))"


class minutes_between(FunctionElement[float]):
    """``later - earlier`` in minutes, as a float."""

    type = sa.Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _minutes_postgres(element: minutes_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})) "
        "AS DOUBLE PRECISION) / 60.0"
    )


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 1440.0"


@dataclass(frozen=True, slots=True)
class RollupReport:
    start: date
    end: date
    days: int
    rows_written: int  # rows inserted or changed; unchanged ones are left alone


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a day starts and ends (exclusive)."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


LAST_DAY = date.max - timedelta(days=1)  # a day's end must be a date too


def _days(start: date, end: date) -> sa.CTE:
    rows = [(day, *day_bounds(day)) for day in (start + timedelta(n) for n in range((end - start).days + 1))]
    return (
        sa.values(
            sa.column("day", sa.Date()),
            sa.column("lo", UTCDateTime()),
            sa.column("hi", UTCDateTime()),
            name="days",
        )
        .data(rows)
        .cte("days")
    )


def _in_scope(column: sa.ColumnElement[Any], workspace_id: uuid.UUID | None) -> sa.ColumnElement[bool]:
    return sa.true() if workspace_id is None else column == workspace_id


def _upsert_statement(dialect: str, workspace_id: uuid.UUID | None, start: date, end: date) -> Any:
    days = _days(start, end)
    # The whole range as plain bounds too, beside each day's: the planner then reads just the range from the
    # time indexes whatever order it joins in (the days' bounds alone only help once it reads the days first).
    lo, hi = day_bounds(start)[0], day_bounds(end)[1]

    def within(column: sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
        return sa.and_(column >= lo, column < hi)

    e = _EMAILS.alias("e")
    in_day = sa.and_(e.c.sent_at >= days.c.lo, e.c.sent_at < days.c.hi, within(e.c.sent_at))

    sent = (
        sa.select(
            e.c.user_id.label("user_id"),
            days.c.day.label("day"),
            sa.func.count().label("emails_sent"),
            sa.func.count(sa.distinct(e.c.contact_id)).label("leads_contacted"),
        )
        .select_from(e)
        .join(days, in_day)
        .where(e.c.direction == _OUTBOUND, e.c.user_id.is_not(None), _in_scope(e.c.workspace_id, workspace_id))
        .group_by(e.c.user_id, days.c.day)
        .subquery("sent")
    )

    inbound = _EMAILS.alias("i")
    mailbox = _ACCOUNTS.alias("mb")
    owner = sa.func.coalesce(inbound.c.user_id, mailbox.c.user_id)
    received = (
        sa.select(owner.label("user_id"), days.c.day.label("day"), sa.func.count().label("emails_received"))
        .select_from(inbound)
        .join(days, sa.and_(inbound.c.received_at >= days.c.lo, inbound.c.received_at < days.c.hi))
        .where(within(inbound.c.received_at))
        .outerjoin(mailbox, mailbox.c.id == inbound.c.email_account_id)
        .where(
            inbound.c.direction == _INBOUND,
            inbound.c.is_bounce.is_(False),
            _in_scope(inbound.c.workspace_id, workspace_id),
        )
        .group_by(owner, days.c.day)
        .subquery("received")
    )

    reply = _EMAILS.alias("r")
    earlier = _EMAILS.alias("o")
    replies = (
        sa.select(
            earlier.c.user_id.label("user_id"),
            days.c.day.label("day"),
            sa.func.count(sa.distinct(reply.c.id)).label("replies_received"),
        )
        .select_from(reply)
        .join(days, sa.and_(reply.c.received_at >= days.c.lo, reply.c.received_at < days.c.hi))
        .where(within(reply.c.received_at))
        .join(
            earlier,
            sa.and_(
                earlier.c.thread_id == reply.c.thread_id,
                earlier.c.direction == _OUTBOUND,
                earlier.c.user_id.is_not(None),
                earlier.c.sent_at < reply.c.received_at,
            ),
        )
        .where(
            reply.c.direction == _INBOUND,
            reply.c.is_bounce.is_(False),
            reply.c.is_auto_reply.is_(False),
            _in_scope(reply.c.workspace_id, workspace_id),
        )
        .group_by(earlier.c.user_id, days.c.day)
        .subquery("replies")
    )

    # For each outbound email of the days: the latest conversational inbound message of its thread before it...
    answered = _EMAILS.alias("a")
    latest_inbound = (
        sa.select(sa.func.max(answered.c.received_at))
        .where(
            answered.c.thread_id == e.c.thread_id,
            answered.c.direction == _INBOUND,
            answered.c.is_bounce.is_(False),
            answered.c.is_auto_reply.is_(False),
            answered.c.received_at < e.c.sent_at,
        )
        .scalar_subquery()
    )
    outbound = (
        sa.select(
            e.c.id.label("id"),
            e.c.thread_id.label("thread_id"),
            e.c.user_id.label("user_id"),
            e.c.sent_at.label("sent_at"),
            days.c.day.label("day"),
            latest_inbound.label("answered_at"),
        )
        .select_from(e)
        .join(days, in_day)
        .where(
            e.c.direction == _OUTBOUND,
            e.c.user_id.is_not(None),
            e.c.thread_id.is_not(None),
            _in_scope(e.c.workspace_id, workspace_id),
        )
        .subquery("outbound")
    )
    # ...and it is a response when no other outbound email of the thread came between the two.
    between = _EMAILS.alias("b")
    responses = (
        sa.select(
            outbound.c.user_id.label("user_id"),
            outbound.c.day.label("day"),
            sa.func.count().label("response_count"),
            sa.func.avg(minutes_between(outbound.c.sent_at, outbound.c.answered_at)).label("avg_minutes"),
        )
        .where(
            outbound.c.answered_at.is_not(None),
            ~sa.exists().where(
                between.c.thread_id == outbound.c.thread_id,
                between.c.direction == _OUTBOUND,
                between.c.id != outbound.c.id,
                between.c.sent_at >= outbound.c.answered_at,
                between.c.sent_at < outbound.c.sent_at,
            ),
        )
        .group_by(outbound.c.user_id, outbound.c.day)
        .subquery("responses")
    )

    action = _ACTIONS.alias("ac")
    credited = sa.func.coalesce(action.c.assigned_to_id, action.c.created_by_id)
    actions = (
        sa.select(
            credited.label("user_id"),
            days.c.day.label("day"),
            sa.func.count().label("actions_completed"),
            sa.func.count(sa.case((action.c.type == _MEETING, 1))).label("meetings_scheduled"),
        )
        .select_from(action)
        .join(days, sa.and_(action.c.completed_at >= days.c.lo, action.c.completed_at < days.c.hi))
        .where(within(action.c.completed_at))
        .where(action.c.status == _COMPLETED, _in_scope(action.c.workspace_id, workspace_id))
        .group_by(credited, days.c.day)
        .subquery("actions")
    )

    users = _USERS.alias("u")

    def joined(subquery: sa.Subquery) -> sa.ColumnElement[bool]:
        return sa.and_(subquery.c.user_id == users.c.id, subquery.c.day == days.c.day)

    emails_sent = sa.func.coalesce(sent.c.emails_sent, 0)
    replies_received = sa.func.coalesce(replies.c.replies_received, 0)
    reply_rate = sa.case(
        (emails_sent == 0, sa.literal(0.0, sa.Float())),
        (replies_received >= emails_sent, sa.literal(1.0, sa.Float())),
        else_=sa.cast(replies_received, sa.Float()) / emails_sent,
    )
    figures: dict[str, sa.ColumnElement[Any]] = {
        "emails_sent": emails_sent,
        "emails_received": sa.func.coalesce(received.c.emails_received, 0),
        "replies_received": replies_received,
        "reply_rate": reply_rate,
        "avg_response_time_minutes": sa.cast(responses.c.avg_minutes, sa.Float()),
        "response_count": sa.func.coalesce(responses.c.response_count, 0),
        "leads_contacted": sa.func.coalesce(sent.c.leads_contacted, 0),
        "meetings_scheduled": sa.func.coalesce(actions.c.meetings_scheduled, 0),
        "actions_completed": sa.func.coalesce(actions.c.actions_completed, 0),
    }
    rows = (
        sa.select(new_uuid(), users.c.workspace_id, users.c.id, days.c.day, *figures.values())
        .select_from(users)
        .join(days, sa.true())
        .outerjoin(sent, joined(sent))
        .outerjoin(received, joined(received))
        .outerjoin(replies, joined(replies))
        .outerjoin(responses, joined(responses))
        .outerjoin(actions, joined(actions))
        # A WHERE clause is needed anyway: without one SQLite would read ON CONFLICT as a join's ON.
        .where(_in_scope(users.c.workspace_id, workspace_id))
        # One order for every run, so two overlapping runs lock rows in the same order (no deadlock).
        .order_by(users.c.id, days.c.day)
    )
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_METRICS)
    statement = insert.from_select(["id", "workspace_id", "user_id", "date", *figures], rows)
    excluded = statement.excluded
    changed = sa.or_(*(_METRICS.c[name].is_distinct_from(excluded[name]) for name in FIGURES))
    return statement.on_conflict_do_update(
        index_elements=["user_id", "date"],
        set_={**{name: excluded[name] for name in FIGURES}, "updated_at": sql_now()},
        where=changed,
    ).returning(_METRICS.c.id)  # the rows written (a driver's rowcount of INSERT ... SELECT is not reliable)


def check_range(start: date, end: date) -> None:
    if start > end:
        raise ValueError(f"the range starts ({start}) after it ends ({end})")
    if end > LAST_DAY:
        raise ValueError(f"the range must end by {LAST_DAY}")


async def rollup_range(session: AsyncSession, workspace_id: uuid.UUID | None, start: date, end: date) -> int:
    """Recompute the rows of ``start`` to ``end`` (inclusive) in the session's transaction (not committed);
    ``workspace_id`` None means every workspace. Returns how many rows were inserted or changed."""
    check_range(start, end)
    dialect = session.get_bind().dialect.name
    written = 0
    for chunk_start, chunk_end in chunks(start, end):
        result = await session.execute(_upsert_statement(dialect, workspace_id, chunk_start, chunk_end))
        written += len(result.all())
    return written


def chunks(start: date, end: date, size: int = CHUNK_DAYS) -> list[tuple[date, date]]:
    """``start`` to ``end`` in consecutive stretches of at most ``size`` days."""
    spans = []
    while start <= end:
        last = start + timedelta(days=min(size - 1, (end - start).days))
        spans.append((start, last))
        start = last + timedelta(days=1)
    return spans


async def rollup(database: Database, workspace_id: uuid.UUID | None, start: date, end: date) -> RollupReport:
    """Rebuild ``start`` to ``end`` (inclusive), one transaction per stretch of ``CHUNK_DAYS`` days (a long
    rebuild holds no lock for long); ``workspace_id`` None means every workspace."""
    check_range(start, end)
    written = 0
    for chunk_start, chunk_end in chunks(start, end):
        async with database.transaction() as session:
            written += await rollup_range(session, workspace_id, chunk_start, chunk_end)
    return RollupReport(start=start, end=end, days=(end - start).days + 1, rows_written=written)

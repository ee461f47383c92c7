"""The managers' dashboard figures: per day and per rep over a date range.

Counts come from ``performance_metrics`` (the daily rollup, one row per user and day). The median
response time is computed from the mail itself, because medians do not add up across days: for every
outbound message a user sent in the range, the minutes since the latest earlier inbound message of the same
thread (auto-replies and bounces aside); a message with no inbound mail before it in its thread starts a
conversation and is no response. Medians are taken in Python over one bounded query (the same on
PostgreSQL and SQLite).

Days are UTC days; ``until`` is included.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.metrics.models import PerformanceMetric
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.users.models import User

MAX_DAYS = 366
# At most this many sent messages are read to take the medians (a team of 50 answering 200 a day for a year).
MAX_RESPONSES = 200_000
# Outbound mail that left (delivery_status at or past "sent").
SENT = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.OPENED,
    DeliveryStatus.CLICKED,
    DeliveryStatus.REPLIED,
    DeliveryStatus.BOUNCED,
)


@dataclass
class Figures:
    """Sums over a day, a rep or the whole range, and the median response time of the same mail."""

    sent: int = 0
    received: int = 0
    replies: int = 0
    meetings: int = 0
    response_minutes: list[float] = field(default_factory=list, repr=False)

    @property
    def reply_rate(self) -> float | None:
        """Replies received per email sent (0.25 is 25 %); None when nothing was sent."""
        return self.replies / self.sent if self.sent else None

    @property
    def median_response_minutes(self) -> float | None:
        return statistics.median(self.response_minutes) if self.response_minutes else None

    @property
    def responses(self) -> int:
        return len(self.response_minutes)

    def add(self, sent: int, received: int, replies: int, meetings: int) -> None:
        self.sent += sent
        self.received += received
        self.replies += replies
        self.meetings += meetings


@dataclass
class DayFigures(Figures):
    day: date = date.min


@dataclass
class RepFigures(Figures):
    user_id: uuid.UUID | None = None
    name: str = ""
    email: str = ""


@dataclass
class Dashboard:
    since: date
    until: date
    days: list[DayFigures]  # every day of the range, in order, zeros included
    reps: list[RepFigures]  # the workspace's active users and anyone with figures in the range, by name
    total: Figures


def check_range(since: date, until: date) -> None:
    if since > until:
        raise InvalidInput("from must be on or before to", field="from")
    if (until - since).days >= MAX_DAYS:
        raise InvalidInput(f"choose at most {MAX_DAYS} days", field="from")


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), UTC)


async def dashboard(session: AsyncSession, principal: Principal, since: date, until: date) -> Dashboard:
    """The figures of the principal's workspace (a sales rep: their own only) from ``since`` to ``until``."""
    check_range(since, until)
    workspace_id = principal.workspace_id
    only_user = None if principal.sees_whole_workspace else principal.user_id

    days = {
        since + timedelta(days=offset): DayFigures(day=since + timedelta(days=offset))
        for offset in range((until - since).days + 1)
    }
    reps: dict[uuid.UUID, RepFigures] = {}
    total = Figures()

    metric = PerformanceMetric
    sums = (
        sa.func.coalesce(sa.func.sum(metric.emails_sent), 0),
        sa.func.coalesce(sa.func.sum(metric.emails_received), 0),
        sa.func.coalesce(sa.func.sum(metric.replies_received), 0),
        sa.func.coalesce(sa.func.sum(metric.meetings_scheduled), 0),
    )
    stmt = (
        sa.select(metric.date, metric.user_id, *sums)
        .where(metric.workspace_id == workspace_id, metric.date >= since, metric.date <= until)
        .group_by(metric.date, metric.user_id)
    )
    if only_user is not None:
        stmt = stmt.where(metric.user_id == only_user)
    for day, user_id, sent, received, replies, meetings in (await session.execute(stmt)).all():
        figures = (int(sent), int(received), int(replies), int(meetings))
        days[day].add(*figures)
        reps.setdefault(user_id, RepFigures(user_id=user_id)).add(*figures)
        total.add(*figures)

    for user_id, sent_at, minutes in await _responses(session, workspace_id, only_user, since, until):
        days[sent_at.date()].response_minutes.append(minutes)
        reps.setdefault(user_id, RepFigures(user_id=user_id)).response_minutes.append(minutes)
        total.response_minutes.append(minutes)

    users = sa.select(User).where(User.workspace_id == workspace_id)
    users = users.where(User.id == only_user) if only_user is not None else users
    for user in (await session.execute(users)).scalars():
        if not user.is_active and user.id not in reps:
            continue
        rep = reps.setdefault(user.id, RepFigures(user_id=user.id))
        rep.name = f"{user.first_name or ''} {user.last_name or ''}".strip() or user.email
        rep.email = user.email
    return Dashboard(
        since=since,
        until=until,
        days=list(days.values()),
        reps=sorted(reps.values(), key=lambda rep: (rep.name.lower(), rep.email)),
        total=total,
    )


async def _responses(
    session: AsyncSession, workspace_id: uuid.UUID, only_user: uuid.UUID | None, since: date, until: date
) -> list[tuple[uuid.UUID, datetime, float]]:
    """(user, sent at, minutes since the inbound message it answers) for the responses sent in the range."""
    inbound = aliased(Email)
    previous = (
        sa.select(sa.func.max(inbound.received_at))
        .where(
            inbound.workspace_id == Email.workspace_id,
            inbound.thread_id == Email.thread_id,
            inbound.direction == Direction.INBOUND,
            inbound.is_auto_reply.is_(False),
            inbound.is_bounce.is_(False),
            inbound.received_at < Email.sent_at,
        )
        .scalar_subquery()
    )
    # As the rollup defines a response (inbox/metrics/rollup.py): the thread's latest earlier message is
    # inbound; a follow-up after the rep's own mail answers nothing.
    outbound = aliased(Email)
    earlier_outbound = (
        sa.select(sa.func.max(outbound.sent_at))
        .where(
            outbound.workspace_id == Email.workspace_id,
            outbound.thread_id == Email.thread_id,
            outbound.direction == Direction.OUTBOUND,
            outbound.id != Email.id,
            outbound.sent_at < Email.sent_at,
        )
        .scalar_subquery()
    )
    stmt = (
        sa.select(Email.user_id, Email.sent_at, previous.label("answered"), earlier_outbound.label("followed"))
        .where(
            Email.workspace_id == workspace_id,
            Email.direction == Direction.OUTBOUND,
            Email.sent_at.is_not(None),
            Email.user_id.is_not(None),
            Email.thread_id.is_not(None),
            Email.sent_at >= _start(since),
            Email.sent_at < _start(until + timedelta(days=1)),
        )
        .limit(MAX_RESPONSES)
    )
    if only_user is not None:
        stmt = stmt.where(Email.user_id == only_user)
    found: list[tuple[uuid.UUID, datetime, float]] = []
    for user_id, sent_at, answered, followed in (await session.execute(stmt)).all():
        if answered is None or user_id is None or sent_at is None or (followed is not None and followed > answered):
            continue
        found.append((user_id, sent_at, (sent_at - answered).total_seconds() / 60))
    return found

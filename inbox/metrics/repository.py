"""Reading ``performance_metrics``: sums per day or per user, always inside the principal's workspace."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Principal
from inbox.metrics.models import PerformanceMetric
from inbox.users.models import User

M = PerformanceMetric

# Sums that combine rows exactly: counts add up; the average response time is carried as its total minutes
# (average x count), so the combined average is weighted by how many answers each row averages.
SUMS: dict[str, sa.ColumnElement[Any]] = {
    "emails_sent": sa.func.coalesce(sa.func.sum(M.emails_sent), 0),
    "emails_received": sa.func.coalesce(sa.func.sum(M.emails_received), 0),
    "replies_received": sa.func.coalesce(sa.func.sum(M.replies_received), 0),
    "response_minutes": sa.func.coalesce(
        sa.func.sum(sa.func.coalesce(M.avg_response_time_minutes, 0.0) * M.response_count), 0.0
    ),
    "response_count": sa.func.coalesce(sa.func.sum(M.response_count), 0),
    "leads_contacted": sa.func.coalesce(sa.func.sum(M.leads_contacted), 0),
    "meetings_scheduled": sa.func.coalesce(sa.func.sum(M.meetings_scheduled), 0),
    "actions_completed": sa.func.coalesce(sa.func.sum(M.actions_completed), 0),
}


class MetricsRepository:
    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def user_exists(self, user_id: uuid.UUID) -> bool:
        """A user of the principal's workspace whom the principal may report on (a sales rep: only themselves)."""
        if not self.principal.sees_whole_workspace and user_id != self.principal.user_id:
            return False
        found = await self.session.scalar(
            sa.select(User.id).where(User.id == user_id, User.workspace_id == self.principal.workspace_id)
        )
        return found is not None

    def _rows(self, start: dt.date, end: dt.date, user_id: uuid.UUID | None) -> sa.Select[Any]:
        statement = sa.select().where(M.workspace_id == self.principal.workspace_id, M.date >= start, M.date <= end)
        return statement.where(M.user_id == user_id) if user_id is not None else statement

    async def sums_by_day(
        self, start: dt.date, end: dt.date, user_id: uuid.UUID | None
    ) -> dict[dt.date, dict[str, Any]]:
        statement = (
            self._rows(start, end, user_id)
            .add_columns(M.date, *(value.label(name) for name, value in SUMS.items()))
            .group_by(M.date)
        )
        return {row.date: dict(row._mapping) for row in await self.session.execute(statement)}

    async def sums_by_user(self, start: dt.date, end: dt.date, user_id: uuid.UUID | None) -> list[dict[str, Any]]:
        """One row per user: the one asked for, or the workspace's active users and any other with figures."""
        sums = (
            self._rows(start, end, user_id)
            .add_columns(M.user_id, *(value.label(name) for name, value in SUMS.items()))
            .group_by(M.user_id)
            .subquery("sums")
        )
        statement = (
            sa.select(
                User.id.label("user_id"),
                User.email.label("user_email"),
                sa.func.trim(sa.func.coalesce(User.first_name, "") + " " + sa.func.coalesce(User.last_name, "")).label(
                    "user_name"
                ),
                *(sums.c[name] for name in SUMS),
            )
            .outerjoin(sums, sums.c.user_id == User.id)
            .where(User.workspace_id == self.principal.workspace_id)
            .order_by(User.email, User.id)
        )
        if user_id is not None:
            statement = statement.where(User.id == user_id)
        else:
            statement = statement.where(sa.or_(User.is_active.is_(True), sums.c.user_id.is_not(None)))
        return [dict(row._mapping) for row in await self.session.execute(statement)]

"""LLM usage and cost per workspace, rep and day, from ``ai_usage``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.insights.models import AiUsage
from inbox.users.models import User

GroupBy = Literal["day", "user", "provider"]


class UsageCounts(BaseModel):
    emails: int
    requests: int
    fallbacks: int = Field(description="emails the offline provider answered in the LLM's place")
    tokens_in: int
    tokens_out: int
    cost_usd: float


class UsageRow(UsageCounts):
    day: date | None = None
    user_id: uuid.UUID | None = None
    user_name: str | None = None
    provider: str | None = None
    model: str | None = None


class UsageTotals(UsageCounts):
    cost_per_email_usd: float
    requests_per_email: float


class UsageReport(BaseModel):
    since: date
    until: date
    group_by: list[GroupBy]
    rows: list[UsageRow]
    totals: UsageTotals
    daily_token_budget: int = Field(description="tokens per workspace and UTC day; 0 means no limit")
    tokens_used_today: int


async def usage_report(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    since: date,
    until: date,
    group_by: list[GroupBy],
    today: date,
    daily_token_budget: int,
) -> UsageReport:
    """Usage between ``since`` and ``until`` (inclusive), one row per combination of ``group_by``."""
    keys: dict[str, Any] = {}
    if "day" in group_by:
        keys["day"] = AiUsage.day
    if "user" in group_by:
        keys["user_id"] = AiUsage.user_id
        keys["user_name"] = sa.func.trim(
            sa.func.coalesce(User.first_name, "") + " " + sa.func.coalesce(User.last_name, "")
        )
    if "provider" in group_by:
        keys["provider"] = AiUsage.provider
        keys["model"] = AiUsage.model
    sums: dict[str, Any] = {
        "emails": sa.func.sum(AiUsage.emails),
        "requests": sa.func.sum(AiUsage.requests),
        "fallbacks": sa.func.sum(AiUsage.fallbacks),
        "tokens_in": sa.func.sum(AiUsage.tokens_in),
        "tokens_out": sa.func.sum(AiUsage.tokens_out),
        "cost_usd": sa.func.sum(AiUsage.cost_usd),
    }
    statement = (
        sa.select(*(column.label(name) for name, column in keys.items()), *(s.label(n) for n, s in sums.items()))
        .select_from(AiUsage)
        .where(AiUsage.workspace_id == workspace_id, AiUsage.day >= since, AiUsage.day <= until)
    )
    if "user" in group_by:
        statement = statement.outerjoin(User, User.id == AiUsage.user_id)
    if keys:
        statement = statement.group_by(*keys.values()).order_by(*keys.values())
    rows = [
        UsageRow.model_validate(dict(row._mapping))
        for row in (await session.execute(statement)).all()
        if row.emails is not None
    ]
    totals = _totals(rows)
    used_today = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AiUsage.tokens_in + AiUsage.tokens_out), 0)).where(
            AiUsage.workspace_id == workspace_id, AiUsage.day == today
        )
    )
    return UsageReport(
        since=since,
        until=until,
        group_by=group_by,
        rows=rows,
        totals=totals,
        daily_token_budget=daily_token_budget,
        tokens_used_today=int(used_today or 0),
    )


def _totals(rows: list[UsageRow]) -> UsageTotals:
    emails = sum(row.emails for row in rows)
    requests = sum(row.requests for row in rows)
    cost = sum(row.cost_usd for row in rows)
    return UsageTotals(
        emails=emails,
        requests=requests,
        fallbacks=sum(row.fallbacks for row in rows),
        tokens_in=sum(row.tokens_in for row in rows),
        tokens_out=sum(row.tokens_out for row in rows),
        cost_usd=round(cost, 6),
        cost_per_email_usd=round(cost / emails, 8) if emails else 0.0,
        requests_per_email=round(requests / emails, 3) if emails else 0.0,
    )

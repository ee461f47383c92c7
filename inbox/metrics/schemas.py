"""The metrics report of ``GET /api/metrics``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

GroupBy = Literal["day", "user"]
ReportFormat = Literal["json", "csv"]


class MetricFigures(BaseModel):
    """The figures of one day, one user, or the whole report (see ``inbox.metrics.rollup`` for each)."""

    emails_sent: int
    emails_received: int
    replies_received: int
    reply_rate: float = Field(description="replies_received / emails_sent as a fraction (0.25 is 25 %), capped at 1")
    avg_response_time_minutes: float | None = Field(description="mean minutes to answer a lead; null: no answers")
    response_count: int = Field(description="answers the average is over")
    leads_contacted: int = Field(description="distinct contacts emailed each day, summed over days")
    meetings_scheduled: int
    actions_completed: int


class MetricRow(MetricFigures):
    date: dt.date | None = Field(default=None, description="the UTC day (group_by=day)")
    user_id: uuid.UUID | None = Field(default=None, description="group_by=user")
    user_name: str | None = None
    user_email: str | None = None


class MetricsReport(BaseModel):
    start: dt.date = Field(description="the first day (the `from` parameter)")
    end: dt.date = Field(description="the last day, included (the `to` parameter)")
    group_by: GroupBy
    user_id: uuid.UUID | None = Field(description="the one user the report is about, when it is about one")
    rows: list[MetricRow]
    totals: MetricFigures

"""Daily per-user figures, rolled up from emails and actions by ``inbox.metrics.rollup`` (which defines each)."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class PerformanceMetric(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "performance_metrics"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "date"),
        sa.Index(None, "workspace_id", "date"),
        sa.CheckConstraint("emails_sent >= 0", name="emails_sent_non_negative"),
        sa.CheckConstraint("emails_received >= 0", name="emails_received_non_negative"),
        sa.CheckConstraint("replies_received >= 0", name="replies_received_non_negative"),
        sa.CheckConstraint("leads_contacted >= 0", name="leads_contacted_non_negative"),
        sa.CheckConstraint("meetings_scheduled >= 0", name="meetings_scheduled_non_negative"),
        sa.CheckConstraint("actions_completed >= 0", name="actions_completed_non_negative"),
        sa.CheckConstraint("response_count >= 0", name="response_count_non_negative"),
        sa.CheckConstraint("reply_rate >= 0", name="reply_rate_non_negative"),
        sa.CheckConstraint(
            "avg_response_time_minutes IS NULL OR avg_response_time_minutes >= 0",
            name="avg_response_time_minutes_non_negative",
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    emails_sent: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    emails_received: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    replies_received: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # replies_received / emails_sent, as a fraction (0.25 is 25 %).
    reply_rate: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default=sa.text("0"))
    avg_response_time_minutes: Mapped[float | None] = mapped_column(sa.Float)
    # How many replies avg_response_time_minutes averages: its weight when days or users are combined.
    response_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    leads_contacted: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    meetings_scheduled: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    actions_completed: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

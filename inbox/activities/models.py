"""The timeline of a contact or account: calls, meetings, notes, emails, tasks."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey, sql_now


class ActivityType(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note"
    EMAIL = "email"
    TASK = "task"


class Activity(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_workspace_contact_occurred", "workspace_id", "contact_id", "occurred_at"),
        sa.Index("ix_activities_workspace_account_occurred", "workspace_id", "account_id", "occurred_at"),
        sa.Index(None, "workspace_id", "created_at", "id"),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_minutes_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    type: Mapped[ActivityType] = mapped_column(
        sa.Enum(
            ActivityType,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="activities_type",
        )
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    subject: Mapped[str | None]
    body: Mapped[str | None] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime] = mapped_column(server_default=sql_now())
    duration_minutes: Mapped[int | None]
    outcome: Mapped[str | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))

"""Every to-do: AI suggestions (a reply with its draft, a follow-up, a meeting)
and the tasks people create. ``/api/tasks`` serves this table too."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class ActionType(StrEnum):
    REPLY = "reply"
    FOLLOW_UP = "follow_up"
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    TASK = "task"
    OTHER = "other"


class ActionSource(StrEnum):
    AI = "ai"
    MANUAL = "manual"
    SEQUENCE = "sequence"
    RULE = "rule"


class ActionPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class ActionStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    DISMISSED = "dismissed"


class Action(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "actions"
    __table_args__ = (
        sa.Index("ix_actions_workspace_assignee_status_due", "workspace_id", "assigned_to_id", "status", "due_at"),
        sa.Index(None, "workspace_id", "created_at", "id"),
        sa.Index(None, "workspace_id", "contact_id"),
        sa.Index(
            "ix_actions_pending_thread",
            "thread_id",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        # The metrics rollup's days of completed actions (migration 0006).
        sa.Index(
            "ix_actions_completed_at",
            "completed_at",
            postgresql_where=sa.text("status = 'completed'"),
            sqlite_where=sa.text("status = 'completed'"),
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    type: Mapped[ActionType] = mapped_column(
        sa.Enum(
            ActionType,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="actions_type",
        )
    )
    source: Mapped[ActionSource] = mapped_column(
        sa.Enum(
            ActionSource,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="actions_source",
        ),
        default=ActionSource.MANUAL,
        server_default=ActionSource.MANUAL.value,
    )
    title: Mapped[str]
    description: Mapped[str | None] = mapped_column(sa.Text)
    priority: Mapped[ActionPriority] = mapped_column(
        sa.Enum(
            ActionPriority,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="actions_priority",
        ),
        default=ActionPriority.MEDIUM,
        server_default=ActionPriority.MEDIUM.value,
    )
    status: Mapped[ActionStatus] = mapped_column(
        sa.Enum(
            ActionStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="actions_status",
        ),
        default=ActionStatus.PENDING,
        server_default=ActionStatus.PENDING.value,
    )
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    thread_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_threads.id", ondelete="SET NULL"))
    email_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("emails.id", ondelete="SET NULL"))
    draft_email_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("emails.id", ondelete="SET NULL"))
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sequence_enrollments.id", ondelete="SET NULL")
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))

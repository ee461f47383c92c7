"""Outbound cadences: a sequence, its ordered steps, and who is enrolled."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class SequenceStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class StepType(StrEnum):
    AUTO_EMAIL = "auto_email"
    MANUAL_EMAIL = "manual_email"
    CALL = "call"
    TASK = "task"


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    REPLIED = "replied"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"
    STOPPED = "stopped"
    FAILED = "failed"


class Sequence(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "sequences"
    __table_args__ = (sa.Index(None, "workspace_id", "status"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str]
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[SequenceStatus] = mapped_column(
        sa.Enum(
            SequenceStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="sequences_status",
        ),
        default=SequenceStatus.DRAFT,
        server_default=SequenceStatus.DRAFT.value,
    )
    email_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_accounts.id", ondelete="SET NULL"))
    # Sending window, time zone, stop rules and the like.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))

    steps: Mapped[list[SequenceStep]] = relationship(
        back_populates="sequence",
        lazy="raise",
        order_by="SequenceStep.step_order",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SequenceStep(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "sequence_steps"
    __table_args__ = (
        sa.UniqueConstraint("sequence_id", "step_order"),
        sa.CheckConstraint("step_order >= 0", name="step_order_non_negative"),
        sa.CheckConstraint("delay_days >= 0", name="delay_days_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    sequence_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    step_order: Mapped[int]
    step_type: Mapped[StepType] = mapped_column(
        sa.Enum(
            StepType,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="sequence_steps_step_type",
        ),
        default=StepType.AUTO_EMAIL,
        server_default=StepType.AUTO_EMAIL.value,
    )
    delay_days: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    subject: Mapped[str | None]
    body: Mapped[str | None] = mapped_column(sa.Text)
    template_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_templates.id", ondelete="SET NULL"))
    thread_with_previous: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    sequence: Mapped[Sequence] = relationship(back_populates="steps", lazy="raise")


class SequenceEnrollment(UUIDPrimaryKey, Timestamps, Base):
    """A contact going through a sequence.

    A contact has at most one live (active or paused) enrollment per sequence;
    ``next_email_scheduled_at`` of active enrollments is what the scheduler polls.
    """

    __tablename__ = "sequence_enrollments"
    __table_args__ = (
        sa.Index(
            "ix_sequence_enrollments_due",
            "next_email_scheduled_at",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
        sa.Index(
            "uq_sequence_enrollments_live_contact",
            "sequence_id",
            "contact_id",
            unique=True,
            postgresql_where=sa.text("status IN ('active', 'paused')"),
            sqlite_where=sa.text("status IN ('active', 'paused')"),
        ),
        sa.Index("ix_sequence_enrollments_workspace_contact", "workspace_id", "contact_id"),
        sa.Index(None, "sequence_id", "status"),
        sa.CheckConstraint("current_step >= 0", name="current_step_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    sequence_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    email_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_accounts.id", ondelete="SET NULL"))
    enrolled_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[EnrollmentStatus] = mapped_column(
        sa.Enum(
            EnrollmentStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="sequence_enrollments_status",
        ),
        default=EnrollmentStatus.ACTIVE,
        server_default=EnrollmentStatus.ACTIVE.value,
    )
    current_step: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    next_email_scheduled_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    hold_reason: Mapped[str | None]
    last_step_sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    stopped_reason: Mapped[str | None]

    sequence: Mapped[Sequence] = relationship(lazy="raise")

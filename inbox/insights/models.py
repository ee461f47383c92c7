"""What the AI concluded about a message: one row per insight, with the
model and prompt version that produced it."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class InsightType(StrEnum):
    INTENT = "intent"
    SENTIMENT = "sentiment"
    URGENCY = "urgency"
    SUMMARY = "summary"
    SUGGESTION = "suggestion"
    TEMPERATURE = "temperature"
    INJECTION_ATTEMPT = "injection_attempt"
    OTHER = "other"


class AiInsight(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "ai_insights"
    __table_args__ = (
        sa.UniqueConstraint("email_id", "insight_type", "prompt_version"),
        sa.Index(None, "workspace_id", "contact_id"),
        sa.CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence_range"),
        sa.CheckConstraint("tokens_in IS NULL OR tokens_in >= 0", name="tokens_in_non_negative"),
        sa.CheckConstraint("tokens_out IS NULL OR tokens_out >= 0", name="tokens_out_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    email_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("emails.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    thread_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_threads.id", ondelete="SET NULL"))
    insight_type: Mapped[InsightType] = mapped_column(
        sa.Enum(
            InsightType,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="ai_insights_insight_type",
        )
    )
    content: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    provider: Mapped[str] = mapped_column(sa.String(64))
    model: Mapped[str] = mapped_column(sa.String(128))
    prompt_version: Mapped[str] = mapped_column(sa.String(64))
    tokens_in: Mapped[int | None]
    tokens_out: Mapped[int | None]


class AiUsage(UUIDPrimaryKey, Timestamps, Base):
    """LLM usage per workspace, user (the mailbox's rep), UTC day, provider and model.

    Rows are incremented in the transaction that writes a triage, so the
    daily token budget and ``/api/metrics/ai-usage`` read one small table.
    """

    __tablename__ = "ai_usage"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "day", "user_key", "provider", "model"),
        sa.CheckConstraint("tokens_in >= 0", name="tokens_in_non_negative"),
        sa.CheckConstraint("tokens_out >= 0", name="tokens_out_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    day: Mapped[date]
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # user_id as text, "" for none: a unique key needs a non-null column.
    user_key: Mapped[str] = mapped_column(sa.String(36))
    provider: Mapped[str] = mapped_column(sa.String(64))
    model: Mapped[str] = mapped_column(sa.String(128))
    emails: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    requests: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    fallbacks: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    tokens_in: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    tokens_out: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default=sa.text("0"))
    cost_usd: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default=sa.text("0"))

"""Reusable messages: subject and body with ``{{variables}}``."""

from __future__ import annotations

import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class Tone(StrEnum):
    PROFESSIONAL = "professional"
    FRIENDLY = "friendly"
    CASUAL = "casual"
    FORMAL = "formal"


class EmailTemplate(UUIDPrimaryKey, Timestamps, Base):
    """A template; at most one per category is the workspace's default."""

    __tablename__ = "email_templates"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "name"),
        sa.Index(
            "uq_email_templates_default_category",
            "workspace_id",
            "category",
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str]
    subject: Mapped[str] = mapped_column(default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text)
    tone: Mapped[Tone] = mapped_column(
        sa.Enum(
            Tone,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="email_templates_tone",
        ),
        default=Tone.PROFESSIONAL,
        server_default=Tone.PROFESSIONAL.value,
    )
    category: Mapped[str] = mapped_column(sa.String(64), default="general", server_default="general")
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

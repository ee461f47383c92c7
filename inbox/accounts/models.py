"""Companies."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class Account(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "domain"),
        sa.Index(None, "workspace_id", "name"),
        sa.Index(None, "workspace_id", "created_at", "id"),
        sa.Index(None, "workspace_id", "owner_id"),
        sa.CheckConstraint("employee_count IS NULL OR employee_count >= 0", name="employee_count_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str]
    domain: Mapped[str | None]
    industry: Mapped[str | None]
    employee_count: Mapped[int | None]
    website: Mapped[str | None]
    phone: Mapped[str | None]
    description: Mapped[str | None] = mapped_column(sa.Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))

"""Application profiles (one per Better Auth identity) and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class UserRole(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES_REP = "sales_rep"


class User(UUIDPrimaryKey, Timestamps, Base):
    """The profile of an identity in its workspace.

    On PostgreSQL a trigger on Better Auth's ``user`` table creates and
    updates this row (see the initial migration); on SQLite the sign-up code
    does the same. ``email`` mirrors ``user.email``, lower-cased.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "email"),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    auth_user_id: Mapped[str] = mapped_column(sa.Text, sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(sa.Text)
    first_name: Mapped[str | None] = mapped_column(sa.Text)
    last_name: Mapped[str | None] = mapped_column(sa.Text)
    role: Mapped[UserRole] = mapped_column(
        sa.Enum(
            UserRole,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="users_role",
        ),
        default=UserRole.SALES_REP,
        server_default=UserRole.SALES_REP.value,
    )
    avatar_url: Mapped[str | None] = mapped_column(sa.Text)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    email_signature: Mapped[str | None] = mapped_column(sa.Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    last_login_at: Mapped[datetime | None]


class Invitation(UUIDPrimaryKey, Timestamps, Base):
    """An invitation to join a workspace; only the sha256 of its token is kept."""

    __tablename__ = "invitations"

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    role: Mapped[UserRole] = mapped_column(
        sa.Enum(
            UserRole,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="invitations_role",
        ),
        default=UserRole.SALES_REP,
        server_default=UserRole.SALES_REP.value,
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


sa.Index("ix_invitations_email_lower", sa.func.lower(Invitation.email))

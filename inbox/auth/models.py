"""Better Auth's core tables, with the table and column names Better Auth writes.

A Better Auth server and this service can share one database, so nothing here
may be renamed: Python attributes are snake_case, the columns camelCase.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, sql_now


class AuthUser(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str] = mapped_column(sa.Text, unique=True)
    email_verified: Mapped[bool] = mapped_column("emailVerified", default=False, server_default=sa.false())
    image: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column("createdAt", server_default=sql_now())
    updated_at: Mapped[datetime] = mapped_column("updatedAt", server_default=sql_now(), onupdate=sql_now())


class AuthSession(Base):
    __tablename__ = "session"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column("expiresAt")
    token: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = mapped_column("createdAt", server_default=sql_now())
    updated_at: Mapped[datetime] = mapped_column("updatedAt", server_default=sql_now(), onupdate=sql_now())
    ip_address: Mapped[str | None] = mapped_column("ipAddress", sa.Text)
    user_agent: Mapped[str | None] = mapped_column("userAgent", sa.Text)
    user_id: Mapped[str] = mapped_column("userId", sa.Text, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)


class AuthAccount(Base):
    __tablename__ = "account"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    account_id: Mapped[str] = mapped_column("accountId", sa.Text)
    provider_id: Mapped[str] = mapped_column("providerId", sa.Text)
    user_id: Mapped[str] = mapped_column("userId", sa.Text, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    access_token: Mapped[str | None] = mapped_column("accessToken", sa.Text)
    refresh_token: Mapped[str | None] = mapped_column("refreshToken", sa.Text)
    id_token: Mapped[str | None] = mapped_column("idToken", sa.Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column("accessTokenExpiresAt")
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column("refreshTokenExpiresAt")
    scope: Mapped[str | None] = mapped_column(sa.Text)
    password: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column("createdAt", server_default=sql_now())
    updated_at: Mapped[datetime] = mapped_column("updatedAt", server_default=sql_now(), onupdate=sql_now())


class Verification(Base):
    __tablename__ = "verification"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    identifier: Mapped[str] = mapped_column(sa.Text, index=True)
    value: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column("expiresAt")
    created_at: Mapped[datetime] = mapped_column("createdAt", server_default=sql_now())
    updated_at: Mapped[datetime] = mapped_column("updatedAt", server_default=sql_now(), onupdate=sql_now())

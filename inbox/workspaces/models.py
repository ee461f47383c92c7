"""The tenant root: every other table except Better Auth's hangs off a workspace."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class Workspace(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "workspaces"

    name: Mapped[str]
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    domain: Mapped[str | None]
    plan: Mapped[str] = mapped_column(sa.String(32), default="free", server_default="free")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))

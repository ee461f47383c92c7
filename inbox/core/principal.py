"""Who is asking: the authenticated principal every tenant query is scoped by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES_REP = "sales_rep"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID  # users.id, the application profile
    auth_user_id: str  # "user".id, the Better Auth identity
    workspace_id: uuid.UUID
    role: Role
    email: str
    session_id: str | None = None

    @property
    def sees_whole_workspace(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

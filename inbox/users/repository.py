from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from inbox.auth.models import AuthUser
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository
from inbox.users.models import Invitation, User, UserRole

_FULL_NAME = func.lower(func.coalesce(User.first_name, "") + " " + func.coalesce(User.last_name, ""))

SORTS = {
    "name": SortField(_FULL_NAME),
    "email": SortField(User.email),
    "created_at": SortField(User.created_at, datetime),
}

INVITATION_SORTS = {
    "created_at": SortField(Invitation.created_at, datetime),
    "expires_at": SortField(Invitation.expires_at, datetime),
    "email": SortField(func.lower(Invitation.email)),
}


class UserRepository(WorkspaceRepository[User]):
    model = User
    label = "user"

    async def list(
        self,
        *,
        role: UserRole | None,
        is_active: bool | None,
        q: str | None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[User]:
        stmt = self.scoped()
        if role is not None:
            stmt = stmt.where(User.role == role)
        if is_active is not None:
            stmt = stmt.where(User.is_active.is_(is_active))
        if q:
            pattern = f"%{q.lower()}%"
            stmt = stmt.where(or_(_FULL_NAME.like(pattern), User.email.like(pattern)))
        return await paginate(
            self.session,
            stmt,
            id_column=User.id,
            sort=Sort.parse(sort, SORTS, default="name"),
            limit=limit,
            cursor=cursor,
        )

    async def lock_active_admins(self) -> builtins.list[uuid.UUID]:
        """The ids of the workspace's active admins, locked until the
        transaction ends so two admins cannot demote each other at once."""
        stmt = (
            select(User.id)
            .where(User.workspace_id == self.workspace_id, User.role == UserRole.ADMIN, User.is_active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def auth_user(self, user: User) -> AuthUser:
        auth_user: AuthUser = (
            await self.session.execute(select(AuthUser).where(AuthUser.id == user.auth_user_id))
        ).scalar_one()
        return auth_user


class InvitationRepository(WorkspaceRepository[Invitation]):
    model = Invitation
    label = "invitation"

    async def pending(self, *, now: datetime, sort: str | None, limit: int, cursor: str | None) -> Page[Invitation]:
        stmt = self.scoped().where(Invitation.accepted_at.is_(None), Invitation.expires_at > now)
        return await paginate(
            self.session,
            stmt,
            id_column=Invitation.id,
            sort=Sort.parse(sort, INVITATION_SORTS, default="-created_at"),
            limit=limit,
            cursor=cursor,
        )

    async def pending_for(self, email: str, *, now: datetime) -> Invitation | None:
        stmt = self.scoped().where(
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > now,
        )
        invitation: Invitation | None = (await self.session.execute(stmt.limit(1))).scalar_one_or_none()
        return invitation

    async def identity_exists(self, email: str) -> bool:
        """Whether anyone, in any workspace, has signed up with ``email``:
        an identity belongs to one workspace, so such a person cannot be invited."""
        stmt = select(AuthUser.id).where(AuthUser.email == email.lower()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    def conflict_message(self, exc: Any) -> str:
        return "an invitation with this token already exists"

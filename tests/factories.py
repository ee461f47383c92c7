"""Builders for test data: workspaces and signed-in members.

Members are made the way sign-up makes them (identity row, then the profile
rule of ``ensure_profile``, which the PostgreSQL trigger mirrors), with a live
session whose token the tests send as ``Authorization: Bearer``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import generate_id, hash_password
from inbox.auth.models import AuthAccount, AuthUser
from inbox.auth.sessions import create_session
from inbox.core.db import utcnow
from inbox.core.principal import Principal, Role
from inbox.settings import Settings
from inbox.users.models import Invitation, User
from inbox.users.provisioning import ensure_profile
from inbox.workspaces.models import Workspace


@dataclass
class Member:
    user: User
    auth_user: AuthUser
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def principal(self) -> Principal:
        return Principal(
            user_id=self.user.id,
            auth_user_id=self.auth_user.id,
            workspace_id=self.user.workspace_id,
            role=Role(self.user.role),
            email=self.user.email,
        )

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.user.workspace_id


async def make_member(
    session: AsyncSession,
    settings: Settings,
    *,
    workspace_id: uuid.UUID | None = None,
    role: Role = Role.ADMIN,
    email: str | None = None,
    name: str = "Test User",
    password: str | None = None,
) -> Member:
    """A user with a session. Without ``workspace_id`` the user founds a new
    workspace (and is its admin, whatever ``role`` says)."""
    email = (email or f"user-{uuid.uuid4().hex[:12]}@example.com").lower()
    now = utcnow()
    if workspace_id is not None:
        session.add(
            Invitation(
                workspace_id=workspace_id,
                email=email,
                role=role,
                token_hash=uuid.uuid4().hex,
                expires_at=now + timedelta(days=1),
            )
        )
        await session.flush()
    auth_user = AuthUser(id=generate_id(), name=name, email=email, email_verified=False, created_at=now, updated_at=now)
    session.add(auth_user)
    await session.flush()
    if password is not None:
        session.add(
            AuthAccount(
                id=generate_id(),
                account_id=auth_user.id,
                provider_id="credential",
                user_id=auth_user.id,
                password=hash_password(password),
                created_at=now,
                updated_at=now,
            )
        )
    user = await ensure_profile(session, auth_user)
    auth_session = await create_session(session, settings, auth_user.id, ip_address="127.0.0.1", user_agent="pytest")
    await session.commit()
    return Member(user=user, auth_user=auth_user, token=auth_session.token)


async def make_workspace_with_team(session: AsyncSession, settings: Settings) -> dict[Role, Member]:
    """An admin, a manager and a sales rep of one new workspace."""
    admin = await make_member(session, settings, name="Ada Admin")
    manager = await make_member(
        session, settings, workspace_id=admin.workspace_id, role=Role.MANAGER, name="Max Manager"
    )
    rep = await make_member(session, settings, workspace_id=admin.workspace_id, role=Role.SALES_REP, name="Rita Rep")
    return {Role.ADMIN: admin, Role.MANAGER: manager, Role.SALES_REP: rep}


async def workspace_of(session: AsyncSession, member: Member) -> Workspace:
    workspace = await session.get(Workspace, member.workspace_id)
    assert workspace is not None
    return workspace

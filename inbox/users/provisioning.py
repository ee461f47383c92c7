"""The application profile (``users``) of a Better Auth identity (``user``).

On PostgreSQL a trigger on ``user`` does this for every write, including
sign-ups made by a separate Better Auth server; this is the same rule in
Python, for SQLite and for our own sign-up path. Both must agree:

1. a profile that already exists is kept;
2. else a pending, unexpired invitation for the address places the user in
   that workspace with the invited role, and the invitation is accepted;
3. else the user gets a new workspace of their own, as its admin.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.models import AuthUser
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.users.models import Invitation, User
from inbox.workspaces.models import Workspace


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """First and last name, split at the first space; empty parts are None."""
    first, _, last = (name or "").strip().partition(" ")
    return first or None, last.strip() or None


async def ensure_profile(session: AsyncSession, auth_user: AuthUser) -> User:
    existing = (await session.execute(select(User).where(User.auth_user_id == auth_user.id))).scalar_one_or_none()
    if existing is not None:
        return existing

    email = auth_user.email.lower()
    now = utcnow()
    invitation = (
        await session.execute(
            select(Invitation)
            .where(
                func.lower(Invitation.email) == email,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()

    if invitation is not None:
        workspace_id = invitation.workspace_id
        role = Role(invitation.role)
        invitation.accepted_at = now
    else:
        owner_name = (auth_user.name or "").strip() or email.split("@", 1)[0]
        slug = f"ws-{auth_user.id.lower()}"
        if (await session.execute(select(Workspace.id).where(Workspace.slug == slug))).first() is not None:
            slug = f"{slug}-{secrets.token_hex(4)}"
        workspace = Workspace(name=f"{owner_name}'s workspace", slug=slug)
        session.add(workspace)
        await session.flush()
        workspace_id, role = workspace.id, Role.ADMIN

    first_name, last_name = split_name(auth_user.name)
    user = User(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        auth_user_id=auth_user.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        avatar_url=auth_user.image,
    )
    session.add(user)
    await session.flush()
    return user

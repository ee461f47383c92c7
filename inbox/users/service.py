"""Members of a workspace: profiles, roles, deactivation and invitations.

A workspace always keeps at least one active admin. Deactivating a user ends
all their sessions in the same transaction (and ``lookup_session`` refuses
inactive profiles anyway). Invitations are matched to sign-ups by address
(``ensure_profile`` and its PostgreSQL trigger); the token in the link only
carries the address to the sign-up page, so only its sha256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.sessions import delete_user_sessions
from inbox.core.db import utcnow
from inbox.core.errors import Conflict
from inbox.core.principal import Principal
from inbox.mail.system_mail import send_system_mail
from inbox.settings import Settings
from inbox.users.models import Invitation, User, UserRole
from inbox.users.repository import InvitationRepository, UserRepository
from inbox.users.schemas import InvitationCreate, ProfileUpdate, UserAdminUpdate
from inbox.workspaces.repository import WorkspaceRepository


@dataclass(frozen=True, slots=True)
class InvitationMail:
    to: str
    url: str
    role: UserRole
    workspace_name: str
    inviter: str
    expires_at: datetime


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    return await UserRepository(session, principal).get(user_id)


async def _apply_profile(repository: UserRepository, user: User, values: dict[str, Any]) -> None:
    """Copy ``values`` onto ``user``; a name or avatar change is mirrored into
    the identity (Better Auth's ``user.name``/``image``) first, because on
    PostgreSQL the identity's trigger rewrites the profile's copy of them."""
    if {"first_name", "last_name", "avatar_url"} & values.keys():
        wanted = {
            "first_name": values.get("first_name", user.first_name),
            "last_name": values.get("last_name", user.last_name),
            "avatar_url": values.get("avatar_url", user.avatar_url),
        }
        auth_user = await repository.auth_user(user)
        auth_user.name = f"{wanted['first_name'] or ''} {wanted['last_name'] or ''}".strip()
        auth_user.image = wanted["avatar_url"]
        auth_user.updated_at = utcnow()
        await repository.flush()
        await repository.session.refresh(user)
        values = {**values, **wanted}
    repository.apply(user, values, not_null=("timezone", "settings", "role", "is_active"))
    await repository.flush()


async def update_me(session: AsyncSession, principal: Principal, data: ProfileUpdate) -> User:
    repository = UserRepository(session, principal)
    user = await repository.get(principal.user_id)
    await _apply_profile(repository, user, data.model_dump(exclude_unset=True))
    return user


async def update_user(session: AsyncSession, admin: Principal, user_id: uuid.UUID, data: UserAdminUpdate) -> User:
    repository = UserRepository(session, admin)
    user = await repository.get(user_id)
    values = data.model_dump(exclude_unset=True)
    stays_admin = values.get("role", user.role) == UserRole.ADMIN and values.get("is_active", user.is_active) is True
    if user.role == UserRole.ADMIN and user.is_active and not stays_admin:
        admins = await repository.lock_active_admins()
        if admins == [user.id]:
            who = "yourself" if user.id == admin.user_id else "this user"
            raise Conflict(
                f"cannot demote or deactivate {who}: this is the workspace's last active admin; "
                "make another member admin first",
                field="role" if "role" in values else "is_active",
            )
    deactivating = values.get("is_active") is False and user.is_active
    await _apply_profile(repository, user, values)
    if deactivating:
        await delete_user_sessions(session, user.auth_user_id)
    return user


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    session: AsyncSession, settings: Settings, admin: Principal, data: InvitationCreate, *, now: datetime | None = None
) -> tuple[Invitation, InvitationMail]:
    """A pending invitation, and the mail to send once it is committed."""
    now = now or utcnow()
    repository = InvitationRepository(session, admin)
    email = data.email.lower()
    if await repository.identity_exists(email):
        raise Conflict(f"{email} already has an account; a person can belong to one workspace only", field="email")
    if (existing := await repository.pending_for(email, now=now)) is not None:
        raise Conflict(
            f"{email} already has a pending invitation ({existing.id}); delete it to send a new one", field="email"
        )
    token = secrets.token_urlsafe(32)
    invitation = await repository.add(
        Invitation(
            workspace_id=admin.workspace_id,
            email=email,
            role=data.role,
            token_hash=hash_invitation_token(token),
            invited_by_id=admin.user_id,
            expires_at=now + timedelta(days=settings.auth.invitation_days),
        )
    )
    workspace = await WorkspaceRepository(session, admin).get()
    inviter = await UserRepository(session, admin).get(admin.user_id)
    inviter_name = " ".join(part for part in (inviter.first_name, inviter.last_name) if part) or inviter.email
    query = urlencode({"invitation": token, "email": email})
    mail = InvitationMail(
        to=email,
        url=f"{settings.auth.base_url.rstrip('/')}/sign-up?{query}",
        role=data.role,
        workspace_name=workspace.name,
        inviter=inviter_name,
        expires_at=invitation.expires_at,
    )
    return invitation, mail


async def send_invitation_mail(settings: Settings, mail: InvitationMail) -> None:
    role = mail.role.value.replace("_", " ")
    text = (
        f"Hello,\n\n{mail.inviter} invited you to join {mail.workspace_name} on inbox as {role}.\n"
        f"Create your account with this address ({mail.to}) here:\n\n{mail.url}\n\n"
        f"The invitation expires on {mail.expires_at:%Y-%m-%d %H:%M} UTC.\n"
    )
    await send_system_mail(settings, to=mail.to, subject=f"Join {mail.workspace_name} on inbox", text=text)


async def delete_invitation(session: AsyncSession, admin: Principal, invitation_id: uuid.UUID) -> None:
    repository = InvitationRepository(session, admin)
    await repository.delete(await repository.get(invitation_id))

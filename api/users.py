from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.core.db import utcnow
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut
from inbox.settings import Settings
from inbox.users import service
from inbox.users.models import UserRole
from inbox.users.repository import InvitationRepository, UserRepository
from inbox.users.schemas import InvitationCreate, InvitationOut, ProfileUpdate, UserAdminUpdate, UserOut


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @get()
    async def list_users(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        role: FromQuery[UserRole | None] = None,
        is_active: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=200, description="name or email contains")] = None,
    ) -> PageOut[UserOut]:
        """Members of the workspace. Sort by name (default), email or created_at."""
        result = await UserRepository(db_session, principal).list(
            role=role, is_active=is_active, q=q, sort=page.sort, limit=page.limit, cursor=page.cursor
        )
        return PageOut[UserOut].model_validate(result, from_attributes=True)

    @get("/me")
    async def get_me(self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]) -> UserOut:
        return UserOut.model_validate(await service.get_user(db_session, principal, principal.user_id))

    @patch("/me")
    async def update_me(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[ProfileUpdate],
    ) -> UserOut:
        """Change your own names, time zone, signature, avatar or settings."""
        return UserOut.model_validate(await service.update_me(db_session, principal, data))

    @get("/invitations")
    async def list_invitations(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        page: NamedDependency[ListParams],
    ) -> PageOut[InvitationOut]:
        """Pending invitations (admins). Sort by -created_at (default), expires_at or email."""
        result = await InvitationRepository(db_session, admin).pending(
            now=utcnow(), sort=page.sort, limit=page.limit, cursor=page.cursor
        )
        return PageOut[InvitationOut].model_validate(result, from_attributes=True)

    @post("/invitations")
    async def create_invitation(
        self,
        db_session: NamedDependency[AsyncSession],
        app_settings: NamedDependency[Settings],
        admin: NamedDependency[Principal],
        data: JSONBody[InvitationCreate],
    ) -> Response[InvitationOut]:
        """Invite an address with a role (admins). The invitation mail is sent
        once the invitation is saved; signing up with that address joins this
        workspace with the role."""
        invitation, mail = await service.invite(db_session, app_settings, admin, data)
        return Response(
            InvitationOut.model_validate(invitation),
            status_code=201,
            background=BackgroundTask(service.send_invitation_mail, app_settings, mail),
        )

    @delete("/invitations/{invitation_id:uuid}")
    async def delete_invitation(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        invitation_id: FromPath[uuid.UUID],
    ) -> None:
        await service.delete_invitation(db_session, admin, invitation_id)

    @get("/{user_id:uuid}")
    async def get_user(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        user_id: FromPath[uuid.UUID],
    ) -> UserOut:
        return UserOut.model_validate(await service.get_user(db_session, principal, user_id))

    @patch("/{user_id:uuid}")
    async def update_user(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserAdminUpdate],
    ) -> UserOut:
        """Change a member's role, names or active state (admins). Deactivating
        signs them out everywhere; the last active admin cannot be demoted or deactivated."""
        return UserOut.model_validate(await service.update_user(db_session, admin, user_id, data))

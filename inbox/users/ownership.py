"""Who may own a record.

An owner (or assignee) must be an active user of the same workspace. A sales
rep may give a record to themselves or leave it unowned; managers and admins
may give it to anyone in the workspace.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import Forbidden, InvalidInput
from inbox.core.principal import Principal
from inbox.users.models import User


async def check_owner(
    session: AsyncSession, principal: Principal, owner_id: uuid.UUID | None, *, field: str = "owner_id"
) -> uuid.UUID | None:
    if owner_id is None or owner_id == principal.user_id:
        return owner_id
    if not principal.sees_whole_workspace:
        raise Forbidden(f"a sales rep can set {field} only to themselves or null", field=field)
    stmt = select(User.id).where(
        User.id == owner_id, User.workspace_id == principal.workspace_id, User.is_active.is_(True)
    )
    if (await session.execute(stmt)).scalar_one_or_none() is None:
        raise InvalidInput(f"{field}: no active user with this id in the workspace", field=field)
    return owner_id

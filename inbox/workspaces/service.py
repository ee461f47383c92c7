from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.workspaces.models import Workspace
from inbox.workspaces.repository import WorkspaceRepository
from inbox.workspaces.schemas import WorkspaceUpdate


async def get_workspace(session: AsyncSession, principal: Principal) -> Workspace:
    return await WorkspaceRepository(session, principal).get()


async def update_workspace(session: AsyncSession, principal: Principal, data: WorkspaceUpdate) -> Workspace:
    repository = WorkspaceRepository(session, principal)
    workspace = await repository.get()
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name in ("name", "settings"):
            raise InvalidInput(f"{name} cannot be null", field=name)
        setattr(workspace, name, value)
    await repository.flush()
    return workspace

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Principal
from inbox.workspaces import service
from inbox.workspaces.schemas import WorkspaceOut, WorkspaceUpdate


class WorkspaceController(Controller):
    path = "/workspace"
    tags = ["workspace"]

    @get()
    async def get_workspace(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> WorkspaceOut:
        """The workspace of the signed-in user."""
        return WorkspaceOut.model_validate(await service.get_workspace(db_session, principal))

    @patch()
    async def update_workspace(
        self,
        db_session: NamedDependency[AsyncSession],
        admin: NamedDependency[Principal],
        data: JSONBody[WorkspaceUpdate],
    ) -> WorkspaceOut:
        """Rename the workspace, set its email domain or its settings (admins)."""
        return WorkspaceOut.model_validate(await service.update_workspace(db_session, admin, data))

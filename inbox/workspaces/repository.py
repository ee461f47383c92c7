from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import Conflict, NotFound
from inbox.core.principal import Principal
from inbox.workspaces.models import Workspace


class WorkspaceRepository:
    """The principal's own workspace: the tenant root has no workspace_id of
    its own to filter by, so this is not a ``core.repository.WorkspaceRepository``."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    async def get(self) -> Workspace:
        stmt = select(Workspace).where(Workspace.id == self.principal.workspace_id)
        workspace: Workspace | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if workspace is None:
            raise NotFound.of("workspace")
        return workspace

    async def flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict("this workspace conflicts with an existing one") from exc

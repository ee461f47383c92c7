from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.actions import service
from inbox.actions.models import ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.actions.repository import ActionRepository
from inbox.actions.schemas import TaskCreate, TaskOut, TaskUpdate
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut


class TaskController(Controller):
    path = "/tasks"
    tags = ["tasks"]

    @get()
    async def list_tasks(
        self,
        db_session: AsyncSession,
        principal: Principal,
        page: ListParams,
        status: ActionStatus | None = None,
        type: ActionType | None = None,
        source: ActionSource | None = None,
        priority: ActionPriority | None = None,
        assigned_to_id: str | None = Parameter(default=None, max_length=64, description="a user id, or me"),
        contact_id: uuid.UUID | None = None,
        due_before: Annotated[datetime | None, Parameter(description="timezone-aware ISO 8601")] = None,
        due_after: Annotated[datetime | None, Parameter(description="timezone-aware ISO 8601")] = None,
        overdue: bool | None = Parameter(default=None, description="pending and due in the past"),
    ) -> PageOut[TaskOut]:
        """To-dos, AI-suggested and manual. Sort by due_at (default; undated last), priority (urgent first)
        or created_at."""
        result = await ActionRepository(db_session, principal).list(
            status=status,
            type=type,
            source=source,
            priority=priority,
            assigned_to_id=service.parse_assignee(assigned_to_id, principal),
            contact_id=contact_id,
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[TaskOut].model_validate(result, from_attributes=True)

    @post()
    async def create_task(self, db_session: AsyncSession, principal: Principal, data: TaskCreate) -> TaskOut:
        return TaskOut.model_validate(await service.create_task(db_session, principal, data))

    @get("/{task_id:uuid}")
    async def get_task(self, db_session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> TaskOut:
        return TaskOut.model_validate(await ActionRepository(db_session, principal).get(task_id))

    @patch("/{task_id:uuid}")
    async def update_task(
        self, db_session: AsyncSession, principal: Principal, task_id: uuid.UUID, data: TaskUpdate
    ) -> TaskOut:
        return TaskOut.model_validate(await service.update_task(db_session, principal, task_id, data))

    @delete("/{task_id:uuid}")
    async def delete_task(self, db_session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> None:
        await service.delete_task(db_session, principal, task_id)

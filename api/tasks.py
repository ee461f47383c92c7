from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
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
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        status: FromQuery[ActionStatus | None] = None,
        type: FromQuery[ActionType | None] = None,
        source: FromQuery[ActionSource | None] = None,
        priority: FromQuery[ActionPriority | None] = None,
        assigned_to_id: Annotated[str | None, QueryParameter(max_length=64, description="a user id, or me")] = None,
        contact_id: FromQuery[uuid.UUID | None] = None,
        due_before: Annotated[datetime | None, QueryParameter(description="timezone-aware ISO 8601")] = None,
        due_after: Annotated[datetime | None, QueryParameter(description="timezone-aware ISO 8601")] = None,
        overdue: Annotated[bool | None, QueryParameter(description="pending and due in the past")] = None,
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
    async def create_task(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[TaskCreate],
    ) -> TaskOut:
        return TaskOut.model_validate(await service.create_task(db_session, principal, data))

    @get("/{task_id:uuid}")
    async def get_task(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
    ) -> TaskOut:
        return TaskOut.model_validate(await ActionRepository(db_session, principal).get(task_id))

    @patch("/{task_id:uuid}")
    async def update_task(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskUpdate],
    ) -> TaskOut:
        return TaskOut.model_validate(await service.update_task(db_session, principal, task_id, data))

    @delete("/{task_id:uuid}")
    async def delete_task(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
    ) -> None:
        await service.delete_task(db_session, principal, task_id)

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.repository import AccountRepository
from inbox.actions.models import Action, ActionSource, ActionStatus
from inbox.actions.repository import ActionRepository
from inbox.actions.schemas import TaskCreate, TaskUpdate
from inbox.contacts.repository import ContactRepository
from inbox.core.db import utcnow
from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.users.ownership import check_owner

NOT_NULL = ("type", "title", "priority", "status", "data")


def parse_assignee(raw: str | None, principal: Principal) -> uuid.UUID | None:
    """The ``assigned_to_id`` filter: a user id, or ``me``."""
    if raw is None:
        return None
    if raw.strip().lower() == "me":
        return principal.user_id
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput("assigned_to_id: give a user id or 'me'", field="assigned_to_id") from None


async def _check_references(
    session: AsyncSession, principal: Principal, repository: ActionRepository, values: dict[str, Any]
) -> None:
    if "contact_id" in values:
        await ContactRepository(session, principal).check_reference(values["contact_id"], field="contact_id")
    if "account_id" in values:
        await AccountRepository(session, principal).check_reference(values["account_id"], field="account_id")
    thread_id = values.get("thread_id")
    if thread_id is not None and not await repository.thread_exists(thread_id):
        raise InvalidInput("thread_id: no such thread", field="thread_id")


async def create_task(session: AsyncSession, principal: Principal, data: TaskCreate) -> Action:
    repository = ActionRepository(session, principal)
    values = data.model_dump()
    assignee = values["assigned_to_id"] if "assigned_to_id" in data.model_fields_set else principal.user_id
    values["assigned_to_id"] = await check_owner(session, principal, assignee, field="assigned_to_id")
    await _check_references(session, principal, repository, values)
    if values["status"] is ActionStatus.COMPLETED:
        values["completed_at"] = utcnow()
    action = Action(
        workspace_id=principal.workspace_id, source=ActionSource.MANUAL, created_by_id=principal.user_id, **values
    )
    return await repository.add(action)


async def update_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID, data: TaskUpdate) -> Action:
    repository = ActionRepository(session, principal)
    action = await repository.get(task_id)
    values = data.model_dump(exclude_unset=True)
    if "assigned_to_id" in values:
        values["assigned_to_id"] = await check_owner(
            session, principal, values["assigned_to_id"], field="assigned_to_id"
        )
    await _check_references(session, principal, repository, values)
    status = values.get("status")
    if status is ActionStatus.COMPLETED and action.status is not ActionStatus.COMPLETED:
        values["completed_at"] = utcnow()
    elif status is not None and status is not ActionStatus.COMPLETED:
        values["completed_at"] = None
    repository.apply(action, values, not_null=NOT_NULL)
    await repository.flush()
    return action


async def delete_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> None:
    repository = ActionRepository(session, principal)
    await repository.delete(await repository.get(task_id))

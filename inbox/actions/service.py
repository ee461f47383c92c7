from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.repository import AccountRepository
from inbox.actions.models import Action, ActionSource, ActionStatus
from inbox.actions.repository import ActionRepository
from inbox.actions.schemas import TaskCreate, TaskUpdate
from inbox.contacts.repository import ContactRepository
from inbox.core.db import utcnow
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.principal import Principal
from inbox.users.ownership import check_owner
from inbox.users.repository import UserRepository

NOT_NULL = ("type", "title", "priority", "status", "data")
# The snooze choices of the actions page; each names a moment in UTC (see ``snooze_until``).
SNOOZE_CHOICES = {"1h": "1 hour", "tomorrow": "tomorrow 9:00", "next_week": "next Monday 9:00"}
WORKDAY_START = time(9, 0)


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


def snooze_until(choice: str, now: datetime) -> datetime:
    """The moment a snooze choice names: ``1h`` from ``now``, ``tomorrow`` at 9:00 UTC, ``next_week``: next
    Monday at 9:00 UTC (a week on when ``now`` is a Monday)."""
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "tomorrow":
        return datetime.combine(now.date() + timedelta(days=1), WORKDAY_START, now.tzinfo)
    if choice == "next_week":
        days = 7 - now.weekday()
        return datetime.combine(now.date() + timedelta(days=days), WORKDAY_START, now.tzinfo)
    raise InvalidInput(f"until: choose one of {', '.join(SNOOZE_CHOICES)}", field="until")


async def complete_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> Action:
    """Mark a task done (completed_at is set once; completing it again changes nothing)."""
    return await update_task(session, principal, task_id, TaskUpdate(status=ActionStatus.COMPLETED))


async def snooze_task(
    session: AsyncSession, principal: Principal, task_id: uuid.UUID, until: datetime, *, now: datetime | None = None
) -> Action:
    """Hide a pending task from the list until ``until`` (a moment in the future)."""
    action = await ActionRepository(session, principal).get(task_id)
    if action.status is not ActionStatus.PENDING:
        raise InvalidInput(f"only a pending task can be snoozed; this one is {action.status.value}", field="until")
    if until.tzinfo is None:
        raise InvalidInput("until: give a timezone-aware moment", field="until")
    if until <= (now or utcnow()):
        raise InvalidInput("until: must be in the future", field="until")
    return await update_task(session, principal, task_id, TaskUpdate(snoozed_until=until))


async def reassign_task(
    session: AsyncSession, principal: Principal, task_id: uuid.UUID, assignee_id: uuid.UUID | None
) -> Action:
    """Hand a task to an active user of the workspace, or leave it unassigned (None).

    Anyone who can see the task may hand it on, a sales rep included: unlike ``assigned_to_id`` in
    ``update_task`` (``check_owner``: a rep may only take a record or leave it unowned), a hand-over gives
    the rep nothing they could not see before; the task leaves their list."""
    repository = ActionRepository(session, principal)
    action = await repository.get(task_id)
    if assignee_id is not None and assignee_id != principal.user_id:
        try:
            assignee = await UserRepository(session, principal).get(assignee_id)
        except NotFound:
            assignee = None
        if assignee is None or not assignee.is_active:
            raise InvalidInput("assigned_to_id: no active user with this id in the workspace", field="assigned_to_id")
    action.assigned_to_id = assignee_id
    await repository.flush()
    return action

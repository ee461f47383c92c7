from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.repository import AccountRepository
from inbox.activities.models import Activity
from inbox.activities.repository import ActivityRepository
from inbox.activities.schemas import ActivityCreate, ActivityUpdate
from inbox.contacts.repository import ContactRepository
from inbox.core.db import utcnow
from inbox.core.principal import Principal
from inbox.users.ownership import check_owner

NOT_NULL = ("type", "occurred_at", "data")


async def create_activity(session: AsyncSession, principal: Principal, data: ActivityCreate) -> Activity:
    values = data.model_dump()
    user_id = values["user_id"] if "user_id" in data.model_fields_set else principal.user_id
    values["user_id"] = await check_owner(session, principal, user_id, field="user_id")
    await ContactRepository(session, principal).check_reference(values["contact_id"], field="contact_id")
    await AccountRepository(session, principal).check_reference(values["account_id"], field="account_id")
    values["occurred_at"] = values["occurred_at"] or utcnow()
    activity = Activity(workspace_id=principal.workspace_id, **values)
    return await ActivityRepository(session, principal).add(activity)


async def update_activity(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, data: ActivityUpdate
) -> Activity:
    repository = ActivityRepository(session, principal)
    activity = await repository.get(activity_id)
    values = data.model_dump(exclude_unset=True)
    if "user_id" in values:
        values["user_id"] = await check_owner(session, principal, values["user_id"], field="user_id")
    if "contact_id" in values:
        await ContactRepository(session, principal).check_reference(values["contact_id"], field="contact_id")
    if "account_id" in values:
        await AccountRepository(session, principal).check_reference(values["account_id"], field="account_id")
    repository.apply(activity, values, not_null=NOT_NULL)
    await repository.flush()
    return activity


async def delete_activity(session: AsyncSession, principal: Principal, activity_id: uuid.UUID) -> None:
    repository = ActivityRepository(session, principal)
    await repository.delete(await repository.get(activity_id))

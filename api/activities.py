from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.activities import service
from inbox.activities.models import ActivityType
from inbox.activities.repository import ActivityRepository
from inbox.activities.schemas import ActivityCreate, ActivityOut, ActivityUpdate
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut


class ActivityController(Controller):
    path = "/activities"
    tags = ["activities"]

    @get()
    async def list_activities(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        type: FromQuery[ActivityType | None] = None,
        contact_id: Annotated[uuid.UUID | None, QueryParameter(description="a contact's timeline")] = None,
        account_id: Annotated[uuid.UUID | None, QueryParameter(description="an account's timeline")] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        occurred_after: Annotated[datetime | None, QueryParameter(description="timezone-aware ISO 8601")] = None,
        occurred_before: Annotated[datetime | None, QueryParameter(description="timezone-aware ISO 8601")] = None,
    ) -> PageOut[ActivityOut]:
        """Calls, meetings, notes, emails and tasks. Sort by occurred_at (default -occurred_at) or created_at."""
        result = await ActivityRepository(db_session, principal).list(
            type=type,
            contact_id=contact_id,
            account_id=account_id,
            user_id=user_id,
            occurred_after=occurred_after,
            occurred_before=occurred_before,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[ActivityOut].model_validate(result, from_attributes=True)

    @post()
    async def create_activity(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[ActivityCreate],
    ) -> ActivityOut:
        return ActivityOut.model_validate(await service.create_activity(db_session, principal, data))

    @get("/{activity_id:uuid}")
    async def get_activity(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        activity_id: FromPath[uuid.UUID],
    ) -> ActivityOut:
        return ActivityOut.model_validate(await ActivityRepository(db_session, principal).get(activity_id))

    @patch("/{activity_id:uuid}")
    async def update_activity(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        activity_id: FromPath[uuid.UUID],
        data: JSONBody[ActivityUpdate],
    ) -> ActivityOut:
        return ActivityOut.model_validate(await service.update_activity(db_session, principal, activity_id, data))

    @delete("/{activity_id:uuid}")
    async def delete_activity(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        activity_id: FromPath[uuid.UUID],
    ) -> None:
        await service.delete_activity(db_session, principal, activity_id)

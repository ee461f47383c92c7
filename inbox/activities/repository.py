from __future__ import annotations

import uuid
from datetime import datetime

from inbox.activities.models import Activity, ActivityType
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository, aware

SORTS = {
    "occurred_at": SortField(Activity.occurred_at, datetime),
    "created_at": SortField(Activity.created_at, datetime),
}


class ActivityRepository(WorkspaceRepository[Activity]):
    model = Activity
    label = "activity"
    owner_attribute = "user_id"

    async def list(
        self,
        *,
        type: ActivityType | None = None,
        contact_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        occurred_after: datetime | None = None,
        occurred_before: datetime | None = None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Activity]:
        stmt = self.scoped()
        stmt = self.where_equal(
            stmt,
            {
                Activity.type: type,
                Activity.contact_id: contact_id,
                Activity.account_id: account_id,
                Activity.user_id: user_id,
            },
        )
        if (after := aware(occurred_after, "occurred_after")) is not None:
            stmt = stmt.where(Activity.occurred_at >= after)
        if (before := aware(occurred_before, "occurred_before")) is not None:
            stmt = stmt.where(Activity.occurred_at < before)
        return await paginate(
            self.session,
            stmt,
            id_column=Activity.id,
            sort=Sort.parse(sort, SORTS, default="-occurred_at"),
            limit=limit,
            cursor=cursor,
        )

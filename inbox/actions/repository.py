from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, literal, or_, select

from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.core.db import UTCDateTime, utcnow
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository, aware
from inbox.threads.models import EmailThread

# Tasks without a due date sort as if due at this moment: last.
NO_DUE_DATE = datetime(9999, 1, 1, tzinfo=UTC)

PRIORITY_RANK = case(
    {ActionPriority.URGENT: 0, ActionPriority.HIGH: 1, ActionPriority.MEDIUM: 2, ActionPriority.LOW: 3},
    value=Action.priority,
    else_=4,
)

SORTS = {
    "due_at": SortField(func.coalesce(Action.due_at, literal(NO_DUE_DATE, UTCDateTime())), datetime),
    "priority": SortField(PRIORITY_RANK, int),
    "created_at": SortField(Action.created_at, datetime),
}


class ActionRepository(WorkspaceRepository[Action]):
    """Actions of every source; ``/api/tasks`` lists and edits them as tasks."""

    model = Action
    label = "task"
    owner_attribute = "assigned_to_id"

    async def list(
        self,
        *,
        status: ActionStatus | None = None,
        type: ActionType | None = None,
        source: ActionSource | None = None,
        priority: ActionPriority | None = None,
        assigned_to_id: uuid.UUID | None = None,
        contact_id: uuid.UUID | None = None,
        due_before: datetime | None = None,
        due_after: datetime | None = None,
        overdue: bool | None = None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Action]:
        stmt = self.scoped()
        stmt = self.where_equal(
            stmt,
            {
                Action.status: status,
                Action.type: type,
                Action.source: source,
                Action.priority: priority,
                Action.assigned_to_id: assigned_to_id,
                Action.contact_id: contact_id,
            },
        )
        if (before := aware(due_before, "due_before")) is not None:
            stmt = stmt.where(Action.due_at < before)
        if (after := aware(due_after, "due_after")) is not None:
            stmt = stmt.where(Action.due_at >= after)
        if overdue is not None:
            now = utcnow()
            is_overdue = and_(Action.status == ActionStatus.PENDING, Action.due_at < now)
            not_overdue = or_(Action.status != ActionStatus.PENDING, Action.due_at.is_(None), Action.due_at >= now)
            stmt = stmt.where(is_overdue if overdue else not_overdue)
        return await paginate(
            self.session,
            stmt,
            id_column=Action.id,
            sort=Sort.parse(sort, SORTS, default="due_at"),
            limit=limit,
            cursor=cursor,
        )

    async def thread_exists(self, thread_id: uuid.UUID) -> bool:
        stmt = select(EmailThread.id).where(EmailThread.id == thread_id, EmailThread.workspace_id == self.workspace_id)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

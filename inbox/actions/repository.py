from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Select, and_, case, func, literal, or_, select

from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.contacts.models import Contact
from inbox.core.db import UTCDateTime, utcnow
from inbox.core.errors import NotFound
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


class AgendaItem(NamedTuple):
    """A pending action as the actions page lists it: the action and who it is about."""

    action: Action
    contact_first_name: str | None
    contact_last_name: str | None
    contact_email: str | None


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

    def _agenda_select(self) -> Select[Action, str | None, str | None, str]:
        """The actions this principal may see (``scoped``'s rule), each with its contact's name and address."""
        stmt = (
            select(Action, Contact.first_name, Contact.last_name, Contact.email)
            .outerjoin(Contact, and_(Contact.id == Action.contact_id, Contact.workspace_id == Action.workspace_id))
            .where(Action.workspace_id == self.workspace_id)
        )
        if (visible := self.visibility()) is not None:
            stmt = stmt.where(visible)
        return stmt

    async def agenda(
        self,
        *,
        owner_id: uuid.UUID | None,
        now: datetime,
        end_of_today: datetime,
        include_snoozed: bool,
        limit: int,
    ) -> builtins.list[AgendaItem]:
        """Pending actions the principal can see, of one person (``owner_id``: assigned to them, or unassigned
        and about a contact they own) or of everyone (None). Due today or overdue first, then later ones,
        then undated; a snoozed one (``snoozed_until`` after ``now``) only with ``include_snoozed``."""
        bucket = case((Action.due_at.is_(None), 2), (Action.due_at < end_of_today, 0), else_=1)
        stmt = self._agenda_select().where(Action.status == ActionStatus.PENDING)
        if owner_id is not None:
            stmt = stmt.where(
                or_(
                    Action.assigned_to_id == owner_id,
                    and_(Action.assigned_to_id.is_(None), Contact.owner_id == owner_id),
                )
            )
        if not include_snoozed:
            stmt = stmt.where(or_(Action.snoozed_until.is_(None), Action.snoozed_until <= now))
        stmt = stmt.order_by(bucket, Action.due_at, PRIORITY_RANK, Action.created_at, Action.id).limit(limit)
        return [AgendaItem(row[0], row[1], row[2], row[3]) for row in (await self.session.execute(stmt)).all()]

    async def agenda_item(self, action_id: uuid.UUID) -> AgendaItem:
        """One action the principal can see, with its contact, whatever its status (404 otherwise)."""
        row = (await self.session.execute(self._agenda_select().where(Action.id == action_id))).one_or_none()
        if row is None:
            raise NotFound.of(self.label)
        return AgendaItem(row[0], row[1], row[2], row[3])

"""Queries over the ``leads`` view.

The hot list (``status=hot``, most recently contacted first) is the AI inbox's
main screen, so its default sort is served straight from the contacts index
``(workspace_id, temperature, last_contact_at, id)``: contacts with a
``last_contact_at`` are read in index order first, then (descending) the
never-contacted ones, each part with its own keyset condition. A single
``coalesce(last_contact_at, ...)`` sort key would put NULLs in the right place
but no index could serve it, so every page would sort the whole temperature.
Cursors still carry the coalesced value, like every other sort.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from inbox.accounts.models import Account
from inbox.contacts.models import Contact, Temperature, contact_search_document
from inbox.contacts.repository import NEVER_CONTACTED, ContactRepository, like_pattern
from inbox.core.db import UTCDateTime
from inbox.core.pagination import (
    Page,
    Sort,
    SortField,
    check_limit,
    encode_cursor,
    filters_digest,
    paginate,
    read_cursor,
)
from inbox.core.repository import WorkspaceRepository
from inbox.leads.models import Lead

SORTS = {
    "last_contact_at": SortField(
        func.coalesce(Lead.last_contact_at, literal(NEVER_CONTACTED, UTCDateTime())), datetime
    ),
    "created_at": SortField(Lead.created_at, datetime),
    "company": SortField(func.lower(func.coalesce(Lead.company, ""))),
    "contact_name": SortField(func.lower(Lead.contact_name)),
}


@dataclass(frozen=True, slots=True)
class _LeadFilters:
    workspace_id: uuid.UUID
    statuses: Sequence[Temperature]
    q: str | None
    has_ai_draft: bool | None
    owner_id: uuid.UUID | None

    def on(self, source: type[Lead] | type[Contact]) -> list[ColumnElement[bool]]:
        """The filters over the view or, column for column, over contacts."""
        temperature = Lead.status if source is Lead else Contact.temperature
        conditions: list[ColumnElement[bool]] = []
        if len(self.statuses) == 1:
            conditions.append(temperature == self.statuses[0])
        elif self.statuses:
            conditions.append(temperature.in_(self.statuses))
        if self.q:
            pattern = like_pattern(self.q)
            by_person = select(Contact.id).where(
                Contact.workspace_id == self.workspace_id, contact_search_document.like(pattern, escape="\\")
            )
            by_company = select(Account.id).where(
                Account.workspace_id == self.workspace_id, func.lower(Account.name).like(pattern, escape="\\")
            )
            conditions.append(or_(source.id.in_(by_person), source.account_id.in_(by_company)))
        if self.has_ai_draft is not None:
            conditions.append(source.has_ai_draft.is_(self.has_ai_draft))
        if self.owner_id is not None:
            conditions.append(source.owner_id == self.owner_id)
        return conditions


class LeadRepository(WorkspaceRepository[Lead]):
    model = Lead
    label = "lead"
    owner_attribute = "owner_id"

    async def list(
        self,
        *,
        statuses: Sequence[Temperature] = (),
        q: str | None = None,
        has_ai_draft: bool | None = None,
        owner_id: uuid.UUID | None = None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Row[Any]]:
        check_limit(limit)
        filters = _LeadFilters(self.workspace_id, statuses, q, has_ai_draft, owner_id)
        # Rows of the view, not entities: a list page only reads them.
        stmt = self.scoped().with_only_columns(*Lead.__table__.c).where(*filters.on(Lead))
        parsed = Sort.parse(sort, SORTS, default="-last_contact_at")
        digest = filters_digest(stmt)
        # Like paginate(): the first page counts, later ones carry its total in the cursor.
        read = read_cursor(cursor, parsed) if cursor else None
        total = read.total_for(digest) if read is not None else None
        if total is None:
            # Counted on contacts, not the view: PostgreSQL (15) drops the view's unused
            # join to accounts but then no longer considers an index-only scan.
            count = ContactRepository(self.session, self.principal).scoped().where(*filters.on(Contact))
            total = (
                await self.session.execute(count.with_only_columns(func.count(), maintain_column_froms=True))
            ).scalar_one()
        if parsed.name == "last_contact_at":
            return await self._page_by_last_contact(stmt, parsed, limit, cursor, total, digest)
        page = await paginate(
            self.session, stmt, id_column=Lead.id, sort=parsed, limit=limit, cursor=cursor, with_total=False
        )
        next_cursor = page.next_cursor
        if next_cursor is not None:
            # paginate() without a total leaves it out of the cursor: put it back.
            ended = read_cursor(next_cursor, parsed)
            next_cursor = encode_cursor(parsed, ended.value, ended.row_id, total=total, filters=digest)
        return replace(page, total=total, next_cursor=next_cursor)

    async def _page_by_last_contact(
        self, stmt: Select[Any], sort: Sort, limit: int, cursor: str | None, total: int, digest: str
    ) -> Page[Row[Any]]:
        column, id_column = Lead.last_contact_at, Lead.id
        dated = stmt.where(column.is_not(None))
        undated = stmt.where(column.is_(None))
        # Descending: the most recent first, never-contacted last; ascending the reverse.
        parts = [dated, undated] if sort.descending else [undated, dated]
        if cursor:
            read = read_cursor(cursor, sort)
            value, last_id = read.value, read.row_id
            if value == NEVER_CONTACTED:
                undated = undated.where(id_column < last_id if sort.descending else id_column > last_id)
                parts = [undated] if sort.descending else [undated, dated]
            else:
                dated = dated.where(_after(column, id_column, value, last_id, descending=sort.descending))
                parts = [dated, undated] if sort.descending else [dated]

        order = (column.desc(), id_column.desc()) if sort.descending else (column.asc(), id_column.asc())
        items: list[Row[Any]] = []
        for part in parts:
            wanted = limit + 1 - len(items)
            if wanted <= 0:
                break
            items += (await self.session.execute(part.order_by(*order).limit(wanted))).all()

        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            next_cursor = encode_cursor(
                sort, last.last_contact_at or NEVER_CONTACTED, last.id, total=total, filters=digest
            )
        return Page(items=items, total=total, next_cursor=next_cursor, limit=limit)


def _after(
    column: InstrumentedAttribute[datetime | None],
    id_column: InstrumentedAttribute[uuid.UUID],
    value: datetime,
    last_id: uuid.UUID,
    *,
    descending: bool,
) -> ColumnElement[bool]:
    """Rows after ``(value, last_id)`` in the sort order. The redundant bound on
    ``column`` alone is what lets PostgreSQL start the index scan at the cursor
    instead of filtering every row before it."""
    if descending:
        return and_(column <= value, or_(column < value, and_(column == value, id_column < last_id)))
    return and_(column >= value, or_(column > value, and_(column == value, id_column > last_id)))

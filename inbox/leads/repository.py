"""Queries over the ``leads`` view.

The hot list (``status=hot``, most recently contacted first) is the AI inbox's
main screen, so its default sort is served straight from the contacts index
``(workspace_id, temperature, last_contact_at, id)``: contacts with a
``last_contact_at`` are read in index order first, then (descending) the
never-contacted ones, each part with its own keyset condition. A single
``coalesce(last_contact_at, ...)`` sort key would put NULLs in the right place
but no index could serve it, so every page would sort the whole temperature.
Cursors still carry the coalesced value, like every other sort.

Statements are built once per shape of the filters (see ``Filtered``), with
named bind parameters: ``workspace_id``, ``viewer`` (a sales rep's user id),
``status``/``statuses``, ``pattern``, ``owner_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, func, literal, or_, select

from inbox.accounts.models import Account
from inbox.contacts.models import Contact, Temperature, leads
from inbox.contacts.repository import NEVER_CONTACTED, like_pattern, search_condition
from inbox.core.db import UTCDateTime
from inbox.core.pagination import (
    AFTER_ID,
    AFTER_VALUE,
    PAGE_LIMIT,
    Filtered,
    Page,
    Sort,
    SortField,
    after_condition,
    carried_total,
    check_limit,
    count_total,
    derived,
    encode_cursor,
    paginate,
    read_cursor,
)
from inbox.core.principal import Principal
from inbox.core.repository import WorkspaceRepository
from inbox.leads.models import Lead
from inbox.leads.schemas import LEAD_COLUMNS

SORTS = {
    "last_contact_at": SortField(
        func.coalesce(leads.c.last_contact_at, literal(NEVER_CONTACTED, UTCDateTime())), datetime
    ),
    "created_at": SortField(leads.c.created_at, datetime),
    "company": SortField(func.lower(func.coalesce(leads.c.company, ""))),
    "contact_name": SortField(func.lower(leads.c.contact_name)),
}
# A list reads LeadOut's columns, in its field order.
_LIST_COLUMNS = [leads.c[name] for name in LEAD_COLUMNS]
_contacts, _accounts = Contact.__table__, Account.__table__


class _Shape(NamedTuple):
    """Which filters a list has (their values are bound): what its statements are built from."""

    sales_rep: bool
    statuses: int  # 0: any, 1: one, 2: several
    q: bool
    has_ai_draft: bool | None
    owner: bool


@dataclass(frozen=True, slots=True)
class _LeadFilters:
    statuses: Sequence[Temperature]
    q: str | None
    has_ai_draft: bool | None
    owner_id: uuid.UUID | None

    def shape(self, principal: Principal) -> _Shape:
        return _Shape(
            sales_rep=not principal.sees_whole_workspace,
            statuses=min(len(self.statuses), 2),
            q=bool(self.q),
            has_ai_draft=self.has_ai_draft,
            owner=self.owner_id is not None,
        )

    def params(self, principal: Principal) -> dict[str, Any]:
        params: dict[str, Any] = {"workspace_id": principal.workspace_id}
        if not principal.sees_whole_workspace:
            params["viewer"] = principal.user_id
        if len(self.statuses) == 1:
            params["status"] = self.statuses[0]
        elif self.statuses:
            params["statuses"] = list(self.statuses)
        if self.q:
            params["pattern"] = like_pattern(self.q)
        if self.owner_id is not None:
            params["owner_id"] = self.owner_id
        return params


def _conditions(shape: _Shape, columns: Any) -> list[ColumnElement[bool]]:
    """The filters over the view or, column for column, over contacts: the
    workspace, a sales rep's visibility (WorkspaceRepository.visibility: owned
    by them or by nobody), then the list's own filters."""
    temperature = columns.status if columns is leads.c else columns.temperature
    conditions: list[ColumnElement[bool]] = [columns.workspace_id == bindparam("workspace_id")]
    if shape.sales_rep:
        conditions.append(or_(columns.owner_id == bindparam("viewer"), columns.owner_id.is_(None)))
    if shape.statuses == 1:
        conditions.append(temperature == bindparam("status"))
    elif shape.statuses:
        conditions.append(temperature.in_(bindparam("statuses", expanding=True)))
    if shape.q:
        by_person = select(_contacts.c.id).where(
            _contacts.c.workspace_id == bindparam("workspace_id"),
            search_condition(bindparam("pattern")),
        )
        by_company = select(_accounts.c.id).where(
            _accounts.c.workspace_id == bindparam("workspace_id"),
            func.lower(_accounts.c.name).like(bindparam("pattern"), escape="\\"),
        )
        conditions.append(or_(columns.id.in_(by_person), columns.account_id.in_(by_company)))
    if shape.has_ai_draft is not None:
        conditions.append(columns.has_ai_draft.is_(shape.has_ai_draft))
    if shape.owner:
        conditions.append(columns.owner_id == bindparam("owner_id"))
    return conditions


@lru_cache(maxsize=256)
def _list_statement(shape: _Shape) -> Select[Any]:
    return select(*_LIST_COLUMNS).where(*_conditions(shape, leads.c))


@lru_cache(maxsize=256)
def _count_statement(shape: _Shape) -> Select[Any]:
    # Counted on contacts, not the view: PostgreSQL (15) drops the view's unused
    # join to accounts but then no longer considers an index-only scan.
    return select(func.count()).select_from(_contacts).where(*_conditions(shape, _contacts.c))


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
        """A page of rows holding LEAD_COLUMNS (and the keyset's ``_sort_key``)."""
        check_limit(limit)
        filters = _LeadFilters(statuses, q, has_ai_draft, owner_id)
        shape, params = filters.shape(self.principal), filters.params(self.principal)
        query = Filtered(("leads", shape), _list_statement(shape), params)
        count = Filtered(("leads.count", shape), _count_statement(shape), params)
        parsed = Sort.parse(sort, SORTS, default="-last_contact_at")
        if parsed.name != "last_contact_at":
            return await paginate(
                self.session, query, id_column=leads.c.id, sort=parsed, limit=limit, cursor=cursor, count=count
            )
        # Like paginate(): the first page counts, later ones carry its total in the cursor.
        read = read_cursor(cursor, parsed) if cursor else None
        total, digest = carried_total(query, read)
        descending = parsed.descending
        # Descending: the most recent first, never-contacted last; ascending the reverse.
        parts = [(True, False), (False, False)] if descending else [(False, False), (True, False)]
        if read is not None:
            if read.value == NEVER_CONTACTED:
                parts = [(False, True)] if descending else [(False, True), (True, False)]
            else:
                parts = [(True, True), (False, False)] if descending else [(True, True)]

        params = {**params}
        if read is not None:
            params |= {AFTER_VALUE: read.value, AFTER_ID: read.row_id}
        items: list[Row[Any]] = []
        for dated, after in parts:
            wanted = limit + 1 - len(items)
            if wanted <= 0:
                break
            # Until a part has rows, the part counts too (the count as a column).
            counting = total is None
            stmt = derived(
                ("leads.by_last_contact", shape, dated, after, descending, counting),
                partial(_by_last_contact, query.stmt, dated, after, descending, count.stmt if counting else None),
            )
            rows = (await self.session.execute(stmt, {**params, PAGE_LIMIT: wanted})).all()
            if counting and rows:
                total = rows[0]._total
            items += rows
        if total is None:
            # No rows: nothing matches on a first page; after a cursor, rows before it may.
            total = 0 if read is None else await count_total(self.session, count)

        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            next_cursor = encode_cursor(
                parsed, last.last_contact_at or NEVER_CONTACTED, last.id, total=total, filters=digest
            )
        return Page(items=items, total=total, next_cursor=next_cursor, limit=limit)


def _by_last_contact(
    stmt: Select[Any], dated: bool, after: bool, descending: bool, count: Select[Any] | None
) -> Select[Any]:
    """The contacted (``dated``) or never-contacted part of the list, in index
    order, after the cursor when ``after``; with ``count`` as the column
    ``_total`` when given. Never-contacted rows all sort at NEVER_CONTACTED, so
    among them only the id orders."""
    column, id_column = leads.c.last_contact_at, leads.c.id
    part = stmt.where(column.is_not(None) if dated else column.is_(None))
    if count is not None:
        part = part.add_columns(count.scalar_subquery().label("_total"))
    if after and dated:
        part = part.where(after_condition(column, id_column, descending=descending))
    elif after:
        part = part.where(id_column < bindparam(AFTER_ID) if descending else id_column > bindparam(AFTER_ID))
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    return part.order_by(*order).limit(bindparam(PAGE_LIMIT, type_=Integer))

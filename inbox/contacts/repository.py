from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    String,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from inbox.contacts.models import Contact, ContactStatus, Temperature
from inbox.core.db import UTCDateTime
from inbox.core.pagination import Filtered, Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository

# Never-contacted sorts as if last contacted at this moment: oldest.
NEVER_CONTACTED = datetime(1970, 1, 1, tzinfo=UTC)

_contacts = Contact.__table__
# The columns of a list's rows, in order.
LIST_COLUMNS: tuple[str, ...] = tuple(column.key for column in _contacts.c)

SORTS = {
    "created_at": SortField(_contacts.c.created_at, datetime),
    "updated_at": SortField(_contacts.c.updated_at, datetime),
    "last_name": SortField(func.lower(func.coalesce(_contacts.c.last_name, ""))),
    "email": SortField(_contacts.c.email),
    "last_contact_at": SortField(
        func.coalesce(_contacts.c.last_contact_at, literal(NEVER_CONTACTED, UTCDateTime())), datetime
    ),
}


def like_pattern(q: str) -> str:
    """``%q%`` for a case-insensitive LIKE with ``\\`` as the escape character."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _blank_if_null(column: ColumnElement[str | None]) -> ColumnElement[str]:
    return func.coalesce(column, literal_column("''", String))


# contact_search_document, built over the table's columns rather than the ORM
# class's: a statement of plain columns is executed without the ORM's row
# loading. It must stay the same SQL as the model's (the trigram index is built
# over that expression): tests/api/test_list_pages.py compares them.
search_document: ColumnElement[str] = func.lower(
    _blank_if_null(_contacts.c.first_name)
    + literal_column("' '", String)
    + _blank_if_null(_contacts.c.last_name)
    + literal_column("' '", String)
    + _contacts.c.email
)


def search_condition(pattern: BindParameter[str]) -> ColumnElement[bool]:
    """Name-or-email search for a ``like_pattern``; on PostgreSQL the trigram
    index ix_contacts_search_trgm serves it."""
    return search_document.like(pattern, escape="\\")


class _Shape(NamedTuple):
    """Which filters a list has (their values are bound): what its statement is built from."""

    dialect: str
    sales_rep: bool
    q: bool
    statuses: bool
    temperatures: bool
    tags: int
    account: bool
    owner: bool
    unsubscribed: bool | None
    bounced: bool | None
    has_ai_draft: bool | None


@lru_cache(maxsize=256)
def _list_statement(shape: _Shape) -> Select[Any]:
    """The contacts of a list's filters, with named bind parameters:
    ``workspace_id``, ``viewer`` (a sales rep's user id: owned by them or by
    nobody, as WorkspaceRepository.visibility says), ``pattern``,
    ``statuses``, ``temperatures``, ``tag0``..., ``account_id``, ``owner_id``."""
    columns = _contacts.c
    stmt = select(*columns).where(columns.workspace_id == bindparam("workspace_id"))
    if shape.sales_rep:
        stmt = stmt.where(or_(columns.owner_id == bindparam("viewer"), columns.owner_id.is_(None)))
    if shape.q:
        stmt = stmt.where(search_condition(bindparam("pattern")))
    if shape.statuses:
        stmt = stmt.where(columns.status.in_(bindparam("statuses", expanding=True)))
    if shape.temperatures:
        stmt = stmt.where(columns.temperature.in_(bindparam("temperatures", expanding=True)))
    for index in range(shape.tags):
        stmt = stmt.where(_has_tag(bindparam(f"tag{index}"), shape.dialect))
    if shape.account:
        stmt = stmt.where(columns.account_id == bindparam("account_id"))
    if shape.owner:
        stmt = stmt.where(columns.owner_id == bindparam("owner_id"))
    for column, value in (
        (columns.unsubscribed, shape.unsubscribed),
        (columns.bounced, shape.bounced),
        (columns.has_ai_draft, shape.has_ai_draft),
    ):
        if value is not None:
            stmt = stmt.where(column.is_(value))
    return stmt


def _has_tag(tag: BindParameter[Any], dialect: str) -> ColumnElement[bool]:
    """Its value: ``tag_value()``."""
    if dialect == "postgresql":
        # jsonb containment, served by the GIN index ix_contacts_tags_gin.
        return type_coerce(_contacts.c.tags, JSONB).contains(tag)
    element = func.json_each(_contacts.c.tags).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value == tag))


def _tag_value(tag: str, dialect: str) -> Any:
    return [tag] if dialect == "postgresql" else tag


class ContactRepository(WorkspaceRepository[Contact]):
    model = Contact
    label = "contact"
    owner_attribute = "owner_id"

    async def list(
        self,
        *,
        q: str | None = None,
        statuses: Sequence[ContactStatus] = (),
        temperatures: Sequence[Temperature] = (),
        tags: Sequence[str] = (),
        account_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        unsubscribed: bool | None = None,
        bounced: bool | None = None,
        has_ai_draft: bool | None = None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Row[Any]]:
        """A page of rows of the contacts table (not entities: a list page only
        reads them), holding LIST_COLUMNS."""
        principal = self.principal
        distinct_tags = list(dict.fromkeys(tags))
        shape = _Shape(
            dialect=self.session.get_bind().dialect.name,
            sales_rep=not principal.sees_whole_workspace,
            q=bool(q),
            statuses=bool(statuses),
            temperatures=bool(temperatures),
            tags=len(distinct_tags),
            account=account_id is not None,
            owner=owner_id is not None,
            unsubscribed=unsubscribed,
            bounced=bounced,
            has_ai_draft=has_ai_draft,
        )
        params: dict[str, Any] = {"workspace_id": principal.workspace_id}
        if shape.sales_rep:
            params["viewer"] = principal.user_id
        if q:
            params["pattern"] = like_pattern(q)
        if statuses:
            params["statuses"] = list(statuses)
        if temperatures:
            params["temperatures"] = list(temperatures)
        params |= {f"tag{index}": _tag_value(tag, shape.dialect) for index, tag in enumerate(distinct_tags)}
        if account_id is not None:
            params["account_id"] = account_id
        if owner_id is not None:
            params["owner_id"] = owner_id
        return await paginate(
            self.session,
            Filtered(("contacts", shape), _list_statement(shape), params),
            id_column=_contacts.c.id,
            sort=Sort.parse(sort, SORTS, default="-created_at"),
            limit=limit,
            cursor=cursor,
            # A search matches few contacts, which its trigram index finds.
            selective=bool(q),
        )

    def conflict_message(self, exc: IntegrityError) -> str:
        if "email" in str(exc.orig):
            return "a contact with this email already exists in the workspace"
        return super().conflict_message(exc)

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from inbox.contacts.models import Contact, ContactStatus, Temperature, contact_search_document
from inbox.core.db import UTCDateTime
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository

# Never-contacted sorts as if last contacted at this moment: oldest.
NEVER_CONTACTED = datetime(1970, 1, 1, tzinfo=UTC)

SORTS = {
    "created_at": SortField(Contact.created_at, datetime),
    "updated_at": SortField(Contact.updated_at, datetime),
    "last_name": SortField(func.lower(func.coalesce(Contact.last_name, ""))),
    "email": SortField(Contact.email),
    "last_contact_at": SortField(
        func.coalesce(Contact.last_contact_at, literal(NEVER_CONTACTED, UTCDateTime())), datetime
    ),
}


def like_pattern(q: str) -> str:
    """``%q%`` for a case-insensitive LIKE with ``\\`` as the escape character."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> ColumnElement[bool]:
    """Name-or-email search; on PostgreSQL the trigram index ix_contacts_search_trgm serves it."""
    return contact_search_document.like(like_pattern(q), escape="\\")


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
        """A page of rows of the contacts table (not entities: a list page only reads them)."""
        stmt = self.scoped().with_only_columns(*Contact.__table__.c)
        if q:
            stmt = stmt.where(search_condition(q))
        if statuses:
            stmt = stmt.where(Contact.status.in_(statuses))
        if temperatures:
            stmt = stmt.where(Contact.temperature.in_(temperatures))
        for tag in dict.fromkeys(tags):
            stmt = stmt.where(self._has_tag(tag))
        stmt = self.where_equal(
            stmt,
            {
                Contact.account_id: account_id,
                Contact.owner_id: owner_id,
            },
        )
        if unsubscribed is not None:
            stmt = stmt.where(Contact.unsubscribed.is_(unsubscribed))
        if bounced is not None:
            stmt = stmt.where(Contact.bounced.is_(bounced))
        if has_ai_draft is not None:
            stmt = stmt.where(Contact.has_ai_draft.is_(has_ai_draft))
        return await paginate(
            self.session,
            stmt,
            id_column=Contact.id,
            sort=Sort.parse(sort, SORTS, default="-created_at"),
            limit=limit,
            cursor=cursor,
            # A search matches few contacts, which its trigram index finds.
            selective=bool(q),
        )

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self.session.get_bind().dialect.name == "postgresql":
            # jsonb containment, served by the GIN index ix_contacts_tags_gin.
            return type_coerce(Contact.tags, JSONB).contains([tag])
        element = func.json_each(Contact.tags).table_valued("value")
        return exists(select(1).select_from(element).where(element.c.value == tag))

    def conflict_message(self, exc: IntegrityError) -> str:
        if "email" in str(exc.orig):
            return "a contact with this email already exists in the workspace"
        return super().conflict_message(exc)

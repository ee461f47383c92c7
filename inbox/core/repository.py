"""The base of every tenant-scoped repository.

A repository is built for one workspace and, where records have an owner,
one principal: every query it makes is filtered by ``workspace_id``, and for
a sales rep by "owned by me or unowned". A record outside that scope does not
exist as far as the caller can tell (404, never 403).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.principal import Principal

M = TypeVar("M")


def aware(value: datetime | None, field: str) -> datetime | None:
    """A datetime filter must carry its offset; a naive one is a client error."""
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{field}: give a timezone-aware ISO 8601 datetime, e.g. 2025-01-31T09:00:00Z", field=field)
    return value


class WorkspaceRepository(Generic[M]):
    model: ClassVar[type[Any]]
    label: ClassVar[str] = "record"
    # The column naming a record's owner; None when a resource has no owner.
    owner_attribute: ClassVar[str | None] = None

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.principal.workspace_id

    def _column(self, name: str) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = getattr(self.model, name)
        return column

    def visibility(self) -> ColumnElement[bool] | None:
        """The owner filter for a sales rep; None for managers and admins."""
        if self.owner_attribute is None or self.principal.sees_whole_workspace:
            return None
        owner = self._column(self.owner_attribute)
        return or_(owner == self.principal.user_id, owner.is_(None))

    def scoped(self) -> Select[Any]:
        stmt = select(self.model).where(self._column("workspace_id") == self.workspace_id)
        if (visible := self.visibility()) is not None:
            stmt = stmt.where(visible)
        return stmt

    async def get(self, record_id: uuid.UUID) -> M:
        stmt = self.scoped().where(self._column("id") == record_id)
        record: M | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if record is None:
            raise NotFound.of(self.label)
        return record

    def where_equal(self, stmt: Select[Any], filters: dict[Any, Any]) -> Select[Any]:
        """Add ``column == value`` for every filter the client gave (None: not given)."""
        for column, value in filters.items():
            if value is not None:
                stmt = stmt.where(column == value)
        return stmt

    async def check_reference(self, record_id: uuid.UUID | None, *, field: str) -> None:
        """A foreign id from a request body must name a record the principal
        can see: 400 naming the field otherwise (a 404 would blame the URL)."""
        if record_id is None:
            return
        try:
            await self.get(record_id)
        except NotFound:
            raise InvalidInput(f"{field}: no such {self.label}", field=field) from None

    async def add(self, record: M) -> M:
        self.session.add(record)
        await self.flush()
        return record

    def apply(self, record: M, values: dict[str, Any], *, not_null: tuple[str, ...] = ()) -> None:
        """Copy a partial update onto ``record``; null is refused for ``not_null`` fields."""
        for name, value in values.items():
            if value is None and name in not_null:
                raise InvalidInput(f"{name} cannot be null", field=name)
            setattr(record, name, value)

    async def delete(self, record: M) -> None:
        await self.session.delete(record)
        await self.flush()

    async def flush(self) -> None:
        """Flush, turning a unique violation into a 409 the client can act on."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(self.conflict_message(exc)) from exc

    def conflict_message(self, exc: IntegrityError) -> str:
        return f"this {self.label} conflicts with an existing one"

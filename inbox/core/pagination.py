"""Keyset (cursor) pagination with a total count.

A list is ordered by one sort expression and then the primary key, so the
order is total and a page boundary is a plain ``(sort, id) > (value, id)``
comparison that an index serves, however deep the page. The cursor is opaque
to clients: base64 of the sort name and the last row's key.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from inbox.core.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class SortField:
    """A column clients may sort by. ``expression`` must never be NULL
    (wrap nullable columns in ``coalesce``) and ``kind`` says how its value
    travels in a cursor."""

    expression: ColumnElement[Any] | InstrumentedAttribute[Any]
    kind: type = str


@dataclass(frozen=True, slots=True)
class Sort:
    name: str
    field: SortField
    descending: bool

    @classmethod
    def parse(cls, raw: str | None, fields: Mapping[str, SortField], default: str) -> Sort:
        value = raw or default
        descending = value.startswith("-")
        name = value.lstrip("-")
        if name not in fields:
            allowed = ", ".join(sorted(fields))
            raise InvalidInput(
                f"cannot sort by {name!r}; sort by one of: {allowed} (prefix - for descending)", field="sort"
            )
        return cls(name=name, field=fields[name], descending=descending)

    @property
    def token(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None
    limit: int


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(value: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("cursor datetimes carry their offset")
        return moment
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind in (int, float) and isinstance(value, bool):
        raise ValueError("bool is not a number")
    if not isinstance(value, kind if kind is not float else (int, float)):
        raise ValueError(f"expected {kind.__name__}")
    return value


def encode_cursor(sort: Sort, sort_value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort.token, _encode_value(sort_value), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        token, value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if token != sort.token:
            raise InvalidInput(
                f"this cursor belongs to sort {token!r}; ask again with sort={token} or drop the cursor", field="cursor"
            )
        return _decode_value(value, sort.field.kind), uuid.UUID(row_id)
    except InvalidInput:
        raise
    except (ValueError, TypeError, binascii.Error, UnicodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor is not valid: use next_cursor from a previous page", field="cursor") from exc


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    id_column: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    sort: Sort,
    limit: int,
    cursor: str | None,
    with_total: bool = True,
) -> Page[Any]:
    """Run ``stmt`` (a filtered select of one entity) as a page.

    Items are what the statement's first column yields (an ORM entity or a row).
    """
    check_limit(limit)
    total = 0
    if with_total:
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = (await session.execute(count_stmt)).scalar_one()

    expr = sort.field.expression
    keyed = stmt.add_columns(expr.label("_sort_key"))
    if cursor:
        last_value, last_id = decode_cursor(cursor, sort)
        # The redundant bound (expr <= value) gives the index a place to start;
        # the OR alone would make the database read every earlier row.
        if sort.descending:
            keyed = keyed.where(
                expr <= last_value, or_(expr < last_value, and_(expr == last_value, id_column < last_id))
            )
        else:
            keyed = keyed.where(
                expr >= last_value, or_(expr > last_value, and_(expr == last_value, id_column > last_id))
            )
    order = (expr.desc(), id_column.desc()) if sort.descending else (expr.asc(), id_column.asc())
    rows: Sequence[Any] = (await session.execute(keyed.order_by(*order).limit(limit + 1))).all()

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort, last._sort_key, _row_id(last[0]))
    return Page(items=[row[0] for row in rows], total=total, next_cursor=next_cursor, limit=limit)


def _row_id(item: Any) -> uuid.UUID:
    value = item.id if hasattr(item, "id") else item
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

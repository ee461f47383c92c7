"""Keyset (cursor) pagination with a total count.

A list is ordered by one sort expression and then the primary key, so the
order is total and a page boundary is a plain ``(sort, id) > (value, id)``
comparison that an index serves, however deep the page. The cursor is opaque
to clients: base64 of the sort name, the last row's key and the first page's
``total`` with a digest of the filters it was counted under.

Counting is the costly part of a deep page (every matching row, where the page
reads ``limit`` of them), so only the first page counts: later pages carry its
total forward in the cursor, as long as the filters are the same ones. A page
asked for with a cursor but other filters (or a cursor from before totals were
carried) counts again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.util import ClauseAdapter

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


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded cursor: where the previous page ended and, when it carries
    one, the first page's total and the digest of the filters it counted."""

    value: Any
    row_id: uuid.UUID
    total: int | None = None
    filters: str | None = None

    def total_for(self, filters: str) -> int | None:
        """The carried total if it was counted under ``filters``."""
        return self.total if self.filters == filters else None


def encode_cursor(
    sort: Sort, sort_value: Any, row_id: uuid.UUID, *, total: int | None = None, filters: str | None = None
) -> str:
    parts: list[Any] = [sort.token, _encode_value(sort_value), str(row_id)]
    if total is not None and filters is not None:
        parts += [total, filters]
    raw = json.dumps(parts, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str, sort: Sort) -> Cursor:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(parts, list) or len(parts) not in (3, 5):
            raise ValueError("a cursor is a list of 3 or 5 items")
        token, value, row_id = parts[:3]
        if token != sort.token:
            raise InvalidInput(
                f"this cursor belongs to sort {token!r}; ask again with sort={token} or drop the cursor", field="cursor"
            )
        total, filters = (parts[3], parts[4]) if len(parts) == 5 else (None, None)
        if total is not None and (type(total) is not int or total < 0 or not isinstance(filters, str)):
            raise ValueError("a carried total is a count and a filter digest")
        return Cursor(_decode_value(value, sort.field.kind), uuid.UUID(row_id), total, filters)
    except InvalidInput:
        raise
    except (ValueError, TypeError, binascii.Error, UnicodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor is not valid: use next_cursor from a previous page", field="cursor") from exc


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, uuid.UUID]:
    read = read_cursor(cursor, sort)
    return read.value, read.row_id


_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_SHAPES: OrderedDict[Any, str] = OrderedDict()
_SHAPES_KEPT = 512


def filters_digest(stmt: Select[Any]) -> str:
    """A digest of what ``stmt`` selects: its shape (tables, columns,
    conditions) and its bound values (workspace, visibility, filter values).
    The same on every process; a carried total is only reused under it.

    The shape's text is long to build, so each process builds it once per
    distinct statement shape (SQLAlchemy's own cache key identifies it)."""
    key = stmt._generate_cache_key()
    if key is None:  # an uncacheable construct: never reuse a total
        return uuid.uuid4().hex
    shape = _SHAPES.get(key.key)
    if shape is None:
        shape = hashlib.blake2b(_ADDRESS.sub("", repr(key.key)).encode(), digest_size=16).hexdigest()
        _SHAPES[key.key] = shape
        if len(_SHAPES) > _SHAPES_KEPT:
            _SHAPES.popitem(last=False)
    else:
        _SHAPES.move_to_end(key.key)
    values = repr([_encode_value(bind.effective_value) for bind in key.bindparams])
    return hashlib.blake2b(f"{shape}|{values}".encode(), digest_size=9).hexdigest()


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
    selective: bool = False,
) -> Page[Any]:
    """Run ``stmt`` (a filtered select of one entity) as a page.

    Items are what the statement's column yields (an ORM entity or a value) or,
    for a statement of several columns, its rows (with the extra ``_sort_key``
    and, on a counted first page of a selective list, ``_total``): cheaper than
    entities for a list page that only reads them.

    ``selective`` says the filters match few rows that an index of theirs finds
    (a trigram search): the page then reads all the matches inside a fenced
    subquery and sorts them, instead of leaving PostgreSQL free to walk the
    sort's index testing the filter on every row until it has a page - fast for
    a common match, a scan of the whole workspace for a rare one. The first
    page also counts the matches in the same query (``count(*) OVER ()``).
    """
    check_limit(limit)
    # One entity (or column) per row: the items are those; several columns: the rows themselves.
    single = len(stmt.column_descriptions) == 1
    filters = filters_digest(stmt) if with_total else None
    read = read_cursor(cursor, sort) if cursor else None
    total: int | None = None if with_total else 0
    if read is not None and filters is not None:
        total = read.total_for(filters)
    # The window counts what the page query reads: every match only without a cursor.
    in_page = total is None and selective and read is None
    if total is None and not in_page:
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = (await session.execute(count_stmt)).scalar_one()

    expr: ColumnElement[Any] = _clause(sort.field.expression)
    id_expr: ColumnElement[Any] = _clause(id_column)
    if selective:
        fenced = stmt.order_by(None)
        if in_page:
            fenced = fenced.add_columns(func.count().over().label("_total"))
        # OFFSET 0 keeps the planner from merging the subquery into the outer query.
        matches = fenced.offset(0).subquery("matches")
        adapter = ClauseAdapter(matches)
        expr, id_expr = adapter.traverse(expr), adapter.traverse(id_expr)
        if single:
            entity = stmt.column_descriptions[0]["entity"]
            columns: list[Any] = [aliased(entity, matches)]
            if in_page:
                columns.append(matches.c._total)
        else:
            columns = list(matches.c)
        keyed = select(*columns, expr.label("_sort_key"))
    else:
        keyed = stmt.add_columns(expr.label("_sort_key"))
    if read is not None:
        last_value, last_id = read.value, read.row_id
        # The redundant bound (expr <= value) gives the index a place to start;
        # the OR alone would make the database read every earlier row.
        if sort.descending:
            keyed = keyed.where(expr <= last_value, or_(expr < last_value, and_(expr == last_value, id_expr < last_id)))
        else:
            keyed = keyed.where(expr >= last_value, or_(expr > last_value, and_(expr == last_value, id_expr > last_id)))
    order = (expr.desc(), id_expr.desc()) if sort.descending else (expr.asc(), id_expr.asc())
    rows: Sequence[Any] = (await session.execute(keyed.order_by(*order).limit(limit + 1))).all()
    if total is None:
        total = rows[0]._total if rows else 0

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            sort, last._sort_key, _row_id(last[0] if single else last), total=total, filters=filters
        )
    return Page(
        items=[row[0] for row in rows] if single else list(rows), total=total, next_cursor=next_cursor, limit=limit
    )


def _clause(expression: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    if isinstance(expression, InstrumentedAttribute):
        column: ColumnElement[Any] = expression.__clause_element__()
        return column
    return expression


def _row_id(item: Any) -> uuid.UUID:
    value = item.id if hasattr(item, "id") else item
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

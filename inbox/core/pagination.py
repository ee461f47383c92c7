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

A list that runs on every screen (contacts, leads) hands ``paginate`` a
``Filtered``: its select built once per *shape* (which filters are present)
with named bind parameters, and this request's values. The statements derived
from it (count, keyset page, fenced search) are then built once per shape too,
and its filter digest is a hash of the shape and the values: building SQL
expressions costs more Python time than executing a statement whose compiled
form SQLAlchemy already caches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from sqlalchemy import BindParameter, ColumnElement, Integer, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from inbox.core.errors import InvalidInput
from inbox.core.schemas import PageOut

T = TypeVar("T")
D = TypeVar("D")

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


class Page(msgspec.Struct, Generic[T], frozen=True):
    """A page of a list. With items of msgspec Structs it is also the answer a
    route returns (encoded by msgspec, no per-item validation); ``PageOut`` is
    the Pydantic form of the same shape."""

    items: list[T]
    total: Annotated[int, msgspec.Meta(description=PageOut.model_fields["total"].description)]
    next_cursor: Annotated[str | None, msgspec.Meta(description=PageOut.model_fields["next_cursor"].description)]
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


def _digest_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_digest_value(item) for item in value]
    return _encode_value(value)


@dataclass(frozen=True, slots=True)
class Filtered:
    """A list's filtered select and the values of its named bind parameters.

    ``shape`` identifies ``stmt`` among every list's statements (name the list
    in it): the same shape must always come with the same statement, built
    with ``bindparam(name)`` for every value, so that statements derived from
    it can be built once per shape and reused with other values."""

    shape: Hashable
    stmt: Select[Any]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """What ``filters_digest`` is for a plain select: the same on every process."""
        values = sorted((name, _digest_value(value)) for name, value in self.params.items())
        return hashlib.blake2b(repr((self.shape, values)).encode(), digest_size=9).hexdigest()


# Statements derived from a Filtered's shape: (shape, what) -> statement.
_DERIVED: OrderedDict[Hashable, Any] = OrderedDict()
_DERIVED_KEPT = 1024


def derived(key: Hashable, build: Callable[[], D]) -> D:
    """``build()``, once per ``key`` (least recently used ones are dropped)."""
    found = _DERIVED.get(key)
    if found is None:
        found = _DERIVED[key] = build()
        if len(_DERIVED) > _DERIVED_KEPT:
            _DERIVED.popitem(last=False)
    else:
        _DERIVED.move_to_end(key)
    result: D = found
    return result


def _as_filtered(stmt: Select[Any] | Filtered) -> Filtered:
    # A plain select's values are bound inside it; its shape is None: nothing is reused.
    return stmt if isinstance(stmt, Filtered) else Filtered(None, stmt)


def _cached(query: Filtered, what: Hashable, build: Callable[[], D]) -> D:
    return build() if query.shape is None else derived((query.shape, what), build)


def carried_total(query: Select[Any] | Filtered, read: Cursor | None) -> tuple[int | None, str]:
    """The digest of ``query``'s filters and the total the cursor ``read``
    carries for them (None: it must be counted)."""
    filtered = _as_filtered(query)
    digest = filtered.digest if filtered.shape is not None else filters_digest(filtered.stmt)
    return (read.total_for(digest) if read is not None else None), digest


def count_statement(query: Select[Any] | Filtered, count: Select[Any] | Filtered | None = None) -> Filtered:
    """``count`` (a ``select count(*)`` of the same rows), or one counting ``query``'s rows."""
    if count is not None:
        return _as_filtered(count)
    filtered = _as_filtered(query)
    stmt = _cached(filtered, "count", lambda: select(func.count()).select_from(filtered.stmt.order_by(None).subquery()))
    return Filtered(None, stmt, filtered.params)


async def count_total(session: AsyncSession, count: Filtered) -> int:
    """Run a ``count_statement``: for a page that could not count in its own
    statement (an empty page after a cursor)."""
    return int((await session.execute(count.stmt, count.params)).scalar_one())


@dataclass(frozen=True, slots=True)
class _Keyed:
    """A page statement: ``stmt`` orders, bounds (after a cursor) and limits the rows."""

    stmt: Select[Any]
    single: bool


# The names of the bind parameters a page statement adds.
AFTER_VALUE, AFTER_ID, PAGE_LIMIT = "page_after_value", "page_after_id", "page_limit"


def _keyed(
    stmt: Select[Any],
    *,
    id_column: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    sort: Sort,
    after: bool,
    selective: bool,
    in_page: bool,
    count: Select[Any] | None = None,
) -> _Keyed:
    """The page statement of ``stmt``. ``in_page``: a selective page counts its
    matches with a window; ``count``: the page carries that ``select count(*)``
    as a column, evaluated once (a round trip less than counting apart)."""
    single = len(stmt.column_descriptions) == 1
    counted = [] if count is None else [count.scalar_subquery().label("_total")]
    expr: ColumnElement[Any] = _clause(sort.field.expression)
    id_expr: ColumnElement[Any] = _clause(id_column)
    limited = bindparam(PAGE_LIMIT, type_=Integer)
    if not selective:
        keyed = stmt.add_columns(expr.label("_sort_key"), *counted)
        if after:
            keyed = keyed.where(after_condition(expr, id_expr, descending=sort.descending))
        return _Keyed(keyed.order_by(*_order(expr, id_expr, sort.descending)).limit(limited), single)

    # Only the keys of the matches are read and sorted (the sort value, the id and,
    # on a counted page, their count), in a subquery that OFFSET 0 keeps the planner
    # from merging into the outer query; the page's rows are joined back by id.
    keys = [id_expr.label("_id"), expr.label("_sort_key")]
    if in_page:
        keys.append(func.count().over().label("_total"))
    matches = stmt.order_by(None).with_only_columns(*keys, maintain_column_froms=True).offset(0).subquery("matches")
    top = select(matches)
    if after:
        top = top.where(after_condition(matches.c._sort_key, matches.c._id, descending=sort.descending))
    page = top.order_by(*_order(matches.c._sort_key, matches.c._id, sort.descending)).limit(limited).subquery("page")
    # One entity (or column) selected: that; several columns: those.
    columns: list[Any] = [stmt.column_descriptions[0]["expr"]] if single else list(stmt.selected_columns)
    columns.append(page.c._sort_key)
    columns += [page.c._total] if in_page else counted
    keyed = select(*columns).join(page, id_expr == page.c._id)
    return _Keyed(keyed.order_by(*_order(page.c._sort_key, page.c._id, sort.descending)), single)


def _order(expr: ColumnElement[Any], id_expr: ColumnElement[Any], descending: bool) -> tuple[Any, Any]:
    return (expr.desc(), id_expr.desc()) if descending else (expr.asc(), id_expr.asc())


def after_condition(expr: ColumnElement[Any], id_expr: ColumnElement[Any], *, descending: bool) -> ColumnElement[bool]:
    """Rows after the cursor ``(AFTER_VALUE, AFTER_ID)`` in the sort order. The
    redundant bound on ``expr`` alone gives the index a place to start; the OR
    alone would make the database read every earlier row."""
    value: BindParameter[Any] = bindparam(AFTER_VALUE)
    last_id: BindParameter[Any] = bindparam(AFTER_ID)
    if descending:
        return and_(expr <= value, or_(expr < value, and_(expr == value, id_expr < last_id)))
    return and_(expr >= value, or_(expr > value, and_(expr == value, id_expr > last_id)))


def page_params(query: Filtered, limit: int, read: Cursor | None) -> dict[str, Any]:
    """``query``'s values and a page statement's: one more row than ``limit``
    (is there a next page?) after the cursor ``read``."""
    params = {**query.params, PAGE_LIMIT: limit + 1}
    if read is not None:
        params[AFTER_VALUE], params[AFTER_ID] = read.value, read.row_id
    return params


async def paginate(
    session: AsyncSession,
    stmt: Select[Any] | Filtered,
    *,
    id_column: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    sort: Sort,
    limit: int,
    cursor: str | None,
    with_total: bool = True,
    selective: bool = False,
    count: Select[Any] | Filtered | None = None,
) -> Page[Any]:
    """Run ``stmt`` (a filtered select of one entity) as a page.

    Items are what the statement's column yields (an ORM entity or a value) or,
    for a statement of several columns, its rows (with the extra ``_sort_key``
    and, on a counted first page of a selective list, ``_total``): cheaper than
    entities for a list page that only reads them.

    ``selective`` says the filters match few rows that an index of theirs finds
    (a trigram search): the page then reads all the matches' keys inside a
    fenced subquery and sorts them, instead of leaving PostgreSQL free to walk
    the sort's index testing the filter on every row until it has a page - fast
    for a common match, a scan of the whole workspace for a rare one. The first
    page also counts the matches in the same query (``count(*) OVER ()``).

    ``count`` counts the matches where ``stmt``'s rows would cost more to
    count (the leads view counts on contacts).
    """
    check_limit(limit)
    query = _as_filtered(stmt)
    read = read_cursor(cursor, sort) if cursor else None
    total, digest = carried_total(query, read) if with_total else (0, None)
    # The page counts too: with a window over what it reads (every match of a selective
    # list, without a cursor) or with the count as a column.
    in_page = total is None and selective and read is None and count is None
    counter = count_statement(query, count) if total is None and not in_page else None

    after = read is not None
    keyed = _cached(
        query,
        ("page", sort.token, after, selective, in_page, counter is not None),
        lambda: _keyed(
            query.stmt,
            id_column=id_column,
            sort=sort,
            after=after,
            selective=selective,
            in_page=in_page,
            count=None if counter is None else counter.stmt,
        ),
    )
    params = page_params(query, limit, read)
    if counter is not None:
        params = {**counter.params, **params}
    rows: Sequence[Any] = (await session.execute(keyed.stmt, params)).all()
    if total is None:
        if rows:
            total = rows[0]._total
        else:
            # Nothing on a first page: nothing matches. After a cursor, the rows before it may.
            total = 0 if counter is None or read is None else await count_total(session, counter)

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            sort, last._sort_key, _row_id(last[0] if keyed.single else last), total=total, filters=digest
        )
    items = [row[0] for row in rows] if keyed.single else list(rows)
    return Page(items=items, total=total, next_cursor=next_cursor, limit=limit)


def _clause(expression: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    if isinstance(expression, InstrumentedAttribute):
        column: ColumnElement[Any] = expression.__clause_element__()
        return column
    return expression


def _row_id(item: Any) -> uuid.UUID:
    value = item.id if hasattr(item, "id") else item
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

"""Query building blocks shared by the domains."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def each_key(
    session: AsyncSession,
    query: sa.Select[*tuple[Any, ...]],
    key: Any,
    keys: Collection[Any],
    *,
    unique: bool = True,
) -> sa.Select[*tuple[Any, ...]]:
    """``query`` narrowed to the rows whose ``key`` column is one of ``keys``.

    On PostgreSQL as one index probe per key: a LATERAL subquery over the keys
    unnested from one array. ``key IN (...)`` over hundreds of values is costed
    as hundreds of index descents (and, without statistics, as matching every
    row), so a workspace's first big sync got plans that read every row of the
    workspace, or of the table, and filtered them: a cost that grows with the
    mailbox. Give ``query`` no condition that another index could serve as
    well as ``key``'s, or the planner, unable to tell them apart without
    statistics, may take that one. ``unique``: each key matches at most one row.
    ``query`` must select columns, not entities.
    """
    if session.get_bind().dialect.name != "postgresql":
        return query.where(key.in_(keys))
    wanted = sa.func.unnest(sa.literal(list(keys), postgresql.ARRAY(key.type))).table_valued("key").render_derived()
    probe = query.where(key == wanted.c.key)
    # LIMIT or OFFSET keeps the subquery a per-key probe: without either it would be merged into a join.
    probe = probe.limit(1) if unique else probe.offset(0)
    lateral = probe.lateral()
    return sa.select(lateral).select_from(wanted).join(lateral, sa.true())

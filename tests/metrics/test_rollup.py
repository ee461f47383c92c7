"""The rollup on a known set of emails (``tests/metrics/dataset.py``) against the answers worked out by hand."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.metrics.models import PerformanceMetric
from inbox.metrics.rollup import chunks, rollup, rollup_range
from inbox.settings import Settings
from inbox.threads.models import Email
from tests.factories import Member
from tests.metrics.dataset import (
    D0,
    D1,
    D2,
    D3,
    EXPECTED_RITA,
    EXPECTED_SAM,
    FIGURES,
    ZERO,
    Dataset,
    build,
    figures,
    rival_mail,
)


@pytest.fixture
async def data(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> Dataset:
    return await build(session, settings, team)


async def stored(session: AsyncSession, workspace_id: uuid.UUID) -> dict[tuple[uuid.UUID, date], dict[str, object]]:
    rows = await session.execute(
        sa.select(PerformanceMetric)
        .where(PerformanceMetric.workspace_id == workspace_id)
        .execution_options(populate_existing=True)
    )
    return {(row.user_id, row.date): {name: getattr(row, name) for name in FIGURES} for row in rows.scalars().all()}


def approx(expected: dict[str, float | int | None]) -> dict[str, object]:
    return {name: value if value is None else pytest.approx(value) for name, value in expected.items()}


async def test_every_figure_of_every_user_and_day_matches_the_hand_computed_answer(
    db: Database, session: AsyncSession, data: Dataset
) -> None:
    report = await rollup(db, data.workspace_id, D1, D3)

    rows = await stored(session, data.workspace_id)
    everyone = [member.user.id for member in data.team.values()] + [data.sam.user.id]
    # One row per user of the workspace and day of the range, zeros included; nothing outside the range.
    assert set(rows) == {(user_id, day) for user_id in everyone for day in (D1, D2, D3)}
    assert report.days == 3 and report.rows_written == len(rows)
    for day in (D1, D2, D3):
        assert rows[(data.rita.user.id, day)] == approx(EXPECTED_RITA[day]), f"Rita on {day}"
        assert rows[(data.sam.user.id, day)] == approx(EXPECTED_SAM[day]), f"Sam on {day}"
        for role in (Role.ADMIN, Role.MANAGER):
            assert rows[(data.team[role].user.id, day)] == ZERO


async def test_a_range_is_rebuilt_after_the_data_changed_and_a_rerun_changes_nothing(
    db: Database, session: AsyncSession, data: Dataset
) -> None:
    await rollup(db, data.workspace_id, D1, D3)
    assert (await rollup(db, data.workspace_id, D1, D3)).rows_written == 0  # unchanged rows are not rewritten

    # o4 (Rita's 60-minute answer on D2) is deleted, the D2 meeting turns out not to be booked,
    # and an old email of D1 is found to have been sent on D2 instead.
    await session.execute(sa.delete(Email).where(Email.id == data.emails["o4"].id))
    await session.execute(
        sa.update(Action)
        .where(Action.id == data.actions["a1"].id)
        .values(status=ActionStatus.PENDING, completed_at=None)
    )
    await session.execute(
        sa.update(Email)
        .where(Email.id == data.emails["o5"].id)
        .values(sent_at=data.emails["o5"].sent_at.replace(day=3))
    )
    await session.commit()

    report = await rollup(db, data.workspace_id, D2, D2)

    rows = await stored(session, data.workspace_id)
    assert report.rows_written == 1  # only Rita's D2 row changed
    # o5 moved to D2: one send to bob; i3 still answers o1..o3; no response that day; no meeting left.
    assert rows[(data.rita.user.id, D2)] == approx(figures(sent=1, received=2, replies=1, rate=1.0, leads=1, actions=1))
    # D1 was not rebuilt: it still shows o5 until its own rebuild.
    assert rows[(data.rita.user.id, D1)] == approx(EXPECTED_RITA[D1])
    await rollup(db, data.workspace_id, D1, D1)
    rows = await stored(session, data.workspace_id)
    assert rows[(data.rita.user.id, D1)] == approx(
        figures(sent=3, received=2, replies=2, rate=2 / 3, avg=30.0, responses=1, leads=1)
    )
    assert rows[(data.sam.user.id, D2)] == approx(EXPECTED_SAM[D2])


async def test_all_workspaces_at_once_and_one_workspace_never_touches_another(
    db: Database, session: AsyncSession, data: Dataset, rival: dict[Role, Member]
) -> None:
    await rival_mail(session, rival)

    await rollup(db, data.workspace_id, D1, D3)
    assert await stored(session, rival[Role.ADMIN].workspace_id) == {}

    await rollup(db, None, D1, D3)
    rival_rows = await stored(session, rival[Role.ADMIN].workspace_id)
    rep = rival[Role.SALES_REP].user.id
    assert rival_rows[(rep, D1)] == approx(figures(sent=1, received=1, replies=1, rate=1.0))
    assert rival_rows[(rep, D2)] == approx(figures(meetings=1, actions=1))
    ours = await stored(session, data.workspace_id)
    assert ours[(data.rita.user.id, D1)] == approx(EXPECTED_RITA[D1])
    assert ours[(data.sam.user.id, D3)] == approx(EXPECTED_SAM[D3])


async def test_the_day_before_the_range_counts_only_as_history(
    db: Database, session: AsyncSession, data: Dataset
) -> None:
    """o0 (D0, 23:59:59) is not a D1 send, yet i7 (D1, 00:00:01) answering it is a D1 reply."""
    await rollup(db, data.workspace_id, D0, D0)
    rows = await stored(session, data.workspace_id)
    assert rows[(data.rita.user.id, D0)] == approx(figures(sent=1, leads=1))
    assert (data.rita.user.id, D1) not in rows


async def test_a_long_range_is_rolled_up_in_chunks_with_the_same_answer(
    db: Database, session: AsyncSession, data: Dataset
) -> None:
    assert chunks(D1, D3, size=2) == [(D1, D2), (D3, D3)]
    assert chunks(date(2026, 1, 1), date(2026, 12, 31)) == chunks(date(2026, 1, 1), date(2026, 12, 31), size=31)
    assert len(chunks(date(2026, 1, 1), date(2026, 12, 31))) == 12

    written = await rollup_range(session, data.workspace_id, date(2026, 1, 1), date(2026, 12, 31))
    await session.commit()

    assert written == 4 * 365
    rows = await stored(session, data.workspace_id)
    assert rows[(data.sam.user.id, D3)] == approx(EXPECTED_SAM[D3])
    assert rows[(data.rita.user.id, D2)] == approx(EXPECTED_RITA[D2])


async def test_a_reversed_range_is_refused(db: Database, data: Dataset) -> None:
    with pytest.raises(ValueError, match="after it ends"):
        await rollup(db, data.workspace_id, D3, D1)


async def test_the_last_days_of_the_calendar_are_refused_not_crashed_on(db: Database) -> None:
    with pytest.raises(ValueError, match="must end by 9999-12-30"):
        await rollup(db, None, date(9999, 12, 1), date(9999, 12, 31))
    assert chunks(date(9999, 12, 20), date(9999, 12, 30)) == [(date(9999, 12, 20), date(9999, 12, 30))]

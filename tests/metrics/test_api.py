"""``GET /api/metrics`` over the rolled-up known dataset: both groupings, CSV, role scoping, bad ranges."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.metrics.rollup import rollup
from inbox.settings import Settings
from tests.factories import Member
from tests.metrics.dataset import (
    D1,
    D2,
    D3,
    EXPECTED_DAYS,
    EXPECTED_RITA,
    EXPECTED_SAM,
    EXPECTED_USERS,
    FIGURES,
    ZERO,
    Dataset,
    build,
    rival_mail,
)

RANGE = {"from": D1.isoformat(), "to": D3.isoformat()}


@pytest.fixture
async def data(db: Database, session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> Dataset:
    built = await build(session, settings, team)
    await rollup(db, None, D1, D3)
    return built


async def get(client: httpx.AsyncClient, member: Member, **params: str) -> httpx.Response:
    return await client.get("/api/metrics", params=params, headers=member.headers)


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIGURES}


def approx(expected: dict[str, float | int | None]) -> dict[str, object]:
    return {name: value if value is None else pytest.approx(value, abs=0.005) for name, value in expected.items()}


async def test_a_manager_gets_the_team_per_day_with_rates_and_averages_from_the_sums(
    client: httpx.AsyncClient, data: Dataset
) -> None:
    response = await get(client, data.team[Role.MANAGER], **RANGE, group_by="day")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"], body["group_by"], body["user_id"]) == (*RANGE.values(), "day", None)
    assert [row["date"] for row in body["rows"]] == [D1.isoformat(), D2.isoformat(), D3.isoformat()]
    for row, day in zip(body["rows"], (D1, D2, D3), strict=True):
        assert figures_of(row) == approx(EXPECTED_DAYS[day]), day
    assert body["totals"] == approx(
        {
            "emails_sent": 10,
            "emails_received": 9,
            "replies_received": 7,
            "reply_rate": 0.7,
            # (30 + 60 + 45 + 20) / 4 answers
            "avg_response_time_minutes": 38.75,
            "response_count": 4,
            "leads_contacted": 7,
            "meetings_scheduled": 1,
            "actions_completed": 3,
        }
    )


async def test_a_manager_gets_one_row_per_user_with_names(client: httpx.AsyncClient, data: Dataset) -> None:
    response = await get(client, data.team[Role.ADMIN], **RANGE, group_by="user")

    assert response.status_code == 200, response.text
    rows = {row["user_id"]: row for row in response.json()["rows"]}
    assert set(rows) == {str(member.user.id) for member in (*data.team.values(), data.sam)}
    rita, sam = rows[str(data.rita.user.id)], rows[str(data.sam.user.id)]
    assert (rita["user_name"], rita["user_email"]) == ("Rita Rep", data.rita.user.email)
    assert (sam["user_name"], sam["user_email"]) == ("Sam Seller", data.sam.user.email)
    assert figures_of(rita) == approx(EXPECTED_USERS["rita"])
    assert figures_of(sam) == approx(EXPECTED_USERS["sam"])
    assert figures_of(rows[str(data.team[Role.MANAGER].user.id)]) == ZERO
    assert rita["date"] is None


async def test_a_manager_can_narrow_to_one_rep(client: httpx.AsyncClient, data: Dataset) -> None:
    response = await get(client, data.team[Role.MANAGER], **RANGE, group_by="day", user_id=str(data.sam.user.id))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == str(data.sam.user.id)
    assert [figures_of(row) for row in body["rows"]] == [approx(EXPECTED_SAM[day]) for day in (D1, D2, D3)]


async def test_a_rep_sees_only_their_own_figures(client: httpx.AsyncClient, data: Dataset) -> None:
    rita = data.rita

    by_day = await get(client, rita, **RANGE, group_by="day")
    assert by_day.status_code == 200, by_day.text
    assert by_day.json()["user_id"] == str(rita.user.id)
    assert [figures_of(row) for row in by_day.json()["rows"]] == [approx(EXPECTED_RITA[day]) for day in (D1, D2, D3)]

    by_user = await get(client, rita, **RANGE, group_by="user")
    assert [row["user_id"] for row in by_user.json()["rows"]] == [str(rita.user.id)]

    own = await get(client, rita, **RANGE, user_id=str(rita.user.id))
    assert own.status_code == 200
    # Another rep's figures look exactly like a user who does not exist.
    for other in (data.sam.user.id, data.team[Role.MANAGER].user.id, uuid.uuid4()):
        refused = await get(client, rita, **RANGE, user_id=str(other))
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == "user not found"


async def test_another_workspace_sees_nothing_of_ours(
    client: httpx.AsyncClient, data: Dataset, session: AsyncSession, rival: dict[Role, Member], db: Database
) -> None:
    await rival_mail(session, rival)
    await rollup(db, None, D1, D3)
    admin = rival[Role.ADMIN]

    assert (await get(client, admin, **RANGE, user_id=str(data.rita.user.id))).status_code == 404
    by_user = await get(client, admin, **RANGE, group_by="user")
    assert {row["user_id"] for row in by_user.json()["rows"]} == {str(m.user.id) for m in rival.values()}
    assert by_user.json()["totals"]["emails_sent"] == 1  # the rival's own send, none of ours
    by_day = await get(client, admin, **RANGE)
    assert [row["emails_sent"] for row in by_day.json()["rows"]] == [1, 0, 0]


async def test_csv_export_has_a_header_and_a_row_per_day_or_user(client: httpx.AsyncClient, data: Dataset) -> None:
    response = await get(client, data.team[Role.MANAGER], **RANGE, group_by="day", format="csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        f'filename="metrics-by-day-{D1.isoformat()}-to-{D3.isoformat()}.csv"' in response.headers["content-disposition"]
    )
    assert response.headers["content-disposition"].startswith("attachment;")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert list(table[0]) == ["date", *FIGURES]
    assert [row["date"] for row in table] == [D1.isoformat(), D2.isoformat(), D3.isoformat()]
    d2 = table[1]
    assert (d2["emails_sent"], d2["replies_received"], d2["avg_response_time_minutes"]) == ("3", "1", "52.5")
    assert float(d2["reply_rate"]) == pytest.approx(1 / 3, abs=0.0001)
    assert table[2]["avg_response_time_minutes"] == "20.0"

    by_user = await get(client, data.team[Role.MANAGER], **RANGE, group_by="user", format="csv")
    table = list(csv.DictReader(io.StringIO(by_user.text)))
    assert list(table[0]) == ["user_id", "user_name", "user_email", *FIGURES]
    sam = next(row for row in table if row["user_id"] == str(data.sam.user.id))
    assert (sam["user_name"], sam["emails_sent"], sam["avg_response_time_minutes"]) == ("Sam Seller", "4", "32.5")
    manager = next(row for row in table if row["user_id"] == str(data.team[Role.MANAGER].user.id))
    assert manager["avg_response_time_minutes"] == ""  # no answers: no average


async def test_a_name_a_spreadsheet_would_run_as_a_formula_is_quoted_in_csv(
    client: httpx.AsyncClient, data: Dataset, session: AsyncSession
) -> None:
    data.sam.user.first_name, data.sam.user.last_name = '=HYPERLINK("http://evil.example")', None
    session.add(data.sam.user)
    await session.commit()

    response = await get(client, data.team[Role.ADMIN], **RANGE, group_by="user", format="csv")

    sam = next(row for row in csv.DictReader(io.StringIO(response.text)) if row["user_id"] == str(data.sam.user.id))
    assert sam["user_name"] == '\'=HYPERLINK("http://evil.example")'


async def test_days_without_figures_are_zeros_and_the_default_range_is_the_last_30_days(
    client: httpx.AsyncClient, data: Dataset
) -> None:
    response = await get(client, data.team[Role.MANAGER], **{"from": "2026-03-01", "to": "2026-03-05"})
    rows = response.json()["rows"]
    assert [row["date"] for row in rows] == [f"2026-03-0{n}" for n in range(1, 6)]
    assert figures_of(rows[0]) == ZERO and figures_of(rows[4]) == ZERO

    default = await get(client, data.team[Role.MANAGER])
    assert default.status_code == 200
    assert len(default.json()["rows"]) == 30


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"from": "2026-03-04", "to": "2026-03-02"}, "from (2026-03-04) must be on or before to (2026-03-02)"),
        ({"from": "2025-01-01", "to": "2026-03-02"}, "ask for at most 366 days at a time"),
        ({"from": "2026-02-30"}, None),
        ({"to": "yesterday"}, None),
        ({"group_by": "week"}, None),
        ({"format": "xlsx"}, None),
        ({"user_id": "not-a-uuid"}, None),
    ],
)
async def test_a_bad_range_or_parameter_is_a_400_saying_why(
    client: httpx.AsyncClient, team: dict[Role, Member], params: dict[str, str], reason: str | None
) -> None:
    response = await get(client, team[Role.MANAGER], **params)

    assert response.status_code == 400, response.text
    if reason is not None:
        assert reason in response.json()["detail"]


async def test_signing_in_is_required(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/metrics")).status_code == 401


async def test_the_ai_usage_report_still_answers_beside_it(client: httpx.AsyncClient, team: dict[Role, Member]) -> None:
    response = await client.get("/api/metrics/ai-usage", headers=team[Role.MANAGER].headers)
    assert response.status_code == 200, response.text
    assert "tokens_used_today" in response.json()


@pytest.mark.parametrize(
    "params",
    [{"to": "0001-01-05"}, {"from": "9999-12-01", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-01"}],
)
async def test_the_ends_of_the_calendar_are_answered_not_crashed_on(
    client: httpx.AsyncClient, team: dict[Role, Member], params: dict[str, str]
) -> None:
    response = await get(client, team[Role.MANAGER], **params)
    assert response.status_code in (200, 400), response.text
    if params.get("to") == "9999-12-31":
        assert response.json()["rows"][-1]["date"] == "9999-12-31"

"""``total`` is counted on the first page and carried in the cursor to later
pages, for the filters it was counted under; searches page through their
matches by the trigram index (PostgreSQL) and count them in the same query."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from tests.factories import Member

Client = AsyncTestClient[Litestar]


async def _contact(client: Client, member: Member, **fields: Any) -> dict[str, Any]:
    fields.setdefault("email", f"c-{uuid.uuid4().hex[:10]}@example.com")
    response = await client.post("/api/contacts", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _get(client: Client, member: Member, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _walk(client: Client, member: Member, path: str, **params: Any) -> tuple[list[dict[str, Any]], list[int]]:
    items: list[dict[str, Any]] = []
    totals: list[int] = []
    cursor = None
    for _ in range(20):
        page = await _get(client, member, path, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        totals.append(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, totals
    raise AssertionError(f"{path} {params}: pages never end")


async def test_a_deep_page_reports_the_first_pages_total(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    for i in range(5):
        await _contact(client, admin, first_name="Carried", last_name=f"Total{i}", temperature="hot")
    first = await _get(client, admin, "/api/leads", status="hot", limit=2)
    assert first["total"] == 5
    await _contact(client, admin, first_name="Late", temperature="hot")

    deep = await _get(client, admin, "/api/leads", status="hot", limit=2, cursor=first["next_cursor"])
    assert deep["total"] == 5, "a later page reports the total as of the first page"
    assert (await _get(client, admin, "/api/leads", status="hot", limit=2))["total"] == 6

    contacts = await _get(client, admin, "/api/contacts", limit=2)
    await _contact(client, admin, first_name="Later")
    later = await _get(client, admin, "/api/contacts", limit=2, cursor=contacts["next_cursor"])
    assert later["total"] == contacts["total"]


async def test_a_cursor_under_other_filters_counts_again(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    for i in range(4):
        await _contact(client, admin, first_name=f"Hot{i}", temperature="hot")
    await _contact(client, admin, first_name="Warm", temperature="warm")

    first = await _get(client, admin, "/api/leads", status="hot", limit=1)
    assert first["total"] == 4
    both = await _get(client, admin, "/api/leads", status="hot,warm", limit=1, cursor=first["next_cursor"])
    assert both["total"] == 5

    # The same for paginate(): a search's cursor taken to another search.
    found = await _get(client, admin, "/api/contacts", q="hot", limit=1)
    assert found["total"] == 4
    other = await _get(client, admin, "/api/contacts", q="warm", limit=1, cursor=found["next_cursor"])
    assert other["total"] == 1


async def test_a_carried_total_is_not_shared_between_principals(client: Client, team: dict[Role, Member]) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    for i in range(3):
        await _contact(client, admin, first_name=f"Admins{i}", temperature="hot", owner_id=str(admin.principal.user_id))
    await _contact(client, rep, first_name="Mine", temperature="hot")
    await _contact(client, rep, first_name="Also mine", temperature="hot")

    first = await _get(client, admin, "/api/leads", status="hot", limit=1)
    assert first["total"] == 5
    rep_page = await _get(client, rep, "/api/leads", status="hot", limit=1, cursor=first["next_cursor"])
    assert rep_page["total"] == 2, "a sales rep counts what a sales rep sees, whoever made the cursor"


async def test_a_cursor_from_before_carried_totals_still_works(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    for i in range(3):
        await _contact(client, admin, email=f"old{i}@example.com")
    first = await _get(client, admin, "/api/contacts", sort="email", limit=1)
    padded = first["next_cursor"] + "=" * (-len(first["next_cursor"]) % 4)
    token, value, row_id, total, _digest = json.loads(base64.urlsafe_b64decode(padded))
    assert total == 3
    old = base64.urlsafe_b64encode(json.dumps([token, value, row_id]).encode()).decode().rstrip("=")

    page = await _get(client, admin, "/api/contacts", sort="email", limit=1, cursor=old)
    assert [item["email"] for item in page["items"]] == ["old1@example.com"]
    assert page["total"] == 3


@pytest.mark.parametrize(
    "carried",
    [[-1, "abc"], [True, "abc"], ["3", "abc"], [3, 4], [3, None]],
)
async def test_a_tampered_carried_total_is_a_client_error(
    client: Client, team: dict[Role, Member], carried: list[Any]
) -> None:
    admin = team[Role.ADMIN]
    for i in range(2):
        await _contact(client, admin, email=f"t{i}@example.com")
    first = await _get(client, admin, "/api/contacts", sort="email", limit=1)
    padded = first["next_cursor"] + "=" * (-len(first["next_cursor"]) % 4)
    token, value, row_id, *_ = json.loads(base64.urlsafe_b64decode(padded))
    forged = base64.urlsafe_b64encode(json.dumps([token, value, row_id, *carried]).encode()).decode()
    response = await client.get("/api/contacts", params={"sort": "email", "cursor": forged}, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert "cursor" in response.text


async def test_search_pages_through_every_match_once(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    made = [await _contact(client, admin, first_name="Rosemary", last_name=f"Page{i:02d}") for i in range(7)]
    await _contact(client, admin, first_name="Nobody")
    for sort in ("-created_at", "last_name", "email"):
        items, totals = await _walk(client, admin, "/api/contacts", q="mary", limit=3, sort=sort)
        assert sorted(item["id"] for item in items) == sorted(c["id"] for c in made), sort
        assert totals == [7, 7, 7], sort
    names = [item["last_name"] for item in (await _walk(client, admin, "/api/contacts", q="mary", sort="last_name"))[0]]
    assert names == sorted(names)
    nothing = await _get(client, admin, "/api/contacts", q="zzzz-no-match")
    assert (nothing["items"], nothing["total"], nothing["next_cursor"]) == ([], 0, None)


@pytest.mark.postgres_only
async def test_search_reads_matches_by_the_trigram_index(
    client: Client, team: dict[Role, Member], session: AsyncSession
) -> None:
    """Counted in the page query (one statement, not two), and fenced so that the
    planner cannot walk the created_at index testing the pattern row by row."""
    admin = team[Role.ADMIN]
    for i in range(3):
        await _contact(client, admin, first_name="Trigram", last_name=f"Fence{i}")
    connection = (await session.connection()).sync_connection
    assert connection is not None
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "contacts" in statement and "session" not in statement:
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", capture)
    try:
        page = await _get(client, admin, "/api/contacts", q="trigram", limit=2)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    assert page["total"] == 3
    assert len(statements) == 1, statements
    assert "count(*) OVER ()" in statements[0]
    assert "OFFSET" in statements[0]

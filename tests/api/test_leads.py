from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact, Temperature
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.leads.repository import LeadRepository
from tests.factories import Member

Client = AsyncTestClient[Litestar]


async def _lead(
    client: Client, session: AsyncSession, member: Member, *, last_contact_at: datetime | None = None, **fields: Any
) -> dict[str, Any]:
    """A contact made through the API; lead fields the AI sets are written directly."""
    ai_fields = {key: fields.pop(key) for key in ("last_message", "ai_suggestion", "has_ai_draft") if key in fields}
    fields.setdefault("email", f"lead-{uuid.uuid4().hex[:10]}@example.com")
    response = await client.post("/api/contacts", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    await session.execute(
        update(Contact)
        .where(Contact.id == uuid.UUID(contact["id"]))
        .values(last_contact_at=last_contact_at, **ai_fields)
    )
    await session.commit()
    return contact


async def _page(client: Client, member: Member, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/leads", params={"limit": 200, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _walk(client: Client, member: Member, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = await _page(client, member, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(items) == page["total"]
            return items
    raise AssertionError(f"pages never end: {params}")


async def test_lead_shape(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin = team[Role.ADMIN]
    account = (await client.post("/api/accounts", json={"name": "Initech"}, headers=admin.headers)).json()
    contacted = utcnow() - timedelta(days=2, hours=5)
    contact = await _lead(
        client,
        session,
        admin,
        email="peter@initech.example",
        first_name="Peter",
        last_name="Gibbons",
        account_id=account["id"],
        temperature="hot",
        status="replied",
        last_message="Can we talk on Tuesday?",
        ai_suggestion="Propose Tuesday 10:00",
        has_ai_draft=True,
        last_contact_at=contacted,
    )
    lead = (await client.get(f"/api/leads/{contact['id']}", headers=admin.headers)).json()
    assert lead == {
        "id": contact["id"],
        "company": "Initech",
        "contact_name": "Peter Gibbons",
        "email": "peter@initech.example",
        "status": "hot",
        "lifecycle_status": "replied",
        "last_message": "Can we talk on Tuesday?",
        "ai_suggestion": "Propose Tuesday 10:00",
        "has_ai_draft": True,
        "days_since_contact": 2,
        "last_contact_at": lead["last_contact_at"],
        "account_id": account["id"],
        "owner_id": str(admin.user.id),
        "created_at": contact["created_at"],
        "updated_at": lead["updated_at"],
    }
    assert datetime.fromisoformat(lead["last_contact_at"]) == contacted

    bare = await _lead(client, session, admin, email="nobody@example.com")
    bare_lead = (await client.get(f"/api/leads/{bare['id']}", headers=admin.headers)).json()
    assert (bare_lead["company"], bare_lead["contact_name"], bare_lead["status"]) == (None, "", "cold")
    assert bare_lead["days_since_contact"] is None


async def test_errors_and_read_only(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    lead = await _lead(client, session, admin)
    assert (await client.get("/api/leads")).status_code == 401
    assert (await client.get(f"/api/leads/{lead['id']}")).status_code == 401
    assert (await client.get(f"/api/leads/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/leads/{lead['id']}", headers=rival[Role.ADMIN].headers)).status_code == 404
    assert (await _page(client, rival[Role.ADMIN]))["total"] == 0
    bad_status = await client.get("/api/leads", params={"status": "hot,boiling"}, headers=admin.headers)
    assert bad_status.status_code == 400
    assert "status" in bad_status.text
    assert (await client.get("/api/leads", params={"sort": "email"}, headers=admin.headers)).status_code == 400
    assert (await client.get("/api/leads", params={"cursor": "garbage"}, headers=admin.headers)).status_code == 400
    await _lead(client, session, admin)
    first = await _page(client, admin, limit=1)
    other_sort = await client.get(
        "/api/leads", params={"cursor": first["next_cursor"], "sort": "company"}, headers=admin.headers
    )
    assert other_sort.status_code == 400
    assert (await client.post("/api/leads", json={"email": "x@example.com"}, headers=admin.headers)).status_code == 405
    assert (await client.patch(f"/api/leads/{lead['id']}", json={}, headers=admin.headers)).status_code == 405
    assert (await client.delete(f"/api/leads/{lead['id']}", headers=admin.headers)).status_code == 405


async def test_filters(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    initech = (await client.post("/api/accounts", json={"name": "Initech"}, headers=admin.headers)).json()
    hot = await _lead(
        client, session, admin, first_name="Peter", last_name="Gibbons", temperature="hot", has_ai_draft=True
    )
    warm = await _lead(client, session, admin, first_name="Samir", temperature="warm", account_id=initech["id"])
    cold = await _lead(client, session, rep, email="milton@stapler.example", temperature="cold")

    def ids(page: dict[str, Any]) -> set[str]:
        return {item["id"] for item in page["items"]}

    assert ids(await _page(client, admin, status="hot")) == {hot["id"]}
    assert ids(await _page(client, admin, status="HOT, warm")) == {hot["id"], warm["id"]}
    assert ids(await _page(client, admin, status=["hot", "cold"])) == {hot["id"], cold["id"]}
    assert (await _page(client, admin, status="warm"))["total"] == 1
    assert ids(await _page(client, admin, q="gibb")) == {hot["id"]}
    assert ids(await _page(client, admin, q="initech")) == {warm["id"]}
    assert ids(await _page(client, admin, q="STAPLER")) == {cold["id"]}
    assert ids(await _page(client, admin, q="%")) == set()
    assert ids(await _page(client, admin, has_ai_draft="true")) == {hot["id"]}
    assert ids(await _page(client, admin, has_ai_draft="false")) == {warm["id"], cold["id"]}
    assert ids(await _page(client, admin, owner_id=str(rep.user.id))) == {cold["id"]}


def _expected_order(leads: list[dict[str, Any]], *, descending: bool) -> list[str]:
    dated = sorted(
        (lead for lead in leads if lead["last_contact_at"] is not None),
        key=lambda lead: (lead["last_contact_at"], lead["id"]),
        reverse=descending,
    )
    undated = sorted(
        (lead for lead in leads if lead["last_contact_at"] is None), key=lambda lead: lead["id"], reverse=descending
    )
    ordered = dated + undated if descending else undated + dated
    return [lead["id"] for lead in ordered]


async def test_default_order_is_most_recent_first_with_never_contacted_last(
    client: Client, team: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    now = utcnow()
    moments = [now - timedelta(hours=1), now - timedelta(days=3), None, now - timedelta(hours=1), None, now, None]
    hot: list[dict[str, Any]] = []
    for moment in moments + moments[:3]:
        contact = await _lead(client, session, admin, temperature="hot", last_contact_at=moment)
        hot.append({"id": contact["id"], "last_contact_at": moment})
    await _lead(client, session, admin, temperature="warm", last_contact_at=now + timedelta(hours=1))

    for limit in (1, 2, 3, 7, 10, 11):
        newest_first = await _walk(client, admin, status="hot", limit=limit)
        assert [item["id"] for item in newest_first] == _expected_order(hot, descending=True), limit
        oldest_first = await _walk(client, admin, status="hot", limit=limit, sort="last_contact_at")
        assert [item["id"] for item in oldest_first] == _expected_order(hot, descending=False), limit
    everyone = await _walk(client, admin, limit=4)
    assert len(everyone) == 11
    assert everyone[0]["status"] == "warm"


async def test_other_sorts(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin = team[Role.ADMIN]
    for name in ["Zeta", "alpha", "Mu"]:
        account = (await client.post("/api/accounts", json={"name": name}, headers=admin.headers)).json()
        await _lead(client, session, admin, first_name=name[::-1], account_id=account["id"])
    await _lead(client, session, admin, first_name="Nocompany")

    by_company = await _walk(client, admin, sort="company", limit=2)
    assert [item["company"] for item in by_company] == [None, "alpha", "Mu", "Zeta"]
    by_name = await _walk(client, admin, sort="-contact_name", limit=3)
    assert [item["contact_name"] for item in by_name] == ["uM", "Nocompany", "ateZ", "ahpla"]
    newest = await _walk(client, admin, sort="-created_at", limit=3)
    assert [item["id"] for item in newest] == [item["id"] for item in await _walk(client, admin, sort="created_at")][
        ::-1
    ]


async def test_sales_rep_sees_own_and_unowned_only(
    client: Client, team: dict[Role, Member], session: AsyncSession
) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    mine = await _lead(client, session, rep, temperature="hot")
    unowned = await _lead(client, session, admin, owner_id=None, temperature="hot")
    managers = await _lead(client, session, manager, temperature="hot")

    rep_view = await _page(client, rep, status="hot")
    assert {item["id"] for item in rep_view["items"]} == {mine["id"], unowned["id"]}
    assert rep_view["total"] == 2
    assert (await client.get(f"/api/leads/{managers['id']}", headers=rep.headers)).status_code == 404
    assert (await client.get(f"/api/leads/{unowned['id']}", headers=rep.headers)).status_code == 200
    assert (await _page(client, manager, status="hot"))["total"] == 3


@pytest.mark.postgres_only
async def test_hot_list_pages_are_read_in_index_order(session: AsyncSession, team: dict[Role, Member]) -> None:
    """Both the first page and a cursor page of the default hot list must be
    served by ix_contacts_workspace_temperature_contact without a sort: with
    sorting and sequential scans priced out, any other plan shows a Sort node."""
    admin = team[Role.ADMIN]
    now = utcnow()
    for i in range(6):
        session.add(
            Contact(
                workspace_id=admin.workspace_id,
                email=f"hot{i}@example.com",
                temperature=Temperature.HOT,
                last_contact_at=now - timedelta(hours=i) if i % 3 else None,
            )
        )
    await session.flush()
    connection = await session.connection()
    # Realistic proportions: hot leads are a minority among cold ones, so an
    # index that only orders (without the temperature) would have to filter.
    await connection.execute(
        text(
            "INSERT INTO contacts (id, workspace_id, email, temperature, last_contact_at)"
            " SELECT gen_random_uuid(), :workspace, 'cold' || n || '@example.com', 'cold', now() - n * interval '1 minute'"
            " FROM generate_series(1, 5000) AS n"
        ),
        {"workspace": admin.workspace_id},
    )
    await connection.execute(text("ANALYZE contacts"))
    await connection.execute(text("SET LOCAL enable_sort = off"))
    await connection.execute(text("SET LOCAL enable_seqscan = off"))

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(connection.sync_connection, "before_cursor_execute", capture)
    try:
        repository = LeadRepository(session, admin.principal)
        first = await repository.list(statuses=[Temperature.HOT], sort=None, limit=2, cursor=None)
        deep = await repository.list(statuses=[Temperature.HOT], sort=None, limit=2, cursor=first.next_cursor)
        last = await repository.list(statuses=[Temperature.HOT], sort=None, limit=2, cursor=deep.next_cursor)
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", capture)
    assert len(first.items + deep.items + last.items) == 6

    assert len(captured) >= 3
    for statement, parameters in captured:
        plan = "\n".join((await connection.exec_driver_sql("EXPLAIN " + statement, parameters)).scalars())
        assert "ix_contacts_workspace_temperature_contact" in plan, plan
        assert "Sort" not in plan, plan

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from inbox.core.db import utcnow
from inbox.core.principal import Role
from tests.api.paging import walk_pages
from tests.factories import Member

Client = AsyncTestClient[Litestar]


async def _activity(client: Client, member: Member, **fields: Any) -> dict[str, Any]:
    fields.setdefault("type", "note")
    response = await client.post("/api/activities", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _ids(client: Client, member: Member, **params: Any) -> list[str]:
    response = await client.get("/api/activities", params={"limit": 200, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_create_get_update_delete(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    contact = (await client.post("/api/contacts", json={"email": "a@example.com"}, headers=admin.headers)).json()
    before = utcnow()
    note = await _activity(client, admin, body="Met at the fair", contact_id=contact["id"])
    assert note["user_id"] == str(admin.user.id)
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(note["occurred_at"]) <= utcnow()
    assert (note["type"], note["contact_id"], note["data"]) == ("note", contact["id"], {})

    occurred = datetime(2024, 3, 5, 14, 0).astimezone()
    call = await _activity(
        client,
        admin,
        type="call",
        subject="Intro",
        duration_minutes=25,
        outcome="interested",
        occurred_at=occurred.isoformat(),
        data={"recording": "r1"},
    )
    assert datetime.fromisoformat(call["occurred_at"]) == occurred
    assert (call["duration_minutes"], call["outcome"]) == (25, "interested")

    updated = await client.patch(
        f"/api/activities/{call['id']}", json={"duration_minutes": 30, "outcome": None}, headers=admin.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["duration_minutes"], updated.json()["outcome"], updated.json()["subject"]) == (
        30,
        None,
        "Intro",
    )
    assert (await client.get(f"/api/activities/{call['id']}", headers=admin.headers)).json()["duration_minutes"] == 30
    assert (await client.delete(f"/api/activities/{call['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/activities/{call['id']}", headers=admin.headers)).status_code == 404


async def test_errors(client: Client, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    admin, other = team[Role.ADMIN], rival[Role.ADMIN]
    assert (await client.get("/api/activities")).status_code == 401
    rival_contact = (await client.post("/api/contacts", json={"email": "r@example.com"}, headers=other.headers)).json()
    rival_account = (await client.post("/api/accounts", json={"name": "R"}, headers=other.headers)).json()

    async def refused(body: dict[str, Any], field: str) -> None:
        response = await client.post("/api/activities", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text

    await refused({"subject": "no type"}, "type")
    await refused({"type": "lunch"}, "type")
    await refused({"type": "call", "duration_minutes": -1}, "duration_minutes")
    await refused({"type": "call", "occurred_at": "2024-01-01T10:00:00"}, "occurred_at")
    await refused({"type": "note", "contact_id": rival_contact["id"]}, "contact_id: no such contact")
    await refused({"type": "note", "account_id": rival_account["id"]}, "account_id: no such account")
    await refused({"type": "note", "user_id": str(other.user.id)}, "user_id")
    await refused({"type": "note", "workspace_id": str(other.workspace_id)}, "workspace_id")

    note = await _activity(client, admin)
    for body, field in [({"type": None}, "type"), ({"occurred_at": None}, "occurred_at"), ({"data": None}, "data")]:
        response = await client.patch(f"/api/activities/{note['id']}", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text
    assert (await client.get(f"/api/activities/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/activities/{note['id']}", headers=other.headers)).status_code == 404
    assert (
        await client.patch(f"/api/activities/{note['id']}", json={"body": "x"}, headers=other.headers)
    ).status_code == 404
    assert await _ids(client, other) == []
    naive = await client.get("/api/activities", params={"occurred_after": "2024-01-01T00:00:00"}, headers=admin.headers)
    assert naive.status_code == 400
    assert "occurred_after" in naive.json()["detail"]
    naive_before = await client.get(
        "/api/activities", params={"occurred_before": "2024-01-01T00:00:00"}, headers=admin.headers
    )
    assert naive_before.status_code == 400
    assert (await client.get("/api/activities", params={"sort": "type"}, headers=admin.headers)).status_code == 400


async def test_timeline_filters(client: Client, team: dict[Role, Member]) -> None:
    admin, manager = team[Role.ADMIN], team[Role.MANAGER]
    account = (await client.post("/api/accounts", json={"name": "Acme"}, headers=admin.headers)).json()
    contact = (
        await client.post(
            "/api/contacts", json={"email": "c@example.com", "account_id": account["id"]}, headers=admin.headers
        )
    ).json()
    now = utcnow()
    call = await _activity(
        client,
        admin,
        type="call",
        contact_id=contact["id"],
        account_id=account["id"],
        occurred_at=(now - timedelta(days=2)).isoformat(),
    )
    meeting = await _activity(client, manager, type="meeting", account_id=account["id"], occurred_at=now.isoformat())
    email = await _activity(
        client, admin, type="email", contact_id=contact["id"], occurred_at=(now - timedelta(days=1)).isoformat()
    )
    await _activity(client, admin, type="note")

    assert await _ids(client, admin, contact_id=contact["id"]) == [email["id"], call["id"]]
    assert await _ids(client, admin, account_id=account["id"]) == [meeting["id"], call["id"]]
    assert await _ids(client, admin, type="meeting") == [meeting["id"]]
    assert await _ids(client, admin, user_id=str(manager.user.id)) == [meeting["id"]]
    window = await _ids(
        client, admin, occurred_after=(now - timedelta(days=1, hours=1)).isoformat(), occurred_before=now.isoformat()
    )
    assert window == [email["id"]]


async def test_sorts_and_cursor(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    now = utcnow()
    offsets = [5, 1, 3, 3, 0, 8, 2]
    created = [await _activity(client, admin, occurred_at=(now - timedelta(hours=h)).isoformat()) for h in offsets]

    async def walk(**params: Any) -> list[dict[str, Any]]:
        return await walk_pages(client, "/api/activities", headers=admin.headers, total=len(created), limit=3, **params)

    newest = await walk()
    moments = [datetime.fromisoformat(item["occurred_at"]) for item in newest]
    assert moments == sorted(moments, reverse=True)
    assert {item["id"] for item in newest} == {item["id"] for item in created}
    assert [item["id"] for item in await walk(sort="occurred_at")] == [item["id"] for item in newest][::-1]
    by_creation = [item["id"] for item in await walk(sort="created_at")]
    assert by_creation == [item["id"] for item in await walk(sort="-created_at")][::-1]


async def test_sales_rep_sees_own_and_unowned_only(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    mine = await _activity(client, rep)
    assert mine["user_id"] == str(rep.user.id)
    unowned = await _activity(client, admin, user_id=None)
    managers = await _activity(client, manager)

    assert set(await _ids(client, rep)) == {mine["id"], unowned["id"]}
    assert (await client.get(f"/api/activities/{managers['id']}", headers=rep.headers)).status_code == 404
    assert (await client.delete(f"/api/activities/{managers['id']}", headers=rep.headers)).status_code == 404
    as_other = await client.post(
        "/api/activities", json={"type": "note", "user_id": str(admin.user.id)}, headers=rep.headers
    )
    assert as_other.status_code == 403
    assert len(await _ids(client, manager)) == 3
    logged_for_rep = await _activity(client, manager, user_id=str(rep.user.id))
    assert (await client.get(f"/api/activities/{logged_for_rep['id']}", headers=rep.headers)).status_code == 200

from __future__ import annotations

import uuid

from httpx import AsyncClient as Client

from inbox.core.principal import Role
from tests.api.paging import walk_pages
from tests.factories import Member


async def test_create_get_update_delete(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    created = await client.post(
        "/api/accounts",
        json={"name": "Acme Corp", "domain": "ACME.example", "employee_count": 120, "custom_fields": {"tier": "gold"}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["domain"] == "acme.example"
    assert body["owner_id"] == str(admin.user.id)
    assert body["custom_fields"] == {"tier": "gold"}

    fetched = await client.get(f"/api/accounts/{body['id']}", headers=admin.headers)
    assert fetched.json()["name"] == "Acme Corp"

    updated = await client.patch(f"/api/accounts/{body['id']}", json={"industry": "Dairy"}, headers=admin.headers)
    assert updated.status_code == 200
    assert updated.json()["industry"] == "Dairy"
    assert updated.json()["name"] == "Acme Corp"

    deleted = await client.delete(f"/api/accounts/{body['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/accounts/{body['id']}", headers=admin.headers)
    assert gone.status_code == 404


async def test_errors(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    assert (await client.get("/api/accounts")).status_code == 401
    missing = await client.post("/api/accounts", json={"domain": "x.example"}, headers=admin.headers)
    assert missing.status_code == 400
    assert "name" in missing.text
    bad_domain = await client.post("/api/accounts", json={"name": "X", "domain": "not a domain"}, headers=admin.headers)
    assert bad_domain.status_code == 400
    assert "domain" in bad_domain.text
    unknown_field = await client.post("/api/accounts", json={"name": "X", "colour": "red"}, headers=admin.headers)
    assert unknown_field.status_code == 400
    nul = await client.post("/api/accounts", json={"name": "X\x00"}, headers=admin.headers)
    assert nul.status_code == 400
    assert (
        await client.post("/api/accounts", json={"name": "A", "domain": "a.example"}, headers=admin.headers)
    ).status_code == 201
    duplicate = await client.post("/api/accounts", json={"name": "B", "domain": "a.example"}, headers=admin.headers)
    assert duplicate.status_code == 409
    assert "domain" in duplicate.json()["detail"]
    assert (await client.get(f"/api/accounts/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    cleared = await client.get("/api/accounts", headers=admin.headers)
    account_id = cleared.json()["items"][0]["id"]
    null_name = await client.patch(f"/api/accounts/{account_id}", json={"name": None}, headers=admin.headers)
    assert null_name.status_code == 400
    bad_owner = await client.patch(
        f"/api/accounts/{account_id}", json={"owner_id": str(uuid.uuid4())}, headers=admin.headers
    )
    assert bad_owner.status_code == 400
    assert (await client.get("/api/accounts?sort=colour", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/accounts?cursor=garbage", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/accounts?limit=0", headers=admin.headers)).status_code == 400


async def test_list_filters_sort_and_cursor(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    names = [f"Company {i:02d}" for i in range(25)]
    for name in reversed(names):
        response = await client.post(
            "/api/accounts",
            json={"name": name, "industry": "Retail" if "1" in name else "Media"},
            headers=admin.headers,
        )
        assert response.status_code == 201

    pages = await walk_pages(client, "/api/accounts", headers=admin.headers, total=25, limit=10)
    seen = [item["name"] for item in pages]
    assert seen == names

    descending = (await client.get("/api/accounts", params={"sort": "-name", "limit": 3}, headers=admin.headers)).json()
    assert [item["name"] for item in descending["items"]] == names[::-1][:3]
    wrong_sort = await client.get(
        "/api/accounts", params={"sort": "created_at", "cursor": descending["next_cursor"]}, headers=admin.headers
    )
    assert wrong_sort.status_code == 400

    retail = (await client.get("/api/accounts", params={"industry": "retail"}, headers=admin.headers)).json()
    assert retail["total"] == sum("1" in name for name in names)
    searched = (await client.get("/api/accounts", params={"q": "ANY 2"}, headers=admin.headers)).json()
    assert {item["name"] for item in searched["items"]} == {n for n in names if "any 2" in n.lower()}


async def test_sales_rep_sees_own_and_unowned_only(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    mine = (await client.post("/api/accounts", json={"name": "Rep's"}, headers=rep.headers)).json()
    assert mine["owner_id"] == str(rep.user.id)
    unowned = (
        await client.post("/api/accounts", json={"name": "Nobody's", "owner_id": None}, headers=admin.headers)
    ).json()
    managers = (await client.post("/api/accounts", json={"name": "Manager's"}, headers=manager.headers)).json()

    rep_view = (await client.get("/api/accounts", headers=rep.headers)).json()
    assert {item["id"] for item in rep_view["items"]} == {mine["id"], unowned["id"]}
    assert (await client.get(f"/api/accounts/{managers['id']}", headers=rep.headers)).status_code == 404
    assert (
        await client.patch(f"/api/accounts/{managers['id']}", json={"name": "x"}, headers=rep.headers)
    ).status_code == 404
    assert (await client.delete(f"/api/accounts/{managers['id']}", headers=rep.headers)).status_code == 404
    give_away = await client.patch(
        f"/api/accounts/{mine['id']}", json={"owner_id": str(manager.user.id)}, headers=rep.headers
    )
    assert give_away.status_code == 403

    manager_view = (await client.get("/api/accounts", headers=manager.headers)).json()
    assert manager_view["total"] == 3
    reassigned = await client.patch(
        f"/api/accounts/{managers['id']}", json={"owner_id": str(rep.user.id)}, headers=manager.headers
    )
    assert reassigned.status_code == 200
    assert (await client.get(f"/api/accounts/{managers['id']}", headers=rep.headers)).status_code == 200

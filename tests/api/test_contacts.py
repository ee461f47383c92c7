from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.core.principal import Role
from tests.api.paging import walk_pages
from tests.factories import Member

Client = AsyncTestClient[Litestar]


async def _contact(client: Client, member: Member, **fields: Any) -> dict[str, Any]:
    fields.setdefault("email", f"c-{uuid.uuid4().hex[:10]}@example.com")
    response = await client.post("/api/contacts", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _ids(client: Client, member: Member, **params: Any) -> list[str]:
    response = await client.get("/api/contacts", params={"limit": 200, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_create_get_update_delete(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    account = (await client.post("/api/accounts", json={"name": "Acme"}, headers=admin.headers)).json()
    body = await _contact(
        client,
        admin,
        email="Jane.Doe@Example.COM",
        first_name="Jane",
        last_name="Doe",
        title="CTO",
        timezone="Europe/Paris",
        account_id=account["id"],
        status="interested",
        temperature="warm",
        tags=["vip", "beta", "vip"],
        custom_fields={"plan": "pro"},
        source="import",
    )
    assert body["email"] == "jane.doe@example.com"
    assert body["full_name"] == "Jane Doe"
    assert body["tags"] == ["vip", "beta"]
    assert body["owner_id"] == str(admin.user.id)
    assert body["account_id"] == account["id"]
    assert body["days_since_contact"] is None
    assert (body["status"], body["temperature"], body["timezone"]) == ("interested", "warm", "Europe/Paris")
    assert body["unsubscribed"] is False
    assert body["unsubscribed_at"] is None

    fetched = await client.get(f"/api/contacts/{body['id']}", headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json()["custom_fields"] == {"plan": "pro"}

    updated = await client.patch(
        f"/api/contacts/{body['id']}", json={"unsubscribed": True, "last_name": None}, headers=admin.headers
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["unsubscribed_at"] is not None
    assert updated.json()["full_name"] == "Jane"
    assert updated.json()["title"] == "CTO"
    resubscribed = await client.patch(
        f"/api/contacts/{body['id']}", json={"unsubscribed": False}, headers=admin.headers
    )
    assert resubscribed.json()["unsubscribed_at"] is None

    assert (await client.delete(f"/api/contacts/{body['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/contacts/{body['id']}", headers=admin.headers)).status_code == 404


async def test_errors(client: Client, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    assert (await client.get("/api/contacts")).status_code == 401
    assert (await client.post("/api/contacts", json={"email": "a@example.com"})).status_code == 401

    async def refused(body: dict[str, Any], field: str) -> None:
        response = await client.post("/api/contacts", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text

    await refused({"first_name": "No Email"}, "email")
    await refused({"email": "not-an-email"}, "email")
    await refused({"email": "a@example.com", "timezone": "Mars/Olympus"}, "timezone")
    await refused({"email": "a@example.com", "timezone": "../../etc/passwd"}, "timezone")
    await refused({"email": "a@example.com", "tags": [f"t{i}" for i in range(51)]}, "tags")
    await refused({"email": "a@example.com", "tags": [""]}, "tags")
    await refused({"email": "a@example.com", "status": "sleeping"}, "status")
    await refused({"email": "a@example.com", "temperature": "lukewarm"}, "temperature")
    await refused({"email": "a@example.com", "workspace_id": str(uuid.uuid4())}, "workspace_id")
    await refused({"email": "a@example.com", "owner_id": str(rival[Role.ADMIN].user.id)}, "owner_id")
    rival_account = (
        await client.post("/api/accounts", json={"name": "Rival"}, headers=rival[Role.ADMIN].headers)
    ).json()
    await refused({"email": "a@example.com", "account_id": rival_account["id"]}, "account_id")

    fifty_with_repeats = [f"t{i % 50}" for i in range(80)]
    contact = await _contact(client, admin, email="a@example.com", tags=fifty_with_repeats)
    assert len(contact["tags"]) == 50
    duplicate = await client.post("/api/contacts", json={"email": "A@example.com"}, headers=admin.headers)
    assert duplicate.status_code == 409
    assert "email" in duplicate.json()["detail"]
    other = await _contact(client, admin, email="b@example.com")
    renamed = await client.patch(f"/api/contacts/{other['id']}", json={"email": "a@example.com"}, headers=admin.headers)
    assert renamed.status_code == 409
    assert (
        await client.patch(f"/api/contacts/{other['id']}", json={"email": None}, headers=admin.headers)
    ).status_code == 400
    assert (
        await client.patch(f"/api/contacts/{other['id']}", json={"tags": None}, headers=admin.headers)
    ).status_code == 400
    bad_zone = await client.patch(f"/api/contacts/{other['id']}", json={"timezone": "Nowhere"}, headers=admin.headers)
    assert bad_zone.status_code == 400
    assert "timezone" in bad_zone.text
    bad_account = await client.patch(
        f"/api/contacts/{other['id']}", json={"account_id": str(uuid.uuid4())}, headers=admin.headers
    )
    assert bad_account.status_code == 400
    assert "account_id: no such account" in bad_account.text

    assert (await client.get(f"/api/contacts/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/contacts/{contact['id']}", headers=rival[Role.ADMIN].headers)).status_code == 404
    assert (
        await client.patch(f"/api/contacts/{contact['id']}", json={"title": "x"}, headers=rival[Role.ADMIN].headers)
    ).status_code == 404
    assert (await client.delete(f"/api/contacts/{contact['id']}", headers=rival[Role.ADMIN].headers)).status_code == 404
    assert await _ids(client, rival[Role.ADMIN]) == []
    assert (await client.get("/api/contacts?sort=phone", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/contacts?cursor=garbage", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/contacts?status=sleeping", headers=admin.headers)).status_code == 400


async def test_same_email_in_two_workspaces(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    await _contact(client, team[Role.ADMIN], email="shared@example.com")
    await _contact(client, rival[Role.ADMIN], email="shared@example.com")


async def test_days_since_contact(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin = team[Role.ADMIN]
    contact = await _contact(client, admin)
    await session.execute(
        update(Contact)
        .where(Contact.id == uuid.UUID(contact["id"]))
        .values(last_contact_at=utcnow() - timedelta(days=3, hours=2))
    )
    await session.commit()
    fetched = (await client.get(f"/api/contacts/{contact['id']}", headers=admin.headers)).json()
    assert fetched["days_since_contact"] == 3


async def test_filters(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    account = (await client.post("/api/accounts", json={"name": "Initech"}, headers=admin.headers)).json()
    peter = await _contact(
        client,
        admin,
        email="peter@initech.example",
        first_name="Peter",
        last_name="Gibbons",
        account_id=account["id"],
        tags=["vip", "q3"],
        temperature="hot",
        status="qualified",
    )
    samir = await _contact(
        client,
        admin,
        email="samir_n@initech.example",
        first_name="Samir",
        last_name="Nagheenanajar",
        tags=["vip"],
        unsubscribed=True,
        temperature="warm",
    )
    milton = await _contact(
        client, rep, email="milton@example.com", first_name="Milton", last_name="Waddams", bounced=True, tags=["q3"]
    )
    percent = await _contact(client, admin, email="hundred@example.com", first_name="100%", last_name="Sure")
    await session.execute(update(Contact).where(Contact.id == uuid.UUID(milton["id"])).values(has_ai_draft=True))
    await session.commit()

    assert set(await _ids(client, admin, q="GIBB")) == {peter["id"]}
    assert set(await _ids(client, admin, q="peter gibbons")) == {peter["id"]}
    assert set(await _ids(client, admin, q="initech.example")) == {peter["id"], samir["id"]}
    assert set(await _ids(client, admin, q="samir_")) == {samir["id"]}
    assert set(await _ids(client, admin, q="r_n")) == {samir["id"]}
    assert set(await _ids(client, admin, q="100%")) == {percent["id"]}
    assert set(await _ids(client, admin, q="0% s")) == {percent["id"]}
    assert set(await _ids(client, admin, q="%")) == {percent["id"]}
    assert set(await _ids(client, admin, q="_")) == {samir["id"]}
    assert await _ids(client, admin, q="\\") == []
    assert set(await _ids(client, admin, tag="vip")) == {peter["id"], samir["id"]}
    assert set(await _ids(client, admin, tag=["vip", "q3"])) == {peter["id"]}
    assert await _ids(client, admin, tag=["nope"]) == []
    assert set(await _ids(client, admin, temperature="hot")) == {peter["id"]}
    assert set(await _ids(client, admin, temperature=["hot", "warm"])) == {peter["id"], samir["id"]}
    assert set(await _ids(client, admin, status="qualified")) == {peter["id"]}
    assert set(await _ids(client, admin, account_id=account["id"])) == {peter["id"]}
    assert set(await _ids(client, admin, owner_id=str(rep.user.id))) == {milton["id"]}
    assert set(await _ids(client, admin, unsubscribed="true")) == {samir["id"]}
    assert set(await _ids(client, admin, bounced="true")) == {milton["id"]}
    assert set(await _ids(client, admin, has_ai_draft="true")) == {milton["id"]}
    assert set(await _ids(client, admin, has_ai_draft="false")) == {peter["id"], samir["id"], percent["id"]}
    total = (await client.get("/api/contacts", params={"tag": "vip", "limit": 1}, headers=admin.headers)).json()
    assert total["total"] == 2
    assert len(total["items"]) == 1


async def test_sorts_and_cursor(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin = team[Role.ADMIN]
    created = [
        await _contact(client, admin, email=f"p{i:02d}@example.com", last_name=["Zed", "adams", None, "Brown"][i % 4])
        for i in range(13)
    ]
    now = utcnow()
    for i, contact in enumerate(created):
        if i % 3:
            await session.execute(
                update(Contact)
                .where(Contact.id == uuid.UUID(contact["id"]))
                .values(last_contact_at=now - timedelta(hours=i))
            )
    await session.commit()

    async def walk(sort: str) -> list[dict[str, Any]]:
        return await walk_pages(
            client, "/api/contacts", headers=admin.headers, total=13, max_pages=10, limit=4, sort=sort
        )

    emails = [item["email"] for item in await walk("email")]
    assert emails == sorted(c["email"] for c in created)
    assert [item["email"] for item in await walk("-email")] == emails[::-1]
    names = [(item["last_name"] or "").lower() for item in await walk("last_name")]
    assert names == sorted(names)
    assert len(names) == 13
    recent = await walk("-last_contact_at")
    dated = [item for item in recent if item["last_contact_at"] is not None]
    assert [item["last_contact_at"] for item in dated] == sorted(
        (item["last_contact_at"] for item in dated), reverse=True
    )
    assert all(item["last_contact_at"] is None for item in recent[len(dated) :])
    assert len({item["id"] for item in recent}) == 13
    newest_first = [item["id"] for item in await walk("-created_at")]
    assert newest_first == [item["id"] for item in await walk("created_at")][::-1]
    default = (await client.get("/api/contacts", params={"limit": 13}, headers=admin.headers)).json()
    assert [item["id"] for item in default["items"]] == newest_first


async def test_sales_rep_sees_own_and_unowned_only(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    mine = await _contact(client, rep)
    assert mine["owner_id"] == str(rep.user.id)
    unowned = await _contact(client, admin, owner_id=None)
    managers = await _contact(client, manager)

    assert set(await _ids(client, rep)) == {mine["id"], unowned["id"]}
    assert (await client.get(f"/api/contacts/{managers['id']}", headers=rep.headers)).status_code == 404
    assert (
        await client.patch(f"/api/contacts/{managers['id']}", json={"title": "x"}, headers=rep.headers)
    ).status_code == 404
    assert (await client.delete(f"/api/contacts/{managers['id']}", headers=rep.headers)).status_code == 404
    give_away = await client.patch(
        f"/api/contacts/{mine['id']}", json={"owner_id": str(manager.user.id)}, headers=rep.headers
    )
    assert give_away.status_code == 403
    managers_account = (await client.post("/api/accounts", json={"name": "M"}, headers=manager.headers)).json()
    hidden_account = await client.patch(
        f"/api/contacts/{mine['id']}", json={"account_id": managers_account["id"]}, headers=rep.headers
    )
    assert hidden_account.status_code == 400
    assert "account_id" in hidden_account.text

    assert len(await _ids(client, manager)) == 3
    reassigned = await client.patch(
        f"/api/contacts/{managers['id']}", json={"owner_id": str(rep.user.id)}, headers=manager.headers
    )
    assert reassigned.status_code == 200
    assert (await client.get(f"/api/contacts/{managers['id']}", headers=rep.headers)).status_code == 200


async def test_change_tags(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    contact = await _contact(client, admin, tags=["a", "b", "c"])
    changed = await client.post(
        f"/api/contacts/{contact['id']}/tags",
        json={"add": ["d", "a", "d"], "remove": ["b", "zz"]},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["tags"] == ["a", "c", "d"]
    too_many = await client.post(
        f"/api/contacts/{contact['id']}/tags", json={"add": [f"n{i}" for i in range(48)]}, headers=admin.headers
    )
    assert too_many.status_code == 400
    assert "tags" in too_many.text
    assert (await client.get(f"/api/contacts/{contact['id']}", headers=admin.headers)).json()["tags"] == ["a", "c", "d"]
    hidden = await _contact(client, manager)
    assert (
        await client.post(f"/api/contacts/{hidden['id']}/tags", json={"add": ["x"]}, headers=rep.headers)
    ).status_code == 404
    assert (
        await client.post(f"/api/contacts/{hidden['id']}/tags", json={"add": ["x"], "colour": 1}, headers=admin.headers)
    ).status_code == 400

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from tests.factories import Member, workspace_of

Client = httpx.AsyncClient


async def test_any_member_reads_their_workspace(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    for member in team.values():
        response = await client.get("/api/workspace", headers=member.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == str(team[Role.ADMIN].workspace_id)
        assert set(body) == {"id", "name", "slug", "domain", "plan", "settings", "created_at", "updated_at"}
    theirs = await client.get("/api/workspace", headers=rival[Role.SALES_REP].headers)
    assert theirs.json()["id"] == str(rival[Role.ADMIN].workspace_id)
    assert (await client.get("/api/workspace")).status_code == 401


async def test_admin_updates_the_workspace(
    client: Client, session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    admin = team[Role.ADMIN]
    response = await client.patch(
        "/api/workspace",
        json={"name": "  Acme Sales  ", "domain": "ACME.example", "settings": {"week_starts_on": "monday"}},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["domain"], body["settings"]) == (
        "Acme Sales",
        "acme.example",
        {"week_starts_on": "monday"},
    )
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(body["created_at"])

    partial = await client.patch("/api/workspace", json={"domain": None}, headers=admin.headers)
    assert (partial.json()["name"], partial.json()["domain"]) == ("Acme Sales", None)
    stored = await workspace_of(session, admin)
    await session.refresh(stored)
    assert stored.name == "Acme Sales" and stored.settings == {"week_starts_on": "monday"}
    untouched = await workspace_of(session, rival[Role.ADMIN])
    assert untouched.name != "Acme Sales"


async def test_workspace_update_errors(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    for role in (Role.MANAGER, Role.SALES_REP):
        forbidden = await client.patch("/api/workspace", json={"name": "Mine now"}, headers=team[role].headers)
        assert forbidden.status_code == 403
    assert (await client.patch("/api/workspace", json={"name": "X"})).status_code == 401
    for body, field in (
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"domain": "not a domain"}, "domain"),
        ({"settings": None}, "settings"),
        ({"plan": "enterprise"}, "plan"),
        ({"slug": "taken"}, "slug"),
    ):
        response = await client.patch("/api/workspace", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text

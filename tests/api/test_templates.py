from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.templates.models import EmailTemplate
from tests.api.paging import walk_pages
from tests.factories import Member

Client = AsyncTestClient[Litestar]


def template(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "subject": "Hello {{first_name}}",
        "body": "Hi {{ first_name|there }}, {{sender.name}}",
        **extra,
    }


async def create(client: Client, member: Member, name: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/templates", json=template(name, **extra), headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_get_update_delete(client: Client, team: dict[Role, Member]) -> None:
    rep = team[Role.SALES_REP]
    created = await create(client, rep, "Intro", category="  Follow-Up ", tone="friendly")
    assert created["created_by_id"] == str(rep.user.id)
    assert created["category"] == "follow_up"
    assert created["tone"] == "friendly"
    assert created["is_default"] is False
    assert created["variables"] == ["first_name", "sender.name"]

    url = f"/api/templates/{created['id']}"
    fetched = await client.get(url, headers=rep.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    updated = await client.patch(url, json={"body": "Plain {{company}}"}, headers=rep.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["variables"] == ["first_name", "company"]
    assert updated.json()["subject"] == "Hello {{first_name}}"

    defaults = await client.post("/api/templates", json={"name": "Bare", "body": "x"}, headers=rep.headers)
    assert defaults.status_code == 201
    assert (defaults.json()["subject"], defaults.json()["tone"], defaults.json()["category"]) == (
        "",
        "professional",
        "general",
    )
    assert defaults.json()["variables"] == []

    assert (await client.delete(url, headers=rep.headers)).status_code == 204
    assert (await client.get(url, headers=rep.headers)).status_code == 404


async def test_errors(client: Client, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    assert (await client.get("/api/templates")).status_code == 401
    assert (await client.post("/api/templates", json=template("x"))).status_code == 401
    for body, field in [
        ({"subject": "s", "body": "b"}, "name"),
        ({"name": "n"}, "body"),
        (template("n", body=""), "body"),
        (template("n", tone="angry"), "tone"),
        (template("n", category="follow/up"), "category"),
        (template("n", category="x" * 65), "category"),
        (template("n", subject="Hi\r\nBcc: victim@example.com"), "subject"),
        (template("n", colour="red"), "colour"),
        (template("n\x00"), "name"),
    ]:
        response = await client.post("/api/templates", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text

    first = await create(client, admin, "Follow up")
    duplicate = await client.post("/api/templates", json=template("Follow up"), headers=admin.headers)
    assert duplicate.status_code == 409
    assert "name" in duplicate.json()["detail"]
    await create(client, rival[Role.ADMIN], "Follow up")  # names are unique per workspace only
    other = await create(client, admin, "Other")
    renamed = await client.patch(f"/api/templates/{other['id']}", json={"name": "Follow up"}, headers=admin.headers)
    assert renamed.status_code == 409

    url = f"/api/templates/{first['id']}"
    for field in ("name", "body", "subject", "tone", "category", "is_default"):
        nulled = await client.patch(url, json={field: None}, headers=admin.headers)
        assert nulled.status_code == 400, field
        assert field in nulled.text

    unknown = f"/api/templates/{uuid.uuid4()}"
    assert (await client.get(unknown, headers=admin.headers)).status_code == 404
    assert (await client.patch(unknown, json={}, headers=admin.headers)).status_code == 404
    assert (await client.delete(unknown, headers=admin.headers)).status_code == 404
    assert (await client.post(f"{unknown}/preview", json={}, headers=admin.headers)).status_code == 404
    theirs = (await client.get("/api/templates", headers=rival[Role.ADMIN].headers)).json()["items"][0]["id"]
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, f"/api/templates/{theirs}", json={} if method == "PATCH" else None, headers=admin.headers
        )
        assert response.status_code == 404, method
    assert (await client.get("/api/templates?sort=body", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/templates?cursor=garbage", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/templates?tone=angry", headers=admin.headers)).status_code == 400


async def test_reps_read_all_but_change_only_their_own(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    admins = await create(client, admin, "Admin's")
    reps = await create(client, rep, "Rep's")

    listed = (await client.get("/api/templates", headers=rep.headers)).json()
    assert {item["name"] for item in listed["items"]} == {"Admin's", "Rep's"}
    assert (await client.get(f"/api/templates/{admins['id']}", headers=rep.headers)).status_code == 200

    others = f"/api/templates/{admins['id']}"
    refused = await client.patch(others, json={"subject": "mine now"}, headers=rep.headers)
    assert refused.status_code == 403
    assert "created" in refused.json()["detail"]
    assert (await client.delete(others, headers=rep.headers)).status_code == 403
    assert (await client.get(others, headers=rep.headers)).json()["subject"] == admins["subject"]

    own = f"/api/templates/{reps['id']}"
    assert (await client.patch(own, json={"tone": "casual"}, headers=rep.headers)).status_code == 200
    assert (await client.patch(own, json={"tone": "formal"}, headers=manager.headers)).status_code == 200
    assert (await client.patch(others, json={"tone": "formal"}, headers=manager.headers)).status_code == 200
    assert (await client.delete(own, headers=manager.headers)).status_code == 204


async def test_one_default_per_category(client: Client, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    first = await create(client, admin, "First", category="intro", is_default=True)
    second = await create(client, admin, "Second", category="intro", is_default=True)
    other_category = await create(client, admin, "Breakup", category="breakup", is_default=True)
    their_intro = await create(client, rival[Role.ADMIN], "Theirs", category="intro", is_default=True)

    async def default_names(member: Member = admin) -> set[str]:
        page = await client.get("/api/templates", params={"is_default": "true"}, headers=member.headers)
        return {item["name"] for item in page.json()["items"]}

    assert await default_names() == {"Second", "Breakup"}
    assert await default_names(rival[Role.ADMIN]) == {"Theirs"}

    again = await client.patch(f"/api/templates/{first['id']}", json={"is_default": True}, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert await default_names() == {"First", "Breakup"}
    still = await client.patch(f"/api/templates/{first['id']}", json={"is_default": True}, headers=admin.headers)
    assert still.status_code == 200

    # A default moving to another category replaces that category's default.
    moved = await client.patch(f"/api/templates/{first['id']}", json={"category": "Breakup"}, headers=admin.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["is_default"] is True
    assert await default_names() == {"First"}
    assert (await client.get(f"/api/templates/{other_category['id']}", headers=admin.headers)).json()[
        "is_default"
    ] is False

    unset = await client.patch(f"/api/templates/{first['id']}", json={"is_default": False}, headers=admin.headers)
    assert unset.json()["is_default"] is False
    assert await default_names() == set()
    assert (await client.get(f"/api/templates/{second['id']}", headers=admin.headers)).json()["is_default"] is False
    assert (await client.get(f"/api/templates/{their_intro['id']}", headers=rival[Role.ADMIN].headers)).json()[
        "is_default"
    ]


async def test_preview(client: Client, team: dict[Role, Member]) -> None:
    rep = team[Role.SALES_REP]
    created = await create(client, team[Role.ADMIN], "Preview", subject="Re: {{topic|your question}}")
    url = f"/api/templates/{created['id']}/preview"

    rendered = await client.post(
        url, json={"context": {"first_name": "Ada", "sender": {"name": "Max"}}}, headers=rep.headers
    )
    assert rendered.status_code == 200, rendered.text
    assert rendered.json() == {"subject": "Re: your question", "body": "Hi Ada, Max"}

    fallback_only = await client.post(url, json={"context": {"sender": {"name": "Max"}}}, headers=rep.headers)
    assert fallback_only.json()["body"] == "Hi there, Max"

    missing = await client.post(url, json={"context": {"first_name": "Ada"}}, headers=rep.headers)
    assert missing.status_code == 400
    assert missing.json()["extra"] == {"missing": ["sender.name"]}
    assert "sender.name" in missing.json()["detail"]
    empty = await client.post(url, json={}, headers=rep.headers)
    assert empty.status_code == 400
    assert empty.json()["extra"] == {"missing": ["sender.name"]}
    assert (await client.post(url, json={"context": "x"}, headers=rep.headers)).status_code == 400
    assert (await client.post(url, json={"context": {}})).status_code == 401


async def test_list_filters_sort_and_cursor(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    names = [f"Template {i:02d}" for i in range(12)]
    tones = ["professional", "friendly", "casual", "formal"]
    for i, name in enumerate(reversed(names)):
        await create(client, admin, name, tone=tones[i % 4], category="intro" if i % 2 else "meeting")
    await create(client, rival[Role.ADMIN], "Template 99")
    rows = (await session.execute(select(EmailTemplate.id, EmailTemplate.name))).all()
    base = datetime(2030, 1, 1, tzinfo=UTC)
    for row in rows:
        if row.name in names:
            position = names.index(row.name)
            await session.execute(
                update(EmailTemplate)
                .where(EmailTemplate.id == row.id)
                .values(created_at=base + timedelta(minutes=position), updated_at=base - timedelta(minutes=position))
            )
    await session.commit()

    pages = await walk_pages(client, "/api/templates", headers=admin.headers, total=12, limit=5)
    seen = [item["name"] for item in pages]
    assert seen == names

    async def listed(**params: str | int) -> list[str]:
        response = await client.get("/api/templates", params={"limit": 200, **params}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await listed(sort="-name") == names[::-1]
    assert await listed(sort="created_at") == names
    assert await listed(sort="updated_at") == names[::-1]
    assert await listed(sort="-updated_at", limit=2) == names[:2]
    intro = [name for i, name in enumerate(reversed(names)) if i % 2]
    assert await listed(category="INTRO") == sorted(intro)
    assert await listed(tone="casual") == sorted(name for i, name in enumerate(reversed(names)) if i % 4 == 2)
    assert await listed(q="late 1") == ["Template 10", "Template 11"]
    assert await listed(q="%") == []
    assert await listed(is_default="false") == names
    assert await listed(is_default="true") == []

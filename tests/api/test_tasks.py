from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionSource, ActionType
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.threads.models import EmailThread
from tests.api.paging import walk_pages
from tests.factories import Member

Client = AsyncTestClient[Litestar]


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def _task(client: Client, member: Member, **fields: Any) -> dict[str, Any]:
    fields.setdefault("title", f"task {uuid.uuid4().hex[:6]}")
    response = await client.post("/api/tasks", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _ids(client: Client, member: Member, **params: Any) -> list[str]:
    response = await client.get("/api/tasks", params={"limit": 200, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_create_complete_reopen_delete(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin = team[Role.ADMIN]
    contact = (await client.post("/api/contacts", json={"email": "t@example.com"}, headers=admin.headers)).json()
    account = (await client.post("/api/accounts", json={"name": "Acme"}, headers=admin.headers)).json()
    thread = EmailThread(workspace_id=admin.workspace_id, thread_identifier="<root@example.com>")
    session.add(thread)
    await session.commit()

    minimal = await _task(client, admin, title="Call back")
    assert (minimal["type"], minimal["source"], minimal["priority"], minimal["status"]) == (
        "task",
        "manual",
        "medium",
        "pending",
    )
    assert minimal["assigned_to_id"] == str(admin.user.id)
    assert minimal["created_by_id"] == str(admin.user.id)
    assert (minimal["due_at"], minimal["completed_at"]) == (None, None)

    due = datetime(2030, 5, 1, 9, 30).astimezone()
    full = await _task(
        client,
        admin,
        title="Send proposal",
        type="email",
        priority="urgent",
        description="v2",
        due_at=iso(due),
        contact_id=contact["id"],
        account_id=account["id"],
        thread_id=str(thread.id),
        data={"step": 2},
    )
    assert datetime.fromisoformat(full["due_at"]) == due
    assert (full["contact_id"], full["account_id"], full["thread_id"]) == (contact["id"], account["id"], str(thread.id))
    assert full["data"] == {"step": 2}

    completed = await client.patch(f"/api/tasks/{full['id']}", json={"status": "completed"}, headers=admin.headers)
    assert completed.status_code == 200, completed.text
    completed_at = completed.json()["completed_at"]
    assert completed_at is not None
    again = await client.patch(
        f"/api/tasks/{full['id']}", json={"status": "completed", "title": "Sent"}, headers=admin.headers
    )
    assert again.json()["completed_at"] == completed_at
    reopened = await client.patch(f"/api/tasks/{full['id']}", json={"status": "pending"}, headers=admin.headers)
    assert reopened.json()["completed_at"] is None
    assert reopened.json()["title"] == "Sent"
    done_at_birth = await _task(client, admin, status="completed")
    assert done_at_birth["completed_at"] is not None

    assert (await client.get(f"/api/tasks/{full['id']}", headers=admin.headers)).json()["status"] == "pending"
    assert (await client.delete(f"/api/tasks/{full['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/tasks/{full['id']}", headers=admin.headers)).status_code == 404


async def test_errors(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    other = rival[Role.ADMIN]
    assert (await client.get("/api/tasks")).status_code == 401
    rival_contact = (await client.post("/api/contacts", json={"email": "r@example.com"}, headers=other.headers)).json()
    rival_account = (await client.post("/api/accounts", json={"name": "R"}, headers=other.headers)).json()
    rival_thread = EmailThread(workspace_id=other.workspace_id, thread_identifier="<r@example.com>")
    session.add(rival_thread)
    await session.commit()

    async def refused(body: dict[str, Any], field: str) -> None:
        response = await client.post("/api/tasks", json={"title": "x", **body}, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text

    missing_title = await client.post("/api/tasks", json={"priority": "low"}, headers=admin.headers)
    assert missing_title.status_code == 400
    assert "title" in missing_title.text
    await refused({"title": ""}, "title")
    await refused({"source": "ai"}, "source")
    await refused({"priority": "critical"}, "priority")
    await refused({"status": "done"}, "status")
    await refused({"due_at": "2030-01-01T09:00:00"}, "due_at")
    await refused({"snoozed_until": "tomorrow"}, "snoozed_until")
    await refused({"contact_id": rival_contact["id"]}, "contact_id: no such contact")
    await refused({"account_id": rival_account["id"]}, "account_id: no such account")
    await refused({"thread_id": str(rival_thread.id)}, "thread_id: no such thread")
    await refused({"assigned_to_id": str(other.user.id)}, "assigned_to_id")

    task = await _task(client, admin)
    for body, field in [({"title": None}, "title"), ({"status": None}, "status"), ({"due_at": "2030-01-01"}, "due_at")]:
        response = await client.patch(f"/api/tasks/{task['id']}", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text
    assert (await client.get(f"/api/tasks/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/tasks/{task['id']}", headers=other.headers)).status_code == 404
    assert (await client.delete(f"/api/tasks/{task['id']}", headers=other.headers)).status_code == 404
    assert await _ids(client, other) == []

    naive = await client.get("/api/tasks", params={"due_before": "2030-01-01T00:00:00"}, headers=admin.headers)
    assert naive.status_code == 400
    assert "due_before" in naive.json()["detail"]
    assert "timezone" in naive.json()["detail"]
    naive_after = await client.get("/api/tasks", params={"due_after": "2030-01-01T00:00:00"}, headers=admin.headers)
    assert naive_after.status_code == 400
    assert (await client.get("/api/tasks", params={"due_after": "soon"}, headers=admin.headers)).status_code == 400
    bad_assignee = await client.get("/api/tasks", params={"assigned_to_id": "you"}, headers=admin.headers)
    assert bad_assignee.status_code == 400
    assert "assigned_to_id" in bad_assignee.text
    assert (await client.get("/api/tasks", params={"sort": "title"}, headers=admin.headers)).status_code == 400


async def test_filters(client: Client, team: dict[Role, Member], session: AsyncSession) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    now = utcnow()
    contact = (await client.post("/api/contacts", json={"email": "f@example.com"}, headers=admin.headers)).json()
    overdue = await _task(client, admin, due_at=iso(now - timedelta(days=1)), priority="high", contact_id=contact["id"])
    done_late = await _task(client, admin, due_at=iso(now - timedelta(days=2)), status="completed")
    upcoming = await _task(client, admin, due_at=iso(now + timedelta(days=1)), type="call")
    undated = await _task(client, admin)
    reps = await _task(client, rep, due_at=iso(now + timedelta(days=5)))
    ai = Action(
        workspace_id=admin.workspace_id,
        type=ActionType.REPLY,
        source=ActionSource.AI,
        title="Reply to Peter",
        assigned_to_id=admin.user.id,
    )
    session.add(ai)
    await session.commit()

    assert set(await _ids(client, admin, overdue="true")) == {overdue["id"]}
    assert set(await _ids(client, admin, overdue="false")) == {
        done_late["id"],
        upcoming["id"],
        undated["id"],
        reps["id"],
        str(ai.id),
    }
    assert set(await _ids(client, admin, status="completed")) == {done_late["id"]}
    assert set(await _ids(client, admin, type="call")) == {upcoming["id"]}
    assert set(await _ids(client, admin, source="ai")) == {str(ai.id)}
    assert len(await _ids(client, admin, source="manual")) == 5
    assert set(await _ids(client, admin, priority="high")) == {overdue["id"]}
    assert set(await _ids(client, admin, contact_id=contact["id"])) == {overdue["id"]}
    assert set(await _ids(client, admin, assigned_to_id=str(rep.user.id))) == {reps["id"]}
    assert set(await _ids(client, rep, assigned_to_id="me")) == {reps["id"]}
    assert len(await _ids(client, admin, assigned_to_id="ME")) == 5
    assert set(await _ids(client, admin, due_before=iso(now))) == {overdue["id"], done_late["id"]}
    assert set(await _ids(client, admin, due_after=iso(now), due_before=iso(now + timedelta(days=2)))) == {
        upcoming["id"]
    }
    offset = await _ids(client, admin, due_after=(now - timedelta(hours=30)).astimezone().isoformat())
    assert set(offset) == {overdue["id"], upcoming["id"], reps["id"]}


async def test_sorts_and_cursor(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    now = utcnow()
    specs = [("low", 3), ("urgent", None), ("medium", 1), ("high", 2), ("urgent", 1), ("low", None), ("high", 5)]
    tasks = [
        await _task(
            client, admin, priority=priority, due_at=iso(now + timedelta(days=days)) if days is not None else None
        )
        for priority, days in specs
    ]

    async def walk(**params: Any) -> list[dict[str, Any]]:
        return await walk_pages(client, "/api/tasks", headers=admin.headers, total=len(tasks), limit=2, **params)

    by_due = await walk()
    dated = [item["due_at"] for item in by_due if item["due_at"] is not None]
    assert [datetime.fromisoformat(d) for d in dated] == sorted(datetime.fromisoformat(d) for d in dated)
    assert [item["due_at"] for item in by_due[len(dated) :]] == [None, None]
    by_priority = [item["priority"] for item in await walk(sort="priority")]
    assert by_priority == ["urgent", "urgent", "high", "high", "medium", "low", "low"]
    assert [item["priority"] for item in await walk(sort="-priority")] == by_priority[::-1]
    newest = [item["id"] for item in await walk(sort="-created_at")]
    assert sorted(newest) == sorted(task["id"] for task in tasks)
    assert newest == [item["id"] for item in await walk(sort="created_at")][::-1]


async def test_sales_rep_sees_and_assigns_only_themselves(
    client: Client, team: dict[Role, Member], session: AsyncSession
) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    mine = await _task(client, rep)
    assert mine["assigned_to_id"] == str(rep.user.id)
    unassigned = await _task(client, admin, assigned_to_id=None)
    managers = await _task(client, manager)

    assert set(await _ids(client, rep)) == {mine["id"], unassigned["id"]}
    assert (await client.get(f"/api/tasks/{managers['id']}", headers=rep.headers)).status_code == 404
    assert (
        await client.patch(f"/api/tasks/{managers['id']}", json={"status": "completed"}, headers=rep.headers)
    ).status_code == 404
    assign_other = await client.post(
        "/api/tasks", json={"title": "x", "assigned_to_id": str(manager.user.id)}, headers=rep.headers
    )
    assert assign_other.status_code == 403
    give_away = await client.patch(
        f"/api/tasks/{mine['id']}", json={"assigned_to_id": str(admin.user.id)}, headers=rep.headers
    )
    assert give_away.status_code == 403
    managers_contact = (
        await client.post("/api/contacts", json={"email": "m@example.com"}, headers=manager.headers)
    ).json()
    hidden_contact = await client.patch(
        f"/api/tasks/{mine['id']}", json={"contact_id": managers_contact["id"]}, headers=rep.headers
    )
    assert hidden_contact.status_code == 400

    delegated = await _task(client, manager, assigned_to_id=str(rep.user.id))
    assert (await client.get(f"/api/tasks/{delegated['id']}", headers=rep.headers)).status_code == 200
    assert len(await _ids(client, manager)) == 4

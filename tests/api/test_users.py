from __future__ import annotations

import hashlib
import re
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.models import AuthSession, AuthUser
from inbox.core.principal import Role
from inbox.settings import Settings
from inbox.users.models import Invitation, User, UserRole
from tests.api.paging import walk_pages
from tests.factories import Member, make_member

Client = httpx.AsyncClient


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shared settings with an outbox of this test's own."""
    return settings.model_copy(update={"data_dir": tmp_path})


def _outbox(settings: Settings) -> list[EmailMessage]:
    folder = settings.data_dir / "outbox"
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in paths]


async def _fresh(session: AsyncSession, model: type[User], record_id: uuid.UUID) -> User:
    stmt = select(model).where(model.id == record_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one()


async def test_members_list_and_read_their_workspace(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    rep = team[Role.SALES_REP]
    listed = await client.get("/api/users", headers=rep.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 3
    assert {item["id"] for item in body["items"]} == {str(member.user.id) for member in team.values()}
    # Sorted by name by default: Ada Admin, Max Manager, Rita Rep.
    assert [item["first_name"] for item in body["items"]] == ["Ada", "Max", "Rita"]
    item = body["items"][0]
    assert item["role"] == "admin" and item["is_active"] is True and item["timezone"] == "UTC"

    one = await client.get(f"/api/users/{team[Role.MANAGER].user.id}", headers=rep.headers)
    assert (one.status_code, one.json()["email"]) == (200, team[Role.MANAGER].user.email)
    assert (await client.get(f"/api/users/{rival[Role.ADMIN].user.id}", headers=rep.headers)).status_code == 404
    assert (await client.get(f"/api/users/{uuid.uuid4()}", headers=rep.headers)).status_code == 404
    assert (await client.get("/api/users")).status_code == 401
    me = await client.get("/api/users/me", headers=rep.headers)
    assert (me.json()["id"], me.json()["role"]) == (str(rep.user.id), "sales_rep")


async def test_list_filters_sorting_and_paging(
    client: Client, session: AsyncSession, settings: Settings, team: dict[Role, Member]
) -> None:
    admin = team[Role.ADMIN]
    extra = await make_member(session, settings, workspace_id=admin.workspace_id, role=Role.SALES_REP, name="Zoe Zed")
    extra.user.is_active = False
    session.add(extra.user)
    await session.commit()

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/users?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["first_name"] for item in response.json()["items"]]

    assert await ids("role=sales_rep") == ["Rita", "Zoe"]
    assert await ids("role=sales_rep&is_active=true") == ["Rita"]
    assert await ids("is_active=false") == ["Zoe"]
    assert await ids("q=MAX") == ["Max"]
    assert await ids(f"q={extra.user.email[:10]}") == ["Zoe"]
    assert await ids("sort=-name") == ["Zoe", "Rita", "Max", "Ada"]
    # (On PostgreSQL the whole test is one transaction, so created_at ties and the id decides.)
    oldest_first = await ids("sort=created_at")
    assert sorted(oldest_first) == ["Ada", "Max", "Rita", "Zoe"]
    assert await ids("sort=-created_at") == oldest_first[::-1]
    assert len(await ids("sort=email")) == 4

    pages = await walk_pages(client, "/api/users", headers=admin.headers, total=4, limit=3, sort="name")
    seen = [item["first_name"] for item in pages]
    assert seen == ["Ada", "Max", "Rita", "Zoe"]

    assert (await client.get("/api/users?sort=salary", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/users?role=owner", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/users?cursor=garbage", headers=admin.headers)).status_code == 400


async def test_update_own_profile(client: Client, session: AsyncSession, team: dict[Role, Member]) -> None:
    rep = team[Role.SALES_REP]
    response = await client.patch(
        "/api/users/me",
        json={
            "first_name": "Margarita",
            "timezone": "Europe/Paris",
            "email_signature": "-- \nRita",
            "avatar_url": "https://img.example/rita.png",
            "settings": {"compact": True},
        },
        headers=rep.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["first_name"], body["last_name"], body["timezone"]) == ("Margarita", "Rep", "Europe/Paris")
    assert body["settings"] == {"compact": True} and body["email_signature"] == "-- \nRita"
    # The identity (Better Auth's user row) follows, so get-session shows the new name.
    identity = (
        await session.execute(
            select(AuthUser).where(AuthUser.id == rep.auth_user.id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert (identity.name, identity.image) == ("Margarita Rep", "https://img.example/rita.png")
    profile = await _fresh(session, User, rep.user.id)
    assert (profile.first_name, profile.last_name, profile.avatar_url) == (
        "Margarita",
        "Rep",
        "https://img.example/rita.png",
    )

    # A first name with a space survives (the identity's name is split differently).
    spaced = await client.patch("/api/users/me", json={"first_name": "Mary Ann"}, headers=rep.headers)
    assert (spaced.json()["first_name"], spaced.json()["last_name"]) == ("Mary Ann", "Rep")

    for body, field in (
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"role": "admin"}, "role"),
        ({"is_active": False}, "is_active"),
        ({"email": "new@example.com"}, "email"),
        ({"settings": None}, "settings"),
    ):
        refused = await client.patch("/api/users/me", json=body, headers=rep.headers)
        assert refused.status_code == 400, (body, refused.text)
        assert field in refused.text
    assert (await client.get("/api/users/me", headers=rep.headers)).json()["role"] == "sales_rep"


async def test_admin_changes_roles_and_the_last_admin_rule(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    for member in (manager, rep):
        forbidden = await client.patch(f"/api/users/{rep.user.id}", json={"role": "manager"}, headers=member.headers)
        assert forbidden.status_code == 403

    promoted = await client.patch(
        f"/api/users/{rep.user.id}", json={"role": "manager", "last_name": "Roe"}, headers=admin.headers
    )
    assert (promoted.status_code, promoted.json()["role"], promoted.json()["last_name"]) == (200, "manager", "Roe")
    assert (await client.get("/api/users/me", headers=rep.headers)).json()["role"] == "manager"

    last = await client.patch(f"/api/users/{admin.user.id}", json={"role": "manager"}, headers=admin.headers)
    assert last.status_code == 409
    assert "last active admin" in last.json()["detail"]
    last_deactivate = await client.patch(
        f"/api/users/{admin.user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert last_deactivate.status_code == 409

    # With a second admin, the first may step down.
    assert (
        await client.patch(f"/api/users/{manager.user.id}", json={"role": "admin"}, headers=admin.headers)
    ).status_code == 200
    stepped_down = await client.patch(f"/api/users/{admin.user.id}", json={"role": "sales_rep"}, headers=admin.headers)
    assert (stepped_down.status_code, stepped_down.json()["role"]) == (200, "sales_rep")
    # ...and is no admin any more.
    assert (
        await client.patch(f"/api/users/{rep.user.id}", json={"role": "admin"}, headers=admin.headers)
    ).status_code == 403

    for body in (
        {"role": None},
        {"role": "owner"},
        {"is_active": None},
        {"email": "x@example.com"},
        {"timezone": "UTC"},
    ):
        refused = await client.patch(f"/api/users/{rep.user.id}", json=body, headers=manager.headers)
        assert refused.status_code == 400, (body, refused.text)


async def test_admin_cannot_touch_another_workspace(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    response = await client.patch(
        f"/api/users/{rival[Role.SALES_REP].user.id}", json={"is_active": False}, headers=team[Role.ADMIN].headers
    )
    assert response.status_code == 404
    assert (await client.get("/api/users/me", headers=rival[Role.SALES_REP].headers)).status_code == 200


async def test_deactivation_ends_every_session_at_once(
    client: Client, session: AsyncSession, team: dict[Role, Member]
) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    assert (await client.get("/api/users/me", headers=rep.headers)).status_code == 200

    response = await client.patch(f"/api/users/{rep.user.id}", json={"is_active": False}, headers=admin.headers)
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    assert (await client.get("/api/users/me", headers=rep.headers)).status_code == 401
    count = select(func.count()).select_from(AuthSession).where(AuthSession.user_id == rep.auth_user.id)
    assert (await session.execute(count)).scalar_one() == 0
    listed = await client.get("/api/users?is_active=false", headers=admin.headers)
    assert [item["id"] for item in listed.json()["items"]] == [str(rep.user.id)]

    # Reactivated, the user signs in again (the old token stays dead).
    assert (
        await client.patch(f"/api/users/{rep.user.id}", json={"is_active": True}, headers=admin.headers)
    ).status_code == 200
    assert (await client.get("/api/users/me", headers=rep.headers)).status_code == 401


async def test_inactive_profile_refused_even_with_a_live_session_row(
    client: Client, session: AsyncSession, team: dict[Role, Member]
) -> None:
    """lookup_session checks the profile on every request, whatever the session rows say."""
    rep = team[Role.SALES_REP]
    profile = await _fresh(session, User, rep.user.id)
    profile.is_active = False
    await session.commit()
    assert (await client.get("/api/users/me", headers=rep.headers)).status_code == 401
    assert (await client.get("/api/auth/get-session", headers=rep.headers)).text == "null"


async def test_invitations(
    client: Client, session: AsyncSession, settings: Settings, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    admin = team[Role.ADMIN]
    created = await client.post(
        "/api/users/invitations", json={"email": "New.Hire@Example.com", "role": "manager"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["role"], body["invited_by_id"], body["accepted_at"]) == (
        "new.hire@example.com",
        "manager",
        str(admin.user.id),
        None,
    )

    [mail] = _outbox(settings)
    assert mail["To"] == "new.hire@example.com"
    link = re.search(r"http://testserver\.local/sign-up\?\S+", mail.get_content())
    assert link, mail.get_content()
    query = parse_qs(urlsplit(link.group(0)).query)
    assert query["email"] == ["new.hire@example.com"]
    token = query["invitation"][0]
    stored = (await session.execute(select(Invitation).where(Invitation.id == uuid.UUID(body["id"])))).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash

    pending = await client.get("/api/users/invitations", headers=admin.headers)
    assert [item["id"] for item in pending.json()["items"]] == [body["id"]]
    assert (await client.get("/api/users/invitations", headers=rival[Role.ADMIN].headers)).json()["total"] == 0

    duplicate = await client.post(
        "/api/users/invitations", json={"email": "new.hire@example.com"}, headers=admin.headers
    )
    assert duplicate.status_code == 409 and "pending invitation" in duplicate.json()["detail"]
    member = await client.post(
        "/api/users/invitations", json={"email": team[Role.SALES_REP].user.email}, headers=admin.headers
    )
    assert member.status_code == 409 and "already has an account" in member.json()["detail"]
    elsewhere = await client.post(
        "/api/users/invitations", json={"email": rival[Role.MANAGER].user.email.upper()}, headers=admin.headers
    )
    assert elsewhere.status_code == 409
    for bad in ({"email": "not-an-email"}, {"email": "a@example.com", "role": "owner"}, {"role": "manager"}):
        assert (await client.post("/api/users/invitations", json=bad, headers=admin.headers)).status_code == 400
    for role in (Role.MANAGER, Role.SALES_REP):
        assert (await client.get("/api/users/invitations", headers=team[role].headers)).status_code == 403
        assert (
            await client.post("/api/users/invitations", json={"email": "b@example.com"}, headers=team[role].headers)
        ).status_code == 403
    assert len(_outbox(settings)) == 1

    assert (
        await client.delete(f"/api/users/invitations/{body['id']}", headers=rival[Role.ADMIN].headers)
    ).status_code == 404
    assert (await client.delete(f"/api/users/invitations/{body['id']}", headers=admin.headers)).status_code == 204
    assert (await client.delete(f"/api/users/invitations/{body['id']}", headers=admin.headers)).status_code == 404
    assert (await client.get("/api/users/invitations", headers=admin.headers)).json()["total"] == 0
    # Deleted, the address may be invited again.
    again = await client.post("/api/users/invitations", json={"email": "new.hire@example.com"}, headers=admin.headers)
    assert (again.status_code, again.json()["role"]) == (201, "sales_rep")


@pytest.mark.postgres_only
async def test_invited_address_signed_up_by_a_better_auth_server_joins_the_workspace(
    client: Client, session: AsyncSession, team: dict[Role, Member]
) -> None:
    """A Better Auth server only inserts into "user"; the trigger places the profile."""
    admin = team[Role.ADMIN]
    created = await client.post(
        "/api/users/invitations", json={"email": "ba-signup@example.com", "role": "manager"}, headers=admin.headers
    )
    assert created.status_code == 201
    await session.execute(
        text(
            'INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") '
            "VALUES (:id, 'Bea Auth', 'ba-signup@example.com', false, now(), now())"
        ),
        {"id": "B" * 32},
    )
    profile = (await session.execute(select(User).where(User.auth_user_id == "B" * 32))).scalar_one()
    assert (profile.workspace_id, profile.role, profile.first_name, profile.last_name) == (
        admin.workspace_id,
        UserRole.MANAGER,
        "Bea",
        "Auth",
    )
    accepted = (
        await session.execute(select(Invitation.accepted_at).where(Invitation.id == uuid.UUID(created.json()["id"])))
    ).scalar_one()
    assert accepted is not None

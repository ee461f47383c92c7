from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.core.secrets import SecretBox
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxStatus, MailboxSyncState
from inbox.settings import Settings
from tests.api.paging import walk_pages
from tests.conftest import TEST_FERNET_KEYS
from tests.factories import Member

Client = AsyncTestClient[Litestar]

PASSWORD = "pw-Very-Secret-4417"
ACCESS_TOKEN = "ya29.access-token-8812"
REFRESH_TOKEN = "1//refresh-token-9931"
SECRETS = (PASSWORD, ACCESS_TOKEN, REFRESH_TOKEN)


def imap_box(address: str = "sales@example.com", /, **extra: Any) -> dict[str, Any]:
    return {
        "email_address": address,
        "provider": "imap",
        "imap_host": "imap.example.com",
        "imap_port": 993,
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "username": address,
        **extra,
    }


def assert_no_secrets(response: Response) -> None:
    for secret in SECRETS:
        assert secret not in response.text
    assert "encrypted" not in response.text


async def raw_credentials(session: AsyncSession, mailbox_id: str) -> tuple[str | None, str | None]:
    stmt = select(EmailAccount.encrypted_password, EmailAccount.encrypted_oauth_tokens).where(
        EmailAccount.id == uuid.UUID(mailbox_id)
    )
    password, tokens = (await session.execute(stmt)).one()
    return password, tokens


async def test_credentials_are_encrypted_and_never_returned(
    client: Client, team: dict[Role, Member], session: AsyncSession, settings: Settings
) -> None:
    admin = team[Role.ADMIN]
    box = SecretBox.from_settings(settings)
    created = await client.post(
        "/api/email-accounts", json=imap_box("Sales@Example.com", password=PASSWORD), headers=admin.headers
    )
    assert created.status_code == 201, created.text
    assert_no_secrets(created)
    body = created.json()
    assert body["email_address"] == "sales@example.com"
    assert body["has_password"] is True
    assert body["has_oauth_tokens"] is False
    assert body["user_id"] == str(admin.user.id)
    assert body["status"] == "active"
    assert body["sent_today"] == 0
    assert body["daily_send_limit"] == 200
    assert body["smtp_starttls"] is True
    assert body["smtp_use_ssl"] is False
    assert "password" not in body
    mailbox_id = body["id"]

    stored_password, stored_tokens = await raw_credentials(session, mailbox_id)
    assert stored_password is not None
    assert stored_tokens is None
    assert PASSWORD not in stored_password
    assert Fernet(TEST_FERNET_KEYS[0].encode()).decrypt(stored_password.encode()) == PASSWORD.encode()

    assert_no_secrets(await client.get(f"/api/email-accounts/{mailbox_id}", headers=admin.headers))
    assert_no_secrets(await client.get("/api/email-accounts", headers=admin.headers))

    # Omitting the password keeps it, untouched.
    renamed = await client.patch(
        f"/api/email-accounts/{mailbox_id}", json={"display_name": "Sales team"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert_no_secrets(renamed)
    assert renamed.json()["has_password"] is True
    assert (await raw_credentials(session, mailbox_id))[0] == stored_password

    # OAuth tokens are one encrypted JSON document.
    with_tokens = await client.patch(
        f"/api/email-accounts/{mailbox_id}",
        json={
            "oauth_tokens": {
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "expires_at": "2030-01-01T00:00:00Z",
            }
        },
        headers=admin.headers,
    )
    assert with_tokens.status_code == 200, with_tokens.text
    assert_no_secrets(with_tokens)
    assert with_tokens.json()["has_oauth_tokens"] is True
    stored_password_after, stored_tokens = await raw_credentials(session, mailbox_id)
    assert stored_password_after == stored_password
    assert stored_tokens is not None
    assert ACCESS_TOKEN not in stored_tokens
    assert json.loads(box.decrypt(stored_tokens)) == {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_at": "2030-01-01T00:00:00+00:00",
    }

    # A new password replaces the old token.
    changed = await client.patch(
        f"/api/email-accounts/{mailbox_id}", json={"password": PASSWORD + "-new"}, headers=admin.headers
    )
    assert changed.status_code == 200
    new_password = (await raw_credentials(session, mailbox_id))[0]
    assert new_password is not None
    assert new_password != stored_password
    assert box.decrypt(new_password) == PASSWORD + "-new"

    # null removes a credential.
    cleared = await client.patch(
        f"/api/email-accounts/{mailbox_id}", json={"password": None, "oauth_tokens": None}, headers=admin.headers
    )
    assert cleared.status_code == 200
    assert cleared.json()["has_password"] is False
    assert cleared.json()["has_oauth_tokens"] is False
    assert await raw_credentials(session, mailbox_id) == (None, None)

    deleted = await client.delete(f"/api/email-accounts/{mailbox_id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/email-accounts/{mailbox_id}", headers=admin.headers)).status_code == 404


async def test_errors_never_echo_secrets(client: Client, team: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    invalid_port = await client.post(
        "/api/email-accounts", json=imap_box(password=PASSWORD, imap_port=0), headers=admin.headers
    )
    assert invalid_port.status_code == 400
    assert "imap_port" in invalid_port.text
    assert_no_secrets(invalid_port)
    too_long = await client.post("/api/email-accounts", json=imap_box(password=PASSWORD * 1000), headers=admin.headers)
    assert too_long.status_code == 400
    assert_no_secrets(too_long)
    bad_tokens = await client.post(
        "/api/email-accounts",
        json=imap_box(oauth_tokens={"refresh_token": REFRESH_TOKEN}),
        headers=admin.headers,
    )
    assert bad_tokens.status_code == 400
    assert "access_token" in bad_tokens.text
    assert_no_secrets(bad_tokens)
    both_tls = await client.post(
        "/api/email-accounts",
        json=imap_box(password=PASSWORD, smtp_use_ssl=True, smtp_starttls=True),
        headers=admin.headers,
    )
    assert both_tls.status_code == 400
    assert both_tls.json()["field"] == "smtp_starttls"
    assert_no_secrets(both_tls)


async def test_validation_and_conflicts(client: Client, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    admin = team[Role.ADMIN]
    assert (await client.get("/api/email-accounts")).status_code == 401
    assert (await client.post("/api/email-accounts", json=imap_box())).status_code == 401

    for field in ("imap_host", "smtp_host"):
        missing = await client.post("/api/email-accounts", json=imap_box(**{field: None}), headers=admin.headers)
        assert missing.status_code == 400, missing.text
        assert missing.json()["field"] == field
        assert field in missing.json()["detail"]
    gmail = await client.post(
        "/api/email-accounts", json={"email_address": "g@example.com", "provider": "gmail"}, headers=admin.headers
    )
    assert gmail.status_code == 201, gmail.text

    for field, value in [
        ("smtp_port", 65536),
        ("imap_port", -1),
        ("daily_send_limit", 0),
        ("daily_send_limit", 10_001),
        ("provider", "aol"),
        ("email_address", "not-an-address"),
        ("imap_host", "imap example com"),
        ("colour", "red"),
    ]:
        response = await client.post("/api/email-accounts", json=imap_box(**{field: value}), headers=admin.headers)
        assert response.status_code == 400, (field, value, response.text)
        assert field in response.text

    implicit_tls = await client.post(
        "/api/email-accounts", json=imap_box("tls@example.com", smtp_use_ssl=True, smtp_port=465), headers=admin.headers
    )
    assert implicit_tls.status_code == 201, implicit_tls.text
    assert implicit_tls.json()["smtp_starttls"] is False

    first = await client.post("/api/email-accounts", json=imap_box("dup@example.com"), headers=admin.headers)
    assert first.status_code == 201
    duplicate = await client.post("/api/email-accounts", json=imap_box("DUP@example.com"), headers=admin.headers)
    assert duplicate.status_code == 409
    assert "email_address" in duplicate.json()["detail"]
    # Another workspace may connect the same address.
    elsewhere = await client.post(
        "/api/email-accounts", json=imap_box("dup@example.com"), headers=rival[Role.ADMIN].headers
    )
    assert elsewhere.status_code == 201

    for owner in (uuid.uuid4(), rival[Role.ADMIN].user.id):
        bad_owner = await client.post(
            "/api/email-accounts", json=imap_box("o@example.com", user_id=str(owner)), headers=admin.headers
        )
        assert bad_owner.status_code == 400
        assert "user_id" in bad_owner.json()["detail"]

    mailbox_id = first.json()["id"]
    url = f"/api/email-accounts/{mailbox_id}"
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"email_address": None}, "email_address"),
        ({"imap_host": None}, "imap_host"),
        ({"smtp_starttls": True, "smtp_use_ssl": True}, "smtp_starttls"),
        ({"email_address": "g@example.com"}, None),
    ]
    for body, refused_field in cases:
        response = await client.patch(url, json=body, headers=admin.headers)
        assert response.status_code == (409 if refused_field is None else 400), response.text
        if refused_field:
            assert response.json()["field"] == refused_field
    switched = await client.patch(url, json={"smtp_use_ssl": True}, headers=admin.headers)
    assert switched.status_code == 200
    assert (switched.json()["smtp_use_ssl"], switched.json()["smtp_starttls"]) == (True, False)
    to_gmail = await client.patch(url, json={"provider": "gmail", "imap_host": None}, headers=admin.headers)
    assert to_gmail.status_code == 200
    back_to_imap = await client.patch(url, json={"provider": "imap"}, headers=admin.headers)
    assert back_to_imap.status_code == 400
    assert back_to_imap.json()["field"] == "imap_host"

    unknown = f"/api/email-accounts/{uuid.uuid4()}"
    assert (await client.get(unknown, headers=admin.headers)).status_code == 404
    assert (await client.patch(unknown, json={}, headers=admin.headers)).status_code == 404
    assert (await client.delete(unknown, headers=admin.headers)).status_code == 404
    theirs = f"/api/email-accounts/{elsewhere.json()['id']}"
    assert (await client.get(theirs, headers=admin.headers)).status_code == 404
    assert (await client.patch(theirs, json={"display_name": "x"}, headers=admin.headers)).status_code == 404
    assert (await client.delete(theirs, headers=admin.headers)).status_code == 404
    assert (await client.get("/api/email-accounts?sort=status", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/email-accounts?cursor=garbage", headers=admin.headers)).status_code == 400
    assert (await client.get("/api/email-accounts?provider=aol", headers=admin.headers)).status_code == 400


async def test_only_admins_write_and_reps_see_their_own(client: Client, team: dict[Role, Member]) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    for member in (manager, rep):
        refused = await client.post("/api/email-accounts", json=imap_box("x@example.com"), headers=member.headers)
        assert refused.status_code == 403

    reps = await client.post(
        "/api/email-accounts", json=imap_box("rep@example.com", user_id=str(rep.user.id)), headers=admin.headers
    )
    shared = await client.post(
        "/api/email-accounts", json=imap_box("shared@example.com", user_id=None), headers=admin.headers
    )
    managers = await client.post(
        "/api/email-accounts",
        json=imap_box("manager@example.com", user_id=str(manager.user.id)),
        headers=admin.headers,
    )
    assert {reps.status_code, shared.status_code, managers.status_code} == {201}
    assert shared.json()["user_id"] is None

    rep_view = (await client.get("/api/email-accounts", headers=rep.headers)).json()
    assert [item["email_address"] for item in rep_view["items"]] == ["rep@example.com", "shared@example.com"]
    assert rep_view["total"] == 2
    assert (await client.get(f"/api/email-accounts/{managers.json()['id']}", headers=rep.headers)).status_code == 404
    assert (await client.get(f"/api/email-accounts/{reps.json()['id']}", headers=rep.headers)).status_code == 200
    assert (await client.get("/api/email-accounts", headers=manager.headers)).json()["total"] == 3

    own = f"/api/email-accounts/{reps.json()['id']}"
    for member in (manager, rep):
        assert (await client.patch(own, json={"display_name": "x"}, headers=member.headers)).status_code == 403
        assert (await client.delete(own, headers=member.headers)).status_code == 403
    reassigned = await client.patch(own, json={"user_id": str(manager.user.id)}, headers=admin.headers)
    assert reassigned.status_code == 200
    assert (await client.get(own, headers=rep.headers)).status_code == 404


async def test_list_filters_sort_and_cursor(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    admin, rep = team[Role.ADMIN], team[Role.SALES_REP]
    addresses = [f"box{i:02d}@example.com" for i in range(12)]
    ids: dict[str, str] = {}
    for i, address in enumerate(reversed(addresses)):
        body: dict[str, Any] = imap_box(address) if i % 3 else {"email_address": address, "provider": "gmail"}
        body["user_id"] = str(rep.user.id) if i % 2 else str(admin.user.id)
        body["is_active"] = i % 4 != 0
        response = await client.post("/api/email-accounts", json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        ids[address] = response.json()["id"]
    await client.post("/api/email-accounts", json=imap_box("rival@example.com"), headers=rival[Role.ADMIN].headers)
    failing = addresses[:2]
    await session.execute(
        update(EmailAccount)
        .where(EmailAccount.id.in_([uuid.UUID(ids[a]) for a in failing]))
        .values(status=MailboxStatus.ERROR, last_error="authentication failed")
    )
    # now() is one value per transaction (and per second on SQLite): spread the creation times.
    for minutes, address in enumerate(addresses):
        stmt = update(EmailAccount).where(EmailAccount.id == uuid.UUID(ids[address]))
        await session.execute(stmt.values(created_at=datetime(2030, 1, 1, tzinfo=UTC) - timedelta(minutes=minutes)))
    await session.commit()

    pages = await walk_pages(client, "/api/email-accounts", headers=admin.headers, total=12, limit=5)
    seen = [item["email_address"] for item in pages]
    assert seen == addresses

    async def listed(**params: str | int) -> list[str]:
        response = await client.get("/api/email-accounts", params={"limit": 200, **params}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["email_address"] for item in response.json()["items"]]

    assert await listed(sort="-email_address") == addresses[::-1]
    assert await listed(sort="created_at") == addresses[::-1]
    assert await listed(sort="-created_at") == addresses
    gmail = [a for i, a in enumerate(reversed(addresses)) if i % 3 == 0]
    assert await listed(provider="gmail") == sorted(gmail)
    assert await listed(status="error") == failing
    errored = (await client.get(f"/api/email-accounts/{ids[failing[0]]}", headers=admin.headers)).json()
    assert errored["last_error"] == "authentication failed"
    owned_by_rep = [a for i, a in enumerate(reversed(addresses)) if i % 2]
    assert await listed(user_id=str(rep.user.id)) == sorted(owned_by_rep)
    inactive = [a for i, a in enumerate(reversed(addresses)) if i % 4 == 0]
    assert await listed(is_active="false") == sorted(inactive)
    assert await listed(is_active="true", provider="imap") == sorted(
        a for a in addresses if a not in inactive and a not in gmail
    )


async def test_sync_state_shows_each_folders_progress(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    reps = await client.post(
        "/api/email-accounts", json=imap_box("rep@example.com", user_id=str(rep.user.id)), headers=admin.headers
    )
    managers = await client.post(
        "/api/email-accounts",
        json={"email_address": "manager@example.com", "provider": "gmail", "user_id": str(manager.user.id)},
        headers=admin.headers,
    )
    fresh = await client.post("/api/email-accounts", json=imap_box("fresh@example.com"), headers=admin.headers)
    assert {reps.status_code, managers.status_code, fresh.status_code} == {201}
    synced = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    workspace_id = admin.workspace_id
    session.add_all(
        [
            MailboxSyncState(
                workspace_id=workspace_id,
                email_account_id=uuid.UUID(reps.json()["id"]),
                folder="Sent",
                uidvalidity=7,
                status=FolderSyncStatus.ERROR,
                last_error="SELECT failed: NO [NONEXISTENT]",
            ),
            MailboxSyncState(
                workspace_id=workspace_id,
                email_account_id=uuid.UUID(reps.json()["id"]),
                folder="INBOX",
                uidvalidity=1_700_000_000,
                last_uid=4_200_000_000,
                highest_modseq=9_000_000_000,
                status=FolderSyncStatus.POLL,
                last_synced_at=synced,
            ),
            MailboxSyncState(
                workspace_id=workspace_id,
                email_account_id=uuid.UUID(managers.json()["id"]),
                folder="gmail",
                gmail_history_id="123456789012",
                status=FolderSyncStatus.POLL,
                last_synced_at=synced,
            ),
        ]
    )
    await session.commit()

    url = f"/api/email-accounts/{reps.json()['id']}/sync-state"
    response = await client.get(url, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "folder": "INBOX",
            "uidvalidity": 1_700_000_000,
            "last_uid": 4_200_000_000,
            "highest_modseq": 9_000_000_000,
            "gmail_history_id": None,
            "status": "poll",
            "last_synced_at": "2026-11-02T09:30:00Z",
            "last_error": None,
        },
        {
            "folder": "Sent",
            "uidvalidity": 7,
            "last_uid": None,
            "highest_modseq": None,
            "gmail_history_id": None,
            "status": "error",
            "last_synced_at": None,
            "last_error": "SELECT failed: NO [NONEXISTENT]",
        },
    ]
    gmail = (await client.get(f"/api/email-accounts/{managers.json()['id']}/sync-state", headers=admin.headers)).json()
    assert [(state["folder"], state["gmail_history_id"]) for state in gmail] == [("gmail", "123456789012")]
    never_synced = await client.get(f"/api/email-accounts/{fresh.json()['id']}/sync-state", headers=admin.headers)
    assert never_synced.status_code == 200
    assert never_synced.json() == []

    # Readable by whoever sees the mailbox, like the mailbox itself.
    assert (await client.get(url, headers=manager.headers)).json() == response.json()
    assert (await client.get(url, headers=rep.headers)).json() == response.json()
    managers_url = f"/api/email-accounts/{managers.json()['id']}/sync-state"
    assert (await client.get(managers_url, headers=rep.headers)).status_code == 404
    assert (await client.get(url, headers=rival[Role.ADMIN].headers)).status_code == 404
    assert (
        await client.get(f"/api/email-accounts/{uuid.uuid4()}/sync-state", headers=admin.headers)
    ).status_code == 404
    assert (await client.get(url)).status_code == 401

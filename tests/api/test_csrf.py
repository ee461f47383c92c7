"""Cookie-authenticated writes must carry our own Origin; Bearer clients need none."""

from __future__ import annotations

from httpx import AsyncClient

from inbox.auth.crypto import sign_cookie_value
from inbox.core.principal import Role
from inbox.settings import Settings
from tests.factories import Member


def _cookie(settings: Settings, member: Member) -> dict[str, str]:
    return {"cookie": f"better-auth.session_token={sign_cookie_value(member.token, settings.auth_secret)}"}


async def test_cookie_write_needs_our_origin(client: AsyncClient, team: dict[Role, Member], settings: Settings) -> None:
    admin = team[Role.ADMIN]
    cookie = _cookie(settings, admin)
    assert (await client.get("/api/accounts", headers=cookie)).status_code == 200

    no_origin = await client.post("/api/accounts", json={"name": "A"}, headers=cookie)
    assert no_origin.status_code == 403
    assert "Origin" in no_origin.json()["detail"]
    forged = await client.post(
        "/api/accounts", json={"name": "A"}, headers={**cookie, "origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    null_origin = await client.post("/api/accounts", json={"name": "A"}, headers={**cookie, "origin": "null"})
    assert null_origin.status_code == 403
    listed = await client.get("/api/accounts", headers=admin.headers)
    assert listed.json()["total"] == 0

    ours = await client.post("/api/accounts", json={"name": "A"}, headers={**cookie, "origin": settings.auth.base_url})
    assert ours.status_code == 201
    referer = await client.post(
        "/api/accounts", json={"name": "B"}, headers={**cookie, "referer": f"{settings.auth.base_url}/inbox"}
    )
    assert referer.status_code == 201
    bearer = await client.post("/api/accounts", json={"name": "C"}, headers=admin.headers)
    assert bearer.status_code == 201

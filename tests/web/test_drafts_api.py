"""The draft through the JSON API: edit, regenerate in a tone, discard; errors are 4xx with a reason."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.threads.models import Email
from tests.factories import Member
from tests.web.conftest import draft_of


async def test_edit_regenerate_and_discard_a_draft(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    headers = team[Role.SALES_REP].headers
    draft = await draft_of(session, inbox["question"])
    original = draft.body_text

    edited = await client.patch(
        f"/api/emails/{draft.id}/draft", json={"subject": "Re: Pricing", "body": "Hi Quinn, 240 EUR."}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["subject"], body["body_text"], body["ai_draft_body"]) == (
        "Re: Pricing",
        "Hi Quinn, 240 EUR.",
        original,
    )

    friendly = await client.post(f"/api/emails/{draft.id}/draft/regenerate", json={"tone": "friendly"}, headers=headers)
    assert friendly.status_code == 200, friendly.text
    assert friendly.json()["body_text"].startswith("Hi Quinn!")
    assert friendly.json()["ai_draft_body"] is None  # the new AI text is the baseline again

    bad_tone = await client.post(f"/api/emails/{draft.id}/draft/regenerate", json={"tone": "rude"}, headers=headers)
    assert bad_tone.status_code == 400
    extra = await client.patch(
        f"/api/emails/{draft.id}/draft", json={"subject": "s", "body": "b", "to": "x@evil.example"}, headers=headers
    )
    assert extra.status_code == 400

    gone = await client.delete(f"/api/emails/{draft.id}/draft", headers=headers)
    assert gone.status_code == 204
    assert await session.scalar(sa.select(Email.id).where(Email.id == draft.id)) is None
    again = await client.delete(f"/api/emails/{draft.id}/draft", headers=headers)
    assert again.status_code == 404


async def test_a_sent_or_inbound_email_is_not_a_draft(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    inbound = await session.scalar(
        sa.select(Email.id).where(Email.thread_id == inbox["hot"], Email.direction == "inbound")
    )
    response = await client.patch(
        f"/api/emails/{inbound}/draft", json={"subject": "s", "body": "b"}, headers=team[Role.SALES_REP].headers
    )
    assert response.status_code == 409
    assert "only a draft can be changed" in response.json()["detail"]

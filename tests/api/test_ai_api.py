"""``POST /api/emails/{id}/triage`` and ``GET /api/metrics/ai-usage``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.insights.models import AiInsight, AiUsage
from inbox.settings import Settings
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message


async def _inbound(
    session: AsyncSession, settings: Settings, member: Member, tmp_path: Path, body: str, *, outbound: bool = False
) -> uuid.UUID:
    address = f"rep-{uuid.uuid4().hex[:6]}@ourco.example"
    mailbox = await make_mailbox(
        session, settings, workspace_id=member.workspace_id, user_id=member.user.id, address=address
    )
    raw = (
        message(sender=f"Rita Rep <{address}>", to="jane@acme-corp.example", body=body)
        if outbound
        else message(sender="Jane Buyer <jane@acme-corp.example>", to=address, body=body)
    )
    stored = await ingest_messages(
        session, mailbox, [IncomingMessage(raw=raw, outbound=outbound)], blobs=LocalBlobStore(tmp_path / "b")
    )
    await session.commit()
    return stored.stored[0]


async def test_a_rep_triages_an_email_on_demand_and_a_rerun_duplicates_nothing(
    client: httpx.AsyncClient, team: dict[Role, Member], session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    rep = team[Role.SALES_REP]
    email_id = await _inbound(
        session, settings, rep, tmp_path, "Thanks Rita. Could we talk on Thursday at 3pm CET about the rollout?\n"
    )

    response = await client.post(f"/api/emails/{email_id}/triage", headers=rep.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["provider"] == "offline"  # the embedded default
    assert body["result"]["intent"] == "meeting_request"
    assert body["result"]["temperature"] == "hot"
    assert body["draft_email_id"] is not None
    insights = await session.scalar(
        sa.select(sa.func.count()).select_from(AiInsight).where(AiInsight.email_id == email_id)
    )
    actions = await session.scalar(sa.select(sa.func.count()).select_from(Action).where(Action.email_id == email_id))

    again = await client.post(f"/api/emails/{email_id}/triage", headers=rep.headers)
    assert again.status_code == 200
    assert again.json()["draft_email_id"] == body["draft_email_id"]
    assert (
        await session.scalar(sa.select(sa.func.count()).select_from(AiInsight).where(AiInsight.email_id == email_id))
        == insights
    )
    assert (
        await session.scalar(sa.select(sa.func.count()).select_from(Action).where(Action.email_id == email_id))
        == actions
    )

    draft = await client.get(f"/api/emails/{body['draft_email_id']}", headers=rep.headers)
    assert draft.status_code == 200
    assert draft.json()["to_addresses"] == ["jane@acme-corp.example"]


async def test_triage_refuses_other_workspaces_unknown_ids_and_outbound_mail(
    client: httpx.AsyncClient,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
) -> None:
    rep = team[Role.SALES_REP]
    email_id = await _inbound(session, settings, rep, tmp_path, "What does it cost?\n")

    stranger = await client.post(f"/api/emails/{email_id}/triage", headers=rival[Role.ADMIN].headers)
    assert stranger.status_code == 404
    missing = await client.post(f"/api/emails/{uuid.uuid4()}/triage", headers=rep.headers)
    assert missing.status_code == 404
    anonymous = await client.post(f"/api/emails/{email_id}/triage")
    assert anonymous.status_code == 401

    sent = await _inbound(session, settings, team[Role.ADMIN], tmp_path, "Hello Jane\n", outbound=True)
    refused = await client.post(f"/api/emails/{sent}/triage", headers=team[Role.ADMIN].headers)
    assert refused.status_code == 409
    assert "inbound" in refused.json()["detail"]


async def _usage(session: AsyncSession, member: Member, day: date, **values: Any) -> None:
    fields = {"emails": 10, "requests": 10, "fallbacks": 0, "tokens_in": 9000, "tokens_out": 1500, "cost_usd": 0.0022}
    fields.update(values)
    session.add(
        AiUsage(
            workspace_id=member.workspace_id,
            day=day,
            user_id=member.user.id,
            user_key=str(member.user.id),
            provider=values.get("provider", "openai"),
            model="gpt-4o-mini",
            **{key: value for key, value in fields.items() if key != "provider"},
        )
    )
    await session.commit()


async def test_managers_read_ai_usage_per_day_and_rep(
    client: httpx.AsyncClient, team: dict[Role, Member], rival: dict[Role, Member], session: AsyncSession
) -> None:
    today = utcnow().date()
    rep, manager = team[Role.SALES_REP], team[Role.MANAGER]
    await _usage(session, rep, today)
    await _usage(session, rep, today - timedelta(days=1), emails=4, requests=5, tokens_in=4000, tokens_out=600)
    await _usage(
        session,
        manager,
        today,
        emails=2,
        requests=0,
        fallbacks=2,
        tokens_in=0,
        tokens_out=0,
        cost_usd=0.0,
        provider="offline (fallback)",
    )
    await _usage(session, rival[Role.ADMIN], today, emails=99)

    response = await client.get("/api/metrics/ai-usage", headers=manager.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["totals"]["emails"] == 16  # not the rival's 99
    assert report["totals"]["requests"] == 15
    assert report["totals"]["fallbacks"] == 2
    assert report["tokens_used_today"] == 10_500
    assert report["daily_token_budget"] == Settings().ai.daily_token_budget
    by_key = {(row["day"], row["user_name"]): row for row in report["rows"]}
    assert by_key[(today.isoformat(), "Rita Rep")]["tokens_in"] == 9000
    assert by_key[((today - timedelta(days=1)).isoformat(), "Rita Rep")]["requests"] == 5

    per_provider = await client.get("/api/metrics/ai-usage", params={"group_by": "provider"}, headers=manager.headers)
    providers = {row["provider"]: row for row in per_provider.json()["rows"]}
    assert providers["offline (fallback)"]["fallbacks"] == 2
    assert providers["openai"]["emails"] == 14
    assert per_provider.json()["totals"]["requests_per_email"] == round(15 / 16, 3)


async def test_ai_usage_is_for_managers_and_refuses_bad_ranges(
    client: httpx.AsyncClient, team: dict[Role, Member]
) -> None:
    manager = team[Role.MANAGER]
    assert (await client.get("/api/metrics/ai-usage", headers=team[Role.SALES_REP].headers)).status_code == 403
    backwards = await client.get(
        "/api/metrics/ai-usage", params={"since": "2026-11-10", "until": "2026-11-01"}, headers=manager.headers
    )
    assert backwards.status_code == 400
    assert "since" in backwards.text
    too_long = await client.get(
        "/api/metrics/ai-usage", params={"since": "2020-01-01", "until": "2026-11-01"}, headers=manager.headers
    )
    assert too_long.status_code == 400
    unknown = await client.get("/api/metrics/ai-usage", params={"group_by": "planet"}, headers=manager.headers)
    assert unknown.status_code == 400

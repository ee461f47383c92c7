"""AI triage on demand, and what the AI costs.

``POST /api/emails/{id}/triage`` re-reads one email now (the worker does it
for every new email on its own); ``GET /api/metrics/ai-usage`` reports LLM
requests, tokens and cost per day, rep and provider for managers.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from ai.providers import build_providers
from ai.schemas import TriageResult
from ai.triage import Triager
from ai.usage import GroupBy, UsageReport, usage_report
from inbox.core.db import Database, utcnow
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.principal import Principal
from inbox.settings import Settings
from inbox.threads.models import Direction, Email
from inbox.threads.repository import EmailRepository

MAX_USAGE_DAYS = 366


class TriageOut(BaseModel):
    email_id: uuid.UUID
    provider: str
    model: str
    prompt_version: str
    fallback_reason: str | None
    tokens_in: int
    tokens_out: int
    injection_flagged: bool
    draft_email_id: uuid.UUID | None
    action_ids: list[uuid.UUID]
    result: TriageResult


def triager_of(state: State) -> Triager:
    """The app's triager, made on first use (its provider keeps an HTTP client and a circuit breaker)."""
    triager: Triager | None = state.get("triager")
    if triager is None:
        settings: Settings = state.settings
        database: Database = state.database
        provider, offline = build_providers(settings.ai)
        triager = Triager(database, settings.ai, provider, offline)
        state.triager = triager
    return triager


class TriageController(Controller):
    path = "/emails"
    tags = ["emails"]

    @post("/{email_id:uuid}/triage", status_code=200)
    async def triage_email(
        self,
        state: State,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
    ) -> TriageOut:
        """Triage an inbound email again, now: insights, the lead, the draft reply.

        Nothing is duplicated: insights of the same prompt version are replaced, the reply
        action and its draft are updated in place, and a draft the rep has edited is kept."""
        repository = EmailRepository(db_session, principal)
        row = (
            await db_session.execute(
                repository.scoped().where(Email.id == email_id).with_only_columns(Email.id, Email.direction)
            )
        ).one_or_none()
        if row is None:
            raise NotFound.of("email")
        if row.direction != Direction.INBOUND:
            raise Conflict("only inbound email is triaged; this one was sent from the workspace", field="email_id")
        await db_session.commit()  # the triage writes in its own transaction
        outcome = await triager_of(state).triage(email_id, workspace_id=principal.workspace_id, force=True)
        if outcome.applied is None or outcome.answer is None:
            raise NotFound.of("email")
        answer, applied = outcome.answer, outcome.applied
        return TriageOut(
            email_id=email_id,
            provider=answer.provider,
            model=answer.model,
            prompt_version=answer.prompt_version,
            fallback_reason=answer.fallback_reason,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            injection_flagged=applied.injection,
            draft_email_id=applied.draft_email_id,
            action_ids=applied.action_ids,
            result=answer.result,
        )


class MetricsController(Controller):
    path = "/metrics"
    tags = ["metrics"]

    @get("/ai-usage")
    async def ai_usage(
        self,
        db_session: NamedDependency[AsyncSession],
        manager: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        since: Annotated[date | None, QueryParameter(description="first day (UTC), default 30 days ago")] = None,
        until: Annotated[date | None, QueryParameter(description="last day (UTC), default today")] = None,
        group_by: Annotated[
            list[GroupBy] | None, QueryParameter(description="repeatable: day, user, provider (default: day, user)")
        ] = None,
    ) -> UsageReport:
        """LLM requests, tokens and cost of the workspace per day, rep and provider (managers and admins)."""
        today = utcnow().date()
        until = until or today
        if since is None and until < date.min + timedelta(days=29):
            raise InvalidInput("until is too early to count 30 days back: give since", field="until")
        since = since or until - timedelta(days=29)
        if since > until:
            raise InvalidInput("since must be on or before until", field="since")
        if (until - since).days >= MAX_USAGE_DAYS:
            raise InvalidInput(f"ask for at most {MAX_USAGE_DAYS} days at a time", field="since")
        groups: list[GroupBy] = list(dict.fromkeys(group_by or ["day", "user"]))
        return await usage_report(
            db_session,
            manager.workspace_id,
            since=since,
            until=until,
            group_by=groups,
            today=today,
            daily_token_budget=app_settings.ai.daily_token_budget,
        )

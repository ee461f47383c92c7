"""Triage one inbound email: read its context, ask the provider once, write the result.

The provider call happens outside any transaction (it can take seconds).
The writes then run in one transaction that first locks the email's row and
checks again that nobody triaged it meanwhile, so a duplicated queue message
or a sweeper's re-enqueue writes nothing twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ai.apply import Applied, apply_triage, tokens_used_today
from ai.context import UUID_TYPE, EmailFacts, load_context
from ai.guard import detect_injection
from ai.providers.base import ProviderAnswer, TriageProvider
from ai.schemas import TriageInput
from inbox.core.db import Database, utcnow
from inbox.settings import AiSettings
from inbox.threads.models import Direction, Email

log = logging.getLogger(__name__)

BUDGET_READ_SECONDS = 5.0

Status = Literal["triaged", "already_triaged", "not_found", "not_inbound"]


@dataclass(frozen=True, slots=True)
class TriageOutcome:
    status: Status
    email_id: uuid.UUID
    applied: Applied | None = None
    answer: ProviderAnswer | None = None


_EMAILS = cast(sa.Table, Email.__table__)
_E = _EMAILS.c
_CLAIM_AGAIN = (
    sa.update(_EMAILS)
    .where(_E.id == sa.bindparam("p_email_id", type_=UUID_TYPE))
    .values(triaged_at=sa.bindparam("v_triaged_at", type_=_E.triaged_at.type))
    .returning(_E.id)
)
_CLAIM = _CLAIM_AGAIN.where(_E.triaged_at.is_(None))


class Triager:
    """Triage with one provider, falling back to ``offline`` where no LLM call is due.

    ``offline`` answers, at no cost, for the mail the ingestion already
    recognised by its headers (bounces, auto-replies) and once a workspace
    has spent its daily token budget."""

    def __init__(
        self, database: Database, settings: AiSettings, provider: TriageProvider, offline: TriageProvider
    ) -> None:
        self.database = database
        self.settings = settings
        self.provider = provider
        self.offline = offline
        # Tokens each workspace has used today, as last read plus what this process spent since,
        # read again after BUDGET_READ_SECONDS: the budget is checked without a query per email.
        self._used: dict[uuid.UUID, tuple[float, date, int]] = {}

    async def triage(
        self, email_id: uuid.UUID, *, workspace_id: uuid.UUID | None = None, force: bool = False
    ) -> TriageOutcome:
        """Triage ``email_id`` unless it already is; ``force`` re-runs it (the API's on-demand triage)."""
        async with self.database.read_sessionmaker() as session:
            loaded = await load_context(session, email_id, workspace_id=workspace_id)
            if loaded is None:
                return TriageOutcome("not_found", email_id)
            item, facts = loaded
            if facts.direction != Direction.INBOUND:
                return TriageOutcome("not_inbound", email_id)
            if facts.triaged_at is not None and not force:
                return TriageOutcome("already_triaged", email_id)
            over_budget = await self._over_budget(session, facts)
        # The connection is back in the pool while the model thinks: a pool of 10 serves
        # hundreds of emails in flight, not 10.
        answer = await self._answer(item, facts, over_budget)
        self._spent(facts.workspace_id, answer)
        # The words the model read: quoted history never reaches the prompt.
        injection = bool(detect_injection(item.new_text))
        async with self.database.transaction() as session:
            # Marking the email triaged comes first: the row lock it takes makes a concurrent
            # triage of the same email wait here, then find it done (or, forced, write after it).
            claimed = await session.execute(
                _CLAIM_AGAIN if force else _CLAIM, {"p_email_id": email_id, "v_triaged_at": utcnow()}
            )
            if claimed.first() is None:
                return TriageOutcome("already_triaged", email_id)
            applied = await apply_triage(
                session,
                facts,
                item,
                answer,
                injection=injection,
                first=not force,  # the claim above found triaged_at empty: nothing was written before
                price_in_per_million=self.settings.price_in_per_million,
                price_out_per_million=self.settings.price_out_per_million,
            )
        log.debug(
            "triaged email %s: %s/%s by %s%s",
            email_id,
            applied.intent,
            applied.temperature,
            answer.provider,
            f" (fallback: {answer.fallback_reason})" if answer.fallback_reason else "",
        )
        return TriageOutcome("triaged", email_id, applied, answer)

    async def _over_budget(self, session: AsyncSession, facts: EmailFacts) -> bool:
        """Whether the workspace has spent today's token budget (only asked where an LLM call is due).

        Replicas each add what they spend to what they last read, and read again every
        BUDGET_READ_SECONDS, so a busy workspace may overshoot by a few seconds' worth of tokens."""
        if facts.is_bounce or facts.is_auto_reply or self.provider is self.offline:
            return False
        if not self.settings.daily_token_budget:
            return False
        today = utcnow().date()
        cached = self._used.get(facts.workspace_id)
        if cached is None or cached[0] < time.monotonic() or cached[1] != today:
            used = await tokens_used_today(session, facts.workspace_id, today)
            if len(self._used) > 10_000:
                self._used.clear()
            cached = (time.monotonic() + BUDGET_READ_SECONDS, today, used)
            self._used[facts.workspace_id] = cached
        return cached[2] >= self.settings.daily_token_budget

    def _spent(self, workspace_id: uuid.UUID, answer: ProviderAnswer) -> None:
        cached = self._used.get(workspace_id)
        if cached is not None:
            self._used[workspace_id] = (cached[0], cached[1], cached[2] + answer.tokens_in + answer.tokens_out)

    async def _answer(self, item: TriageInput, facts: EmailFacts, over_budget: bool) -> ProviderAnswer:
        if facts.is_bounce or facts.is_auto_reply:
            # Recognised by their headers at ingestion: no LLM call.
            return await self.offline.triage(item)
        if over_budget:
            answer = await self.offline.triage(item)
            return replace(answer, fallback_reason=f"daily token budget of {self.settings.daily_token_budget} reached")
        started = time.perf_counter()
        answer = await self.provider.triage(item)
        if not answer.latency_ms:
            answer = replace(answer, latency_ms=(time.perf_counter() - started) * 1000)
        return answer


async def untriaged_emails(database: Database, *, older_than_seconds: float, limit: int = 500) -> list[uuid.UUID]:
    """Inbound mail that no triage has read, stored more than ``older_than_seconds`` ago: the sweeper's list.

    Reads the partial index ``ix_emails_untriaged`` (all workspaces: the sweeper is a system process)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    async with database.read_sessionmaker() as session:
        rows = await session.scalars(
            sa.select(Email.id)
            .where(Email.direction == Direction.INBOUND, Email.triaged_at.is_(None), Email.created_at <= cutoff)
            .order_by(Email.created_at)
            .limit(limit)
        )
        return list(rows)

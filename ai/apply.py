"""The writes of one triage, in the caller's transaction.

Insights, the lead's temperature and suggestion, the reply action with its
draft, follow-up and meeting actions, and what an intent means for the lead
(unsubscribe, out of office, referral). Everything is keyed so that writing
the same email's triage again updates rows in place and adds none.

The provider's answer is untrusted. Addresses come from the thread, never
from the model (a referral address is used only if the email itself contains
it), lengths are bounded by :class:`TriageResult`, and an email that tries to
instruct the model changes nothing but its own insights: it can neither warm
the lead nor create contacts, stop sequences or unsubscribe anyone.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ai.context import UUID_TYPE, EmailFacts
from ai.providers.base import ProviderAnswer
from ai.schemas import AUTOMATED_INTENTS, Intent, NextAction, TriageInput, TriageResult, Urgency
from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.contacts.models import Contact, ContactStatus, Temperature
from inbox.contacts.unsubscribe import unsubscribe_contact
from inbox.core.db import sql_now, utcnow
from inbox.insights.models import AiInsight, AiUsage, InsightType
from inbox.sequences.models import EnrollmentStatus, SequenceEnrollment
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.threads.state import after_triage, refresh_threads

log = logging.getLogger(__name__)

_TEMPERATURE_RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2}
_PRIORITY = {Urgency.LOW: ActionPriority.LOW, Urgency.MEDIUM: ActionPriority.MEDIUM, Urgency.HIGH: ActionPriority.HIGH}
_REPLY_WITHIN = {Urgency.HIGH: timedelta(hours=4), Urgency.MEDIUM: timedelta(days=1), Urgency.LOW: timedelta(days=3)}
# Lifecycle statuses a triage may move a lead to, and those it never moves a lead out of.
_STATUS_FOR_INTENT = {
    Intent.MEETING_REQUEST: ContactStatus.MEETING_SCHEDULED,
    Intent.INTERESTED: ContactStatus.INTERESTED,
    Intent.NOT_INTERESTED: ContactStatus.NOT_INTERESTED,
    Intent.UNSUBSCRIBE: ContactStatus.NOT_INTERESTED,
    Intent.QUESTION: ContactStatus.REPLIED,
    Intent.OBJECTION: ContactStatus.REPLIED,
    Intent.REFERRAL: ContactStatus.REPLIED,
    Intent.OTHER: ContactStatus.REPLIED,
}
_SETTLED = {ContactStatus.QUALIFIED, ContactStatus.CUSTOMER, ContactStatus.CHURNED}
# Forward moves only: a later "question" does not undo a booked meeting.
_STAGE = {
    ContactStatus.NEW: 0,
    ContactStatus.CONTACTED: 1,
    ContactStatus.REPLIED: 2,
    ContactStatus.INTERESTED: 3,
    ContactStatus.NOT_INTERESTED: 3,
    ContactStatus.MEETING_SCHEDULED: 4,
}
DEFAULT_PAUSE = timedelta(days=7)  # out of office with no return date
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Applied:
    """What a triage wrote, for logs, the API and tests."""

    email_id: uuid.UUID
    intent: str
    temperature: str
    draft_email_id: uuid.UUID | None
    action_ids: list[uuid.UUID]
    injection: bool
    contact_updated: bool


def _insert(session: AsyncSession, model: Any) -> Any:
    """INSERT into a table (or a model's) that can say ON CONFLICT, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(session: AsyncSession, which: str) -> Any:
    """The upsert of insights or of a usage row, built once per dialect (building one costs more than running it)."""
    dialect = session.get_bind().dialect.name
    statement = _UPSERTS.get((which, dialect))
    if statement is not None:
        return statement
    if which == "insights":
        insert = _insert(session, AiInsight.__table__)
        statement = insert.on_conflict_do_update(
            index_elements=["email_id", "insight_type", "prompt_version"],
            set_={
                "content": insert.excluded.content,
                "data": insert.excluded.data,
                "confidence": insert.excluded.confidence,
                "provider": insert.excluded.provider,
                "model": insert.excluded.model,
                "tokens_in": insert.excluded.tokens_in,
                "tokens_out": insert.excluded.tokens_out,
                "updated_at": sql_now(),
            },
        )
    else:
        insert = _insert(session, AiUsage.__table__)
        table = AiUsage.__table__
        statement = insert.on_conflict_do_update(
            index_elements=["workspace_id", "day", "user_key", "provider", "model"],
            set_={
                "emails": table.c.emails + insert.excluded.emails,
                "requests": table.c.requests + insert.excluded.requests,
                "fallbacks": table.c.fallbacks + insert.excluded.fallbacks,
                "tokens_in": table.c.tokens_in + insert.excluded.tokens_in,
                "tokens_out": table.c.tokens_out + insert.excluded.tokens_out,
                "cost_usd": table.c.cost_usd + insert.excluded.cost_usd,
                "updated_at": sql_now(),
            },
        )
    _UPSERTS[(which, dialect)] = statement
    return statement


async def apply_triage(
    session: AsyncSession,
    facts: EmailFacts,
    item: TriageInput,
    answer: ProviderAnswer,
    *,
    injection: bool,
    first: bool = False,
    price_in_per_million: float = 0.0,
    price_out_per_million: float = 0.0,
) -> Applied:
    """Write ``answer`` for the email of ``facts``. The caller holds the email's row lock and has set
    its ``triaged_at``. ``first`` says no earlier triage wrote anything for it (no rows to update)."""
    result = answer.result
    now = utcnow()
    injection = injection or result.injection_detected
    await _write_insights(session, facts, answer, injection, now)
    drafting = result.needs_reply and result.draft is not None and bool(facts.from_address)

    contact_updated = False
    referral_id: uuid.UUID | None = None
    if facts.contact_id is not None:
        contact_updated = await _update_contact(session, facts, result, injection, drafting)
        if not injection:
            if result.intent is Intent.UNSUBSCRIBE:
                await _unsubscribe(session, facts, now)
            elif result.intent is Intent.OUT_OF_OFFICE:
                await _pause_enrollments(session, facts, result.return_date, now)
            if result.referral_email:
                referral_id = await _referral(session, facts, item, result.referral_email, now)

    draft_id: uuid.UUID | None = None
    action_ids: list[uuid.UUID] = []
    if drafting:
        draft_id, reply_id = await _reply_action(session, facts, result, now, first)
        action_ids.append(reply_id)
    elif result.needs_reply:
        action_ids.append(
            await _upsert_action(session, facts, ActionType.REPLY, _reply_title(facts), result, now, first=first)
        )
    if result.next_action is NextAction.FOLLOW_UP:
        title = f"Follow up with {facts.from_address}"
        if result.intent is Intent.OUT_OF_OFFICE and result.return_date:
            title += f" (back {result.return_date.isoformat()})"
        action_ids.append(await _upsert_action(session, facts, ActionType.FOLLOW_UP, title, result, now, first=first))
    elif result.next_action is NextAction.MEETING:
        title = f"Book the meeting {facts.from_address} asked for"
        action_ids.append(await _upsert_action(session, facts, ActionType.MEETING, title, result, now, first=first))
    if referral_id is not None and result.referral_email:
        title = f"Reach out to {result.referral_email} (referred by {facts.from_address})"
        action_ids.append(
            await _upsert_action(
                session, facts, ActionType.EMAIL, title, result, now, contact_id=referral_id, first=first
            )
        )
    if facts.thread_id is not None and facts.received_at is not None:
        await after_triage(
            session,
            thread_id=facts.thread_id,
            received_at=facts.received_at,
            intent=result.intent.value,
            urgency=result.urgency.value,
            needs_reply=result.needs_reply,
            drafted=draft_id is not None,
        )
    elif facts.thread_id is not None:
        await refresh_threads(session, [facts.thread_id])
    await record_usage(
        session,
        workspace_id=facts.workspace_id,
        user_id=facts.rep_user_id,
        answer=answer,
        day=now.date(),
        price_in_per_million=price_in_per_million,
        price_out_per_million=price_out_per_million,
    )
    return Applied(
        email_id=facts.email_id,
        intent=result.intent.value,
        temperature=result.temperature.value,
        draft_email_id=draft_id,
        action_ids=action_ids,
        injection=injection,
        contact_updated=contact_updated,
    )


# Insights ---------------------------------------------------------------------------------


async def _write_insights(
    session: AsyncSession, facts: EmailFacts, answer: ProviderAnswer, injection: bool, now: datetime
) -> None:
    result = answer.result
    confidence = result.confidence
    common = {
        "workspace_id": facts.workspace_id,
        "email_id": facts.email_id,
        "contact_id": facts.contact_id,
        "thread_id": facts.thread_id,
        "provider": answer.provider,
        "model": answer.model[:128],
        "prompt_version": answer.prompt_version[:64],
        "tokens_in": None,
        "tokens_out": None,
    }
    source = {"fallback_reason": answer.fallback_reason} if answer.fallback_reason else {}
    rows: list[dict[str, Any]] = [
        {
            **common,
            "insight_type": InsightType.INTENT,
            "content": result.intent.value,
            "confidence": confidence.intent,
            "data": {**source, "requests": answer.requests, "latency_ms": round(answer.latency_ms, 1)},
            # The email's tokens are counted once, on its intent row.
            "tokens_in": answer.tokens_in,
            "tokens_out": answer.tokens_out,
        },
        {
            **common,
            "insight_type": InsightType.SENTIMENT,
            "content": result.sentiment.value,
            "confidence": confidence.sentiment,
            "data": {"score": result.sentiment_score},
        },
        {
            **common,
            "insight_type": InsightType.URGENCY,
            "content": result.urgency.value,
            "confidence": confidence.urgency,
            "data": {},
        },
        {
            **common,
            "insight_type": InsightType.SUMMARY,
            "content": result.summary,
            "confidence": None,
            "data": {},
        },
        {
            **common,
            "insight_type": InsightType.TEMPERATURE,
            "content": result.temperature.value,
            "confidence": confidence.temperature,
            "data": {"evidence": list(result.temperature_evidence)},
        },
        {
            **common,
            "insight_type": InsightType.SUGGESTION,
            "content": suggestion_text(result),
            "confidence": confidence.next_action,
            "data": {
                "next_action": result.next_action.value,
                "next_action_due": result.next_action_due.isoformat() if result.next_action_due else None,
                "needs_reply": result.needs_reply,
                "needs_reply_confidence": confidence.needs_reply,
                "return_date": result.return_date.isoformat() if result.return_date else None,
                "referral_email": result.referral_email,
            },
        },
    ]
    if injection:
        rows.append(
            {
                **common,
                "insight_type": InsightType.INJECTION_ATTEMPT,
                "content": "This email contains text that tries to instruct an AI system; "
                "it was treated as data and changed nothing on the lead.",
                "confidence": None,
                "data": {"flagged_by_model": result.injection_detected},
            }
        )
    for row in rows:
        row["id"] = uuid.uuid4()
    await session.execute(_upsert(session, "insights"), rows)


def suggestion_text(result: TriageResult) -> str:
    """The one line a rep reads in the lead list."""
    if result.intent is Intent.OUT_OF_OFFICE:
        return (
            f"Out of office; follow up on {result.return_date.isoformat()}" if result.return_date else "Out of office"
        )
    if result.intent is Intent.UNSUBSCRIBE:
        return "Asked to be removed: unsubscribed, no further email"
    if result.intent is Intent.REFERRAL and result.referral_email:
        return f"Referred you to {result.referral_email}"
    labels = {
        NextAction.REPLY: "Reply",
        NextAction.FOLLOW_UP: "Follow up",
        NextAction.MEETING: "Book the meeting",
        NextAction.NONE: "No action needed",
    }
    text = labels[result.next_action]
    if result.next_action is not NextAction.NONE and result.next_action_due is not None:
        text += f" by {result.next_action_due:%Y-%m-%d %H:%M} UTC"
    return text


# The lead ---------------------------------------------------------------------------------


async def _update_contact(
    session: AsyncSession, facts: EmailFacts, result: TriageResult, injection: bool, drafting: bool
) -> bool:
    """The lead's temperature, suggestion, lifecycle and draft flag, from its newest triaged email only.

    One statement: the update applies unless a later inbound email of the lead was triaged already."""
    values: dict[str, Any] = {"ai_suggestion": suggestion_text(result)}
    if drafting:
        values["has_ai_draft"] = True
    # An out-of-office or a ticket robot says nothing about the lead's interest.
    if result.intent not in (Intent.OUT_OF_OFFICE, Intent.AUTO_REPLY):
        temperature = result.temperature
        current = Temperature(facts.contact_temperature) if facts.contact_temperature else None
        if injection and current is not None and _TEMPERATURE_RANK[temperature] > _TEMPERATURE_RANK[current]:
            temperature = current  # text that instructs the model never warms a lead
        values["temperature"] = temperature
    status = _STATUS_FOR_INTENT.get(result.intent)
    current_status = ContactStatus(facts.contact_status) if facts.contact_status else None
    if (
        status is not None
        and not injection
        and current_status not in _SETTLED
        and (current_status is None or _STAGE.get(status, 0) >= _STAGE.get(current_status, 0) or _is_no(status))
    ):
        values["status"] = status
    params = {f"v_{column}": value for column, value in values.items()}
    params |= {"p_contact_id": facts.contact_id, "p_workspace_id": facts.workspace_id}
    if facts.received_at is not None:
        params |= {"p_email_id": facts.email_id, "p_received_at": facts.received_at}
    statement = _contact_update(tuple(sorted(values)), guarded=facts.received_at is not None)
    updated = await session.execute(statement, params)
    return bool(getattr(updated, "rowcount", 0))


_CONTACTS = cast(sa.Table, Contact.__table__)
_C = _CONTACTS.c
_E = Email.__table__.c
_CONTACT_UPDATES: dict[tuple[tuple[str, ...], bool], Any] = {}


def _contact_update(columns: tuple[str, ...], *, guarded: bool) -> Any:
    """UPDATE contacts SET ``columns`` (bound as ``v_<column>``), unless a later inbound email of the lead
    was triaged already (``guarded``); one statement per shape, built once."""
    key = (columns, guarded)
    statement = _CONTACT_UPDATES.get(key)
    if statement is None:
        statement = sa.update(_CONTACTS).where(
            _C.id == sa.bindparam("p_contact_id", type_=UUID_TYPE),
            _C.workspace_id == sa.bindparam("p_workspace_id", type_=UUID_TYPE),
        )
        if guarded:
            later = (
                sa.select(_E.id)
                .where(
                    _E.workspace_id == sa.bindparam("p_workspace_id", type_=UUID_TYPE),
                    _E.contact_id == sa.bindparam("p_contact_id", type_=UUID_TYPE),
                    _E.direction == Direction.INBOUND,
                    _E.triaged_at.is_not(None),
                    _E.received_at > sa.bindparam("p_received_at", type_=_E.received_at.type),
                    _E.id != sa.bindparam("p_email_id", type_=UUID_TYPE),
                )
                .exists()
            )
            statement = statement.where(~later)
        statement = statement.values({column: sa.bindparam(f"v_{column}", type_=_C[column].type) for column in columns})
        _CONTACT_UPDATES[key] = statement
    return statement


def _is_no(status: ContactStatus) -> bool:
    return status is ContactStatus.NOT_INTERESTED


async def _unsubscribe(session: AsyncSession, facts: EmailFacts, now: datetime) -> None:
    if facts.contact_id is not None:
        await unsubscribe_contact(
            session, facts.workspace_id, facts.contact_id, now, reason="unsubscribe request (AI triage)"
        )


async def _update_open_enrollments(session: AsyncSession, facts: EmailFacts, **values: Any) -> None:
    """Change the lead's running (active or paused) sequence enrollments."""
    await session.execute(
        sa.update(SequenceEnrollment)
        .where(
            SequenceEnrollment.workspace_id == facts.workspace_id,
            SequenceEnrollment.contact_id == facts.contact_id,
            SequenceEnrollment.status.in_([EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _pause_enrollments(session: AsyncSession, facts: EmailFacts, back: date | None, now: datetime) -> None:
    until = datetime.combine(back, time(8, 0), tzinfo=UTC) if back else now + DEFAULT_PAUSE
    if until <= now:
        return
    await _update_open_enrollments(
        session, facts, status=EnrollmentStatus.PAUSED, paused_until=until, hold_reason="out of office"
    )


async def _referral(
    session: AsyncSession, facts: EmailFacts, item: TriageInput, address: str, now: datetime
) -> uuid.UUID | None:
    """The contact the sender referred the rep to, created if new (or None if the address is not usable)."""
    address = address.strip().lower()
    if not _ADDRESS.fullmatch(address):
        return None
    # The model may only point at an address the sender actually wrote.
    written = {found.lower() for found in _ADDRESS.findall(item.body_text or "")}
    written |= {found.lower() for found in _ADDRESS.findall(item.new_text or "")}
    written |= {cc.lower() for cc in item.cc_addresses}
    if address not in written or address == (facts.from_address or "").lower():
        return None
    if facts.mailbox_address and address == facts.mailbox_address.lower():
        return None
    same_company = (
        facts.from_address is not None and address.rsplit("@", 1)[1] == facts.from_address.lower().rsplit("@", 1)[1]
    )
    statement = (
        _insert(session, Contact)
        .values(
            id=uuid.uuid4(),
            workspace_id=facts.workspace_id,
            email=address,
            account_id=facts.account_id if same_company else None,
            owner_id=facts.assignee_id,
            source="referral",
            custom_fields={"referred_by": str(facts.contact_id), "referred_in_email": str(facts.email_id)},
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
    )
    await session.execute(statement)
    return await session.scalar(
        sa.select(Contact.id).where(Contact.workspace_id == facts.workspace_id, Contact.email == address)
    )


# Actions ----------------------------------------------------------------------------------


def _reply_title(facts: EmailFacts) -> str:
    subject = (facts.subject or "").strip() or "(no subject)"
    return f"Reply to {facts.from_address}: {subject}"[:250]


def _due(result: TriageResult, now: datetime) -> datetime:
    if result.next_action_due is not None:
        due = result.next_action_due
        if due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        # A due time in the past, or absurdly far ahead, is the model's mistake.
        if now - timedelta(days=1) <= due <= now + timedelta(days=366):
            return due
    return now + _REPLY_WITHIN[result.urgency]


async def _existing_action(
    session: AsyncSession, facts: EmailFacts, action_type: ActionType
) -> tuple[uuid.UUID, ActionStatus, uuid.UUID | None] | None:
    row = (
        await session.execute(
            sa.select(Action.id, Action.status, Action.draft_email_id)
            .where(
                Action.workspace_id == facts.workspace_id,
                Action.email_id == facts.email_id,
                Action.type == action_type,
                Action.source == ActionSource.AI,
            )
            .limit(1)
        )
    ).one_or_none()
    return (row.id, row.status, row.draft_email_id) if row else None


async def _upsert_action(
    session: AsyncSession,
    facts: EmailFacts,
    action_type: ActionType,
    title: str,
    result: TriageResult,
    now: datetime,
    *,
    contact_id: uuid.UUID | None = None,
    draft_email_id: uuid.UUID | None = None,
    extra: dict[str, Any] | None = None,
    first: bool = False,
) -> uuid.UUID:
    values: dict[str, Any] = {
        "title": title[:250],
        "description": result.summary,
        "priority": _PRIORITY[result.urgency],
        "due_at": _due(result, now),
        "data": {"intent": result.intent.value, "temperature": result.temperature.value, **(extra or {})},
    }
    existing = None if first else await _existing_action(session, facts, action_type)
    if existing is not None:
        action_id, status, _ = existing
        if draft_email_id is not None:
            values["draft_email_id"] = draft_email_id
        if status is ActionStatus.PENDING:  # a person's decision on it stands
            await session.execute(
                sa.update(Action)
                .where(Action.id == action_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return action_id
    action_id = uuid.uuid4()
    await session.execute(
        _INSERT_ACTION,
        {
            "id": action_id,
            "workspace_id": facts.workspace_id,
            "type": action_type,
            "source": ActionSource.AI,
            "status": ActionStatus.PENDING,
            "assigned_to_id": facts.assignee_id,
            "contact_id": contact_id or facts.contact_id,
            "account_id": facts.account_id,
            "thread_id": facts.thread_id,
            "email_id": facts.email_id,
            "draft_email_id": draft_email_id,
            **values,
        },
    )
    return action_id


_INSERT_ACTION = sa.insert(cast(sa.Table, Action.__table__))
_INSERT_EMAIL = sa.insert(cast(sa.Table, Email.__table__))


def _reply_subject(facts: EmailFacts, proposed: str) -> str:
    original = (facts.subject or "").strip()
    proposed = " ".join(proposed.split())
    if proposed and original and original.lower().removeprefix("re:").strip() in proposed.lower():
        return proposed[:300]
    if not original:
        return proposed[:300] or "Re:"
    return original if original.lower().startswith("re:") else f"Re: {original}"[:300]


async def _reply_action(
    session: AsyncSession, facts: EmailFacts, result: TriageResult, now: datetime, first: bool
) -> tuple[uuid.UUID, uuid.UUID]:
    """The reply action and its draft: an outbound email in the thread, to the sender only.

    Triaging the email again refreshes a draft nobody has touched (its text is
    still what the AI wrote, by digest) and leaves an edited one alone."""
    assert result.draft is not None
    assert facts.from_address
    subject = _reply_subject(facts, result.draft.subject)
    body = result.draft.body
    digest = draft_digest(subject, body)
    existing = None if first else await _existing_action(session, facts, ActionType.REPLY)
    if existing is not None and existing[2] is not None:
        action_id, status, draft_id = existing[0], existing[1], existing[2]
        if status is ActionStatus.PENDING:
            draft = (
                await session.execute(
                    sa.select(Email.subject, Email.body_text, Email.delivery_status).where(Email.id == draft_id)
                )
            ).one_or_none()
            previous = (await session.scalar(sa.select(Action.data).where(Action.id == action_id)) or {}).get(
                "draft_digest"
            )
            untouched = (
                draft is not None
                and draft.delivery_status == DeliveryStatus.DRAFT
                and draft_digest(draft.subject or "", draft.body_text or "") == previous
            )
            if untouched:
                await session.execute(
                    sa.update(Email)
                    .where(Email.id == draft_id)
                    .values(subject=subject, body_text=body)
                    .execution_options(synchronize_session=False)
                )
            await _upsert_action(
                session,
                facts,
                ActionType.REPLY,
                _reply_title(facts),
                result,
                now,
                extra={"draft_digest": digest if untouched else previous},
            )
        return draft_id, action_id
    draft_id = uuid.uuid4()
    references = [*facts.references, facts.message_id] if facts.message_id else list(facts.references)
    await session.execute(
        _INSERT_EMAIL,
        {
            "id": draft_id,
            "workspace_id": facts.workspace_id,
            "thread_id": facts.thread_id,
            "email_account_id": facts.email_account_id,
            "contact_id": facts.contact_id,
            "user_id": facts.rep_user_id,
            "direction": Direction.OUTBOUND,
            "delivery_status": DeliveryStatus.DRAFT,
            "from_address": facts.mailbox_address,
            "to_addresses": [facts.from_address.lower()],
            "subject": subject,
            "body_text": body,
            "in_reply_to": facts.message_id,
            "references": references[-20:],
            "ai_generated": True,
        },
    )
    if existing is not None:  # an earlier triage left a reply action without a draft
        await session.execute(
            sa.update(Action)
            .where(Action.id == existing[0], Action.status == ActionStatus.PENDING)
            .values(draft_email_id=draft_id)
            .execution_options(synchronize_session=False)
        )
    action_id = await _upsert_action(
        session,
        facts,
        ActionType.REPLY,
        _reply_title(facts),
        result,
        now,
        draft_email_id=draft_id,
        extra={"draft_digest": digest},
        first=first,
    )
    return draft_id, action_id


def draft_digest(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()[:32]


# Usage ------------------------------------------------------------------------------------


async def record_usage(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID | None,
    answer: ProviderAnswer,
    day: date,
    price_in_per_million: float,
    price_out_per_million: float,
) -> None:
    """Add one email's requests, tokens and cost to the day's usage row."""
    cost = (answer.tokens_in * price_in_per_million + answer.tokens_out * price_out_per_million) / 1_000_000
    provider = answer.provider if not answer.fallback_reason else f"{answer.provider} (fallback)"
    await session.execute(
        _upsert(session, "usage"),
        {
            "id": uuid.uuid4(),
            "workspace_id": workspace_id,
            "day": day,
            "user_id": user_id,
            "user_key": str(user_id) if user_id else "",
            "provider": provider[:64],
            "model": answer.model[:128],
            "emails": 1,
            "requests": answer.requests,
            "fallbacks": 1 if answer.fallback_reason else 0,
            "tokens_in": answer.tokens_in,
            "tokens_out": answer.tokens_out,
            "cost_usd": cost,
        },
    )


async def tokens_used_today(session: AsyncSession, workspace_id: uuid.UUID, day: date) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AiUsage.tokens_in + AiUsage.tokens_out), 0)).where(
            AiUsage.workspace_id == workspace_id, AiUsage.day == day
        )
    )
    return int(total or 0)


def is_automated(result: TriageResult) -> bool:
    return result.intent in AUTOMATED_INTENTS

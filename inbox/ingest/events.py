"""Delivery and engagement events of our outbound mail, recorded once each.

Providers report what happened to a message we sent (delivered, opened,
clicked, bounced, a spam complaint, an unsubscribe). Each event is matched to
our email by the ``email_id`` custom variable we attach when sending or, failing
that, by the Message-ID we set; the workspace is the matched email's, never one
named in the payload. An event for mail we do not know is skipped and counted.

Recording is idempotent: ``email_events`` is unique on (provider,
provider_event_id) and the effects of an event (counters, the email's
``delivery_status``, the contact's ``bounced``/``unsubscribed``) are applied only
when its row is new, so a provider's retry changes nothing. Status moves only
forward (sent → delivered → opened → clicked; replied is never overwritten), in
SQL, so two deliveries racing cannot move it back.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.contacts.unsubscribe import unsubscribe_contact
from inbox.ingest.types import BounceKind
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailEvent, EmailEventType

logger = logging.getLogger(__name__)

# Statuses an email may be moved out of by each kind of news (never backwards).
_BEFORE_DELIVERED = (
    DeliveryStatus.SCHEDULED,
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENDING,
    DeliveryStatus.SENT,
)
_PROMOTABLE: dict[DeliveryStatus, tuple[DeliveryStatus, ...]] = {
    DeliveryStatus.DELIVERED: _BEFORE_DELIVERED,
    DeliveryStatus.OPENED: (*_BEFORE_DELIVERED, DeliveryStatus.DELIVERED),
    DeliveryStatus.CLICKED: (*_BEFORE_DELIVERED, DeliveryStatus.DELIVERED, DeliveryStatus.OPENED),
    # A bounce after "delivered" is a late bounce; once opened, some recipient did get it.
    DeliveryStatus.BOUNCED: (*_BEFORE_DELIVERED, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED),
}
_PROGRESS = {
    EmailEventType.DELIVERED: DeliveryStatus.DELIVERED,
    EmailEventType.OPENED: DeliveryStatus.OPENED,
    EmailEventType.CLICKED: DeliveryStatus.CLICKED,
}
_RANK = {DeliveryStatus.DELIVERED: 1, DeliveryStatus.OPENED: 2, DeliveryStatus.CLICKED: 3}
_TEXT_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """One provider event, normalised. ``message_id`` carries no angle brackets."""

    provider: str
    provider_event_id: str
    event_type: EmailEventType
    occurred_at: datetime
    recipient: str | None = None
    message_id: str | None = None
    email_id: uuid.UUID | None = None
    # For bounces: only a hard bounce marks the contact bounced.
    bounce_kind: BounceKind | None = None
    url: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    # Opens made by a mail client's privacy proxy (Apple Mail), not a person: recorded, not counted.
    is_machine: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RecordedEvents:
    recorded: int = 0  # new email_events rows
    duplicates: int = 0  # already recorded (a provider's retry)
    unmatched: int = 0  # not about an email of ours: skipped


@dataclass(frozen=True, slots=True)
class _Target:
    email_id: uuid.UUID
    workspace_id: uuid.UUID
    contact_id: uuid.UUID | None


@dataclass(slots=True)
class _EmailChange:
    opens: int = 0
    clicks: int = 0
    progress: DeliveryStatus | None = None
    bounced: bool = False


def bare_message_id(value: str | None) -> str | None:
    """A Message-ID as we store it: trimmed, without angle brackets."""
    if not value:
        return None
    value = value.strip().strip("<>").strip()
    return value or None


def _insert(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(EmailEvent)
    return sqlite.insert(EmailEvent)


def storable_text(value: str) -> str:
    """Text PostgreSQL accepts: no NUL, no lone surrogate (a JSON ``"\\ud800"`` decodes to one)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _clean(value: Any) -> Any:
    """JSON that PostgreSQL stores (see :func:`storable_text`)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {_clean(str(key)): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _text(value: str | None, limit: int = _TEXT_LIMIT) -> str | None:
    return storable_text(value)[:limit] or None if value else None


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


async def record_events(session: AsyncSession, events: Sequence[ProviderEvent]) -> RecordedEvents:
    """Write the new events of ``events`` and apply their effects (in the caller's transaction)."""
    result = RecordedEvents()
    unique: dict[tuple[str, str], ProviderEvent] = {}
    for event in events:
        event = replace(
            event,
            provider_event_id=storable_text(event.provider_event_id)[:998],
            recipient=_text(event.recipient, 320),
            message_id=_text(bare_message_id(event.message_id), 998),
        )
        key = (event.provider, event.provider_event_id)
        if key in unique:
            result.duplicates += 1
        else:
            unique[key] = event
    if not unique:
        return result

    targets = await _match_emails(session, list(unique.values()))
    matched = [(event, targets[key]) for key, event in unique.items() if key in targets]
    result.unmatched = len(unique) - len(matched)
    if result.unmatched:
        logger.info("skipped %d provider event(s) about mail we do not know", result.unmatched)
    if not matched:
        return result

    contacts = await _contacts_by_address(session, matched)
    rows = []
    for event, target in matched:
        contact_id = contacts.get((target.workspace_id, (event.recipient or "").lower()), target.contact_id)
        rows.append(
            {
                "id": uuid.uuid4(),
                "workspace_id": target.workspace_id,
                "email_id": target.email_id,
                "contact_id": contact_id,
                "event_type": event.event_type,
                "occurred_at": event.occurred_at,
                "url": _text(event.url),
                "ip_address": _ip(event.ip_address),
                "user_agent": _text(event.user_agent),
                "is_machine": event.is_machine,
                "provider": event.provider,
                "provider_event_id": event.provider_event_id,
                "data": _clean(event.data),
            }
        )
    statement = _insert(session).on_conflict_do_nothing().returning(EmailEvent.provider, EmailEvent.provider_event_id)
    inserted = {(row.provider, row.provider_event_id) for row in await session.execute(statement, rows)}
    fresh = [(event, target) for event, target in matched if (event.provider, event.provider_event_id) in inserted]
    result.recorded = len(fresh)
    result.duplicates += len(matched) - len(fresh)
    await _apply(session, sorted(fresh, key=lambda pair: pair[0].occurred_at), contacts)
    return result


async def _match_emails(session: AsyncSession, events: list[ProviderEvent]) -> dict[tuple[str, str], _Target]:
    """Our outbound email of each event: by the email_id we attached, else by a Message-ID only one email has."""
    ids = {event.email_id for event in events if event.email_id}
    message_ids = {mid for event in events if (mid := bare_message_id(event.message_id))}
    conditions = []
    if ids:
        conditions.append(Email.id.in_(ids))
    if message_ids:
        conditions.append(Email.message_id.in_([*message_ids, *(f"<{mid}>" for mid in message_ids)]))
    if not conditions:
        return {}
    rows = await session.execute(
        sa.select(Email.id, Email.workspace_id, Email.contact_id, Email.message_id).where(
            Email.direction == Direction.OUTBOUND, sa.or_(*conditions)
        )
    )
    by_id: dict[uuid.UUID, _Target] = {}
    by_message_id: dict[str, list[_Target]] = {}
    for row in rows:
        email = _Target(row.id, row.workspace_id, row.contact_id)
        by_id[row.id] = email
        if mid := bare_message_id(row.message_id):
            by_message_id.setdefault(mid, []).append(email)
    found: dict[tuple[str, str], _Target] = {}
    for event in events:
        target = by_id.get(event.email_id) if event.email_id else None
        if target is None and (mid := bare_message_id(event.message_id)):
            candidates = by_message_id.get(mid, [])
            # The same Message-ID in two workspaces is not ours to pick from.
            target = candidates[0] if len(candidates) == 1 else None
        if target is not None:
            found[(event.provider, event.provider_event_id)] = target
    return found


async def _contacts_by_address(
    session: AsyncSession, matched: list[tuple[ProviderEvent, _Target]]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    wanted: dict[uuid.UUID, set[str]] = {}
    for event, target in matched:
        if event.recipient:
            wanted.setdefault(target.workspace_id, set()).add(event.recipient.lower())
    if not wanted:
        return {}
    rows = await session.execute(
        sa.select(Contact.id, Contact.workspace_id, Contact.email).where(
            sa.or_(
                *(
                    sa.and_(Contact.workspace_id == workspace_id, Contact.email.in_(addresses))
                    for workspace_id, addresses in wanted.items()
                )
            )
        )
    )
    return {(row.workspace_id, row.email): row.id for row in rows}


async def _apply(
    session: AsyncSession,
    fresh: list[tuple[ProviderEvent, _Target]],
    contacts: dict[tuple[uuid.UUID, str], uuid.UUID],
) -> None:
    """Counters and status per email (one UPDATE each), then the contacts' flags."""
    changes: dict[uuid.UUID, _EmailChange] = {}
    for event, target in fresh:
        change = changes.setdefault(target.email_id, _EmailChange())
        kind = event.event_type
        if kind is EmailEventType.BOUNCED:
            change.bounced = True
        elif kind in _PROGRESS and not event.is_machine:
            if kind is EmailEventType.OPENED:
                change.opens += 1
            elif kind is EmailEventType.CLICKED:
                change.clicks += 1
            status = _PROGRESS[kind]
            if change.progress is None or _RANK[status] > _RANK[change.progress]:
                change.progress = status
    for email_id, change in changes.items():
        await _update_email(session, email_id, change)

    for event, target in fresh:
        address = (event.recipient or "").lower()
        contact_id = contacts.get((target.workspace_id, address), target.contact_id)
        if contact_id is None:
            continue
        if event.event_type is EmailEventType.BOUNCED and event.bounce_kind == BounceKind.HARD:
            await mark_bounced(session, [contact_id], event.occurred_at)
        elif event.event_type in (EmailEventType.UNSUBSCRIBED, EmailEventType.SPAM_COMPLAINT):
            # A spam complaint is the strongest "stop mailing me" there is: unsubscribed, every sequence stopped.
            await unsubscribe_contact(
                session, target.workspace_id, contact_id, event.occurred_at, reason=str(event.event_type)
            )


def _promote(status: DeliveryStatus) -> sa.ColumnElement[Any]:
    allowed = sa.or_(Email.delivery_status.is_(None), Email.delivery_status.in_(_PROMOTABLE[status]))
    return sa.case((allowed, sa.literal(status, Email.delivery_status.type)), else_=Email.delivery_status)


async def _update_email(session: AsyncSession, email_id: uuid.UUID, change: _EmailChange) -> None:
    values: dict[Any, Any] = {}
    if change.opens:
        values[Email.open_count] = Email.open_count + change.opens
    if change.clicks:
        values[Email.click_count] = Email.click_count + change.clicks
    if change.progress is not None:
        values[Email.delivery_status] = _promote(change.progress)
    if values:
        await session.execute(
            sa.update(Email).where(Email.id == email_id).values(values).execution_options(synchronize_session=False)
        )
    if change.bounced:
        await session.execute(
            sa.update(Email)
            .where(
                Email.id == email_id,
                sa.or_(
                    Email.delivery_status.is_(None),
                    Email.delivery_status.in_(_PROMOTABLE[DeliveryStatus.BOUNCED]),
                ),
            )
            .values(delivery_status=DeliveryStatus.BOUNCED)
            .execution_options(synchronize_session=False)
        )


async def mark_bounced(session: AsyncSession, contact_ids: Collection[uuid.UUID], at: datetime) -> None:
    """Mark contacts hard-bounced (one statement for many); the first bounce's time is kept.

    Only a hard bounce (5.x.x, the address does not exist) should come here: a soft bounce (4.x.x) is
    transient and a policy block (5.7.x) is about our sending, not the address."""
    if not contact_ids:
        return
    await session.execute(
        sa.update(Contact)
        .where(Contact.id.in_(set(contact_ids)), Contact.bounced.is_(False))
        .values(bounced=True, bounced_at=at)
        .execution_options(synchronize_session=False)
    )

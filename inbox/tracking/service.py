"""Tracking of outbound mail: what the send path adds, and what the public links record.

Per workspace, ``workspaces.settings["tracking"]`` switches it:

    {"tracking": {"opens": false, "clicks": false, "unsubscribe": null}}

``opens`` and ``clicks`` are off unless a workspace turns them on: a pixel and
rewritten links cost deliverability and privacy, and a rep's one-to-one reply
gains nothing from them. ``unsubscribe`` left unset (null) means: on for mail
a sequence sends (bulk, commercial mail, which the law and Gmail's and
Yahoo's sender rules expect to carry a one-click unsubscribe), off for a rep's
own replies; true puts it on every outbound email, false on none.

Opens and clicks are ``email_events`` rows of provider ``tracking``, written
through the same path as the providers' events (``inbox.ingest.events``), so
counters and statuses move the same way: a person's open or click counts and
moves ``delivery_status`` forward, a machine's (``inbox.tracking.machine``) is
stored and counts for nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.unsubscribe import unsubscribe_contact
from inbox.core.errors import NotFound
from inbox.ingest.events import ProviderEvent, record_events, storable_text
from inbox.settings import Settings
from inbox.threads.models import Email, EmailEventType
from inbox.tracking import repository
from inbox.tracking.machine import BURST, BURST_WINDOW, Hit, click_machine_reason, open_machine_reason
from inbox.tracking.rewrite import TrackedContent, TrackingLinks, decorate
from inbox.tracking.tokens import TokenSigner, TrackingToken, signer_for

logger = logging.getLogger(__name__)

# The send path reads a workspace's switches at most this often per worker process.
OPTIONS_TTL_SECONDS = 15.0
_MAX_CACHED_WORKSPACES = 10_000
UNSUBSCRIBE_REASON = "unsubscribe link"


@dataclass(frozen=True, slots=True)
class TrackingOptions:
    """A workspace's tracking switches (see the module docstring)."""

    opens: bool = False
    clicks: bool = False
    unsubscribe: bool | None = None  # None: sequence mail only

    @classmethod
    def from_workspace_settings(cls, settings: Mapping[str, Any] | None) -> TrackingOptions:
        """Read leniently: a missing or mistyped switch takes its default."""
        tracking = (settings or {}).get("tracking")
        if not isinstance(tracking, Mapping):
            return cls()

        def flag(name: str) -> bool | None:
            value = tracking.get(name)
            return value if isinstance(value, bool) else None

        return cls(opens=flag("opens") is True, clicks=flag("clicks") is True, unsubscribe=flag("unsubscribe"))

    def unsubscribe_for(self, email: Email) -> bool:
        return self.unsubscribe if self.unsubscribe is not None else email.sequence_id is not None


def tracking_base_url(settings: Settings) -> str:
    return (settings.tracking.base_url or settings.auth.base_url).rstrip("/")


def token_signer(settings: Settings) -> TokenSigner:
    return signer_for(settings.auth_secret)


class OutboundTracking:
    """The send path's side: a workspace's switches (cached briefly) and the message's tracked content."""

    def __init__(
        self,
        settings: Settings,
        *,
        ttl_seconds: float = OPTIONS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._options: dict[uuid.UUID, tuple[float, TrackingOptions]] = {}
        self._links: TrackingLinks | None = None

    async def options(self, session: AsyncSession, workspace_id: uuid.UUID) -> TrackingOptions:
        now = self.clock()
        cached = self._options.get(workspace_id)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        options = TrackingOptions.from_workspace_settings(await repository.workspace_settings(session, workspace_id))
        if len(self._options) >= _MAX_CACHED_WORKSPACES:
            self._options.clear()
        self._options[workspace_id] = (now, options)
        return options

    @property
    def links(self) -> TrackingLinks:
        if self._links is None:  # the secret is read only once something is tracked
            self._links = TrackingLinks(token_signer(self.settings), tracking_base_url(self.settings))
        return self._links

    def content(self, email: Email, options: TrackingOptions, mailbox_address: str | None) -> TrackedContent | None:
        """The bodies and headers ``email`` goes out with; None when nothing is tracked (sent as written)."""
        unsubscribe = options.unsubscribe_for(email)
        if not (options.opens or options.clicks or unsubscribe):
            return None
        return decorate(
            self.links,
            email.id,
            email.body_text,
            email.body_html,
            opens=options.opens,
            clicks=options.clicks,
            unsubscribe=unsubscribe,
            mailbox_address=mailbox_address,
        )


# --- The public links ----------------------------------------------------------------------------------------


def _event(token: TrackingToken, kind: EmailEventType, hit: Hit, reason: str | None, **data: Any) -> ProviderEvent:
    if reason is not None:
        data["reason"] = reason
    if hit.method.upper() != "GET":
        data["method"] = hit.method.upper()
    return ProviderEvent(
        provider=repository.PROVIDER,
        provider_event_id=uuid.uuid4().hex,
        event_type=kind,
        occurred_at=hit.at,
        email_id=token.email_id,
        url=token.url,
        ip_address=hit.ip_address,
        user_agent=hit.user_agent,
        is_machine=reason is not None,
        data=data,
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """An open or click written: a person's (``machine_reason`` None, counted) or a machine's."""

    machine_reason: str | None


async def record_open(session: AsyncSession, token: TrackingToken, hit: Hit) -> Recorded | None:
    """Record an open of the email the verified ``token`` names; None when there is no such email."""
    email = await repository.outbound_email(session, token.email_id)
    if email is None:
        return None
    reason = open_machine_reason(hit, email.sent_at)
    await record_events(session, [_event(token, EmailEventType.OPENED, hit, reason)])
    return Recorded(reason)


async def record_click(session: AsyncSession, token: TrackingToken, hit: Hit) -> Recorded | None:
    """Record a click, as :func:`record_open`. The email's row is locked first, so that the clicks of
    one email (a scanner sends them all at once) are judged one after the other."""
    email = await repository.outbound_email(session, token.email_id, lock=True)
    if email is None:
        return None
    reason = click_machine_reason(hit, email.sent_at)
    recent = await repository.recent_clicks(session, email, hit.at - BURST_WINDOW)
    burst = any(click.url != token.url for click in recent)
    if burst and reason is None:
        reason = BURST
    await record_events(session, [_event(token, EmailEventType.CLICKED, hit, reason, link=token.link)])
    counted = [click for click in recent if not click.is_machine]
    if burst and counted:
        await repository.mark_machine(session, email, counted, BURST)
        await repository.take_back_clicks(session, email, len(counted))
    return Recorded(reason)


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    contact_id: uuid.UUID | None
    changed: bool  # False: already unsubscribed (a repeated request changes nothing)


async def unsubscribe(session: AsyncSession, token: TrackingToken, hit: Hit) -> Unsubscribed:
    """The recipient of the email ``token`` names asks to hear no more: the contact unsubscribed, its
    sequences stopped, one ``unsubscribed`` event. Idempotent."""
    email = await repository.outbound_email(session, token.email_id)
    if email is None:
        raise NotFound("this unsubscribe link is no longer valid")
    address = parseaddr(email.to_addresses[0])[1] if email.to_addresses else None
    contact_id = await repository.contact_to_unsubscribe(session, email, address)
    if contact_id is not None:
        changed = await unsubscribe_contact(session, email.workspace_id, contact_id, hit.at, reason=UNSUBSCRIBE_REASON)
    else:  # nobody to flag: the event is all there is, recorded once
        changed = not await repository.has_event(session, email, EmailEventType.UNSUBSCRIBED)
    if changed:
        await repository.add_event(
            session,
            email,
            contact_id,
            event_type=EmailEventType.UNSUBSCRIBED,
            occurred_at=hit.at,
            ip_address=hit.ip_address,
            user_agent=storable_text(hit.user_agent)[:2000] if hit.user_agent else None,
            data={"method": hit.method.upper(), "recipient": address},
        )
    else:
        logger.info("unsubscribe link of email %s used again: nothing to change", email.id)
    return Unsubscribed(contact_id, changed)

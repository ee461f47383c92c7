"""``POST /webhooks/mailgun/events`` and ``POST /webhooks/mailgun/inbound``.

Events: configure Mailgun's webhooks (delivered, opened, clicked, permanent and
temporary failure, unsubscribed, complained) to ``/webhooks/mailgun/events``.
Inbound: a route with ``forward("https://.../webhooks/mailgun/inbound")``; the
raw-MIME variant (Mailgun wants the URL to end in ``mime``) is served at
``/webhooks/mailgun/inbound/mime`` by the same handler, which reads ``body-mime``
when it is there and the parsed fields otherwise.

Mailgun stops on 200 and on 406 and retries anything else for 8 hours. So:
stored (or already stored) 200; a message for an address no active mailbox has
406, refused for good (it is not ours to keep); a signature missing or wrong 401,
stale or replayed 403, a malformed post 400, no signing key configured 503 (all
retried, and the key can be set meanwhile). See :mod:`inbox.ingest.webhooks`.
Provider-facing, not part of the client API: left out of the OpenAPI document.
"""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, RawBody
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.events import record_events
from inbox.ingest.webhooks import (
    NoReceivingMailbox,
    ReplayGuard,
    mailgun_event_signature,
    mailgun_inbound_mail,
    mailgun_inbound_signature,
    mailgun_signing_key,
    mailgun_verified,
    parse_form,
    parse_json,
    parse_mailgun_event,
    replay_guard_from_settings,
    store_inbound,
)
from inbox.settings import Settings
from workers.queue import enqueue_triage

logger = logging.getLogger(__name__)

REPLAY_GUARD_STATE_KEY = "webhook_replay_guard"
MAX_EVENT_BYTES = 1024 * 1024
# Mailgun accepts messages up to 25 MB; a form-encoded copy of one is larger.
MAX_INBOUND_BYTES = 64 * 1024 * 1024


def replay_guard(state: State, settings: Settings) -> ReplayGuard:
    """The app's replay guard (Redis-backed when ``redis_url`` is set), made on first use."""
    guard: ReplayGuard | None = state.get(REPLAY_GUARD_STATE_KEY)
    if guard is None:
        guard = replay_guard_from_settings(settings)
        state[REPLAY_GUARD_STATE_KEY] = guard
    return guard


@post(
    "/webhooks/mailgun/events",
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_EVENT_BYTES,
)
async def mailgun_events(
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    state: State,
    body: RawBody,
) -> dict[str, int]:
    """Record one Mailgun event (an event about mail we did not send is skipped, still 200)."""
    mailgun_signing_key(app_settings)
    payload = parse_json(body)
    async with mailgun_verified(app_settings, replay_guard(state, app_settings), mailgun_event_signature(payload)):
        event = parse_mailgun_event(payload)
        recorded = await record_events(db_session, [event] if event else [])
        await db_session.commit()
    return {
        "recorded": recorded.recorded,
        "duplicates": recorded.duplicates,
        "unmatched": recorded.unmatched,
        "ignored": 0 if event else 1,
    }


@post(
    ["/webhooks/mailgun/inbound", "/webhooks/mailgun/inbound/mime"],
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_INBOUND_BYTES,
)
async def mailgun_inbound(
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    state: State,
    body: RawBody,
    content_type: Annotated[str | None, HeaderParameter(name="content-type")] = None,
) -> dict[str, int]:
    """Store a message a Mailgun route forwarded, in the mailbox of its recipient."""
    mailgun_signing_key(app_settings)
    form = parse_form(content_type, body)
    async with mailgun_verified(app_settings, replay_guard(state, app_settings), mailgun_inbound_signature(form)):
        mail = mailgun_inbound_mail(form)
        result = await store_inbound(db_session, mail, blobs=LocalBlobStore(app_settings.blob_dir))
        if not result.mailboxes:
            logger.info("Mailgun inbound for %s: no active mailbox has that address", ", ".join(mail.recipients))
            raise NoReceivingMailbox(f"no active mailbox receives mail for {', '.join(mail.recipients)}")
        await db_session.commit()
    enqueue_triage(result.triage)
    return {"stored": len(result.stored), "duplicates": result.duplicates}


MAILGUN_WEBHOOK_HANDLERS: list[ControllerRouterHandler] = [mailgun_events, mailgun_inbound]

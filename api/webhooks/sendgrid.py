"""``POST /webhooks/sendgrid/inbound`` (Inbound Parse) and ``POST /webhooks/sendgrid/events``
(the Signed Event Webhook).

Inbound Parse: set the destination URL to
``https://.../webhooks/sendgrid/inbound?token=<INBOX_WEBHOOKS__SENDGRID_INBOUND_TOKEN>``,
with or without "send raw" (the raw MIME keeps every byte; prefer it). SendGrid
stops on any 2xx and retries 5xx for 3 days; a 4xx drops the message. So:
stored or already stored 200; for an address no active mailbox has, 200 with
nothing stored and a log line (retrying could not help); token missing 401,
wrong 403, malformed 400 (dropped, as a forgery should be); no token
configured 503 (retried: the mail waits while the token is set).

Events: enable the signed Event Webhook and set its verification key as
``INBOX_WEBHOOKS__SENDGRID_PUBLIC_KEY``; signature missing or not verifying 401,
stale or replayed 403, not a JSON array 400, no key configured 503 (SendGrid
retries non-2xx for 24 hours). Events about mail we did not send are skipped.
Provider-facing, not part of the client API: left out of the OpenAPI document.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, RawBody
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from api.webhooks.mailgun import MAX_INBOUND_BYTES, replay_guard
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.events import record_events
from inbox.ingest.webhooks import (
    SENDGRID_SIGNATURE_HEADER,
    SENDGRID_TIMESTAMP_HEADER,
    check_sendgrid_inbound_token,
    parse_form,
    parse_json,
    parse_sendgrid_events,
    sendgrid_events_verified,
    sendgrid_inbound_mail,
    store_inbound,
)
from inbox.settings import Settings
from workers.queue import enqueue_triage

logger = logging.getLogger(__name__)

# SendGrid posts events in batches; a batch stays well under this.
MAX_EVENT_BYTES = 16 * 1024 * 1024


@post(
    "/webhooks/sendgrid/inbound",
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_INBOUND_BYTES,
)
async def sendgrid_inbound(
    request: Request[Any, Any, State],
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    token: FromQuery[str | None] = None,
) -> dict[str, int]:
    """Store a message SendGrid's Inbound Parse posted, in the mailbox of its recipient."""
    # The token is checked before the (possibly large) body is read.
    check_sendgrid_inbound_token(app_settings, token)
    form = parse_form(request.headers.get("content-type"), await request.body())
    mail = sendgrid_inbound_mail(form)
    result = await store_inbound(db_session, mail, blobs=LocalBlobStore(app_settings.blob_dir))
    if not result.mailboxes:
        logger.info("SendGrid inbound for %s: no active mailbox has that address", ", ".join(mail.recipients))
    await db_session.commit()
    enqueue_triage(result.triage)
    return {"stored": len(result.stored), "duplicates": result.duplicates, "mailboxes": len(result.mailboxes)}


@post(
    "/webhooks/sendgrid/events",
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_EVENT_BYTES,
)
async def sendgrid_events(
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    state: State,
    body: RawBody,
    signature: Annotated[str | None, HeaderParameter(name=SENDGRID_SIGNATURE_HEADER)] = None,
    timestamp: Annotated[str | None, HeaderParameter(name=SENDGRID_TIMESTAMP_HEADER)] = None,
) -> dict[str, int]:
    """Record a batch of SendGrid events."""
    guard = replay_guard(state, app_settings)
    async with sendgrid_events_verified(app_settings, guard, signature=signature, timestamp=timestamp, payload=body):
        parsed = parse_sendgrid_events(parse_json(body))
        recorded = await record_events(db_session, parsed.events)
        await db_session.commit()
    return {
        "recorded": recorded.recorded,
        "duplicates": recorded.duplicates,
        "unmatched": recorded.unmatched,
        "ignored": parsed.ignored,
    }


SENDGRID_WEBHOOK_HANDLERS: list[ControllerRouterHandler] = [sendgrid_inbound, sendgrid_events]

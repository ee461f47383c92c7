"""``POST /webhooks/gmail``: Gmail's push notifications, delivered by a Pub/Sub push subscription.

The subscription's push endpoint is
``https://.../webhooks/gmail?token=<INBOX_GMAIL__PUSH_TOKEN>``; the token is
compared in constant time. Pub/Sub acknowledges on any 2xx and redelivers
everything else with backoff, so: token missing 401, wrong 403, a body that is
not a Pub/Sub envelope of a Gmail notification 400; no token configured 503
(redelivered once it is set). The answer is immediate (204): the sync runs in
a worker. A notification for an address no active mailbox has is acknowledged
all the same, or Pub/Sub would redeliver it for days. Provider-facing, not part
of the client API: left out of the OpenAPI document.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.ingest.gmail import check_push_token, mailboxes_to_sync, parse_push_notification
from inbox.settings import Settings
from workers.queue import enqueue_gmail_sync

logger = logging.getLogger(__name__)

# A Pub/Sub push envelope is well under a kilobyte.
MAX_BODY_BYTES = 64 * 1024


@post("/webhooks/gmail", status_code=204, include_in_schema=False, request_max_body_size=MAX_BODY_BYTES)
async def gmail_push(
    request: Request[Any, Any, State],
    db_session: NamedDependency[AsyncSession],
    app_settings: NamedDependency[Settings],
    token: FromQuery[str | None] = None,
) -> None:
    """Queue a sync of the mailbox a Gmail notification names."""
    check_push_token(app_settings, token)  # before the body is read
    notification = parse_push_notification(await request.body())
    account_ids = await mailboxes_to_sync(db_session, notification)
    if not account_ids:
        logger.info(
            "Gmail push for %s (historyId %s): no active mailbox needs a sync",
            notification.email_address,
            notification.history_id,
        )
    # Nothing was written: the queue message is the whole effect, and the sync reads Gmail, not this request.
    for account_id in account_ids:
        enqueue_gmail_sync(account_id)


GMAIL_WEBHOOK_HANDLERS: list[ControllerRouterHandler] = [gmail_push]

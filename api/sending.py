"""``POST /api/emails/{id}/send``: a rep approves a draft for sending.

The approval commits (status QUEUED or SCHEDULED, Message-ID fixed), then the
send is enqueued: a worker never sees an email the database does not have.
A scheduled email is left to the scheduler's send sweeper.
"""

from __future__ import annotations

import uuid

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Principal
from inbox.sending.schemas import SendOut, SendRequest
from inbox.sending.service import approve_send
from inbox.threads.models import DeliveryStatus
from inbox.threads.repository import EmailRepository
from workers.queue import enqueue_send


class SendingController(Controller):
    path = "/emails"
    tags = ["emails"]

    @post("/{email_id:uuid}/send", status_code=202)
    async def send_email(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
        data: JSONBody[SendRequest | None] = None,
    ) -> SendOut:
        """Approve a draft (or re-approve a failed email) for sending: now, or at ``send_at``. 404 outside the
        caller's scope, 409 when it is not a draft, 400 without recipients. The send runs in a worker: follow
        delivery_status (queued, scheduled, sending, sent, failed with last_error)."""
        email = await approve_send(db_session, principal, email_id, data.send_at if data else None)
        await db_session.commit()
        if email.delivery_status is DeliveryStatus.QUEUED:
            enqueue_send([email.id])
        return SendOut.model_validate(await EmailRepository(db_session, principal).get_full(email.id))

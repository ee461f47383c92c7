"""Enqueue functions: the only part of ``workers/`` that ``api/`` and ``inbox`` callers use.

Messages are addressed to actors by name, so a web process enqueues work
without importing the actors (and what they import). Call these only after
the transaction that made the work has committed: the database is the source
of truth and a message is only a hint (the sweeper re-finds lost work).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import dramatiq

INGEST_QUEUE = "ingest"
TRIAGE_QUEUE = "triage"


def enqueue(actor_name: str, *args: str, queue: str = "default") -> None:
    broker = dramatiq.get_broker()
    if queue not in broker.get_declared_queues():
        broker.declare_queue(queue)
    broker.enqueue(dramatiq.Message(queue_name=queue, actor_name=actor_name, args=args, kwargs={}, options={}))


def enqueue_triage(email_ids: Iterable[uuid.UUID]) -> None:
    """Ask for AI triage of newly stored inbound emails."""
    for email_id in email_ids:
        enqueue("triage_email", str(email_id), queue=TRIAGE_QUEUE)


def enqueue_gmail_sync(email_account_id: uuid.UUID) -> None:
    """Ask for an incremental Gmail sync of one mailbox (after a push notification)."""
    enqueue("sync_gmail_mailbox", str(email_account_id), queue=INGEST_QUEUE)


SEND_QUEUE = "send"


def enqueue_send(email_ids: Iterable[uuid.UUID], *, delay_seconds: float | None = None) -> None:
    """Ask for the sending of approved outbound emails (after the approval committed)."""
    broker = dramatiq.get_broker()
    if SEND_QUEUE not in broker.get_declared_queues():
        broker.declare_queue(SEND_QUEUE)
    delay = None if delay_seconds is None else max(0, int(delay_seconds * 1000))
    for email_id in email_ids:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=SEND_QUEUE, actor_name="send_email", args=(str(email_id),), kwargs={}, options={}
        )
        broker.enqueue(message, delay=delay)


METRICS_QUEUE = "metrics"


def enqueue_metrics_rollup(start: date, end: date, workspace_id: uuid.UUID | None = None) -> None:
    """Ask for ``performance_metrics`` of ``start`` to ``end`` (inclusive) to be recomputed (every workspace
    when ``workspace_id`` is None)."""
    args = (start.isoformat(), end.isoformat(), *([str(workspace_id)] if workspace_id else []))
    enqueue("rollup_metrics", *args, queue=METRICS_QUEUE)

"""The Dramatiq actors. Import this module only after ``install_broker``:
actors bind to the broker that is global when they are declared.

Async actors run on the AsyncIO middleware's one event loop, so one
:class:`Database` (and its pool) serves all of them in a process.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from functools import lru_cache

import dramatiq

from ai.providers import build_providers
from ai.triage import Triager
from inbox.core.db import Database, utcnow
from inbox.ingest.blobs import LocalBlobStore
from inbox.metrics.rollup import rollup
from inbox.sending.service import Sender
from inbox.settings import Settings, get_settings
from workers.claims import Claims, LocalClaims, RedisClaims
from workers.queue import INGEST_QUEUE, METRICS_QUEUE, SEND_QUEUE, TRIAGE_QUEUE, enqueue_send, enqueue_triage

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _runtime() -> tuple[Settings, Database]:
    settings = get_settings()
    return settings, Database(settings.resolved_database_url, pool_size=settings.database_pool_size)


@lru_cache(maxsize=1)
def _triager() -> Triager:
    settings, database = _runtime()
    provider, offline = build_providers(settings.ai)
    return Triager(database, settings.ai, provider, offline)


@lru_cache(maxsize=1)
def _claims() -> Claims:
    settings, _ = _runtime()
    return RedisClaims(settings.redis_url) if settings.redis_url else LocalClaims()


def _triage_claim_seconds(settings: Settings) -> float:
    """Long enough for one email's every attempt: a live worker never loses its claim."""
    ai = settings.ai
    return (ai.timeout_seconds + ai.max_retry_after_seconds) * (ai.max_retries + 2) + 60


@dramatiq.actor(queue_name=TRIAGE_QUEUE, actor_name="triage_email", max_retries=5)
async def triage_email(email_id: str) -> None:
    """AI triage of one inbound email (idempotent: an email already triaged, or being triaged, is skipped)."""
    try:
        key = uuid.UUID(email_id)
    except ValueError:
        log.error("triage_email: %r is not an email id; dropped", email_id)
        return
    settings, _ = _runtime()
    claims = _claims()
    token = await claims.acquire(f"triage:{key}", _triage_claim_seconds(settings))
    if token is None:
        log.info("triage of email %s is already under way elsewhere", email_id)
        return
    try:
        outcome = await _triager().triage(key)
    finally:
        await claims.release(f"triage:{key}", token)
    if outcome.status != "triaged":
        log.info("triage of email %s: %s", email_id, outcome.status.replace("_", " "))


@dramatiq.actor(queue_name=INGEST_QUEUE, actor_name="sync_gmail_mailbox", max_retries=5)
async def sync_gmail_mailbox(email_account_id: str) -> None:
    """An incremental Gmail sync after a push notification (idempotent: dedupe makes reruns safe)."""
    from inbox.ingest.gmail import sync_gmail_mailbox as sync

    settings, database = _runtime()
    report = await sync(
        database,
        uuid.UUID(email_account_id),
        settings,
        blobs=LocalBlobStore(settings.blob_dir),
        on_stored=enqueue_triage,
    )
    log.info("gmail mailbox %s: %s", email_account_id, report)


@lru_cache(maxsize=1)
def _sender() -> Sender:
    """One SMTP connection pool per worker process (the actors share one event loop)."""
    settings, database = _runtime()
    return Sender(database, settings)


@dramatiq.actor(queue_name=SEND_QUEUE, actor_name="send_email", max_retries=5)
async def send_email(email_id: str) -> None:
    """Send one approved email (idempotent: the database claim lets only one run send it)."""
    try:
        key = uuid.UUID(email_id)
    except ValueError:
        log.error("send_email: %r is not an email id; dropped", email_id)
        return
    outcome = await _sender().send(key)
    if outcome.retry_at is not None and outcome.status == "retry":
        enqueue_send([key], delay_seconds=(outcome.retry_at - utcnow()).total_seconds())
    if outcome.status not in ("sent", "skipped"):
        log.info("send of email %s: %s (%s)", email_id, outcome.status, outcome.error)


@dramatiq.actor(queue_name=METRICS_QUEUE, actor_name="rollup_metrics", max_retries=3)
async def rollup_metrics(start: str, end: str, workspace_id: str | None = None) -> None:
    """Recompute ``performance_metrics`` from ``start`` to ``end`` (ISO dates, inclusive) for one workspace or
    all (idempotent: a rerun, or two at once, write the same figures)."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        workspace = uuid.UUID(workspace_id) if workspace_id else None
    except ValueError:
        log.error("rollup_metrics: %r to %r (workspace %r) is not a date range; dropped", start, end, workspace_id)
        return
    if first > last:
        log.error("rollup_metrics: %s is after %s; dropped", first, last)
        return
    _, database = _runtime()
    report = await rollup(database, workspace, first, last)
    log.info("metrics rollup %s to %s: %d row(s) written", first, last, report.rows_written)

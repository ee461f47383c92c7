"""The periodic ticks of ``inbox scheduler`` (and of the embedded ``serve``).

A tick finds work the database says is undone and enqueues it; queue
messages are only hints, so a tick that runs twice, or on two replicas at
once, costs a duplicate message that the idempotent actor drops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from ai.triage import untriaged_emails
from inbox.core.db import Database, utcnow
from inbox.sending.service import due_for_sending, recover_interrupted
from inbox.settings import Settings
from workers.queue import enqueue_metrics_rollup, enqueue_send, enqueue_triage

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


@dataclass(frozen=True, slots=True)
class Tick:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[int]]


async def sweep_untriaged(database: Database, settings: Settings) -> int:
    """Re-enqueue inbound mail that has waited past ``ai.sweep_after_seconds`` without a triage."""
    email_ids = await untriaged_emails(database, older_than_seconds=settings.ai.sweep_after_seconds, limit=SWEEP_BATCH)
    if email_ids:
        enqueue_triage(email_ids)
        log.info("sweeper: re-enqueued triage of %d email(s)", len(email_ids))
    return len(email_ids)


SEND_SWEEP_SECONDS = 5.0
# A QUEUED email without a due time is left to its queue message this long before the sweeper re-sends the hint.
SEND_HINT_GRACE_SECONDS = 60.0


async def sweep_sends(database: Database) -> int:
    """Enqueue outbound mail that is due (scheduled, backed off, or whose queue message was lost), and fail
    the sends a dead worker left half done (never resent: see ``inbox.sending.service``)."""
    interrupted = await recover_interrupted(database)
    if interrupted:
        log.warning("send sweeper: %d email(s) interrupted during delivery marked failed", len(interrupted))
    email_ids = await due_for_sending(database, hint_grace_seconds=SEND_HINT_GRACE_SECONDS, limit=SWEEP_BATCH)
    if email_ids:
        enqueue_send(email_ids)
        log.info("send sweeper: enqueued %d due email(s)", len(email_ids))
    return len(email_ids)


METRICS_ROLLUP_SECONDS = 300.0
METRICS_BACKFILL_SECONDS = 6 * 3600.0


async def schedule_metrics_rollup(days: int = 2) -> int:
    """Enqueue the rollup of the last ``days`` UTC days, today included (every workspace)."""
    today = utcnow().date()
    enqueue_metrics_rollup(today - timedelta(days=days - 1), today)
    return 1


def ticks(database: Database, settings: Settings) -> list[Tick]:
    return [
        Tick(
            "triage sweeper",
            max(5.0, settings.ai.sweep_after_seconds / 2),
            lambda: sweep_untriaged(database, settings),
        ),
        Tick("send sweeper", SEND_SWEEP_SECONDS, lambda: sweep_sends(database)),
        # Yesterday and today, for the dashboards; then, now and again, as far back as a first mailbox sync
        # reaches, so mail that arrives late (a newly connected mailbox's last weeks) is counted too.
        Tick("metrics rollup", METRICS_ROLLUP_SECONDS, lambda: schedule_metrics_rollup()),
        Tick(
            "metrics backfill",
            METRICS_BACKFILL_SECONDS,
            lambda: schedule_metrics_rollup(max(2, settings.ingest.initial_days + 1)),
        ),
    ]


async def run_scheduler(database: Database, settings: Settings, stop: threading.Event) -> None:
    """Run every tick at its interval until ``stop`` is set. A failing tick is logged and retried next time."""
    schedule = ticks(database, settings)
    loop = asyncio.get_running_loop()
    due = {tick.name: loop.time() for tick in schedule}
    while not stop.is_set():
        for tick in schedule:
            if loop.time() < due[tick.name]:
                continue
            try:
                await tick.run()
            except Exception:
                log.exception("scheduler tick %r failed", tick.name)
            due[tick.name] = loop.time() + tick.every_seconds
        await asyncio.sleep(min(1.0, max(0.05, min(due.values()) - loop.time())))

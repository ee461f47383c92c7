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

from ai.triage import untriaged_emails
from inbox.core.db import Database
from inbox.settings import Settings
from workers.queue import enqueue_triage

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


def ticks(database: Database, settings: Settings) -> list[Tick]:
    return [
        Tick(
            "triage sweeper",
            max(5.0, settings.ai.sweep_after_seconds / 2),
            lambda: sweep_untriaged(database, settings),
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

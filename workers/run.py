"""Long-running process entry points: the Dramatiq worker."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import dramatiq
import uvloop

from inbox.settings import Settings
from workers.broker import install_broker

logger = logging.getLogger(__name__)


def run_worker(settings: Settings, threads: int = 8) -> None:
    """Consume every queue of the broker until SIGINT/SIGTERM."""
    # The actors' event loop (Dramatiq's AsyncIO middleware makes it at worker boot) is uvloop's:
    # its C transports halve what a database round trip or an LLM request costs the loop.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    broker = install_broker(settings)
    import workers.actors  # noqa: F401  (declares the actors on this broker)

    worker = dramatiq.Worker(broker, worker_threads=threads)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    logger.info(
        "worker started on %s with %d threads; queues: %s",
        type(broker).__name__,
        threads,
        sorted(broker.get_declared_queues()) or "none yet",
    )
    stop.wait()
    logger.info("worker stopping")
    worker.stop()
    broker.close()

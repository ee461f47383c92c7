"""Long-running process entry points: the Dramatiq worker."""

from __future__ import annotations

import logging
import signal
import threading

import dramatiq

from inbox.settings import Settings
from workers.broker import install_broker

logger = logging.getLogger(__name__)


def run_worker(settings: Settings, threads: int = 8) -> None:
    """Consume every queue of the broker until SIGINT/SIGTERM."""
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

"""The Dramatiq broker of a process: Redis when ``INBOX_REDIS_URL`` is set,
otherwise the in-process stub broker that the embedded ``serve`` drains itself.

Retries, time limits and age limits are broker middleware, so every actor
gets them without saying so.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from inbox.settings import Settings

MAX_RETRIES = 8
TIME_LIMIT_MS = 5 * 60 * 1000
MAX_AGE_MS = 24 * 60 * 60 * 1000


def build_broker(settings: Settings) -> dramatiq.Broker:
    middleware = [
        AgeLimit(max_age=MAX_AGE_MS),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=MAX_RETRIES, min_backoff=1_000, max_backoff=10 * 60 * 1000),
        CurrentMessage(),
        AsyncIO(),
    ]
    broker: dramatiq.Broker
    if settings.redis_url:
        broker = RedisBroker(url=settings.redis_url, middleware=middleware, namespace="inbox")  # type: ignore[no-untyped-call]
    else:
        broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
    return broker


def install_broker(settings: Settings) -> dramatiq.Broker:
    """Make the broker of ``settings`` the global one actors bind to."""
    broker = build_broker(settings)
    dramatiq.set_broker(broker)
    return broker

"""Who is working on what: one claim per job key, so two workers never do the same job at once.

A queue message can arrive twice (a publish retried, the sweeper re-enqueueing
work that is merely slow). The actors are idempotent, so a duplicate writes
nothing twice, but one that runs *while* the first is still waiting for the
LLM would pay for a second request. A claim, taken before the work and
released after it, makes the duplicate a no-op. Claims expire, so a worker
that dies holding one delays its job (until the sweeper's next pass after the
expiry), never loses it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Protocol

from redis.asyncio import Redis

# Deletes the key only if it still holds our token: a claim that expired and was taken by
# another worker is not ours to release.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class Claims(Protocol):
    async def acquire(self, key: str, ttl_seconds: float) -> str | None:
        """A token when the claim is ours, None when another worker holds it."""
        ...

    async def release(self, key: str, token: str) -> None: ...


class RedisClaims:
    """Claims shared by every worker process on one Redis."""

    def __init__(self, url: str, prefix: str = "inbox:claim:") -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix

    async def acquire(self, key: str, ttl_seconds: float) -> str | None:
        token = secrets.token_hex(8)
        taken = await self._redis.set(self._prefix + key, token, nx=True, px=max(1, int(ttl_seconds * 1000)))
        return token if taken else None

    async def release(self, key: str, token: str) -> None:
        await self._redis.eval(_RELEASE, 1, self._prefix + key, token)


class LocalClaims:
    """Claims within one process (the embedded mode, where one process runs every worker thread)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: str, ttl_seconds: float) -> str | None:
        async with self._lock:
            now = time.monotonic()
            held = self._held.get(key)
            if held is not None and held[1] > now:
                return None
            token = secrets.token_hex(8)
            self._held[key] = (token, now + ttl_seconds)
            return token

    async def release(self, key: str, token: str) -> None:
        async with self._lock:
            if self._held.get(key, ("", 0.0))[0] == token:
                del self._held[key]

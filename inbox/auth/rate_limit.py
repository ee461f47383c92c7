"""Sign-in throttling: fixed windows per client IP and per address.

Every attempt counts against its IP; only failed attempts count against the
address, and a successful sign-in clears them. With ``settings.redis_url`` the
counters live in Redis (``INCR`` + ``EXPIRE NX``, so all replicas share them);
without it, in this process.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from inbox.core.errors import RateLimited
from inbox.settings import Settings

DEFAULT_PREFIX = "inbox:sign-in"


@dataclass(frozen=True, slots=True)
class Window:
    count: int
    retry_after: int  # seconds until the window ends


class Counter(Protocol):
    async def hit(self, key: str, window_seconds: int) -> Window: ...

    async def peek(self, key: str) -> Window: ...

    async def reset(self, key: str) -> None: ...


class MemoryCounter:
    """Counters of one process (the embedded mode and single-worker setups)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._clock = clock

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._windows.get(key)
        if entry is not None and entry[1] <= self._clock():
            del self._windows[key]
            return None
        return entry

    def _prune(self) -> None:
        if len(self._windows) > 10_000:
            now = self._clock()
            for key in [key for key, (_, end) in self._windows.items() if end <= now]:
                del self._windows[key]

    async def hit(self, key: str, window_seconds: int) -> Window:
        self._prune()
        entry = self._live(key)
        count, end = (entry[0] + 1, entry[1]) if entry else (1, self._clock() + window_seconds)
        self._windows[key] = (count, end)
        return Window(count, max(1, math.ceil(end - self._clock())))

    async def peek(self, key: str) -> Window:
        entry = self._live(key)
        if entry is None:
            return Window(0, 0)
        return Window(entry[0], max(1, math.ceil(entry[1] - self._clock())))

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)


class RedisCounter:
    """Counters shared by every process through Redis. A connection is opened
    per call: sign-ins are rare enough, and nothing outlives the request."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def hit(self, key: str, window_seconds: int) -> Window:
        async with Redis.from_url(self.url) as client, client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        return Window(int(count), int(ttl) if ttl and ttl > 0 else window_seconds)

    async def peek(self, key: str) -> Window:
        async with Redis.from_url(self.url) as client, client.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.ttl(key)
            count, ttl = await pipe.execute()
        if count is None:
            return Window(0, 0)
        return Window(int(count), int(ttl) if ttl and ttl > 0 else 1)

    async def reset(self, key: str) -> None:
        async with Redis.from_url(self.url) as client:
            await client.delete(key)


class SignInLimiter:
    def __init__(self, settings: Settings, counter: Counter, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.window = settings.auth.sign_in_window_seconds
        self.max_per_ip = settings.auth.sign_in_max_per_ip
        self.max_per_email = settings.auth.sign_in_max_per_email
        self.counter = counter
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings, *, prefix: str = DEFAULT_PREFIX) -> SignInLimiter:
        counter: Counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
        return cls(settings, counter, prefix=prefix)

    def _ip_key(self, ip: str) -> str:
        return f"{self.prefix}:ip:{ip}"

    def _email_key(self, email: str) -> str:
        # Hashed: the store need not hold the addresses people type.
        return f"{self.prefix}:email:{hashlib.sha256(email.lower().encode()).hexdigest()}"

    async def before_attempt(self, ip: str, email: str) -> None:
        """Count the attempt against ``ip``; refuse it (429) when either limit is reached."""
        by_ip = await self.counter.hit(self._ip_key(ip), self.window)
        if by_ip.count > self.max_per_ip:
            raise RateLimited(
                f"Too many sign-in attempts from your network. Try again in {by_ip.retry_after} seconds.",
                retry_after=by_ip.retry_after,
            )
        by_email = await self.counter.peek(self._email_key(email))
        if by_email.count >= self.max_per_email:
            raise RateLimited(
                "Too many failed sign-in attempts for this email address. "
                f"Try again in {by_email.retry_after} seconds, or reset your password.",
                retry_after=by_email.retry_after,
            )

    async def failed(self, email: str) -> None:
        await self.counter.hit(self._email_key(email), self.window)

    async def succeeded(self, email: str) -> None:
        await self.counter.reset(self._email_key(email))

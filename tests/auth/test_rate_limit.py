"""Sign-in throttling: the counters (in process and in the real Redis) and the 429s."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.auth import LIMITER_STATE_KEY
from inbox.auth.rate_limit import MemoryCounter, RedisCounter, SignInLimiter
from inbox.core.db import Database
from inbox.settings import Settings
from tests.auth.conftest import BASE_URL, PASSWORD, sign_in, sign_up

REDIS_URL = "redis://127.0.0.1:6379/15"
ClientFactory = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, SignInLimiter]]]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own, and its keys deleted afterwards."""
    prefix = f"test:sign-in:{uuid.uuid4().hex}"
    yield prefix
    async with Redis.from_url(REDIS_URL) as client:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)


@pytest.fixture
def limited_client(settings: Settings, db: Database) -> ClientFactory:
    """An app whose sign-in limits are small, on the in-process or the Redis counter."""

    @asynccontextmanager
    async def make(
        *, redis_prefix: str | None = None, **limits: Any
    ) -> AsyncIterator[tuple[httpx.AsyncClient, SignInLimiter]]:
        auth = settings.auth.model_copy(update=limits)
        limited = settings.model_copy(update={"auth": auth, "redis_url": REDIS_URL if redis_prefix else None})
        app = create_app(limited, db)
        if redis_prefix:
            limiter = SignInLimiter.from_settings(limited, prefix=redis_prefix)
            app.state[LIMITER_STATE_KEY] = limiter
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client, app.state.get(LIMITER_STATE_KEY) or SignInLimiter.from_settings(limited)

    return make


async def test_memory_counter_windows() -> None:
    now = [1000.0]
    counter = MemoryCounter(clock=lambda: now[0])
    assert (await counter.hit("k", 60)).count == 1
    second = await counter.hit("k", 60)
    assert (second.count, second.retry_after) == (2, 60)
    now[0] += 45
    peek = await counter.peek("k")
    assert (peek.count, peek.retry_after) == (2, 15)
    now[0] += 15  # the window is over
    assert (await counter.peek("k")).count == 0
    assert (await counter.hit("k", 60)).count == 1
    await counter.reset("k")
    assert (await counter.peek("k")).count == 0


async def test_redis_counter_is_a_fixed_window(redis_prefix: str) -> None:
    counter = RedisCounter(REDIS_URL)
    key = f"{redis_prefix}:k"
    first = await counter.hit(key, 30)
    assert first.count == 1 and 0 < first.retry_after <= 30
    async with Redis.from_url(REDIS_URL) as client:
        await client.expire(key, 10)  # pretend 20 seconds went by
        second = await counter.hit(key, 30)
        assert second.count == 2 and second.retry_after <= 10  # a hit does not extend the window
        assert await client.get(key) == b"2"
    assert (await counter.peek(key)).count == 2
    await counter.reset(key)
    assert (await counter.peek(key)).count == 0
    assert (await counter.peek(f"{redis_prefix}:never")).count == 0


async def test_failed_attempts_per_address_then_429(limited_client: ClientFactory, unique: str) -> None:
    async with limited_client(sign_in_max_per_email=2, sign_in_max_per_ip=100, sign_in_window_seconds=600) as (
        client,
        _,
    ):
        email = f"throttled-{unique}@example.com"
        await sign_up(client, email)
        for _ in range(2):
            wrong = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "wrong password"})
            assert wrong.status_code == 401
        blocked = await client.post("/api/auth/sign-in/email", json={"email": email.upper(), "password": PASSWORD})
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "TOO_MANY_REQUESTS"
        assert "Too many failed sign-in attempts for this email address" in blocked.json()["message"]
        retry_after = int(blocked.headers["retry-after"])
        assert 0 < retry_after <= 600 and blocked.headers["x-retry-after"] == str(retry_after)
        # Another address from the same client is not affected.
        await sign_up(client, f"other-{unique}@example.com")
        await sign_in(client, f"other-{unique}@example.com")


async def test_success_resets_the_address_counter(limited_client: ClientFactory, unique: str) -> None:
    async with limited_client(sign_in_max_per_email=2, sign_in_max_per_ip=100) as (client, _):
        email = f"reset-counter-{unique}@example.com"
        await sign_up(client, email)
        assert (
            await client.post("/api/auth/sign-in/email", json={"email": email, "password": "nope nope"})
        ).status_code == 401
        await sign_in(client, email)
        assert (
            await client.post("/api/auth/sign-in/email", json={"email": email, "password": "nope nope"})
        ).status_code == 401
        await sign_in(client, email)  # one failure since the last success: still allowed


async def test_every_attempt_counts_per_ip(limited_client: ClientFactory, unique: str) -> None:
    async with limited_client(sign_in_max_per_email=100, sign_in_max_per_ip=3) as (client, _):
        email = f"ip-{unique}@example.com"
        await sign_up(client, email)
        await sign_in(client, email)
        await sign_in(client, email)
        assert (
            await client.post("/api/auth/sign-in/email", json={"email": f"x-{unique}@example.com", "password": "p"})
        ).status_code == 401
        blocked = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "from your network" in blocked.json()["message"]


async def test_limits_are_kept_in_redis(limited_client: ClientFactory, redis_prefix: str, unique: str) -> None:
    async with limited_client(redis_prefix=redis_prefix, sign_in_max_per_email=1, sign_in_max_per_ip=100) as (
        client,
        limiter,
    ):
        assert isinstance(limiter.counter, RedisCounter)
        email = f"redis-{unique}@example.com"
        await sign_up(client, email)
        assert (
            await client.post("/api/auth/sign-in/email", json={"email": email, "password": "wrong password"})
        ).status_code == 401
        blocked = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429
    async with Redis.from_url(REDIS_URL) as redis:
        keys = sorted([key.decode() async for key in redis.scan_iter(f"{redis_prefix}:*")])
        assert [key.split(":")[-2] for key in keys] == ["email", "ip"]
        assert email not in " ".join(keys)  # addresses are hashed
        for key in keys:
            assert 0 < await redis.ttl(key) <= 900
        assert int(await redis.get(f"{redis_prefix}:ip:127.0.0.1") or 0) == 2


async def test_limiter_uses_redis_when_configured(settings: Settings) -> None:
    assert isinstance(SignInLimiter.from_settings(settings).counter, MemoryCounter)
    with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
    assert isinstance(SignInLimiter.from_settings(with_redis).counter, RedisCounter)

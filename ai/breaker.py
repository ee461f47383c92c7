"""A circuit breaker around the LLM provider, and the provider that falls back when it trips.

Closed: every email goes to the primary provider. After ``failures`` emails
in a row that it could not answer, the circuit opens: for ``reset_seconds``
the fallback answers at once, without a request. Then it is half-open: one
email goes to the primary as a trial (the others keep getting the fallback);
its success closes the circuit, its failure opens it again.

The state is per process, which is enough: each worker replica finds out on
its own that the endpoint is down, at the cost of a few requests.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from enum import StrEnum

from ai.providers.base import ProviderAnswer, ProviderError, TriageProvider
from ai.schemas import TriageInput

CIRCUIT_OPEN = "circuit open"


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures. Its methods never await, so they are atomic for
    asyncio tasks; a lock makes them safe across threads too."""

    def __init__(self, failures: int, reset_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self.failure_threshold = failures
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state()

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at < self.reset_seconds:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    def allow(self) -> bool:
        """May a call go to the primary now? In half-open, only the one trial may."""
        with self._lock:
            state = self._state()
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_running = False

    def release(self) -> None:
        """A call that ended neither way (cancelled): a half-open trial slot is freed."""
        with self._lock:
            self._trial_running = False


class FallbackProvider:
    """The primary's answer or, when it fails or its circuit is open, the fallback's.

    A stand-in answer carries ``fallback_reason`` and the primary's request and
    token counts, so what the failed attempts cost is still recorded.
    """

    def __init__(self, primary: TriageProvider, fallback: TriageProvider, breaker: CircuitBreaker) -> None:
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker
        self.name = primary.name

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        started = time.perf_counter()
        if not self.breaker.allow():
            return await self._fall_back(item, CIRCUIT_OPEN, started, requests=0, tokens_in=0, tokens_out=0)
        try:
            answer = await self.primary.triage(item)
        except ProviderError as error:
            self.breaker.record_failure()
            return await self._fall_back(
                item,
                str(error),
                started,
                requests=error.requests,
                tokens_in=_int_attribute(error, "tokens_in"),
                tokens_out=_int_attribute(error, "tokens_out"),
            )
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.record_success()
        return answer

    async def _fall_back(
        self, item: TriageInput, reason: str, started: float, *, requests: int, tokens_in: int, tokens_out: int
    ) -> ProviderAnswer:
        """The fallback's answer; its latency is the whole email's, failed attempts included."""
        answer = await self.fallback.triage(item)
        return dataclasses.replace(
            answer,
            fallback_reason=reason,
            requests=answer.requests + requests,
            tokens_in=answer.tokens_in + tokens_in,
            tokens_out=answer.tokens_out + tokens_out,
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def _int_attribute(error: ProviderError, name: str) -> int:
    # ProviderError itself carries only ``requests``; providers that know their token spend add these.
    value = getattr(error, name, 0)
    return value if isinstance(value, int) else 0

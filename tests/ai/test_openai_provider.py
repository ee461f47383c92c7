"""The OpenAI-compatible provider against a real HTTP server speaking the wire protocol.

Retries, backoff and Retry-After, the json_object fallback, output repair, and
the circuit breaker that hands over to another provider.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import jsonschema_rs
import pytest
from pydantic import SecretStr

from ai.breaker import CIRCUIT_OPEN, CircuitBreaker, CircuitState, FallbackProvider
from ai.providers.base import ProviderAnswer, ProviderError
from ai.providers.openai import STRICT_SCHEMA, OpenAIProvider, OpenAIProviderError
from ai.schemas import TriageInput, TriageResult
from ai.tokens import count_tokens
from inbox.settings import AiSettings
from tests.ai.fake_openai import (
    FakeOpenAI,
    Reply,
    json_schema_unsupported,
    malformed,
    openai_error,
    rate_limited,
    refused,
    schema_violation,
    server_error,
    slow,
    truncated,
)

pytestmark = pytest.mark.no_db

API_KEY = "sk-test-0123456789"
NOW = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


def make_settings(fake: FakeOpenAI, **overrides: Any) -> AiSettings:
    values: dict[str, Any] = {
        "provider": "openai",
        "base_url": fake.base_url,
        "api_key": SecretStr(API_KEY),
        "timeout_seconds": 5.0,
        "max_retries": 3,
        "backoff_seconds": 0.01,
        "max_retry_after_seconds": 5.0,
        **overrides,
    }
    return AiSettings(**values)


@pytest.fixture
async def provider(fake: FakeOpenAI) -> AsyncIterator[OpenAIProvider]:
    openai_provider = OpenAIProvider(make_settings(fake))
    yield openai_provider
    await openai_provider.aclose()


def email(text: str = "Thursday at 3pm works for me. Send the invite.", **overrides: Any) -> TriageInput:
    values: dict[str, Any] = {
        "from_address": "ann.lee@brightpath.example",
        "from_name": "Ann Lee",
        "to_addresses": ["dana.whitfield@ourco.example"],
        "cc_addresses": [],
        "subject": "Re: Faster invoice approvals at Brightpath",
        "received_at": NOW - timedelta(minutes=5),
        "new_text": text,
        "body_text": text,
        "now": NOW,
        **overrides,
    }
    return TriageInput(**values)


def valid_result(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "intent": "question",
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "urgency": "medium",
        "summary": "Asks about pricing.",
        "temperature": "warm",
        "temperature_evidence": ["what does it cost?"],
        "needs_reply": True,
        "next_action": "reply",
        "next_action_due": None,
        "return_date": None,
        "referral_email": None,
        "draft": {"subject": "Re: pricing", "body": "Hi Ann,\n\nHere is our pricing.\n\nDana"},
        "injection_detected": False,
        "confidence": dict.fromkeys(
            ("intent", "sentiment", "urgency", "temperature", "needs_reply", "next_action"), 0.8
        ),
    }
    data.update(overrides)
    return data


def completion_body(content: str, *, model: str, usage: dict[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def gaps(fake: FakeOpenAI) -> list[float]:
    arrivals = [r.at for r in fake.chat_requests()]
    return [later - earlier for earlier, later in itertools.pairwise(arrivals)]


class FixedProvider:
    """A stand-in fallback: always the same valid answer, no tokens."""

    name = "stub"

    def __init__(self) -> None:
        self.calls = 0

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        self.calls += 1
        return ProviderAnswer(
            result=TriageResult.model_validate(valid_result(intent="other", temperature="cold", needs_reply=False)),
            provider=self.name,
            model="stub-model",
            prompt_version="stub",
        )


def state_of(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # (a call, so that mypy does not narrow the property between asserts)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the request and the answer ---------------------------------------------------------------------


async def test_one_request_with_strict_schema_answers_a_validated_result(
    fake: FakeOpenAI, provider: OpenAIProvider
) -> None:
    answer = await provider.triage(email())

    [request] = fake.chat_requests()
    body = request.body
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 700
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "triage_result", "strict": True, "schema": STRICT_SCHEMA},
    }
    assert not {"tools", "functions", "tool_choice"} & set(body)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Thursday at 3pm works for me" in body["messages"][1]["content"]

    # The fake's keyword rules read the email: the answer went through validation into a TriageResult.
    assert isinstance(answer.result, TriageResult)
    assert answer.result.intent == "meeting_request"
    assert answer.result.temperature == "hot"
    assert answer.provider == "openai"
    assert answer.prompt_version == "triage.v1"
    assert answer.requests == 1
    assert answer.fallback_reason is None
    assert answer.latency_ms > 0


async def test_tokens_and_model_come_from_the_response(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    usage = {"prompt_tokens": 1234, "completion_tokens": 56, "total_tokens": 1290}
    fake.script(Reply(body=completion_body(json.dumps(valid_result()), model="gpt-4o-mini-2024-07-18", usage=usage)))

    answer = await provider.triage(email())

    assert (answer.tokens_in, answer.tokens_out) == (1234, 56)
    assert answer.model == "gpt-4o-mini-2024-07-18"
    assert answer.result.intent == "question"


async def test_tokens_are_counted_when_the_server_sends_no_usage(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    content = json.dumps(valid_result())
    fake.script(Reply(body=completion_body(content, model="local-model", usage=None)))

    answer = await provider.triage(email())

    # Roughly the prompt's size: the system message alone is hundreds of tokens.
    assert answer.tokens_in > 500
    assert 50 < answer.tokens_out < len(content)


async def test_a_code_fenced_answer_is_accepted(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(Reply(content="```json\n" + json.dumps(valid_result(intent="objection")) + "\n```"))

    answer = await provider.triage(email())

    assert answer.result.intent == "objection"
    assert answer.requests == 1


# --- the strict schema -----------------------------------------------------------------------------

# What OpenAI's Structured Outputs accept with strict: true (its guide, "Supported schemas").
STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$defs", "$ref",
    "description", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in {"properties", "$defs"}:
                for name, sub in value.items():
                    yield from walk(sub, f"{path}/{key}/{name}")
            elif key in {"items"}:
                yield from walk(value, f"{path}/{key}")
            elif key == "anyOf":
                for index, sub in enumerate(value):
                    yield from walk(sub, f"{path}/anyOf/{index}")


def test_the_strict_schema_is_in_the_subset_strict_mode_accepts() -> None:
    assert STRICT_SCHEMA["type"] == "object"
    assert "anyOf" not in STRICT_SCHEMA
    for path, node in walk(STRICT_SCHEMA):
        unsupported = set(node) - STRICT_KEYWORDS
        assert not unsupported, f"{path or '/'}: {unsupported}"
        if node.get("type") == "object":
            assert node["additionalProperties"] is False, path
            assert node["required"] == list(node["properties"]), path
    nullable = {"next_action_due", "return_date", "referral_email", "draft"}
    for name in nullable:
        assert {"type": "null"} in STRICT_SCHEMA["properties"][name]["anyOf"], name


def test_the_strict_schema_accepts_what_the_model_accepts_and_refuses_extra_keys() -> None:
    validator = jsonschema_rs.validator_for(STRICT_SCHEMA)
    answer = TriageResult.model_validate(valid_result(next_action_due="2026-10-15T09:00:00Z", return_date="2026-10-20"))
    assert validator.is_valid(json.loads(answer.model_dump_json()))
    assert validator.is_valid(json.loads(TriageResult.model_validate(valid_result(draft=None)).model_dump_json()))
    assert not validator.is_valid({**valid_result(), "priority": "p1"})
    assert not validator.is_valid({k: v for k, v in valid_result().items() if k != "draft"})
    assert not validator.is_valid(valid_result(intent="very_interested"))


# --- retries ---------------------------------------------------------------------------------------


async def test_429_waits_as_long_as_retry_after_says(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(rate_limited(retry_after="1"))

    started = time.monotonic()
    answer = await provider.triage(email())

    assert time.monotonic() - started >= 1.0
    assert [gap >= 1.0 for gap in gaps(fake)] == [True]
    assert answer.requests == 2
    assert answer.result.intent == "meeting_request"


async def test_retry_after_ms_and_http_dates_are_honoured(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    not_before = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    fake.script(
        rate_limited(retry_after=None, retry_after_ms="300"),
        rate_limited(retry_after=format_datetime(not_before, usegmt=True)),
    )

    answer = await provider.triage(email())

    first, _ = gaps(fake)
    assert first >= 0.3
    assert fake.chat_requests()[2].wall >= not_before.timestamp()
    assert answer.requests == 3


async def test_retry_after_is_capped(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, max_retry_after_seconds=0.2))
    fake.script(rate_limited(retry_after="120"))

    answer = await provider.triage(email())
    await provider.aclose()

    [gap] = gaps(fake)
    assert 0.2 <= gap < 2
    assert answer.requests == 2


async def test_server_errors_are_retried_with_growing_backoff(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, backoff_seconds=0.1))
    fake.script(server_error(500), server_error(503))

    answer = await provider.triage(email())
    await provider.aclose()

    first, second = gaps(fake)
    assert 0.1 <= first < 0.6  # 0.1 s, and up to half of it again as jitter
    assert 0.2 <= second < 1.0  # doubled
    assert answer.requests == 3
    assert answer.result.intent == "meeting_request"


async def test_gives_up_after_max_retries(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, max_retries=2))
    fake.script(*[server_error(502)] * 5)

    with pytest.raises(OpenAIProviderError) as raised:
        await provider.triage(email())
    await provider.aclose()

    assert str(raised.value) == "openai: 502 after 3 attempts"
    assert raised.value.retryable is True
    assert raised.value.requests == 3
    assert len(fake.chat_requests()) == 3


async def test_a_timeout_is_retried(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, timeout_seconds=0.5))
    fake.script(slow(3.0))

    started = time.monotonic()
    answer = await provider.triage(email())
    elapsed = time.monotonic() - started
    await provider.aclose()

    assert 0.5 <= elapsed < 2.5  # gave up on the slow answer instead of waiting for it
    assert answer.requests == 2
    assert len(fake.chat_requests()) == 2


async def test_an_unreachable_server_is_a_retryable_error() -> None:
    with FakeOpenAI() as stopped:
        base_url = stopped.base_url
    settings = AiSettings(base_url=base_url, api_key=SecretStr("k"), max_retries=1, backoff_seconds=0.01)
    provider = OpenAIProvider(settings)

    with pytest.raises(ProviderError) as raised:
        await provider.triage(email())
    await provider.aclose()

    assert str(raised.value) == "openai: connection error after 2 attempts"
    assert raised.value.retryable is True


async def test_a_bad_key_fails_at_once(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, api_key=SecretStr("sk-wrong")))

    with pytest.raises(ProviderError) as raised:
        await provider.triage(email())
    await provider.aclose()

    assert raised.value.retryable is False
    assert raised.value.requests == 1
    assert str(raised.value).startswith("openai: 401 Incorrect API key")
    assert len(fake.chat_requests()) == 1


async def test_other_client_errors_are_not_retried(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(openai_error(404, "The model 'gpt-9' does not exist", type_="invalid_request_error", param="model"))

    with pytest.raises(ProviderError) as raised:
        await provider.triage(email())

    assert raised.value.retryable is False
    assert "404" in str(raised.value)
    assert len(fake.chat_requests()) == 1


# --- invalid output --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [malformed(), schema_violation(), truncated(), refused(), Reply(content="")],
    ids=["malformed", "schema-violation", "cut-at-max-tokens", "refusal", "empty"],
)
async def test_invalid_output_is_repaired_once(fake: FakeOpenAI, provider: OpenAIProvider, bad: Reply) -> None:
    fake.script(bad)

    answer = await provider.triage(email())

    first, second = fake.chat_requests()
    assert answer.requests == 2
    assert answer.result.intent == "meeting_request"
    assert second.body["messages"][:2] == first.body["messages"]
    repair = second.body["messages"][2]
    assert repair["role"] == "user"
    assert repair["content"].startswith("Your answer was not valid:")
    # Both requests cost tokens.
    assert answer.tokens_in > first_prompt_tokens(first.body)


def first_prompt_tokens(body: dict[str, Any]) -> int:
    return sum(count_tokens(m["content"]) for m in body["messages"])


async def test_the_repair_request_names_the_validation_error(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(Reply(content=json.dumps(valid_result(sentiment_score=3.5))))

    await provider.triage(email())

    repair = fake.chat_requests()[1].body["messages"][-1]["content"]
    assert "sentiment_score" in repair


async def test_invalid_output_twice_is_an_error(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(malformed(), schema_violation(), Reply(content=json.dumps(valid_result())))

    with pytest.raises(OpenAIProviderError) as raised:
        await provider.triage(email())

    assert str(raised.value).startswith("openai: invalid output:")
    assert raised.value.retryable is False
    assert raised.value.requests == 2
    assert raised.value.tokens_in > 0 and raised.value.tokens_out > 0
    assert fake.pending == 1  # no third request


# --- servers without structured output ---------------------------------------------------------


async def test_falls_back_to_json_object_and_remembers(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.json_schema_supported = False

    first = await provider.triage(email())
    second = await provider.triage(email("Please remove me from your list."))

    formats = [r.response_format_type for r in fake.chat_requests()]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert first.requests == 2 and second.requests == 1
    assert provider.supports_json_schema is False
    system = fake.chat_requests()[1].body["messages"][0]["content"]
    assert "Answer with a JSON object with exactly these keys:" in system
    assert "- intent: interested|meeting_request|" in system
    assert first.result.intent == "meeting_request"
    assert second.result.intent == "unsubscribe"


async def test_a_one_off_refusal_of_json_schema_also_falls_back(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.script(json_schema_unsupported())

    answer = await provider.triage(email())

    assert [r.response_format_type for r in fake.chat_requests()] == ["json_schema", "json_object"]
    assert answer.requests == 2


async def test_json_object_from_the_settings(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(make_settings(fake, response_format="json_object"))

    answer = await provider.triage(email())
    await provider.aclose()

    [request] = fake.chat_requests()
    assert request.response_format_type == "json_object"
    assert "Answer with a JSON object" in request.body["messages"][0]["content"]
    assert answer.result.intent == "meeting_request"


# --- concurrency -----------------------------------------------------------------------------------


async def test_concurrent_emails_are_served_concurrently(fake: FakeOpenAI, provider: OpenAIProvider) -> None:
    fake.latency = 0.3

    started = time.monotonic()
    answers = await asyncio.gather(*[provider.triage(email()) for _ in range(20)])
    elapsed = time.monotonic() - started

    assert len(answers) == 20
    assert fake.max_in_flight >= 20  # (an earlier test's slow answer may still be running)
    assert elapsed < 3.0  # one after another would take 6 s


# --- the circuit breaker ---------------------------------------------------------------------------


async def test_the_breaker_opens_after_consecutive_failures_and_the_fallback_answers(fake: FakeOpenAI) -> None:
    primary = OpenAIProvider(make_settings(fake, max_retries=0))
    fallback = FixedProvider()
    provider = FallbackProvider(primary, fallback, CircuitBreaker(failures=3, reset_seconds=60))
    fake.script(*[server_error(500)] * 3)

    answers = [await provider.triage(email()) for _ in range(4)]
    await primary.aclose()

    assert [a.fallback_reason for a in answers] == ["openai: 500 after 1 attempts"] * 3 + [CIRCUIT_OPEN]
    assert [a.requests for a in answers] == [1, 1, 1, 0]
    assert all(a.provider == "stub" and a.result.intent == "other" for a in answers)
    assert state_of(provider.breaker) is CircuitState.OPEN
    assert len(fake.chat_requests()) == 3  # the open circuit sent nothing
    assert fallback.calls == 4


async def test_a_fallback_answer_keeps_what_the_failed_requests_cost(fake: FakeOpenAI) -> None:
    primary = OpenAIProvider(make_settings(fake))
    provider = FallbackProvider(primary, FixedProvider(), CircuitBreaker(failures=5, reset_seconds=60))
    fake.script(malformed(), malformed())

    answer = await provider.triage(email())
    await primary.aclose()

    assert answer.fallback_reason is not None and answer.fallback_reason.startswith("openai: invalid output:")
    assert answer.requests == 2
    assert answer.tokens_in > 500 and answer.tokens_out > 0
    assert state_of(provider.breaker) is CircuitState.CLOSED


async def test_half_open_recovers_with_one_successful_trial(fake: FakeOpenAI) -> None:
    clock = FakeClock()
    primary = OpenAIProvider(make_settings(fake, max_retries=0))
    breaker = CircuitBreaker(failures=2, reset_seconds=30, clock=clock)
    provider = FallbackProvider(primary, FixedProvider(), breaker)
    fake.script(server_error(500), server_error(500))
    for _ in range(2):
        await provider.triage(email())
    assert state_of(breaker) is CircuitState.OPEN

    clock.now += 29
    assert (await provider.triage(email())).fallback_reason == CIRCUIT_OPEN
    clock.now += 1
    assert state_of(breaker) is CircuitState.HALF_OPEN
    recovered = await provider.triage(email())
    await primary.aclose()

    assert recovered.fallback_reason is None
    assert recovered.provider == "openai"
    assert state_of(breaker) is CircuitState.CLOSED
    assert len(fake.chat_requests()) == 3


async def test_a_failed_trial_opens_the_circuit_again(fake: FakeOpenAI) -> None:
    clock = FakeClock()
    primary = OpenAIProvider(make_settings(fake, max_retries=0))
    breaker = CircuitBreaker(failures=2, reset_seconds=30, clock=clock)
    provider = FallbackProvider(primary, FixedProvider(), breaker)
    fake.script(*[server_error(500)] * 3)
    for _ in range(2):
        await provider.triage(email())

    clock.now += 30
    trial = await provider.triage(email())
    after = await provider.triage(email())
    await primary.aclose()

    assert trial.fallback_reason == "openai: 500 after 1 attempts"
    assert after.fallback_reason == CIRCUIT_OPEN
    assert state_of(breaker) is CircuitState.OPEN
    assert len(fake.chat_requests()) == 3


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failures=1, reset_seconds=10, clock=clock)
    breaker.record_failure()
    assert breaker.allow() is False

    clock.now += 10
    assert breaker.allow() is True  # the trial
    assert breaker.allow() is False  # everyone else while it runs
    breaker.release()  # the trial was cancelled
    assert breaker.allow() is True


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker(failures=3, reset_seconds=10)
    for outcome in ("fail", "fail", "ok", "fail", "fail"):
        assert breaker.allow()
        if outcome == "ok":
            breaker.record_success()
        else:
            breaker.record_failure()
    assert state_of(breaker) is CircuitState.CLOSED
    breaker.record_failure()
    assert state_of(breaker) is CircuitState.OPEN

"""Triage by any OpenAI-compatible chat-completions endpoint (OpenAI, Azure, vLLM, Ollama...).

One email is one request, answered with a :class:`TriageResult` as structured
output (``response_format`` ``json_schema``, strict). The SDK's own retries are
off: this module retries 429, 408, 5xx, timeouts and dropped connections with
exponential backoff and jitter, honouring ``Retry-After`` (seconds or an HTTP
date) and ``retry-after-ms``, up to ``max_retries``. Any other 4xx fails at
once. A server that refuses ``json_schema`` is asked again with ``json_object``
and the schema described in the prompt, and this provider instance remembers
it. An answer that does not validate gets one repair request (the validation
error appended as a user message); a second bad answer is an error.

The provider holds an ``AsyncOpenAI`` client (an HTTP connection pool): build
one per process and event loop, and :meth:`OpenAIProvider.aclose` it at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from ai.prompts import ChatMessage, Prompt, describe_output, load_prompt, render_messages
from ai.providers.base import ProviderAnswer, ProviderError
from ai.schemas import TriageInput, TriageResult
from ai.tokens import count_tokens
from inbox.settings import AiSettings, Settings

logger = logging.getLogger(__name__)

RESPONSE_FORMAT_NAME = "triage_result"
RETRYABLE_STATUSES = frozenset({408, 409, 429})  # and every 5xx
TEMPERATURE = 0.0
ERROR_TEXT_CHARS = 300

# Keywords OpenAI's strict mode does not accept (Structured Outputs guide, "Supported schemas":
# strings take only ``pattern`` and ``format``; composition by allOf/not/if is refused) and
# annotations that only cost prompt tokens. Pydantic still checks every constraint on the answer.
_DROPPED_KEYWORDS = frozenset(
    {
        "title",
        "default",
        "examples",
        "minLength",
        "maxLength",
        "uniqueItems",
        "patternProperties",
        "unevaluatedProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedItems",
    }
)


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema in the subset OpenAI accepts with ``strict: true``.

    Every object gets ``additionalProperties: false`` and all its properties
    required (optional fields are already ``anyOf`` with ``null``); ``$defs``
    stay, a ``$ref`` with sibling keywords is inlined; unsupported keywords go.
    """
    schema = model.model_json_schema()
    return _strict_node(schema, schema.get("$defs", {}))


def _strict_node(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        node = {**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **all_of[0]}
        return _strict_node(node, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key in {"properties", "$defs"}:
            out[key] = {name: _strict_node(sub, defs) for name, sub in value.items()}
        elif key in {"anyOf", "allOf"}:
            out[key] = [_strict_node(sub, defs) for sub in value]
        elif key == "items" and isinstance(value, dict):
            out[key] = _strict_node(value, defs)
        else:
            out[key] = value
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


STRICT_SCHEMA: dict[str, Any] = strict_json_schema(TriageResult)
OUTPUT_DESCRIPTION = describe_output(STRICT_SCHEMA)


_SCHEMA_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": RESPONSE_FORMAT_NAME, "strict": True, "schema": STRICT_SCHEMA},
}
_JSON_OBJECT_FORMAT: dict[str, Any] = {"type": "json_object"}


class OpenAIProviderError(ProviderError):
    """A :class:`ProviderError` that also says what the failed requests cost."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        requests: int = 0,
        tokens_in: int = 0,
        tokens_out: int = 0,
        status: int | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable, requests=requests)
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.status = status


class _InvalidOutput(Exception):
    """The server answered, but not with a valid TriageResult."""


@dataclass
class _Usage:
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        settings: AiSettings,
        *,
        client: openai.AsyncOpenAI | None = None,
        prompt: Prompt | None = None,
    ) -> None:
        self._settings = settings
        self._prompt = prompt or load_prompt(settings.prompt_version)
        self._owns_client = client is None
        self._client = client or openai.AsyncOpenAI(
            base_url=settings.base_url,
            # A local server may want no key; the SDK refuses an empty one, OpenAI answers 401.
            api_key=settings.api_key.get_secret_value() if settings.api_key else "not-set",
            max_retries=0,
            timeout=settings.timeout_seconds,
        )
        # Learnt from the server: set to False at its first refusal of json_schema.
        self.supports_json_schema = settings.response_format == "json_schema"

    @classmethod
    def from_settings(cls, settings: Settings | AiSettings) -> OpenAIProvider:
        """From the service's settings (their ``ai`` group) or the group itself."""
        return cls(settings.ai if isinstance(settings, Settings) else settings)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        started = time.perf_counter()
        usage = _Usage()
        rendered: dict[bool, list[ChatMessage]] = {}  # by "uses json_schema"
        repair: list[ChatMessage] = []
        failures = 0  # transient failures so far: the retry budget
        while True:
            use_schema = self.supports_json_schema
            if use_schema not in rendered:
                rendered[use_schema] = self._messages(item, describe=not use_schema)
            request = self._request(rendered[use_schema], repair, use_schema)
            usage.requests += 1
            try:
                completion = await self._client.chat.completions.create(**request)
            except openai.APIStatusError as error:
                status = error.status_code
                if use_schema and _rejects_json_schema(error):
                    logger.warning("%s refused json_schema (%s); using json_object", self._client.base_url, status)
                    self.supports_json_schema = False
                    continue
                if status not in RETRYABLE_STATUSES and status < 500:
                    raise self._error(
                        f"{status} {_error_text(error)}", usage, retryable=False, status=status
                    ) from error
                failures += 1
                if failures > self._settings.max_retries:
                    raise self._error(f"{status} after {usage.requests} attempts", usage, status=status) from error
                logger.info("openai: %s, retry %d of %d", status, failures, self._settings.max_retries)
                await asyncio.sleep(self._delay(failures, _retry_after(error.response.headers)))
                continue
            except openai.APIConnectionError as error:
                what = "timeout" if isinstance(error, openai.APITimeoutError) else "connection error"
                failures += 1
                if failures > self._settings.max_retries:
                    raise self._error(f"{what} after {usage.requests} attempts", usage) from error
                logger.info("openai: %s, retry %d of %d", what, failures, self._settings.max_retries)
                await asyncio.sleep(self._delay(failures, None))
                continue
            self._count_usage(completion, request, usage)
            try:
                result = _parse(completion)
            except _InvalidOutput as invalid:
                if repair:
                    raise self._error(f"invalid output: {invalid}", usage, retryable=False) from invalid
                logger.info("openai: invalid output (%s), asking once more", invalid)
                repair = [
                    {
                        "role": "user",
                        "content": f"Your answer was not valid: {invalid}. Answer again with the JSON object only.",
                    }
                ]
                continue
            return ProviderAnswer(
                result=result,
                provider=self.name,
                model=completion.model or self._settings.model,
                prompt_version=self._prompt.version,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                requests=usage.requests,
                latency_ms=(time.perf_counter() - started) * 1000,
            )

    # --- requests ---

    def _messages(self, item: TriageInput, *, describe: bool = False) -> list[ChatMessage]:
        return render_messages(
            self._prompt,
            item,
            history_budget=self._settings.history_token_budget,
            output_description=OUTPUT_DESCRIPTION if describe else None,
        )

    def _request(self, messages: list[ChatMessage], repair: list[ChatMessage], use_schema: bool) -> dict[str, Any]:
        return {
            "model": self._settings.model,
            "messages": cast(list[ChatCompletionMessageParam], [*messages, *repair]),
            "temperature": TEMPERATURE,
            "max_tokens": self._settings.max_output_tokens,
            # Sent as it is, outside the SDK's typed parameters: the SDK would walk (and copy) the
            # whole schema on every request, the largest single cost of a request on our side.
            "extra_body": {"response_format": _SCHEMA_FORMAT if use_schema else _JSON_OBJECT_FORMAT},
        }

    def _delay(self, failures: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``failures`` (1-based)."""
        backoff = self._settings.backoff_seconds * 2.0 ** (failures - 1)
        jitter = random.uniform(0, backoff / 2)  # noqa: S311 (not cryptography)
        if retry_after is not None:
            # The server knows when it will take requests again; waiting less only earns another 429.
            return min(retry_after, self._settings.max_retry_after_seconds) + jitter
        return backoff + jitter

    def _count_usage(self, completion: ChatCompletion, request: dict[str, Any], usage: _Usage) -> None:
        if completion.usage is not None:
            usage.tokens_in += completion.usage.prompt_tokens
            usage.tokens_out += completion.usage.completion_tokens
            return
        usage.tokens_in += sum(count_tokens(str(m.get("content") or "")) for m in request["messages"])
        usage.tokens_out += sum(count_tokens(c.message.content or "") for c in completion.choices)

    def _error(
        self, detail: str, usage: _Usage, *, retryable: bool = True, status: int | None = None
    ) -> OpenAIProviderError:
        return OpenAIProviderError(
            f"{self.name}: {detail}",
            retryable=retryable,
            requests=usage.requests,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            status=status,
        )


# --- answers and errors ---------------------------------------------------------------------------

_CODE_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*)\n\s*```\s*$", re.DOTALL)


def _parse(completion: ChatCompletion) -> TriageResult:
    if not completion.choices:
        raise _InvalidOutput("no choices in the response")
    choice = completion.choices[0]
    if choice.message.refusal:
        raise _InvalidOutput(f"refusal: {choice.message.refusal[:ERROR_TEXT_CHARS]}")
    if choice.finish_reason == "length":
        raise _InvalidOutput("the answer was cut at max_tokens; keep it shorter")
    if choice.finish_reason == "content_filter":
        raise _InvalidOutput("the answer was stopped by a content filter")
    content = (choice.message.content or "").strip()
    if not content:
        raise _InvalidOutput("empty content")
    # json_object servers sometimes wrap the object in a Markdown code fence.
    fenced = _CODE_FENCE.match(content)
    if fenced:
        content = fenced.group(1)
    try:
        return TriageResult.model_validate_json(content)
    except ValidationError as error:
        raise _InvalidOutput(_validation_summary(error)) from error


def _validation_summary(error: ValidationError, limit: int = 3) -> str:
    parts = []
    for detail in error.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(p) for p in detail["loc"]) or "the answer"
        parts.append(f"{where}: {detail['msg']}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _error_text(error: openai.APIStatusError) -> str:
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    text = message if isinstance(message, str) else error.message
    return " ".join(text.split())[:ERROR_TEXT_CHARS]


def _rejects_json_schema(error: openai.APIStatusError) -> bool:
    """A 400/422 that blames the response format: the server has no structured output."""
    if error.status_code not in {400, 422}:
        return False
    body = error.body
    text = error.message + (json.dumps(body) if body is not None else "")
    return bool(re.search(r"json_schema|response_format|structured output", text, re.IGNORECASE))


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait, from ``retry-after-ms`` or ``Retry-After``."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)

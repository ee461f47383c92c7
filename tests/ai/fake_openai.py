"""A local stand-in for an OpenAI-compatible chat-completions server.

A real HTTP server on 127.0.0.1 (uvicorn and a small ASGI app, so hundreds of
concurrent requests cost a coroutine each, not a thread) that speaks:

- ``POST /v1/chat/completions``: a ``chat.completion`` object with
  ``choices[0].message.content``, ``finish_reason``, ``usage`` and ``model``,
  or OpenAI's error body (``{"error": {"message", "type", "param", "code"}}``);
- ``GET  /v1/models``;
- ``GET  /_fake/stats``: requests served (all, and chat completions), the most in flight at once and the
  prompt tokens of every completion (for benchmarks).

Answers come from a script (a queue of :class:`Reply`, one per request:
status, headers, body or content, delay) and, when the script is empty, from
a responder: a function from the request JSON to a TriageResult-shaped dict.
The default one reads the fenced email with a few keyword rules, so answers
look meaningful. Every request is recorded (headers, JSON body, arrival time).

In tests::

    with FakeOpenAI() as fake:
        fake.script(rate_limited(retry_after="1"), server_error())
        settings = AiSettings(base_url=fake.base_url, ...)

As a process (the benchmark)::

    uv run python -m tests.ai.fake_openai --port 8089 --latency-ms 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from ai.tokens import count_tokens

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Responder = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Reply:
    """One scripted answer. ``body`` (JSON-encoded unless a str) replaces the whole response;
    otherwise a 200 completion is built, with ``content`` or the responder's answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content: str | None = None
    finish_reason: str = "stop"
    refusal: str | None = None
    delay: float | None = None  # seconds before answering; None: the server's latency


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival
    status: int = 0

    @property
    def response_format_type(self) -> str | None:
        fmt = self.body.get("response_format") if isinstance(self.body, dict) else None
        return fmt.get("type") if isinstance(fmt, dict) else None


def openai_error(status: int, message: str, *, type_: str, param: str | None = None, code: str | None = None) -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": type_, "param": param, "code": code}})


def rate_limited(retry_after: str | None = "1", *, retry_after_ms: str | None = None) -> Reply:
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms
    reply = openai_error(
        429,
        "Rate limit reached for requests per min. Please try again later.",
        type_="requests",
        code="rate_limit_exceeded",
    )
    reply.headers = headers
    return reply


def server_error(status: int = 500) -> Reply:
    return openai_error(status, "The server had an error while processing your request.", type_="server_error")


def slow(seconds: float) -> Reply:
    """A normal answer, sent after ``seconds``: longer than the client's timeout, it is a timeout."""
    return Reply(delay=seconds)


def malformed() -> Reply:
    return Reply(content='{"intent": "interested", "sentiment": ')


def schema_violation() -> Reply:
    return Reply(content=json.dumps({"intent": "very_interested", "sentiment": "positive"}))


def truncated() -> Reply:
    return Reply(content='{"intent": "interested", "summary": "The sender', finish_reason="length")


def refused() -> Reply:
    return Reply(content=None, refusal="I'm sorry, I can't help with that.")


def json_schema_unsupported() -> Reply:
    return openai_error(
        400,
        "response_format of type 'json_schema' is not supported by this model",
        type_="invalid_request_error",
        param="response_format",
    )


def unauthorized() -> Reply:
    return openai_error(401, "Incorrect API key provided.", type_="invalid_request_error", code="invalid_api_key")


# --- the default responder --------------------------------------------------------------------------

_FENCED_EMAIL = re.compile(r"<<<EMAIL (\w+)>>>\n(.*?)\n<<<END EMAIL \1>>>", re.DOTALL)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("bounce", ("delivery has failed", "undeliverable", "delivery status notification", "mailer-daemon")),
    ("out_of_office", ("out of office", "out of the office", "on leave", "abwesend", "absent du bureau")),
    ("unsubscribe", ("unsubscribe", "remove me", "stop emailing", "take me off")),
    ("not_interested", ("not interested", "no thanks", "no thank you", "not a fit")),
    ("referral", ("talk to my colleague", "reach out to", "better person", "contact my colleague")),
    ("meeting_request", ("tuesday", "thursday", "works for me", "book a time", "calendar invite", "let's meet")),
    ("objection", ("too expensive", "already use", "no budget", "not right now")),
    ("question", ("pricing", "how much", "does it support", "security", "?")),
    ("interested", ("interested", "sounds good", "love to", "tell me more")),
]
_TEMPERATURE = {
    "meeting_request": "hot",
    "interested": "warm",
    "question": "warm",
    "objection": "warm",
    "referral": "warm",
}
_INJECTION = ("ignore previous instructions", "ignore all previous", "ai assistant", "system prompt")


def email_text(request: dict[str, Any]) -> str:
    """The fenced new email of a triage request (the last user message if there is no fence)."""
    users = [m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user"]
    text = next((str(c) for c in users if _FENCED_EMAIL.search(str(c))), users[-1] if users else "")
    fenced = _FENCED_EMAIL.search(text)
    return fenced.group(2) if fenced else text


def keyword_triage(request: dict[str, Any]) -> dict[str, Any]:
    """A deterministic TriageResult-shaped answer from keyword rules on the email."""
    email = email_text(request)
    head, _, body = email.partition("\n\n")
    lowered = body.lower()
    intent = next((name for name, words in _RULES if any(w in lowered for w in words)), "other")
    sender = re.search(r"^From: .*?([\w.+-]+@[\w.-]+)", head, re.MULTILINE)
    subject = re.search(r"^Subject: (.*)$", head, re.MULTILINE)
    others = [a for a in _ADDRESS.findall(body) if not sender or a.lower() != sender.group(1).lower()]
    needs_reply = intent in {"meeting_request", "interested", "question", "objection", "referral"}
    temperature = _TEMPERATURE.get(intent, "cold")
    sentiment = (
        "positive"
        if intent in {"meeting_request", "interested", "referral"}
        else "negative"
        if intent in {"not_interested", "unsubscribe"}
        else "neutral"
    )
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    draft = None
    if needs_reply:
        draft = {
            "subject": "Re: " + (subject.group(1).removeprefix("Re: ") if subject else "your email"),
            "body": "Hi,\n\nThanks for getting back to me. I'll follow up shortly.\n\nBest regards",
        }
    return {
        "intent": intent,
        "sentiment": sentiment,
        "sentiment_score": {"positive": 0.6, "neutral": 0.0, "negative": -0.6}[sentiment],
        "urgency": "high" if intent == "meeting_request" else "medium" if needs_reply else "low",
        "summary": f"{intent.replace('_', ' ').capitalize()}: {first_line[:200]}",
        "temperature": temperature,
        "temperature_evidence": [first_line[:120]] if first_line else [],
        "needs_reply": needs_reply,
        "next_action": "meeting" if intent == "meeting_request" else "reply" if needs_reply else "none",
        "next_action_due": None,
        "return_date": None,
        "referral_email": others[0] if intent == "referral" and others else None,
        "draft": draft,
        "injection_detected": any(p in lowered for p in _INJECTION),
        "confidence": dict.fromkeys(
            ("intent", "sentiment", "urgency", "temperature", "needs_reply", "next_action"), 0.7
        ),
    }


# --- the server ------------------------------------------------------------------------------------


class FakeOpenAI:
    """The server, its script and its records; thread-safe, so tests change it while it serves."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        api_key: str | None = None,
        responder: Responder = keyword_triage,
        json_schema_supported: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency = latency
        self.api_key = api_key
        self.responder = responder
        self.json_schema_supported = json_schema_supported
        self.lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.prompt_tokens: list[int] = []  # of every completion served
        self._host, self._port = host, port
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            interface="asgi3",
            lifespan="off",
            timeout_graceful_shutdown=1,
            backlog=4096,
        )

    def __enter__(self) -> FakeOpenAI:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self._host, self._port))
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="fake-openai", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the standalone process)."""
        server = uvicorn.Server(self._config())
        server.config.host, server.config.port = self._host, self._port
        print(f"fake OpenAI listening on http://{self._host}:{self._port}/v1", flush=True)  # noqa: T201
        server.run()

    @property
    def base_url(self) -> str:
        assert self._socket is not None, "start the server first (with FakeOpenAI() as fake)"
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    # --- script and records ---

    def script(self, *replies: Reply) -> None:
        """Answer the next chat requests with ``replies``, in order; then the responder answers."""
        with self.lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self.lock:
            self._script.clear()
            self._requests.clear()
            self.prompt_tokens.clear()
            self.max_in_flight = self.in_flight
        self.json_schema_supported = True
        self.responder = keyword_triage
        self.latency = 0.0

    @property
    def pending(self) -> int:
        with self.lock:
            return len(self._script)

    @property
    def requests(self) -> list[Recorded]:
        with self.lock:
            return list(self._requests)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    # --- the ASGI app ---

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = Recorded(scope["method"], scope["path"], headers, body, time.monotonic(), time.time())
        with self.lock:
            self._requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            status, extra_headers, payload = await self._answer(record)
        except asyncio.CancelledError:
            # Shutting down while an answer still waits (for a client that timed out long ago): no traceback.
            return
        finally:
            with self.lock:
                self.in_flight -= 1
        record.status = status
        data = json.dumps(payload).encode()
        response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        response_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": data})

    async def _answer(self, record: Recorded) -> tuple[int, dict[str, str], Any]:
        if record.path == "/_fake/stats":
            with self.lock:
                stats = {
                    "requests": len(self._requests),
                    "chat_requests": sum(1 for r in self._requests if r.path == "/v1/chat/completions"),
                    "prompt_tokens": list(self.prompt_tokens),
                    "in_flight": self.in_flight,
                    "max_in_flight": self.max_in_flight,
                }
            return 200, {}, stats
        if self.api_key is not None and record.headers.get("authorization") != f"Bearer {self.api_key}":
            return _as_tuple(unauthorized())
        if record.method == "GET" and record.path == "/v1/models":
            return 200, {}, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "fake"}]}
        if record.method != "POST" or record.path != "/v1/chat/completions":
            return _as_tuple(
                openai_error(404, f"Unknown request URL: {record.method} {record.path}", type_="invalid_request_error")
            )
        with self.lock:
            reply = self._script.popleft() if self._script else Reply()
        await asyncio.sleep(self.latency if reply.delay is None else reply.delay)
        if reply.body is not None or reply.status != 200:
            return reply.status, reply.headers, reply.body
        request = record.body
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            return _as_tuple(
                openai_error(400, "We could not parse the JSON body of your request.", type_="invalid_request_error")
            )
        refused = _refuse_format(request, self.json_schema_supported)
        if refused is not None:
            return _as_tuple(refused)
        content = reply.content
        if content is None and reply.refusal is None:
            content = json.dumps(self.responder(request))
        completion = _completion(request, content, reply)
        with self.lock:
            self.prompt_tokens.append(completion["usage"]["prompt_tokens"])
        return 200, reply.headers, completion


def _as_tuple(reply: Reply) -> tuple[int, dict[str, str], Any]:
    return reply.status, reply.headers, reply.body


def _refuse_format(request: dict[str, Any], json_schema_supported: bool) -> Reply | None:
    fmt = request.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema" and not json_schema_supported:
        return json_schema_unsupported()
    if kind == "json_object" and "json" not in json.dumps(request["messages"]).lower():
        # OpenAI's own rule for JSON mode.
        return openai_error(
            400,
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            type_="invalid_request_error",
            param="messages",
        )
    return None


def _completion(request: dict[str, Any], content: str | None, reply: Reply) -> dict[str, Any]:
    prompt_tokens = sum(count_tokens(str(m.get("content") or "")) + 4 for m in request["messages"])
    completion_tokens = count_tokens(content or reply.refusal or "")
    return {
        "id": "chatcmpl-" + secrets.token_hex(12),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(request.get("model") or "gpt-4o-mini"),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": reply.refusal},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI chat-completions server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--latency-ms", type=float, default=300.0, help="time each answer takes")
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument("--no-json-schema", action="store_true", help="refuse response_format json_schema")
    args = parser.parse_args(list(argv) if argv is not None else None)
    fake = FakeOpenAI(
        latency=args.latency_ms / 1000,
        api_key=args.api_key,
        json_schema_supported=not args.no_json_schema,
        host=args.host,
        port=args.port,
    )
    fake.serve_forever()


if __name__ == "__main__":
    main()

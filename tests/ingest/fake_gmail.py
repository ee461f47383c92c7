"""A local stand-in for Gmail's REST API and Google's OAuth token endpoint.

A real HTTP server on 127.0.0.1 (a random port, in a thread) that speaks the
wire protocol of the calls the sync makes, with Google's JSON shapes (int64
values as strings, base64url ``raw`` without padding) and error bodies:

- ``GET  /gmail/v1/users/me/profile``
- ``GET  /gmail/v1/users/me/messages?q=after:<epoch>&maxResults&pageToken`` (newest first)
- ``GET  /gmail/v1/users/me/messages/<id>?format=raw`` (404 once deleted)
- ``GET  /gmail/v1/users/me/history?startHistoryId&historyTypes=messageAdded&pageToken``
  (404 ``NOT_FOUND`` when the start is older than the history kept)
- ``POST /gmail/v1/users/me/watch`` and ``/stop``
- ``POST /gmail/v1/users/me/messages/send`` (``{"raw", "threadId"}``; recorded in ``state.sent``, and the
  message joins the mailbox under the ``SENT`` label; 400 ``Invalid To header`` for an address without ``@``)
- ``POST /token`` (``grant_type=refresh_token``; ``invalid_grant`` once revoked)

API calls need a live ``Authorization: Bearer`` access token (401 otherwise);
:meth:`FakeGmail.fail_next` makes the next calls answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import json
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
_USER = r"/gmail/v1/users/(?:me|[^/]+@[^/]+)"


@dataclass
class FakeMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    internal_date_ms: int
    raw: bytes
    history_id: int


@dataclass
class SentMessage:
    """What ``messages.send`` received: the decoded message and the threadId asked for."""

    id: str
    thread_id: str | None
    raw: bytes
    body: dict[str, Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    at: float  # time.time() when it arrived
    status: int = 0


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    reason: str
    remaining: int
    after: int  # calls let through before it starts


@dataclass
class FakeGmailState:
    email_address: str
    client_id: str
    client_secret: str
    messages: dict[str, FakeMessage] = field(default_factory=dict)
    # (history record id, ids of the messages it added), oldest first.
    history: list[tuple[int, list[str]]] = field(default_factory=list)
    history_id: int = 1000
    # history.list from a startHistoryId below this answers 404.
    history_floor: int = 0
    refresh_tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time())
    failures: list[_Failure] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    watches: list[dict[str, Any]] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    stops: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class FakeGmail:
    """The server and the mailbox it serves; thread-safe, so tests change it while a sync runs."""

    def __init__(
        self,
        *,
        email_address: str = "rep@ourco.example",
        client_id: str = "fake-client-id.apps.googleusercontent.com",
        client_secret: str = "fake-client-secret",
    ) -> None:
        self.state = FakeGmailState(email_address=email_address, client_id=client_id, client_secret=client_secret)
        self.lock = threading.Lock()
        # Seconds every request takes, as a network round trip would.
        self.latency = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-gmail", daemon=True)

    # --- lifecycle ---

    def __enter__(self) -> FakeGmail:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    # --- the mailbox ---

    def add_message(
        self,
        raw: bytes,
        *,
        labels: Sequence[str] = ("INBOX", "UNREAD"),
        thread_id: str | None = None,
        received_at: datetime | None = None,
    ) -> str:
        """Deliver a message: it gets an id and a new history record."""
        with self.lock:
            self.state.history_id += 1 + secrets.randbelow(3)  # ids grow, but not one by one
            message_id = f"{secrets.token_hex(8)}"
            when = received_at or datetime.now(UTC)
            self.state.messages[message_id] = FakeMessage(
                id=message_id,
                thread_id=thread_id or message_id,
                label_ids=list(labels),
                internal_date_ms=int(when.timestamp() * 1000),
                raw=raw,
                history_id=self.state.history_id,
            )
            self.state.history.append((self.state.history_id, [message_id]))
            return message_id

    def delete_message(self, message_id: str) -> None:
        with self.lock:
            del self.state.messages[message_id]
            self.state.history_id += 1

    def expire_history(self) -> None:
        """Forget all history up to now: any stored startHistoryId becomes too old."""
        with self.lock:
            self.state.history_floor = self.state.history_id
            self.state.history.clear()

    # --- OAuth ---

    def issue_refresh_token(self) -> str:
        token = "1//" + secrets.token_urlsafe(32)
        with self.lock:
            self.state.refresh_tokens[token] = True
        return token

    def issue_access_token(self, *, expires_in: float = 3600) -> str:
        token = "ya29." + secrets.token_urlsafe(32)
        with self.lock:
            self.state.access_tokens[token] = time.time() + expires_in
        return token

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far stops working (Google's clock passed their expiry)."""
        with self.lock:
            self.state.access_tokens = dict.fromkeys(self.state.access_tokens, 0.0)

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.state.refresh_tokens[refresh_token] = False
            self.state.access_tokens.clear()

    # --- faults and inspection ---

    def fail_next(
        self,
        times: int,
        *,
        status: int = 429,
        retry_after: str | None = "1",
        reason: str | None = None,
        after: int = 0,
    ) -> None:
        """The next ``times`` API calls (after authentication, and after ``after`` calls that succeed) answer
        ``status`` with Google's error body (``reason`` in it) and ``Retry-After``."""
        reason = reason or {429: "rateLimitExceeded", 403: "forbidden"}.get(status, "backendError")
        with self.lock:
            self.state.failures.append(_Failure(status, retry_after, reason, times, after))

    def calls(self, path_suffix: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.state.requests if r.path.endswith(path_suffix)]


def google_error(status: int, message: str, reason: str, **detail: str) -> dict[str, Any]:
    """The error body of Google APIs."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason, **detail}],
            "status": {
                400: "INVALID_ARGUMENT",
                401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED",
                404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL",
                503: "UNAVAILABLE",
            }.get(status, "UNKNOWN"),
        }
    }


_MESSAGES = {
    "rateLimitExceeded": "Too many concurrent requests for user",
    "insufficientPermissions": "Request had insufficient authentication scopes.",
    "backendError": "Backend Error",
}
NOT_FOUND = google_error(404, "Requested entity was not found.", "notFound")
UNAUTHENTICATED = google_error(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    "authError",
    location="Authorization",
    locationType="header",
)


class _Answer(Exception):
    def __init__(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _page(items: list[Any], query: dict[str, list[str]], default: int) -> tuple[list[Any], str | None]:
    size = max(1, min(500, int(query.get("maxResults", [str(default)])[0])))
    token = query.get("pageToken", [None])[0]
    start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_token


def _handler_for(fake: FakeGmail) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the tests read fake.calls()

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record = Recorded(method, url.path, query, time.time())
            with fake.lock:
                fake.state.requests.append(record)
                fake.state.in_flight += 1
                fake.state.max_in_flight = max(fake.state.max_in_flight, fake.state.in_flight)
            time.sleep(fake.latency)  # outside the lock: concurrent requests overlap as they would on the network
            try:
                with fake.lock:
                    status, answer, headers = self._route(method, url.path, query, body)
            except _Answer as exc:
                status, answer, headers = exc.status, exc.body, exc.headers
            finally:
                with fake.lock:
                    fake.state.in_flight -= 1
            record.status = status
            payload = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            if answer is not None:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _route(
            self, method: str, path: str, query: dict[str, list[str]], body: bytes
        ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
            state = fake.state
            if path == "/token" and method == "POST":
                return 200, _token(state, parse_qs(body.decode())), {"Cache-Control": "no-store"}
            self._authenticate(state)
            self._inject_failure(state)
            if method == "GET" and re.fullmatch(_USER + "/profile", path):
                return 200, _profile(state), {}
            if method == "GET" and re.fullmatch(_USER + "/messages", path):
                return 200, _list_messages(state, query), {}
            if method == "GET" and (match := re.fullmatch(_USER + "/messages/([^/]+)", path)):
                return 200, _get_message(state, match.group(1), query), {}
            if method == "GET" and re.fullmatch(_USER + "/history", path):
                return 200, _list_history(state, query), {}
            if method == "POST" and re.fullmatch(_USER + "/messages/send", path):
                return 200, _send(state, body), {}
            if method == "POST" and re.fullmatch(_USER + "/watch", path):
                return 200, _watch(state, body), {}
            if method == "POST" and re.fullmatch(_USER + "/stop", path):
                state.stops += 1
                return 204, None, {}
            raise _Answer(404, NOT_FOUND)

        def _authenticate(self, state: FakeGmailState) -> None:
            header = self.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
            if token is None or state.access_tokens.get(token, 0.0) <= time.time():
                raise _Answer(
                    401,
                    UNAUTHENTICATED,
                    {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
                )

        def _inject_failure(self, state: FakeGmailState) -> None:
            if not state.failures:
                return
            failure = state.failures[0]
            if failure.after > 0:
                failure.after -= 1
                return
            failure.remaining -= 1
            if failure.remaining <= 0:
                state.failures.pop(0)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            message = _MESSAGES.get(failure.reason, "Backend Error")
            raise _Answer(failure.status, google_error(failure.status, message, failure.reason), headers)

    return Handler


def _token(state: FakeGmailState, form: dict[str, list[str]]) -> dict[str, Any]:
    def one(name: str) -> str | None:
        values = form.get(name)
        return values[0] if values else None

    if one("client_id") != state.client_id or one("client_secret") != state.client_secret:
        raise _Answer(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
    if one("grant_type") != "refresh_token":
        raise _Answer(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "})
    refresh_token = one("refresh_token")
    if refresh_token is None:
        raise _Answer(
            400, {"error": "invalid_request", "error_description": "Missing required parameter: refresh_token"}
        )
    if not state.refresh_tokens.get(refresh_token, False):
        raise _Answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    access_token = "ya29." + secrets.token_urlsafe(32)
    state.access_tokens[access_token] = time.time() + 3599
    return {"access_token": access_token, "expires_in": 3599, "scope": GMAIL_SCOPE, "token_type": "Bearer"}


def _profile(state: FakeGmailState) -> dict[str, Any]:
    return {
        "emailAddress": state.email_address,
        "messagesTotal": len(state.messages),
        "threadsTotal": len({m.thread_id for m in state.messages.values()}),
        "historyId": str(state.history_id),
    }


def _after(query: str) -> float | None:
    match = re.search(r"(?:^|\s)after:(\d+)(?:\s|$)", query)
    return float(match.group(1)) if match else None


def _list_messages(state: FakeGmailState, query: dict[str, list[str]]) -> dict[str, Any]:
    after = _after(query.get("q", [""])[0])
    include_spam_trash = query.get("includeSpamTrash", ["false"])[0] == "true"
    matching = [
        m
        for m in state.messages.values()
        if (after is None or m.internal_date_ms / 1000 > after)
        and (include_spam_trash or not {"SPAM", "TRASH"} & set(m.label_ids))
    ]
    matching.sort(key=lambda m: m.internal_date_ms, reverse=True)
    page, next_token = _page(matching, query, default=100)
    answer: dict[str, Any] = {"resultSizeEstimate": len(matching)}
    if page:
        answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
    if next_token:
        answer["nextPageToken"] = next_token
    return answer


def _get_message(state: FakeGmailState, message_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
    message = state.messages.get(message_id)
    if message is None:
        raise _Answer(404, NOT_FOUND)
    if query.get("format", ["full"])[0] != "raw":
        raise _Answer(400, google_error(400, "this fake serves format=raw only", "invalidArgument"))
    return {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": message.label_ids,
        "snippet": "",
        "sizeEstimate": len(message.raw),
        "raw": base64.urlsafe_b64encode(message.raw).decode().rstrip("="),
        "historyId": str(message.history_id),
        "internalDate": str(message.internal_date_ms),
    }


def _list_history(state: FakeGmailState, query: dict[str, list[str]]) -> dict[str, Any]:
    start_values = query.get("startHistoryId")
    if not start_values or not start_values[0].isdigit():
        raise _Answer(400, google_error(400, "Invalid startHistoryId", "invalidArgument"))
    start = int(start_values[0])
    if start < state.history_floor:
        raise _Answer(404, NOT_FOUND)
    records = []
    for record_id, message_ids in state.history:
        if record_id <= start:
            continue
        added = [
            {
                "message": {
                    "id": m.id,
                    "threadId": m.thread_id,
                    "labelIds": m.label_ids,
                }
            }
            for m in (state.messages.get(i) or _deleted(i) for i in message_ids)
        ]
        records.append(
            {
                "id": str(record_id),
                "messages": [{"id": a["message"]["id"], "threadId": a["message"]["threadId"]} for a in added],
                "messagesAdded": added,
            }
        )
    page, next_token = _page(records, query, default=100)
    answer: dict[str, Any] = {"historyId": str(state.history_id)}
    if page:
        answer["history"] = page
    if next_token:
        answer["nextPageToken"] = next_token
    return answer


def _deleted(message_id: str) -> FakeMessage:
    """A message that history still names after it was deleted (Gmail does the same)."""
    return FakeMessage(message_id, message_id, ["INBOX"], 0, b"", 0)


def _watch(state: FakeGmailState, body: bytes) -> dict[str, Any]:
    request = json.loads(body or b"{}")
    topic = request.get("topicName")
    if not isinstance(topic, str) or not re.fullmatch(r"projects/[^/]+/topics/[^/]+", topic):
        raise _Answer(400, google_error(400, "Invalid topicName does not match projects/*/topics/*", "invalidArgument"))
    state.watches.append(request)
    expiration = int((time.time() + 7 * 24 * 3600) * 1000)
    return {"historyId": str(state.history_id), "expiration": str(expiration)}


def _send(state: FakeGmailState, body: bytes) -> dict[str, Any]:
    """users.messages.send: the raw message, base64url (padded or not), into the mailbox's SENT label."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        raise _Answer(400, google_error(400, "Invalid JSON payload received.", "parseError")) from None
    raw_field = request.get("raw") if isinstance(request, dict) else None
    if not isinstance(raw_field, str) or not raw_field:
        raise _Answer(
            400,
            google_error(
                400, "'raw' RFC822 payload message string or uploading message via /upload/* URL required", "badRequest"
            ),
        )
    try:
        raw = base64.urlsafe_b64decode(raw_field + "=" * (-len(raw_field) % 4))
    except ValueError:
        raise _Answer(400, google_error(400, "Invalid value for ByteString", "invalidArgument")) from None
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    recipients = 0
    for header in ("To", "Cc", "Bcc"):
        for _, address in email.utils.getaddresses(parsed.get_all(header, [])):
            if "@" not in address:
                raise _Answer(400, google_error(400, f"Invalid {header} header", "invalidArgument"))
            recipients += 1
    if not recipients:
        raise _Answer(400, google_error(400, "Recipient address required", "invalidArgument"))
    thread_id = request.get("threadId")
    thread_id = thread_id if isinstance(thread_id, str) and thread_id else None
    state.history_id += 1
    message_id = secrets.token_hex(8)
    state.messages[message_id] = FakeMessage(
        id=message_id,
        thread_id=thread_id or message_id,
        label_ids=["SENT"],
        internal_date_ms=int(time.time() * 1000),
        raw=raw,
        history_id=state.history_id,
    )
    state.history.append((state.history_id, [message_id]))
    state.sent.append(SentMessage(id=message_id, thread_id=thread_id, raw=raw, body=request))
    return {"id": message_id, "threadId": thread_id or message_id, "labelIds": ["SENT"]}

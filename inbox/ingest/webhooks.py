"""Mail-provider webhooks: who is calling, and what they posted.

Four endpoints feed the service (``api/webhooks``):

- Mailgun events: JSON ``{"signature": {"timestamp", "token", "signature"},
  "event-data": {...}}``; the signature is HMAC-SHA256 over ``timestamp + token``
  with the webhook signing key.
- Mailgun inbound (a route's ``forward()``): a form with the same three fields
  beside the message, either ``body-mime`` (a route URL ending in ``mime``) or
  the parsed fields (``message-headers``, ``body-plain``, ``body-html``,
  ``attachment-1``..., ``content-id-map``).
- SendGrid Inbound Parse: multipart/form-data with ``email`` (the "send raw"
  option) or the parsed fields (``headers``, ``text``, ``html``, ``charsets``,
  ``attachment1``..., ``attachment-info``), plus ``envelope``. It is not signed:
  a secret ``?token=`` in the URL authenticates it.
- SendGrid Signed Event Webhook: a JSON array of events, ECDSA P-256/SHA-256
  over ``timestamp + raw body``, signature (base64 DER) and timestamp in the
  ``X-Twilio-Email-Event-Webhook-*`` headers.

Mailgun's signature covers only the timestamp and the token, not the body, so a
captured signature could carry another body: the timestamp must be recent
(``settings.webhooks.max_age_seconds``) and each token is accepted once. The
guard that remembers tokens is Redis (``SET NX EX``, shared by every replica)
when ``settings.redis_url`` is set, else this process. A claim is released when
handling the request fails, so the provider's retry is not taken for a replay.

Answers, and what the providers do with them: a missing credential or a
signature that does not verify is 401, a wrong inbound token (like Gmail's push
token), a stale timestamp or a replay 403, a body that is not the provider's
format 400; a provider whose secret is not configured is
503, because both providers retry 5xx (Mailgun for 8 hours, SendGrid inbound
for 3 days, events for 24 hours) and so keep the mail while an operator sets
the secret. Payloads are parsed from bytes here, never decoded as UTF-8 by the
framework: mail in any charset arrives intact.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from functools import lru_cache
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl

import multipart  # type: ignore[import-untyped]
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import Forbidden, InboxError, InvalidInput, Unauthorized
from inbox.ingest.blobs import BlobStore
from inbox.ingest.events import ProviderEvent, bare_message_id, storable_text
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import BounceKind, IncomingMessage
from inbox.mailboxes.models import EmailAccount, MailboxStatus
from inbox.settings import Settings
from inbox.threads.models import EmailEventType

logger = logging.getLogger(__name__)

MAILGUN = "mailgun"
SENDGRID = "sendgrid"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
DEFAULT_REPLAY_PREFIX = "inbox:webhook-replay"


# --- Errors ----------------------------------------------------------------------------------------


class WebhookNotConfigured(InboxError):
    status_code = 503
    code = "WEBHOOK_NOT_CONFIGURED"


class SignatureMissing(Unauthorized):
    code = "SIGNATURE_MISSING"


class SignatureInvalid(Unauthorized):
    code = "SIGNATURE_INVALID"


class TokenInvalid(Forbidden):
    code = "TOKEN_INVALID"


class StaleTimestamp(Forbidden):
    code = "STALE_TIMESTAMP"


class ReplayedRequest(Forbidden):
    code = "REPLAYED"


class MalformedPayload(InvalidInput):
    code = "MALFORMED_PAYLOAD"


class NoReceivingMailbox(InboxError):
    """Mailgun's "406 Not Acceptable": the message is refused and not retried."""

    status_code = 406
    code = "NO_RECEIVING_MAILBOX"


# --- Replay guard ----------------------------------------------------------------------------------


class ReplayGuard(Protocol):
    async def claim(self, key: str, ttl_seconds: int) -> bool:
        """True the first time ``key`` is claimed within ``ttl_seconds``."""
        ...

    async def release(self, key: str) -> None: ...


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class MemoryReplayGuard:
    """Claims of one process (the embedded mode)."""

    MAX_ENTRIES: ClassVar[int] = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[str, float] = {}
        self._clock = clock

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        now = self._clock()
        if len(self._until) >= self.MAX_ENTRIES:
            self._until = {k: until for k, until in self._until.items() if until > now}
        digest = _digest(key)
        if self._until.get(digest, 0.0) > now:
            return False
        self._until[digest] = now + ttl_seconds
        return True

    async def release(self, key: str) -> None:
        self._until.pop(_digest(key), None)


class RedisReplayGuard:
    """Claims shared by every replica: ``SET key 1 NX EX ttl`` succeeds once."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_REPLAY_PREFIX) -> None:
        self.url = url
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{_digest(key)}"

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        async with Redis.from_url(self.url) as client:
            return bool(await client.set(self._key(key), b"1", nx=True, ex=ttl_seconds))

    async def release(self, key: str) -> None:
        async with Redis.from_url(self.url) as client:
            await client.delete(self._key(key))


def replay_guard_from_settings(settings: Settings, *, prefix: str = DEFAULT_REPLAY_PREFIX) -> ReplayGuard:
    return RedisReplayGuard(settings.redis_url, prefix=prefix) if settings.redis_url else MemoryReplayGuard()


@asynccontextmanager
async def _claimed(guard: ReplayGuard, key: str, settings: Settings) -> AsyncIterator[None]:
    # A timestamp is accepted max_age either side of now: remember the key as long as it could come back.
    if not await guard.claim(key, 2 * settings.webhooks.max_age_seconds + 60):
        raise ReplayedRequest("this signed request was already received (replay refused)")
    try:
        yield
    except BaseException:
        await guard.release(key)
        raise


# --- Signatures ------------------------------------------------------------------------------------


def check_fresh(timestamp: str, max_age_seconds: int, *, now: float | None = None) -> None:
    """A signed timestamp (Unix seconds) must be within ``max_age_seconds`` of now, either way."""
    try:
        value = int(timestamp.strip())
    except ValueError:
        raise SignatureInvalid("the signed timestamp is not a Unix time in seconds") from None
    skew = (time.time() if now is None else now) - value
    if abs(skew) > max_age_seconds:
        raise StaleTimestamp(
            f"the signed timestamp is {int(abs(skew))} seconds {'old' if skew > 0 else 'in the future'}; "
            f"at most {max_age_seconds} are accepted"
        )


def mailgun_signing_key(settings: Settings) -> str:
    key = settings.webhooks.mailgun_signing_key
    if key is None or not key.get_secret_value():
        raise WebhookNotConfigured("Mailgun webhooks are not configured: set INBOX_WEBHOOKS__MAILGUN_SIGNING_KEY")
    return key.get_secret_value()


def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    """The hex HMAC-SHA256 Mailgun computes over ``timestamp + token``."""
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def verify_mailgun_signature(key: str, timestamp: str, token: str, signature: str) -> bool:
    expected = mailgun_signature(key, timestamp, token)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


@dataclass(frozen=True, slots=True)
class MailgunSignature:
    timestamp: str | None
    token: str | None
    signature: str | None


@asynccontextmanager
async def mailgun_verified(settings: Settings, guard: ReplayGuard, block: MailgunSignature) -> AsyncIterator[None]:
    """Authenticate a Mailgun request (raises 401/403/503) and hold its token for the request's duration:
    released if the body of the ``async with`` raises, so the provider's retry is accepted."""
    key = mailgun_signing_key(settings)
    if not (block.timestamp and block.token and block.signature):
        raise SignatureMissing("Mailgun signature missing: timestamp, token and signature are required")
    if not verify_mailgun_signature(key, block.timestamp, block.token, block.signature):
        raise SignatureInvalid("Mailgun signature does not match (check the webhook signing key)")
    check_fresh(block.timestamp, settings.webhooks.max_age_seconds)
    async with _claimed(guard, f"{MAILGUN}:{block.token}", settings):
        yield


@lru_cache(maxsize=8)
def load_sendgrid_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the key as base64 DER (SubjectPublicKeyInfo); PEM is accepted too."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def sendgrid_public_key(settings: Settings) -> ec.EllipticCurvePublicKey:
    text = settings.webhooks.sendgrid_public_key
    if not text:
        raise WebhookNotConfigured(
            "SendGrid event webhooks are not configured: set INBOX_WEBHOOKS__SENDGRID_PUBLIC_KEY"
        )
    try:
        return load_sendgrid_public_key(text)
    except (ValueError, TypeError, binascii.Error):
        raise WebhookNotConfigured(
            "INBOX_WEBHOOKS__SENDGRID_PUBLIC_KEY is not an ECDSA P-256 public key (base64 DER or PEM)"
        ) from None


def verify_sendgrid_signature(key: ec.EllipticCurvePublicKey, timestamp: str, payload: bytes, signature: str) -> bool:
    try:
        key.verify(
            base64.b64decode(signature.strip(), validate=True),
            timestamp.encode() + payload,
            ec.ECDSA(hashes.SHA256()),
        )
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


@asynccontextmanager
async def sendgrid_events_verified(
    settings: Settings, guard: ReplayGuard, *, signature: str | None, timestamp: str | None, payload: bytes
) -> AsyncIterator[None]:
    """Authenticate a SendGrid event post; the signed bytes themselves are the replay key
    (an ECDSA signature is malleable, the signed content is not)."""
    key = sendgrid_public_key(settings)
    if not signature or not timestamp:
        raise SignatureMissing(
            f"SendGrid signature missing: {SENDGRID_SIGNATURE_HEADER} and {SENDGRID_TIMESTAMP_HEADER}"
        )
    if not verify_sendgrid_signature(key, timestamp, payload, signature):
        raise SignatureInvalid("SendGrid signature does not verify with the configured public key")
    check_fresh(timestamp, settings.webhooks.max_age_seconds)
    signed = hashlib.sha256(timestamp.encode() + payload).hexdigest()
    async with _claimed(guard, f"{SENDGRID}:{signed}", settings):
        yield


def check_sendgrid_inbound_token(settings: Settings, given: str | None) -> None:
    expected = settings.webhooks.sendgrid_inbound_token
    if expected is None or not expected.get_secret_value():
        raise WebhookNotConfigured(
            "SendGrid Inbound Parse is not configured: set INBOX_WEBHOOKS__SENDGRID_INBOUND_TOKEN"
        )
    if not given:
        raise SignatureMissing("the Inbound Parse URL must carry the secret: ?token=...", field="token")
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise TokenInvalid("the token in the Inbound Parse URL is not this server's", field="token")


# --- Forms -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormPart:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


class Form:
    """Form fields as bytes, in order; names may repeat."""

    def __init__(self, parts: Iterable[FormPart]) -> None:
        self.parts = list(parts)

    def first(self, name: str) -> FormPart | None:
        return next((part for part in self.parts if part.name == name), None)

    def data(self, name: str) -> bytes | None:
        part = self.first(name)
        return part.data if part else None

    def text(self, name: str, charset: str = "utf-8") -> str | None:
        data = self.data(name)
        return None if data is None else data.decode(_codec(charset), "replace")


def _codec(charset: str | None) -> str:
    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


def _from_latin1(value: str | None) -> str | None:
    """Part headers are read as latin-1 (never fails); names and filenames are UTF-8 in practice."""
    return value.encode("latin-1").decode("utf-8", "replace") if value is not None else None


def parse_form(content_type: str | None, body: bytes) -> Form:
    """A multipart/form-data or urlencoded body, without decoding any value."""
    kind, options = multipart.parse_options_header(content_type or "")
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=10_000)
        except ValueError as exc:
            raise MalformedPayload(f"the form could not be read: {exc}") from None
        return Form(FormPart(name.decode("utf-8", "replace"), value) for name, value in pairs)
    if kind != "multipart/form-data":
        raise MalformedPayload("expected multipart/form-data or application/x-www-form-urlencoded")
    boundary = options.get("boundary")
    if not boundary:
        raise MalformedPayload("multipart/form-data without a boundary")
    parts: list[FormPart] = []
    try:
        with multipart.PushMultipartParser(
            boundary, max_header_size=16_384, max_header_count=16, max_segment_count=2_000, header_charset="latin-1"
        ) as parser:
            segment: Any = None
            chunks: list[bytes] = []
            for event in parser.parse(body):
                if isinstance(event, multipart.MultipartSegment):
                    segment, chunks = event, []
                elif event:
                    chunks.append(event)
                elif segment is not None:
                    parts.append(
                        FormPart(
                            _from_latin1(segment.name) or "",
                            b"".join(chunks),
                            _from_latin1(segment.filename),
                            segment.content_type,
                        )
                    )
                    segment = None
    except (multipart.MultipartError, ValueError) as exc:
        raise MalformedPayload(f"the multipart/form-data body could not be read: {exc}") from None
    return Form(parts)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedPayload("the body is not JSON") from None


# --- Events ----------------------------------------------------------------------------------------


_SMTP_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def bounce_kind(status: str | None, *, permanent: bool = True) -> BounceKind:
    """RFC 3463: 4.x.x is transient, 5.7.x a policy block (our sending), other 5.x.x a dead address."""
    match = _SMTP_STATUS.search(status or "")
    if match is None:
        return BounceKind.HARD if permanent else BounceKind.SOFT
    if match.group(1) == "4":
        return BounceKind.SOFT
    return BounceKind.POLICY if match.group(2) == "7" else BounceKind.HARD


def _str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return storable_text(value) or None if isinstance(value, str) else None


def _dict(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if isinstance(value, str | int) and value else None
    except ValueError:
        return None


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _fingerprint(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def mailgun_event_signature(payload: Any) -> MailgunSignature:
    if not isinstance(payload, dict):
        raise MalformedPayload('a Mailgun event is a JSON object with "signature" and "event-data"')
    block = _dict(payload, "signature")
    return MailgunSignature(*(str(block[k]) if block.get(k) else None for k in ("timestamp", "token", "signature")))


_MAILGUN_TYPES = {
    "delivered": EmailEventType.DELIVERED,
    "opened": EmailEventType.OPENED,
    "clicked": EmailEventType.CLICKED,
    "unsubscribed": EmailEventType.UNSUBSCRIBED,
    "complained": EmailEventType.SPAM_COMPLAINT,
}
# Permanent failures whose reason says more than "bounced".
_MAILGUN_FAILURE_REASONS: dict[str, tuple[EmailEventType, BounceKind | None]] = {
    "suppress-unsubscribe": (EmailEventType.UNSUBSCRIBED, None),
    "suppress-complaint": (EmailEventType.SPAM_COMPLAINT, None),
    "suppress-bounce": (EmailEventType.BOUNCED, BounceKind.HARD),
    "espblock": (EmailEventType.BOUNCED, BounceKind.POLICY),
    "old": (EmailEventType.BOUNCED, BounceKind.SOFT),  # gave up retrying: not the address's fault
}


def parse_mailgun_event(payload: Any) -> ProviderEvent | None:
    """The event of a Mailgun webhook post; None for kinds we do not track (accepted, rejected, stored...)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event-data"), dict):
        raise MalformedPayload('a Mailgun event is a JSON object with "signature" and "event-data"')
    data: dict[str, Any] = payload["event-data"]
    name = _str(data, "event")
    occurred_at = _time(data.get("timestamp"))
    if name is None or occurred_at is None:
        raise MalformedPayload('"event-data" needs "event" and a numeric "timestamp"')
    kind: BounceKind | None = None
    if name == "failed":
        status = _dict(data, "delivery-status")
        smtp_status = " ".join(
            str(status.get(key) or "") for key in ("enhanced-code", "code", "message", "description")
        )
        if data.get("severity") == "temporary":
            event_type = EmailEventType.DEFERRED
        else:
            reason = _str(data, "reason") or ""
            event_type, kind = _MAILGUN_FAILURE_REASONS.get(reason, (EmailEventType.BOUNCED, None))
            if event_type is EmailEventType.BOUNCED and kind is None:
                kind = bounce_kind(smtp_status)
    elif name in _MAILGUN_TYPES:
        event_type = _MAILGUN_TYPES[name]
    else:
        return None
    event_id = _str(data, "id")
    variables = _dict(data, "user-variables")
    headers = _dict(_dict(data, "message"), "headers")
    return ProviderEvent(
        provider=MAILGUN,
        # Mailgun's event id is unique within a day only: with the event's time it is unique.
        provider_event_id=f"{event_id}:{data['timestamp']}" if event_id else _fingerprint(data),
        event_type=event_type,
        occurred_at=occurred_at,
        recipient=_str(data, "recipient"),
        message_id=bare_message_id(_str(headers, "message-id")),
        email_id=_uuid(variables.get("email_id")),
        bounce_kind=kind,
        url=_str(data, "url"),
        ip_address=_str(data, "ip"),
        user_agent=_str(_dict(data, "client-info"), "user-agent"),
        data=data,
    )


_SENDGRID_TYPES = {
    "delivered": EmailEventType.DELIVERED,
    "open": EmailEventType.OPENED,
    "click": EmailEventType.CLICKED,
    "deferred": EmailEventType.DEFERRED,
    "spamreport": EmailEventType.SPAM_COMPLAINT,
    "unsubscribe": EmailEventType.UNSUBSCRIBED,
    "group_unsubscribe": EmailEventType.UNSUBSCRIBED,
}
# Why SendGrid dropped a message without sending it.
_SENDGRID_DROP_REASONS: dict[str, tuple[EmailEventType, BounceKind | None]] = {
    "bounced address": (EmailEventType.BOUNCED, BounceKind.HARD),
    "invalid": (EmailEventType.BOUNCED, BounceKind.HARD),
    "unsubscribed address": (EmailEventType.UNSUBSCRIBED, None),
    "spam reporting address": (EmailEventType.SPAM_COMPLAINT, None),
}


@dataclass(slots=True)
class ParsedEvents:
    events: list[ProviderEvent] = field(default_factory=list)
    ignored: int = 0  # kinds we do not track, or entries that are not events


def parse_sendgrid_events(payload: Any) -> ParsedEvents:
    """The events of a SendGrid post. An entry that is not a usable event is ignored and counted,
    not a reason to refuse the batch (SendGrid would retry the whole batch for a day)."""
    if not isinstance(payload, list):
        raise MalformedPayload("a SendGrid event post is a JSON array of events")
    parsed = ParsedEvents()
    for entry in payload:
        event = _sendgrid_event(entry) if isinstance(entry, dict) else None
        if event is None:
            parsed.ignored += 1
        else:
            parsed.events.append(event)
    return parsed


def _sendgrid_event(entry: dict[str, Any]) -> ProviderEvent | None:
    name = _str(entry, "event")
    occurred_at = _time(entry.get("timestamp"))
    if name is None or occurred_at is None:
        return None
    kind: BounceKind | None = None
    if name == "bounce":
        kind = BounceKind.POLICY if entry.get("type") == "blocked" else bounce_kind(_str(entry, "status"))
        event_type = EmailEventType.BOUNCED
    elif name == "dropped":
        reason = (_str(entry, "reason") or "").strip().lower()
        # Dropped for our own reasons (spam content, ...): not sent, not the address's fault.
        event_type, kind = _SENDGRID_DROP_REASONS.get(reason, (EmailEventType.BOUNCED, BounceKind.POLICY))
    elif name in _SENDGRID_TYPES:
        event_type = _SENDGRID_TYPES[name]
    else:
        return None
    return ProviderEvent(
        provider=SENDGRID,
        provider_event_id=_str(entry, "sg_event_id") or _fingerprint(entry),
        event_type=event_type,
        occurred_at=occurred_at,
        recipient=_str(entry, "email"),
        message_id=bare_message_id(_str(entry, "smtp-id")),
        # Custom args (unique args) arrive as top-level keys of the event.
        email_id=_uuid(entry.get("email_id")),
        bounce_kind=kind,
        url=_str(entry, "url"),
        ip_address=_str(entry, "ip"),
        user_agent=_str(entry, "useragent"),
        is_machine=entry.get("sg_machine_open") is True,
        data=entry,
    )


# --- Inbound mail ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboundMail:
    """One received message as raw RFC 5322 bytes, and the envelope recipients it was delivered to."""

    raw: bytes
    recipients: list[str]
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Attachment:
    data: bytes
    content_type: str | None
    filename: str | None
    content_id: str | None


# Headers that describe the original MIME structure, which a rebuilt message replaces.
_CONTENT_HEADERS = frozenset({"content-type", "content-transfer-encoding", "mime-version", "content-disposition"})
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL_ERRORS = (ValueError, TypeError, LookupError, email_errors.MessageError)


def _addresses(values: Iterable[str]) -> list[str]:
    found = [address.strip().lower() for _, address in getaddresses(list(values))]
    return list(dict.fromkeys(address for address in found if "@" in address))


def _json_field(form: Form, name: str) -> Any:
    data = form.data(name)
    if data is None or not data.strip():
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise MalformedPayload(f'the "{name}" field is not JSON') from None


def mailgun_inbound_signature(form: Form) -> MailgunSignature:
    # Mailgun merges custom variables into the form: the signature fields are the last of their name.
    def last(name: str) -> str | None:
        values = [part.data for part in form.parts if part.name == name]
        return values[-1].decode("utf-8", "replace") if values and values[-1] else None

    return MailgunSignature(last("timestamp"), last("token"), last("signature"))


def mailgun_inbound_mail(form: Form) -> InboundMail:
    """A Mailgun route post (raw ``body-mime`` or the parsed fields) as one message."""
    recipients = _addresses([form.text("recipient") or ""])
    if not recipients:
        raise MalformedPayload('the "recipient" field is missing')
    received_at = _time(mailgun_inbound_signature(form).timestamp)
    if (raw := form.data("body-mime")) is not None:
        return InboundMail(raw, recipients, received_at)
    headers = _json_field(form, "message-headers")
    if not isinstance(headers, list):
        raise MalformedPayload('expected "body-mime" or "message-headers" (a JSON list of [name, value])')
    pairs = [(str(pair[0]), str(pair[1])) for pair in headers if isinstance(pair, list) and len(pair) == 2]
    content_ids = _json_field(form, "content-id-map")
    cid_of = {str(v): str(k) for k, v in content_ids.items()} if isinstance(content_ids, dict) else {}
    attachments = [
        _Attachment(part.data, part.content_type, part.filename, cid_of.get(part.name))
        for part in _numbered(form, "attachment-")
    ]
    raw = _rebuild(_encode_headers(pairs), form.text("body-plain"), form.text("body-html"), attachments)
    return InboundMail(raw, recipients, received_at)


def sendgrid_inbound_mail(form: Form) -> InboundMail:
    """A SendGrid Inbound Parse post (raw ``email`` or the parsed fields) as one message."""
    envelope = _json_field(form, "envelope")
    to = envelope.get("to") if isinstance(envelope, dict) else None
    recipients = _addresses([str(a) for a in to] if isinstance(to, list) else [str(to or "")])
    if (raw := form.data("email")) is not None:
        return InboundMail(raw, recipients or _recipients_of(raw))
    header_block = form.data("headers")
    if header_block is None:
        raise MalformedPayload('expected "email" (send raw) or "headers" with the parsed fields')
    charsets = _json_field(form, "charsets")
    charsets = charsets if isinstance(charsets, dict) else {}
    info = _json_field(form, "attachment-info")
    info = info if isinstance(info, dict) else {}
    content_ids = _json_field(form, "content-ids")
    cid_of = {str(v): str(k) for k, v in content_ids.items()} if isinstance(content_ids, dict) else {}
    attachments = []
    for part in _numbered(form, "attachment"):
        details = _dict(info, part.name)
        attachments.append(
            _Attachment(
                part.data,
                part.content_type or _str(details, "type"),
                part.filename or _str(details, "filename"),
                cid_of.get(part.name) or _str(details, "content-id"),
            )
        )
    text = form.text("text", str(charsets.get("text") or "utf-8"))
    html = form.text("html", str(charsets.get("html") or "utf-8"))
    raw = _rebuild(_raw_headers(header_block), text, html, attachments)
    return InboundMail(raw, recipients or _recipients_of(raw))


def _recipients_of(raw: bytes) -> list[str]:
    message = message_from_bytes(raw, policy=policy.compat32)
    return _addresses(str(value) for name in ("To", "Cc", "Delivered-To") for value in message.get_all(name, []))


def _numbered(form: Form, prefix: str) -> list[FormPart]:
    """File fields ``<prefix>1``, ``<prefix>2``... in number order."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d{{1,4}})$")
    numbered = [(int(match.group(1)), part) for part in form.parts if (match := pattern.match(part.name))]
    return [part for _, part in sorted(numbered, key=lambda item: item[0])]


def _encode_headers(pairs: Sequence[tuple[str, str]]) -> bytes:
    """Decoded header values (Mailgun's) as wire-format header lines; one that cannot be written is left out."""
    lines = []
    for name, value in pairs:
        if name.lower() in _CONTENT_HEADERS or not _HEADER_NAME.match(name):
            continue
        single = EmailMessage(policy=policy.SMTP)
        try:
            single[name] = _CONTROL.sub(" ", value)
            lines.append(single.as_bytes().rstrip(b"\r\n") + b"\r\n")
        except _EMAIL_ERRORS:
            logger.info("left out an inbound header that cannot be written: %s", name)
    return b"".join(lines)


def _raw_headers(block: bytes) -> bytes:
    """A raw header block (SendGrid's) without its MIME structure headers, in wire format."""
    fields: list[list[bytes]] = []
    for line in re.split(rb"\r?\n", block):
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        elif b":" in line:
            fields.append([line])
    kept = [f for f in fields if f[0].split(b":", 1)[0].strip().lower().decode("latin-1") not in _CONTENT_HEADERS]
    return b"".join(b"\r\n".join(f) + b"\r\n" for f in kept)


def _rebuild(header_block: bytes, text: str | None, html: str | None, attachments: Sequence[_Attachment]) -> bytes:
    """A MIME message from a provider's parsed fields: text and HTML alternatives, then the attachments."""
    body = EmailMessage(policy=policy.SMTP)
    if text is not None or html is None:
        body.set_content(text or "")
    if html is not None:
        if text is not None:
            body.add_alternative(html, subtype="html")
        else:
            body.set_content(html, subtype="html")
    for attachment in attachments:
        _attach(body, attachment)
    return header_block + body.as_bytes()


def _attach(body: EmailMessage, attachment: _Attachment) -> None:
    content_type = (attachment.content_type or "").split(";", 1)[0].strip().lower()
    if not _MIME_TYPE.match(content_type) or content_type.startswith("multipart/"):
        content_type = "application/octet-stream"
    filename = _CONTROL.sub("", attachment.filename or "")[:255] or None
    cid = _CONTROL.sub("", attachment.content_id or "").strip().strip("<>")[:255] or None
    disposition = "inline" if cid else "attachment"
    if content_type == "message/rfc822":
        forwarded = message_from_bytes(attachment.data, policy=policy.SMTP)
        try:
            forwarded.as_bytes()
        except _EMAIL_ERRORS:
            content_type = "application/octet-stream"
        else:
            body.add_attachment(forwarded, filename=filename, disposition=disposition, cid=f"<{cid}>" if cid else None)
            return
    maintype, subtype = content_type.split("/", 1)
    if maintype == "message":
        maintype, subtype = "application", "octet-stream"
    body.add_attachment(
        attachment.data,
        maintype=maintype,
        subtype=subtype,
        filename=filename,
        disposition=disposition,
        cid=f"<{cid}>" if cid else None,
    )


@dataclass(slots=True)
class InboundResult:
    mailboxes: list[uuid.UUID] = field(default_factory=list)
    stored: list[uuid.UUID] = field(default_factory=list)
    duplicates: int = 0
    # New inbound emails for the triage workers (enqueue after commit).
    triage: list[uuid.UUID] = field(default_factory=list)


async def receiving_mailboxes(session: AsyncSession, recipients: Sequence[str]) -> list[EmailAccount]:
    """The connected mailboxes of ``recipients``, across workspaces: one address connected in two
    workspaces receives in both. Mailboxes in error (an IMAP login failing) still receive here."""
    addresses = [address.lower() for address in recipients if address]
    if not addresses:
        return []
    rows = await session.scalars(
        sa.select(EmailAccount)
        .where(
            sa.func.lower(EmailAccount.email_address).in_(addresses),
            EmailAccount.is_active.is_(True),
            EmailAccount.status.in_([MailboxStatus.ACTIVE, MailboxStatus.ERROR]),
        )
        .order_by(EmailAccount.created_at, EmailAccount.id)
    )
    return list(rows)


async def store_inbound(session: AsyncSession, mail: InboundMail, *, blobs: BlobStore) -> InboundResult:
    """Store ``mail`` in every mailbox it was delivered to (in the caller's transaction)."""
    result = InboundResult()
    incoming = IncomingMessage(raw=mail.raw, received_at=mail.received_at)
    for account in await receiving_mailboxes(session, mail.recipients):
        stored = await ingest_messages(session, account, [incoming], blobs=blobs)
        result.mailboxes.append(account.id)
        result.stored.extend(stored.stored)
        result.duplicates += stored.duplicates
        result.triage.extend(stored.triage)
    return result

"""What the sources, the parser and the store pass to each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class BounceKind(StrEnum):
    """5.x.x is permanent, 4.x.x transient; 5.7.x is a policy block (on our side: auth, reputation)."""

    HARD = "hard"
    SOFT = "soft"
    POLICY = "policy"


@dataclass(frozen=True, slots=True)
class BouncedRecipient:
    address: str
    kind: BounceKind
    action: str | None = None  # RFC 3464 Action: failed, delayed, ...
    status: str | None = None  # RFC 3464 Status, e.g. "5.1.1"
    diagnostic: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    filename: str | None
    content_type: str
    content: bytes
    content_id: str | None = None  # without the angle brackets
    is_inline: bool = False
    # Set once the bytes are in the blob store; ``content`` is then dropped (empty) to travel light.
    storage_key: str | None = None
    stored_size: int | None = None

    @property
    def size(self) -> int:
        return len(self.content) if self.stored_size is None else self.stored_size


@dataclass(frozen=True, slots=True)
class CalendarInvite:
    method: str | None  # REQUEST, REPLY, CANCEL ...
    uid: str | None
    summary: str | None
    starts_at: datetime | None
    organizer: str | None


@dataclass(slots=True)
class ParsedMessage:
    """One message as the parser understood it.

    Addresses are bare, lower-cased addr-specs. Message-IDs carry no angle
    brackets. ``body_html`` is sanitised. ``reply_text`` is the new text of
    the message, without quoted history or signature. When the message could
    not be fully parsed, ``parse_error`` says why and the fields hold whatever
    could be recovered; the raw bytes are stored either way.
    """

    raw_size: int
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str | None = None
    from_address: str | None = None
    from_name: str | None = None
    to_addresses: list[str] = field(default_factory=list)
    cc_addresses: list[str] = field(default_factory=list)
    bcc_addresses: list[str] = field(default_factory=list)
    reply_to: str | None = None
    date: datetime | None = None  # aware, UTC
    body_text: str | None = None
    body_html: str | None = None
    reply_text: str | None = None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    calendar: CalendarInvite | None = None
    is_auto_reply: bool = False
    is_bounce: bool = False
    bounced_recipients: list[BouncedRecipient] = field(default_factory=list)
    # Why it was recognised as an auto-reply or bounce, e.g. "Auto-Submitted: auto-replied".
    classification_reason: str | None = None
    list_unsubscribe: str | None = None
    parse_error: str | None = None
    # The raw message's blob key, once it is in the blob store.
    raw_storage_key: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """Raw bytes from a source, with where they came from.

    IMAP gives folder, UIDVALIDITY and UID; Gmail its message and thread ids;
    webhooks neither. ``outbound`` is true for the rep's own mail (the Sent
    folder, or Gmail's SENT label).
    """

    raw: bytes
    folder: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    gmail_message_id: str | None = None
    gmail_thread_id: str | None = None
    received_at: datetime | None = None  # IMAP INTERNALDATE / Gmail internalDate
    outbound: bool = False
    seen: bool = False

"""The one MIME parser: raw RFC 5322 bytes from any source become a :class:`ParsedMessage`.

Built on the stdlib ``email`` package with the compat32 policy and a fetch hook that
hands back header values as raw strings. ``policy.default`` turns headers into objects
whose parsing raises on real mail (a group in ``To``, an encoded word that decodes to
CR/LF) and is slow on huge address lists; here headers are decoded by this module (RFC
2047 words, raw UTF-8 of RFC 6532, addresses through :func:`email.utils.getaddresses`)
and bodies through a charset fallback chain, so an unknown or lying charset costs
accuracy, never the message.

:func:`parse_message` never raises. What could not be read is named in ``parse_error``
and the fields keep everything that could.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime
from functools import cached_property, lru_cache

from icalendar import Calendar

from inbox.ingest.classify import MessageEvidence, classify
from inbox.ingest.html import html_to_text, sanitize_html
from inbox.ingest.replies import extract_reply, extract_reply_html
from inbox.ingest.types import CalendarInvite, ParsedAttachment, ParsedMessage

logger = logging.getLogger(__name__)

__all__ = ["decode_bytes", "decode_header_text", "parse_message"]


class _RawHeaderPolicy(Compat32):
    """compat32 with headers kept as written: read back raw (8-bit bytes as surrogates) and
    written back verbatim.

    compat32 would wrap a header holding 8-bit bytes in an ``email.header.Header`` and
    refold every header when a forwarded message is written out as ``.eml`` (slow, and
    not the bytes that were sent); decoding is done by :func:`decode_header_text`.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value

    def fold(self, name: str, value: str) -> str:
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name: str, value: str) -> bytes:
        return self.fold(name, value).encode("utf-8", "surrogateescape")


_POLICY = _RawHeaderPolicy()
_MAX_DEPTH = 40  # MIME nesting deeper than this is hostile, not mail
_BOM = b"\xef\xbb\xbf"
_OBSOLETE_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*"?([^"\s;]+)', re.IGNORECASE)
_CLOSE_DELIMITER = re.compile(rb"^--(\S+?)--[ \t]*\r?$", re.MULTILINE)

# Labels whose bytes are really a superset's (what mail clients and WHATWG decode them as).
_CHARSET_SUPERSETS = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "unicode-1-1-utf-7": "utf-7",
}

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"[\r\n]+[ \t]*")
_MESSAGE_ID = re.compile(r"<([^<>]+)>")
_ADDRESS_PARSER_LIMIT = 4000
_ADDRESS_SPECIALS = frozenset('"():;\\[]')
_SIMPLE_MAILBOX = re.compile(r"\s*(?:([^<>]*?)\s*<([^<>\s]*)>|([^<>\s]+))\s*")
_ADDR_SPEC = re.compile(r"[^\s<>()\[\]\",;:@]+@[^\s<>()\[\]\",;:@]+")
_QUOTED_OR_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*"|\([^()]*\)')
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f]")
_FORWARD_TYPES = {"message/rfc822", "message/global", "message/news"}
_DELIVERY_STATUS_TYPES = {"message/delivery-status", "message/global-delivery-status", "text/delivery-status"}
_REPORT_PART_TYPES = _DELIVERY_STATUS_TYPES | {
    "message/feedback-report",
    "message/disposition-notification",
    "message/global-disposition-notification",
}
_RETURNED_HEADER_TYPES = {"text/rfc822-headers", "text/global-headers"}
_CALENDAR_TYPES = {"text/calendar", "application/ics"}


# --- text decoding ------------------------------------------------------------------------------


_SINGLE_BYTE = bytes(range(256))


@lru_cache(maxsize=512)
def _codec(charset: str | None) -> tuple[str, bool] | None:
    """The Python codec for a MIME charset label and whether it is single-byte; None when unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    name = _CHARSET_SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(name).name
        single_byte = len(_SINGLE_BYTE.decode(name, errors="replace")) == 256  # refuses "base64" too
    except (LookupError, UnicodeError, ValueError):
        return None
    return name, single_byte and name != "utf-8"


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of ``data`` labelled ``charset``; never fails.

    8-bit data that is valid UTF-8 is UTF-8 unless a multi-byte charset (Shift_JIS,
    GB18030, ...) says otherwise: a single-byte label on UTF-8 text is the common lie,
    and legacy single-byte text is almost never valid UTF-8 by accident. Then the
    label, then the label (or windows-1252) with replacement characters.
    """
    codec = _codec(charset)
    name = codec[0] if codec else None
    utf8_first = codec is None or codec[1]
    if utf8_first and not data.isascii():  # 7-bit data (ISO-2022-*) is the label's or nothing
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if name is not None:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            pass
    if not utf8_first and name != "utf-8" and not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode(name or "cp1252", errors="replace")


def _unescape(value: str) -> str:
    """A header string with the 8-bit bytes the parser kept as surrogates decoded (RFC 6532 UTF-8),
    and raw ISO-2022-JP (7-bit, so no surrogates, but escape sequences) decoded too."""
    if "\x1b" in value:
        try:
            return value.encode("ascii").decode("iso2022_jp_ext")
        except UnicodeError:
            pass
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    return value


def _clean(text: str) -> str:
    """Text fit for storage: PostgreSQL refuses NUL characters."""
    return text.replace("\x00", "")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("utf-8")
    try:
        if encoding in "bB":
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header_text(value: str | None) -> str | None:
    """A header value as text: encoded words (RFC 2047) decoded, folding removed.

    Adjacent encoded words in the same charset are joined before decoding, so a
    multi-byte character split across two words survives; an unknown charset or a
    broken word falls back like :func:`decode_bytes` or stays as written.
    """
    if value is None:
        return None
    value = _unescape(value)
    if "=?" in value:
        value = _decode_words(value)
    text = _clean(_FOLD.sub(" ", value)).strip()
    return text or None


def _decode_words(value: str) -> str:
    pieces: list[str] = []
    pending = bytearray()
    pending_charset = ""

    def flush() -> None:
        nonlocal pending
        if pending:
            pieces.append(decode_bytes(bytes(pending), pending_charset))
            pending = bytearray()

    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        position = match.end()
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 adds *language
        data = _word_bytes(match.group(2), match.group(3))
        if not (pending and not between.strip()):
            flush()
            pieces.append(between)
        if data is None:
            flush()
            pieces.append(match.group(0))
        elif pending and charset != pending_charset:
            flush()
            pending, pending_charset = bytearray(data), charset
        else:
            pending += data
            pending_charset = charset
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def _normalise_text(text: str) -> str:
    return _clean(text.replace("\r\n", "\n").replace("\r", "\n"))


# --- headers --------------------------------------------------------------------------------


def _header(message: Message, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value)


def _mailboxes(value: str) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs of one address header.

    The common plain list is split directly; quotes, comments and groups go to
    :func:`getaddresses`, which recurses once per group and copies lists as it goes, so
    a huge or group-laden header (thousands of ``x:;``) is read by a linear scan for
    addr-specs instead, without display names.
    """
    if not any(char in value for char in _ADDRESS_SPECIALS):  # "Name <a@b>, c@d": no parser needed
        matches = [_SIMPLE_MAILBOX.fullmatch(item) for item in value.split(",") if item.strip()]
        if all(matches):
            return [(m.group(1) or "", m.group(2) or m.group(3) or "") for m in matches if m]
    if len(value) <= _ADDRESS_PARSER_LIMIT and value.count(":") <= 10:
        return getaddresses([value])
    return [("", match.group(0)) for match in _ADDR_SPEC.finditer(_QUOTED_OR_COMMENT.sub(" ", value))]


def _addresses(values: list[str]) -> list[tuple[str, str | None]]:
    """(bare lower-cased addr-spec, display name) pairs; anything without an ``@`` is dropped."""
    found: dict[str, str | None] = {}
    for name, address in (pair for value in values for pair in _mailboxes(_unescape(value))):
        address = address.strip().strip("<>\"'").lower()
        if "@" not in address or any(char.isspace() for char in address) or len(address) > 320:
            continue
        if address not in found:
            found[address] = decode_header_text(name)
    return list(found.items())


def _address_list(message: Message, name: str) -> list[str]:
    values = message.get_all(name) or []
    return [address for address, _ in _addresses([str(value) for value in values])]


def _message_id(value: str | None) -> str | None:
    if value is None:
        return None
    match = _MESSAGE_ID.search(value)
    ident = "".join((match.group(1) if match else value).split())
    return _clean(_unescape(ident)) or None


def _references(value: str | None) -> list[str]:
    if value is None:
        return []
    idents = [m.group(1) for m in _MESSAGE_ID.finditer(value)] or value.split()
    cleaned = (_clean(_unescape("".join(ident.split()))) for ident in idents)
    return list(dict.fromkeys(ident for ident in cleaned if ident))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_unescape(value))
        if parsed.tzinfo is None:  # "-0000": the zone is unknown, the time is taken as UTC
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _fill_headers(message: Message, parsed: ParsedMessage) -> None:
    parsed.subject = decode_header_text(_header(message, "Subject"))
    senders = _addresses([str(value) for value in message.get_all("From") or []])
    if senders:
        parsed.from_address, parsed.from_name = senders[0]
    parsed.to_addresses = _address_list(message, "To")
    parsed.cc_addresses = _address_list(message, "Cc")
    parsed.bcc_addresses = _address_list(message, "Bcc")
    reply_to = _address_list(message, "Reply-To")
    parsed.reply_to = reply_to[0] if reply_to else None
    parsed.message_id = _message_id(_header(message, "Message-ID"))
    parsed.in_reply_to = _message_id(_header(message, "In-Reply-To"))
    parsed.references = _references(_header(message, "References"))
    parsed.date = _date(_header(message, "Date"))
    parsed.list_unsubscribe = decode_header_text(_header(message, "List-Unsubscribe"))


# --- body -----------------------------------------------------------------------------------


def _filename(part: Message) -> str | None:
    # get_filename() reads the "filename" parameter, then "name": skip its parameter parsing (a third of a
    # message's walk) for the parts that name neither, as most do.
    if not any("name" in str(part.get(header, "")).lower() for header in ("Content-Disposition", "Content-Type")):
        return None
    raw = part.get_filename()
    name = decode_header_text(raw if isinstance(raw, str) else None)
    if name is None:
        return None
    name = _UNSAFE_FILENAME.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or None


def _content_id(part: Message) -> str | None:
    value = _header(part, "Content-ID")
    if value is None:
        return None
    return _clean(_unescape("".join(value.split()).strip("<>"))) or None


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _message_bytes(message: Message) -> bytes:
    return message.as_bytes(policy=_POLICY)


def _children(part: Message) -> list[Message] | None:
    """The parts inside a multipart or message/* part; None for a leaf."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return None
    return [child for child in payload if isinstance(child, Message)]


def _header_blocks_text(part: Message) -> str:
    """The text of a part the parser split into header blocks (message/delivery-status)."""
    blocks: list[str] = []
    payload = part.get_payload()
    for block in _children(part) or []:
        lines = [f"{name}: {_unescape(str(value))}" for name, value in block.items()]
        body = block.get_payload()
        if isinstance(body, str) and body.strip():
            lines.append(_unescape(body))
        blocks.append("\n".join(lines))
    if isinstance(payload, str):
        blocks.append(decode_bytes(_payload_bytes(part), part.get_content_charset()))
    return "\n\n".join(blocks)


@dataclass
class _Body:
    """What a walk over the MIME tree collects."""

    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    calendars: list[Message] = field(default_factory=list)
    delivery_status: list[str] = field(default_factory=list)
    report_types: set[str] = field(default_factory=set)
    returned_message: bool = False
    returned_recipients: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def walk(self, part: Message, depth: int = 0, *, in_report: bool = False) -> None:
        if depth > _MAX_DEPTH:
            if "MIME nesting too deep" not in self.errors:
                self.errors.append("MIME nesting too deep")
            return
        ctype = part.get_content_type()
        _run(f"MIME part {ctype[:60]}", self.errors, lambda: self._visit(part, ctype, depth, in_report=in_report))

    def _visit(self, part: Message, ctype: str, depth: int, *, in_report: bool) -> None:
        payload = _children(part)
        if ctype in _REPORT_PART_TYPES or payload is None:
            self._leaf(part, ctype)
        elif ctype.startswith("message/"):
            self._message_part(part, payload, depth, in_report=in_report)
        else:
            self._multipart(part, ctype, payload, depth)

    def _multipart(self, part: Message, ctype: str, children: list[Message], depth: int) -> None:
        if ctype == "multipart/report":
            report_type = part.get_param("report-type")
            if isinstance(report_type, str):
                self.report_types.add(report_type.strip().lower())
        if ctype == "multipart/alternative":
            self._alternative(children, depth)
        elif ctype == "multipart/related":
            self._related(part, children, depth)
        else:
            for child in children:
                self.walk(child, depth + 1, in_report=ctype == "multipart/report")

    def _alternative(self, children: list[Message], depth: int) -> None:
        """The first alternative with plain text gives the text, the last with HTML the HTML."""
        texts: list[str] = []
        htmls: list[str] = []
        for child in children:
            sub = _Body()
            sub.walk(child, depth + 1)
            if sub.text and not texts:
                texts = sub.text
            if sub.html:
                htmls = sub.html
            self._absorb(sub)
        self.text += texts
        self.html += htmls

    def _absorb(self, sub: _Body) -> None:
        """Take everything but the text and HTML of a sub-walk."""
        self.forwarded += sub.forwarded
        self.attachments += sub.attachments
        self.calendars += sub.calendars
        self.delivery_status += sub.delivery_status
        self.report_types |= sub.report_types
        self.returned_message = self.returned_message or sub.returned_message
        self.returned_recipients += sub.returned_recipients
        self.errors += sub.errors

    def _related(self, part: Message, children: list[Message], depth: int) -> None:
        start = part.get_param("start")
        start_id = "".join(start.split()).strip("<>") if isinstance(start, str) else None
        root = next((child for child in children if start_id and _content_id(child) == start_id), None)
        root = root or (children[0] if children else None)
        for child in children:
            if child is root:
                self.walk(child, depth + 1)
            else:
                self._inline_resource(child, depth + 1)

    def _message_part(self, part: Message, payload: list[Message], depth: int, *, in_report: bool) -> None:
        """A message inside the message: kept whole as ``.eml``; a forward's text joins the body."""
        inner = payload[0] if payload else Message(policy=_POLICY)
        self.returned_message = True
        self._returned_recipients(inner)
        self._message_attachment(part, inner)
        if in_report or part.get_content_type() not in _FORWARD_TYPES:
            return
        sub = _Body()
        sub.walk(inner, depth + 1)
        self.errors += sub.errors
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To"):
            value = decode_header_text(_header(inner, name))
            if value:
                lines.append(f"{name}: {value}")
        text = sub.full_text()
        self.forwarded.append("\n".join(lines) + ("\n\n" + text if text else ""))

    def _returned_recipients(self, headers: Message) -> None:
        for name in ("To", "Cc"):
            self.returned_recipients += _address_list(headers, name)

    def _message_attachment(self, part: Message, inner: Message) -> None:
        filename = _filename(part)
        if filename is None:
            subject = decode_header_text(_header(inner, "Subject")) or "message"
            filename = _UNSAFE_FILENAME.sub("", re.sub(r'[\\/:*?"<>|]', "_", subject))[:100].strip() + ".eml"
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=part.get_content_type(),
                content=_message_bytes(inner),
                content_id=_content_id(part),
                is_inline=False,
            )
        )

    def _leaf(self, part: Message, ctype: str) -> None:
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if ctype.startswith("multipart/"):  # no boundary: the parser kept the body as one string
            report_type = part.get_param("report-type")
            if isinstance(report_type, str):
                self.report_types.add(report_type.strip().lower())
            self.text.append(_normalise_text(decode_bytes(_payload_bytes(part), part.get_content_charset())))
            return
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and filename is None:
            text = _normalise_text(decode_bytes(_payload_bytes(part), part.get_content_charset()))
            (self.text if ctype == "text/plain" else self.html).append(text)
            return
        content_id = _content_id(part)
        if ctype in _REPORT_PART_TYPES:
            self.report_types.add(ctype)
            report = _header_blocks_text(part)
            if ctype in _DELIVERY_STATUS_TYPES:
                self.delivery_status.append(report)
            self.attachments.append(ParsedAttachment(filename, ctype, report.encode("utf-8"), content_id, False))
            return
        if ctype in _RETURNED_HEADER_TYPES:
            self.returned_message = True
            headers = HeaderParser(policy=_POLICY).parsestr(decode_bytes(_payload_bytes(part), "utf-8"))
            self._returned_recipients(headers)
        if ctype in _CALENDAR_TYPES:
            self.calendars.append(part)
        inline = disposition == "inline" or (disposition is None and content_id is not None)
        self.attachments.append(ParsedAttachment(filename, ctype, _payload_bytes(part), content_id, inline))

    def _inline_resource(self, part: Message, depth: int) -> None:
        """A part of multipart/related other than its root: an image or style the root refers to."""
        if isinstance(part.get_payload(), list):  # unusual here: walked like any other part
            self.walk(part, depth)
            return
        ctype = part.get_content_type()
        self.attachments.append(ParsedAttachment(_filename(part), ctype, _payload_bytes(part), _content_id(part), True))

    @cached_property
    def sanitized_html(self) -> str | None:
        html = "\n".join(chunk for chunk in self.html if chunk.strip())
        return sanitize_html(html) if html else None

    @cached_property
    def own_text(self) -> str:
        """The message's own text: its plain parts, else its HTML as text; no forwarded message."""
        text = "\n\n".join(chunk.strip("\n") for chunk in self.text if chunk.strip())
        if not text and self.sanitized_html:
            text = html_to_text(self.sanitized_html).strip()
        return text

    def full_text(self) -> str:
        """The own text followed by each forwarded message's."""
        return "\n\n".join(chunk for chunk in [self.own_text, *self.forwarded] if chunk.strip())


# --- calendar ---------------------------------------------------------------------------------


def _as_utc(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):  # an all-day event starts at midnight
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _calendar_invite(part: Message) -> CalendarInvite | None:
    calendar = Calendar.from_ical(decode_bytes(_payload_bytes(part), part.get_content_charset()))
    method_param = part.get_param("method")
    method = str(calendar.get("METHOD") or (method_param if isinstance(method_param, str) else "")).strip().upper()
    events = calendar.walk("VEVENT")
    if not events:
        return CalendarInvite(method or None, None, None, None, None) if method else None
    event = events[0]
    organizer = str(event.get("ORGANIZER") or "").strip()
    if organizer.lower().startswith("mailto:"):
        organizer = organizer[len("mailto:") :]
    starts_at = _as_utc(event.decoded("DTSTART")) if "DTSTART" in event else None
    return CalendarInvite(
        method=method or None,
        uid=str(event.get("UID") or "").strip() or None,
        summary=_clean(str(event.get("SUMMARY") or "")).strip() or None,
        starts_at=starts_at,
        organizer=organizer.lower() or None,
    )


# --- the parser ---------------------------------------------------------------------------------


def _prepare(raw: bytes) -> bytes:
    """Bytes the stdlib reads as intended: no BOM, blank line or indentation before the first
    header, LF where only CR ends lines, no space before a field name's colon."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    if raw[:1].isspace():
        raw = raw.lstrip()
    if b"\n" not in raw and b"\r" in raw:
        raw = raw.replace(b"\r", b"\n")
    ends = [index for index in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if index >= 0]
    head = raw[: min(ends)] if ends else raw
    # "Subject : x" (RFC 5322 obs-optional): the stdlib wants no space before the colon.
    if (b" :" in head or b"\t:" in head) and _OBSOLETE_FIELD_NAME.search(head):
        raw = _OBSOLETE_FIELD_NAME.sub(rb"\1:", head) + raw[len(head) :]
    return raw


def _boundary_nesting(raw: bytes) -> int:
    """How deeply multipart boundaries nest: boundaries opened and not yet closed, at most.

    The stdlib parser checks every line against every open boundary, so its cost grows
    with the square of the nesting (seconds at a few hundred levels); real mail nests a
    handful. Counted only when the message names many boundaries at all.
    """
    if raw.count(b"oundary") + raw.count(b"OUNDARY") <= _MAX_DEPTH:
        return 0
    opened = [(m.start(), 1, m.group(1)) for m in _BOUNDARY_PARAM.finditer(raw)]
    closed = [(m.start(), -1, m.group(1)) for m in _CLOSE_DELIMITER.finditer(raw)]
    open_now: set[bytes] = set()
    deepest = 0
    for _, change, boundary in sorted(opened + closed):
        if change > 0:
            open_now.add(boundary)
            deepest = max(deepest, len(open_now))
        else:
            open_now.discard(boundary)
    return deepest


def _run(stage: str, errors: list[str], step: Callable[[], None]) -> None:
    """Run one parsing stage; a failure is named in ``errors`` and the other stages still run."""
    try:
        step()
    except Exception as exc:  # any bytes must parse: the failure is recorded, surfaced and stored
        logger.warning("mail parsing: %s failed", stage, exc_info=True)
        errors.append(f"{stage} unreadable ({type(exc).__name__})")


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything the service reads from one raw message; never raises."""
    parsed = ParsedMessage(raw_size=len(raw))
    if not raw.strip():
        parsed.parse_error = "empty message"
        return parsed
    errors: list[str] = []
    data = _prepare(raw)
    message: Message | None = None

    def read_structure() -> None:
        nonlocal message
        message = message_from_bytes(data, policy=_POLICY)

    if _boundary_nesting(data) > _MAX_DEPTH:
        errors.append("MIME nesting too deep")
    else:
        _run("MIME structure", errors, read_structure)
    if message is None:  # the body defeated the parser: keep at least the headers

        def read_headers_only() -> None:
            nonlocal message
            message = BytesHeaderParser(policy=_POLICY).parsebytes(data)

        _run("header block", errors, read_headers_only)
    if message is None:
        parsed.parse_error = "; ".join(errors)
        return parsed
    msg: Message = message
    if not msg.keys():
        errors.append("no header block")
    _run("headers", errors, lambda: _fill_headers(msg, parsed))

    body = _Body()
    _run("body", errors, lambda: body.walk(msg))
    errors += body.errors

    own_text = ""

    def fill_body() -> None:
        nonlocal own_text
        parsed.attachments = body.attachments
        parsed.body_html = body.sanitized_html
        own_text = body.own_text
        parsed.body_text = body.full_text() or None

    _run("body text", errors, fill_body)
    if parsed.body_text:

        def fill_reply() -> None:
            if not any(chunk.strip() for chunk in body.text) and body.html:
                # HTML-only mail: find the quote in the HTML itself (Gmail's and Outlook's markers are
                # classes and ids that sanitising removes), then read the rest as text.
                reply_html = extract_reply_html("\n".join(body.html))
                parsed.reply_text = extract_reply(html_to_text(sanitize_html(reply_html)).strip())
            else:
                parsed.reply_text = extract_reply(parsed.body_text or "")

        _run("reply text", errors, fill_reply)
    if body.calendars:

        def fill_calendar() -> None:
            parsed.calendar = _calendar_invite(body.calendars[0])

        _run("calendar invite", errors, fill_calendar)

    def fill_classification() -> None:
        evidence = MessageEvidence(
            notice_text=own_text,
            delivery_status=tuple(body.delivery_status),
            report_types=frozenset(body.report_types),
            returned_message=body.returned_message,
            returned_recipients=tuple(dict.fromkeys(body.returned_recipients)),
        )
        result = classify(msg, parsed, evidence)
        parsed.is_bounce = result.is_bounce
        parsed.is_auto_reply = result.is_auto_reply
        parsed.bounced_recipients = list(result.bounced_recipients)
        parsed.classification_reason = result.reason

    _run("classification", errors, fill_classification)
    parsed.parse_error = "; ".join(dict.fromkeys(errors)) or None
    return parsed

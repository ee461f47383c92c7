"""Bounces and auto-replies, recognised from headers and structure before any AI reads a message.

Order matters: a delivery or feedback report is never an auto-reply, and a bounce is a
bounce first even though mailers mark it ``Auto-Submitted`` and send it from ``<>``.

Bounces:

* RFC 3464 reports: every recipient of a ``message/delivery-status`` part whose Action
  is ``failed`` or ``delayed`` (or whose Status is 4.x.x/5.x.x). A report that only says
  ``delivered``/``relayed``/``expanded`` is a success notice, not a bounce.
* Everything else (plain-text notices from qmail, Exim, Exchange, Domino, Gmail, ...):
  the message must come from a mail system (mailer-daemon, postmaster, "Mail Delivery
  Subsystem", an Exchange system mailbox) or carry a bounce subject on an automatic
  envelope (``Return-Path: <>`` or ``Auto-Submitted``), *and* its own text must state a
  delivery failure or return the original message under a bounce subject. A mailer's
  message that says neither is not taken for a bounce: there is nothing in it to act on.
  Recipients come from delivery-status fields written into the text, else the addresses
  the notice names (never one after "from"), else the returned message's To/Cc;
  ``X-Failed-Recipients`` narrows them where present. Each gets the status code that
  follows it; a failure without a status is HARD. A report whose MIME parts could not
  be separated (no boundary) is read the same way.

Auto-replies (RFC 3834): ``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
``X-Autorespond``, ``Precedence: auto_reply``, an auto-reply subject ("Automatic reply:",
"Out of Office:", "Abwesenheitsnotiz:", ...), or an empty ``Return-Path``. ``Precedence:
bulk``/``junk``/``list`` alone is not: mailing lists and newsletters carry it and are
mail a rep may need to read. ``X-Auto-Response-Suppress`` says what a message does not
want back, not what it is, so it is ignored.

ARF feedback reports and MDN read receipts are neither; the reason names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from inbox.ingest.types import BouncedRecipient, BounceKind, ParsedMessage

__all__ = ["Classification", "MessageEvidence", "bounce_kind", "classify", "parse_delivery_status"]


@dataclass(frozen=True, slots=True)
class MessageEvidence:
    """What the parser saw in the MIME tree that headers alone do not tell."""

    notice_text: str  # the message's own text, without forwarded or returned messages
    delivery_status: tuple[str, ...] = ()  # the text of each message/delivery-status part
    report_types: frozenset[str] = frozenset()  # report-type parameters and report part types
    returned_message: bool = False  # a message/* or text/rfc822-headers part is attached
    returned_recipients: tuple[str, ...] = ()  # To and Cc of the attached messages and headers


@dataclass(frozen=True, slots=True)
class Classification:
    is_bounce: bool = False
    is_auto_reply: bool = False
    bounced_recipients: tuple[BouncedRecipient, ...] = ()
    reason: str | None = None


_FAILED_ACTIONS = {"failed", "delayed"}
_SUCCESS_ACTIONS = {"delivered", "relayed", "expanded"}
_RECIPIENT_FIELDS = {"final-recipient", "original-recipient"}
_STATUS = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_FAILURE_STATUS = re.compile(r"(?<![\w.])[45]\.\d{1,3}\.\d{1,3}(?!\.?\d)")  # in a notice's prose
_SMTP_CODE = re.compile(r"(?<![\w.#-])([45])[0-5]\d(?=[ -])")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

_MAILER_LOCAL_PART = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|post[-_.]?master|mail[-_.]?delivery[-_.\w]*"
    r"|microsoftexchange[0-9a-f]{32})$",
    re.IGNORECASE,
)
_MAILER_NAME = re.compile(r"mail(er)?[ -]?daemon|mail delivery (sub)?system|postmaster|post office", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(re|fwd?|aw|wg|sv|tr|vs)\s*:", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery notification|delivery fail|"
    r"mail delivery failed|failure notice|returned mail|returned to sender|mail system error|"
    r"could not send message|non-?deliver|delivery has failed|message delayed|delayed mail|delivery delayed|"
    r"delivery error|bounce notification|not delivered|unable to deliver|delivery status",
    re.IGNORECASE,
)
_FAILURE_TEXT = re.compile(
    r"could ?n[o']t be delivered|was ?n[o']t delivered|not be delivered|undeliverable|"
    r"delivery (to the following recipients? )?(has )?failed|failed permanently|permanent (error|failure)|"
    r"(unable|n[o']t able|not possible) to deliver|could ?n[o']t deliver|did not reach|delivery errors?|"
    r"(message|mail) was rejected|rejected by|address rejected|user unknown|unknown user|no such user|"
    r"mailbox (is )?(full|unavailable)|invalid (user|address|recipient)|transcript of session|"
    r"delivery (has been )?delayed|still being retried|error occurred while|error has occurred while|"
    r"failure reasons|address(\(es\)|es)? failed|delivery failure|"
    r"(?<![\w.])[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}|#[45]\.\d{1,3}\.\d{1,3}|"
    r"unzustellbar|nicht zugestellt|n'a pas pu (être|etre) (remis|distribué)|non (è stato )?recapitat|"
    r"no se (pudo|ha podido) entregar|не может быть доставлено|не доставлено",
    re.IGNORECASE,
)
_DELAY_TEXT = re.compile(
    r"delayed|deferred|still being retried|will (continue|keep) (to try|trying)|temporar", re.IGNORECASE
)
# Where a notice stops and the returned message begins: a separator line naming it, or its headers.
_RETURNED_MARKER = re.compile(
    r"^[ \t>*=_-]*(original message( follows| headers)?[ \t.:]*[*=_-]*[ \t]*$|returned message|unsent message|"
    r"(this is a |below (this line )?is a )copy of the|header of the original message|bounced e-?mail:)|"
    r"^(received|return-path|dkim-signature|message-id|mime-version):",
    re.IGNORECASE | re.MULTILINE,
)
_SENDER_CONTEXT = re.compile(r"\bfrom\b[^\n]{0,40}$", re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|auto[- ]?response|autoresponder|out of (the )?office( autoreply)?|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|risposta automatica|"
    r"respuesta autom[áa]tica|resposta autom[áa]tica|automatyczna odpowied[źz]|automatisch antwoord|"
    r"autosvar|automaattinen vastaus|automatick[áa] odpov[ěe]ď|自動応答|自动回复|자동 회신)\s*:",
    re.IGNORECASE,
)
_OFF_VALUES = {"", "no", "false", "0", "off"}


def bounce_kind(status: str | None, action: str | None = None) -> BounceKind:
    """5.7.x is a policy block, 5.x.x permanent, 4.x.x transient; a failure without a status is permanent."""
    if status:
        if status.startswith("5.7."):
            return BounceKind.POLICY
        if status.startswith("5"):
            return BounceKind.HARD
        if status.startswith("4"):
            return BounceKind.SOFT
    return BounceKind.SOFT if action == "delayed" else BounceKind.HARD


def _field_groups(text: str) -> list[dict[str, str]]:
    """The field groups of a delivery-status body; a repeated recipient field starts a new group
    (some MTAs leave out the blank lines between recipients)."""
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                groups.append(current)
            current, last = {}, None
            continue
        if line[0] in " \t" and last is not None:
            current[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        if key in _RECIPIENT_FIELDS and key in current:
            groups.append(current)
            current = {}
        current[key] = value.strip()
        last = key
    if current:
        groups.append(current)
    return groups


def _typed_address(value: str | None) -> str | None:
    """``rfc822; <user@example.com>`` → ``user@example.com``."""
    if not value:
        return None
    address = value.split(";", 1)[-1].strip().strip("<>").strip().lower()
    return address if "@" in address and " " not in address else None


def parse_delivery_status(text: str) -> list[BouncedRecipient]:
    """Every recipient of an RFC 3464 report that failed or was delayed."""
    recipients: list[BouncedRecipient] = []
    for group in _field_groups(text):
        address = _typed_address(group.get("original-recipient")) or _typed_address(group.get("final-recipient"))
        if address is None:
            continue
        action = (group.get("action") or "").split()[0].lower() if group.get("action") else None
        status_match = _STATUS.search(group.get("status") or "") or _STATUS.search(group.get("diagnostic-code") or "")
        status = status_match.group(0) if status_match else None
        failed = action in _FAILED_ACTIONS or (
            action not in _SUCCESS_ACTIONS and status is not None and status[0] in "45"
        )
        if not failed:
            continue
        diagnostic = group.get("diagnostic-code")
        recipients.append(
            BouncedRecipient(
                address=address,
                kind=bounce_kind(status, action),
                action=action,
                status=status,
                diagnostic=diagnostic[:500] if diagnostic else None,
            )
        )
    return _unique(recipients)


def _unique(recipients: list[BouncedRecipient]) -> list[BouncedRecipient]:
    seen: dict[str, BouncedRecipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.address, recipient)
    return list(seen.values())


def _split_notice(text: str) -> tuple[str, str | None]:
    """A bounce's text as (notice, returned message), the notice cut short: a notice is short."""
    text = text[:20_000]
    match = _RETURNED_MARKER.search(text)
    if match is None:
        return text, None
    rest = text[match.end() :] if match.group(1) else text[match.start() :]
    return text[: match.start()], rest


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end != -1 else len(text)].strip()


@dataclass(frozen=True, slots=True)
class _Failure:
    """How a notice (or a part of it) describes a failure."""

    kind: BounceKind
    status: str | None
    diagnostic: str | None


def _failure(text: str, *, delayed: bool) -> _Failure:
    """The first enhanced status code, else the first SMTP reply code, else the notice's tenor."""
    if (match := _FAILURE_STATUS.search(text)) is not None:
        return _Failure(bounce_kind(match.group(0)), match.group(0), _line_at(text, match.start())[:500])
    if (smtp := _SMTP_CODE.search(text)) is not None:
        kind = BounceKind.HARD if smtp.group(1) == "5" else BounceKind.SOFT
        return _Failure(kind, None, _line_at(text, smtp.start())[:500])
    return _Failure(BounceKind.SOFT if delayed else BounceKind.HARD, None, None)


def _recipient(address: str, failure: _Failure) -> BouncedRecipient:
    action = "delayed" if failure.kind is BounceKind.SOFT else "failed"
    return BouncedRecipient(address, failure.kind, action, failure.status, failure.diagnostic)


def _inline_returned_recipients(returned: str | None) -> list[str]:
    """To and Cc of a returned message quoted in the text, read from its header block."""
    if not returned:
        return []
    headers = HeaderParser().parsestr(returned.lstrip("\n"), headersonly=True)
    values = [str(value) for name in ("To", "Cc") for value in headers.get_all(name) or []]
    return [match.group(0).lower() for value in values for match in _ADDRESS.finditer(value)]


def _text_recipients(parsed_text: str, evidence: MessageEvidence, exclude: set[str]) -> list[BouncedRecipient]:
    """Failed recipients of a bounce without a readable delivery-status part.

    In order: delivery-status fields written into the text; addresses the notice names
    (not after a "from"), each with the status that follows it; else the recipients of
    the returned message, with the notice's status.
    """
    fields = [r for r in parse_delivery_status(parsed_text[:20_000]) if r.address not in exclude]
    if fields:
        return fields
    notice, returned = _split_notice(parsed_text)
    delayed = bool(_DELAY_TEXT.search(notice)) and not _FAILURE_TEXT.search(notice)
    named: list[tuple[int, str]] = []
    for match in _ADDRESS.finditer(notice):
        address = match.group(0).rstrip(".").lower()
        line_start = notice.rfind("\n", 0, match.start()) + 1
        if address in exclude or _is_mailer(address) or _SENDER_CONTEXT.search(notice, line_start, match.start()):
            continue
        named.append((match.start(), address))
    if named:
        # A recipient's segment runs to the next mention of another address.
        ends = [len(notice)] * len(named)
        for index in range(len(named) - 2, -1, -1):
            ends[index] = named[index + 1][0] if named[index + 1][1] != named[index][1] else ends[index + 1]
        recipients: list[BouncedRecipient] = []
        for (position, address), end in zip(named, ends, strict=True):
            segment = notice[position:end]
            failure = _failure(segment, delayed=delayed)
            if failure.diagnostic is None:
                failure = _failure(notice, delayed=delayed)
            recipients.append(_recipient(address, failure))
        return _unique(recipients)
    failure = _failure(notice, delayed=delayed)
    returned_to = [*evidence.returned_recipients, *_inline_returned_recipients(returned)]
    return _unique([_recipient(address, failure) for address in returned_to if address not in exclude])


def _is_mailer(address: str | None) -> bool:
    return address is not None and bool(_MAILER_LOCAL_PART.match(address.split("@", 1)[0]))


def _header(message: Message, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else " ".join(str(value).split())


def _automatic_envelope(message: Message) -> bool:
    return _empty_return_path(message) or _auto_submitted(message) is not None


def _empty_return_path(message: Message) -> bool:
    value = _header(message, "Return-Path")
    return value is not None and value.replace(" ", "") == "<>"


def _auto_submitted(message: Message) -> str | None:
    value = _header(message, "Auto-Submitted")
    if value is None:
        return None
    token = re.split(r"[;(\s]", value.strip(), maxsplit=1)[0].lower()
    return None if token in _OFF_VALUES else token


def _report_reason(evidence: MessageEvidence) -> str | None:
    types = evidence.report_types
    if types & {"feedback-report", "message/feedback-report"}:
        return "feedback report (ARF)"
    if types & {
        "disposition-notification",
        "message/disposition-notification",
        "message/global-disposition-notification",
    }:
        return "read receipt (MDN)"
    return None


def _failed_header_recipients(message: Message) -> list[BouncedRecipient]:
    """``X-Failed-Recipients`` (Exim, Gmail) names the failed addresses without their status."""
    values = [str(value) for value in message.get_all("X-Failed-Recipients") or []]
    addresses = [match.group(0).lower() for value in values for match in _ADDRESS.finditer(value)]
    return _unique([BouncedRecipient(address, BounceKind.HARD, "failed") for address in addresses])


def _notice_recipients(
    message: Message, text: str, evidence: MessageEvidence, exclude: set[str]
) -> list[BouncedRecipient]:
    """Recipients read from the text; ``X-Failed-Recipients``, where present, says which ones."""
    from_text = _text_recipients(text, evidence, exclude)
    listed = _failed_header_recipients(message)
    if not listed:
        return from_text
    by_address = {recipient.address: recipient for recipient in from_text}
    return [by_address.get(recipient.address, recipient) for recipient in listed]


def _bounce(message: Message, parsed: ParsedMessage, evidence: MessageEvidence) -> Classification | None:
    exclude = {address for address in [parsed.from_address, *parsed.to_addresses] if address}
    text = evidence.notice_text
    if evidence.delivery_status or "delivery-status" in evidence.report_types:
        recipients = [r for report in evidence.delivery_status for r in parse_delivery_status(report)]
        if recipients:
            return Classification(
                is_bounce=True, bounced_recipients=tuple(_unique(recipients)), reason="RFC 3464 report"
            )
        if evidence.delivery_status and all(_only_successes(report) for report in evidence.delivery_status):
            return Classification(reason="delivery report: delivered")
        recipients = _notice_recipients(message, text, evidence, exclude)
        return Classification(
            is_bounce=True, bounced_recipients=tuple(recipients), reason="RFC 3464 report (read from its text)"
        )
    subject = (parsed.subject or "")[:200]
    bounce_subject = bool(_BOUNCE_SUBJECT.search(subject)) and not _REPLY_PREFIX.match(subject)
    mailer = _is_mailer(parsed.from_address) or bool(_MAILER_NAME.search(parsed.from_name or ""))
    if not (mailer or (bounce_subject and _automatic_envelope(message))):
        return None
    notice, returned = _split_notice(text)
    states_failure = bool(_FAILURE_TEXT.search(notice))
    if not (states_failure or (bounce_subject and (evidence.returned_message or returned is not None))):
        return None
    sender = parsed.from_address or parsed.from_name or "no sender"
    reason = f"bounce notice from {sender}" + (f": {subject[:80]}" if subject else "")
    recipients = _notice_recipients(message, text, evidence, exclude)
    return Classification(is_bounce=True, bounced_recipients=tuple(recipients), reason=reason)


def _only_successes(text: str) -> bool:
    actions = {(group.get("action") or "").split(" ")[0].lower() for group in _field_groups(text)} - {""}
    return bool(actions) and actions <= _SUCCESS_ACTIONS


def _auto_reply_reason(message: Message, parsed: ParsedMessage) -> str | None:
    if (token := _auto_submitted(message)) is not None:
        return f"Auto-Submitted: {token}"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = _header(message, name)
        if value is not None and value.lower() not in _OFF_VALUES:
            return f"{name}: {value[:40]}"
    precedence = (_header(message, "Precedence") or "").lower()
    if precedence in ("auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    if parsed.subject and (match := _AUTO_REPLY_SUBJECT.match(parsed.subject[:200])):
        return f"subject: {match.group(0).strip()}"
    if _empty_return_path(message):
        return "empty Return-Path"
    return None


def classify(message: Message, parsed: ParsedMessage, evidence: MessageEvidence) -> Classification:
    """Bounce, auto-reply or neither, with the reason; ``parsed`` supplies the decoded headers."""
    if (reason := _report_reason(evidence)) is not None:
        return Classification(reason=reason)
    if (bounce := _bounce(message, parsed, evidence)) is not None:
        return bounce
    if (reason := _auto_reply_reason(message, parsed)) is not None:
        return Classification(is_auto_reply=True, reason=reason)
    return Classification()

"""Which conversation a message belongs to.

Gmail says so (threadId). For IMAP the rule is the one mail clients use
(RFC 5256 REFERENCES, simplified): a message joins the thread of any stored
message it names in In-Reply-To or References. A thread is keyed by its root
Message-ID (the first of References, else In-Reply-To, else its own), so a
reply that arrives before its parent (an initial sync runs newest first)
opens the thread its parent will join. When no header links it, a message
joins the latest thread with the same normalised subject and the same contact
within a window.
"""

from __future__ import annotations

import re
from datetime import timedelta

from inbox.ingest.types import ParsedMessage

SUBJECT_WINDOW = timedelta(days=30)

# "Re:", "Fwd:", "AW:", "SV:", "Réf. :", "回复:" ... repeated, with counters like "Re[2]:".
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|antwort|doorst|rif|r|tr|ref|réf|rép|odp|pd|yn|vb|ynt|"
    r"atb|enc|res|encaminhar|reenv|\u8f6c\u53d1|\u56de\u590d|\u7b54\u590d|\u8fd4\u4fe1|\u041e\u0442\u0432\u0435\u0442|"
    r"\u043e\u0442\u0432|\u043f\u0435\u0440\u0435\u0441\u043b)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")
_SPACES = re.compile(r"\s+")


def normalize_subject(subject: str | None) -> str | None:
    """The subject without reply/forward prefixes and list tags, case-folded."""
    if not subject:
        return None
    text = subject
    for _ in range(5):
        stripped = _LIST_TAG.sub("", _PREFIX.sub("", text))
        if stripped == text:
            break
        text = stripped
    text = _SPACES.sub(" ", text).strip().casefold()
    return text[:500] or None


def root_identifier(message: ParsedMessage, own_id: str) -> str:
    """The Message-ID that names the conversation this message belongs to."""
    if message.references:
        return message.references[0]
    if message.in_reply_to:
        return message.in_reply_to
    return own_id


def linked_ids(message: ParsedMessage) -> list[str]:
    """Message-IDs this message replies to, nearest first."""
    ids: list[str] = []
    if message.in_reply_to:
        ids.append(message.in_reply_to)
    ids.extend(reversed(message.references))
    return list(dict.fromkeys(ids))

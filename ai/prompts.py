"""Triage prompts: versioned template files, and the chat messages built from them.

A prompt version ``triage.v1`` is two files in the top-level ``prompts/``
folder: ``triage.v1.system.md`` (sent as written) and ``triage.v1.user.md``
(its ``{placeholder}`` names filled in per email; a paragraph whose
placeholders all come out empty is left out). ``<!-- comments -->`` in either
file are removed at load. The version is stored with every insight, so a
changed prompt gets a new version rather than an edited file.

Email text is untrusted: the new email and every history message are fenced
between markers carrying a random nonce drawn per request, and any marker-like
text in the data is removed first, so an email cannot close its fence and
speak outside it.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict

from ai.schemas import DRAFT_TONES, AccountInfo, ContactInfo, RepInfo, TemplateInfo, ThreadMessage, TriageInput
from ai.tokens import clip_new_text, count_tokens, trim_to_budget, truncate_tokens

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

USER_PLACEHOLDERS = frozenset({"today", "rep", "contact", "flags", "history", "templates", "email"})
MAX_TEMPLATES = 2
TEMPLATE_BODY_TOKENS = 100
SIGNATURE_TOKENS = 60
HEADER_VALUE_CHARS = 100
# Headers that tell automated, bulk or bounced mail apart; the rest (routing, DKIM...) is noise here.
SIGNAL_HEADERS = (
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "X-Failed-Recipients",
    "Content-Type",
    "X-Challenge",
    "Sender",
    "List-Id",
    "List-Unsubscribe",
)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
# Anything that looks like one of our fences, whatever its nonce: "<<<END EMAIL 7f3a>>>", "<<< message >>>".
_FENCE_LIKE = re.compile(r"<<<\s*(?:END\s+)?(?:EMAIL|MESSAGE)\b[^>\n]*>*", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{4,}")


class UnknownPromptError(LookupError):
    """No prompt files for the version asked for."""


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class Prompt:
    version: str
    system: str  # sent as written
    user: str  # a template: {placeholder} names from USER_PLACEHOLDERS


def available_versions(directory: Path = PROMPTS_DIR) -> list[str]:
    """Versions with both a system and a user file."""
    systems = {p.name.removesuffix(".system.md") for p in directory.glob("*.system.md")}
    users = {p.name.removesuffix(".user.md") for p in directory.glob("*.user.md")}
    return sorted(systems & users)


@functools.cache
def load_prompt(version: str, directory: Path = PROMPTS_DIR) -> Prompt:
    system_path = directory / f"{version}.system.md"
    user_path = directory / f"{version}.user.md"
    if "/" in version or "\\" in version or not (system_path.is_file() and user_path.is_file()):
        available = ", ".join(available_versions(directory)) or "none"
        raise UnknownPromptError(f"unknown prompt version {version!r} in {directory}; available: {available}")
    system = _strip_comments(system_path.read_text(encoding="utf-8"))
    user = _strip_comments(user_path.read_text(encoding="utf-8"))
    unknown = set(_PLACEHOLDER.findall(user)) - USER_PLACEHOLDERS
    if unknown:
        raise ValueError(f"{user_path.name}: unknown placeholders {sorted(unknown)}")
    if "{email}" not in user:
        raise ValueError(f"{user_path.name}: the {{email}} placeholder is missing")
    return Prompt(version=version, system=system, user=user)


def _strip_comments(text: str) -> str:
    return _COMMENT.sub("", text).strip() + "\n"


def new_nonce() -> str:
    return secrets.token_hex(6)


def render_messages(
    prompt: Prompt,
    item: TriageInput,
    *,
    history_budget: int,
    nonce: str | None = None,
    output_description: str | None = None,
) -> list[ChatMessage]:
    """The system and user messages for one email.

    ``output_description`` is appended to the system message for servers that
    cannot be given the JSON schema itself (see :func:`describe_output`).
    """
    nonce = nonce or new_nonce()
    clean = _Cleaner(nonce)
    values = {
        "today": _format_today(item.now),
        "rep": _render_rep(item.rep, clean, item.tone),
        "contact": _render_contact(item.contact, item.account, clean),
        "flags": _render_flags(item),
        "history": _render_history(item.history, history_budget, nonce, clean),
        "templates": _render_templates(item.templates, item, clean),
        "email": _render_email(item, nonce, clean),
    }
    system = prompt.system
    if output_description:
        system = f"{system.rstrip()}\n\n{output_description.strip()}\n"
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": fill_template(prompt.user, values)},
    ]


def fill_template(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` replaced; paragraphs whose placeholders are all empty are dropped.

    Values are inserted once and never scanned again, so braces in email text are safe.
    """
    paragraphs: list[str] = []
    for paragraph in re.split(r"\n\s*\n", template.strip()):
        names = _PLACEHOLDER.findall(paragraph)
        if names and not any(values.get(name, "").strip() for name in names):
            continue
        paragraphs.append(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), "").strip("\n"), paragraph))
    return "\n\n".join(paragraphs) + "\n"


# --- the pieces -------------------------------------------------------------------------------


class _Cleaner:
    """Removes fence markers (ours, by nonce, and look-alikes) from untrusted text."""

    def __init__(self, nonce: str) -> None:
        self._nonce = nonce

    def text(self, value: str) -> str:
        value = _FENCE_LIKE.sub("", value).replace(self._nonce, "")
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()

    def line(self, value: str | None, limit: int = 200) -> str:
        """One line: a header, a name. Line breaks would let a value fake structure."""
        if not value:
            return ""
        flat = " ".join(self.text(value).split())
        return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _format_today(now: datetime) -> str:
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    return now.strftime("%Y-%m-%d (%A) %H:%M UTC")


def _format_at(at: datetime | None) -> str:
    if at is None:
        return "date unknown"
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _address(name: str | None, address: str | None, clean: _Cleaner) -> str:
    name_part, address_part = clean.line(name, 100), clean.line(address, 320)
    if name_part and address_part:
        return f"{name_part} <{address_part}>"
    return name_part or address_part or "unknown"


def _render_rep(rep: RepInfo | None, clean: _Cleaner, tone: str | None = None) -> str:
    # The tone is one of DRAFT_TONES (checked by the caller), never text from mail.
    wanted = [f"The rep asks for the draft in a {tone} tone."] if tone in DRAFT_TONES else []
    if rep is None:
        return "\n".join(wanted)
    lines = [_address(rep.name, rep.email, clean), *wanted]
    if rep.signature and rep.signature.strip():
        signature = truncate_tokens(clean.text(rep.signature), SIGNATURE_TOKENS)
        lines.append("Signature:\n" + signature)
    return "\n".join(lines)


def _render_contact(contact: ContactInfo | None, account: AccountInfo | None, clean: _Cleaner) -> str:
    parts: list[str] = []
    if contact is not None:
        name = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        parts.append(_address(name or None, contact.email, clean))
        if contact.title:
            parts.append(clean.line(contact.title, 100))
    if account is not None:
        details = ", ".join(clean.line(d, 100) for d in (account.domain, account.industry) if d)
        parts.append(clean.line(account.name, 100) + (f" ({details})" if details else ""))
    if contact is not None:
        if contact.status:
            parts.append(f"lifecycle {clean.line(contact.status, 40)}")
        if contact.temperature:
            parts.append(f"currently {clean.line(contact.temperature, 20)}")
    return "; ".join(p for p in parts if p)


def _render_flags(item: TriageInput) -> str:
    flags: list[str] = []
    if item.is_bounce:
        flags.append("delivery failure (bounce)")
    if item.is_auto_reply:
        flags.append("automated reply")
    if flags and item.classification_reason:
        flags.append(f"because: {' '.join(item.classification_reason.split())[:200]}")
    return "; ".join(flags)


def _history_heading(number: int, message: ThreadMessage, clean: _Cleaner) -> str:
    who = _address(message.from_name, message.from_address, clean)
    return f"[{number}] {message.direction}, {_format_at(message.at)}, from {who}:"


def _fence(kind: str, nonce: str, body: str) -> str:
    return f"<<<{kind} {nonce}>>>\n{body}\n<<<END {kind} {nonce}>>>"


def _render_history(history: list[ThreadMessage], budget: int, nonce: str, clean: _Cleaner) -> str:
    if not history or budget <= 0:
        return ""
    texts = [clean.text(message.text) for message in history]
    # Heading and fences of one message; the numbers and names vary a little, the budget allows for it.
    overhead = count_tokens(_fence("MESSAGE", nonce, _history_heading(len(history), history[-1], clean)))
    kept = trim_to_budget(texts, budget, overhead=overhead)
    first = len(history) - len(kept)
    blocks = []
    for offset, text in enumerate(kept):
        number = first + offset + 1
        heading = _history_heading(number, history[number - 1], clean)
        blocks.append(_fence("MESSAGE", nonce, f"{heading}\n{text}"))
    if first:
        blocks.insert(0, f"({first} older message{'s' if first > 1 else ''} left out)")
    return "\n".join(blocks)


def _words(*texts: str) -> set[str]:
    return {w.lower() for text in texts for w in _WORD.findall(text)}


def select_templates(
    templates: Iterable[TemplateInfo], item: TriageInput, limit: int = MAX_TEMPLATES
) -> list[TemplateInfo]:
    """The templates sharing the most words with the email (name, category, subject), best first."""
    email_words = _words(item.subject, item.new_text or item.body_text)
    scored = [
        (len(email_words & _words(t.name, t.category, t.subject, t.body)), index, t)
        for index, t in enumerate(templates)
    ]
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    return [t for _, _, t in scored[:limit]]


def _render_templates(templates: list[TemplateInfo], item: TriageInput, clean: _Cleaner) -> str:
    blocks = []
    for template in select_templates(templates, item):
        head = (
            f'- "{clean.line(template.name, 80)}" ({clean.line(template.category, 40)}, '
            f"{clean.line(template.tone, 40)}) subject: {clean.line(template.subject, 150)}"
        )
        body = truncate_tokens(clean.text(template.body), TEMPLATE_BODY_TOKENS)
        blocks.append(f"{head}\n{body}")
    return "\n".join(blocks)


def _signal_headers(headers: dict[str, str], clean: _Cleaner) -> list[str]:
    by_name = {name.lower(): (name, value) for name, value in headers.items()}
    lines = []
    for wanted in SIGNAL_HEADERS:
        found = by_name.get(wanted.lower())
        if found is None:
            continue
        value = found[1]
        if wanted == "Content-Type":
            value = value.split(";", 1)[0]
            if not value.strip().lower().startswith("multipart/report"):
                continue
        lines.append(f"{wanted}: {clean.line(value, HEADER_VALUE_CHARS)}")
    return lines


def _render_email(item: TriageInput, nonce: str, clean: _Cleaner) -> str:
    lines = [f"From: {_address(item.from_name, item.from_address, clean)}"]
    if item.to_addresses:
        lines.append("To: " + clean.line(", ".join(item.to_addresses), 300))
    if item.cc_addresses:
        lines.append("Cc: " + clean.line(", ".join(item.cc_addresses), 300))
    lines.append(f"Subject: {clean.line(item.subject, 300)}")
    lines.append(f"Date: {_format_at(item.received_at)}")
    lines.extend(_signal_headers(item.headers, clean))
    text = clean.text(item.new_text) or clean.text(item.body_text)
    body = clip_new_text(text) if text else "(no text)"
    return _fence("EMAIL", nonce, "\n".join(lines) + "\n\n" + body)


# --- the answer's shape, for servers without structured output ---------------------------------


def describe_output(schema: dict[str, Any]) -> str:
    """A compact description of a JSON schema's object, for a prompt (json_object mode)."""
    defs: dict[str, Any] = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            return {**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def shape(node: dict[str, Any], describe: Callable[[dict[str, Any]], str]) -> str:
        node = resolve(node)
        if "anyOf" in node:
            options = [resolve(option) for option in node["anyOf"]]
            parts = [shape(option, describe) for option in options if option.get("type") != "null"]
            nullable = any(option.get("type") == "null" for option in options)
            return " or ".join(parts) + (" or null" if nullable else "")
        if "enum" in node:
            return "|".join(str(value) for value in node["enum"])
        kind = node.get("type")
        if kind == "object":
            return describe(node)
        if kind == "array":
            limit = f", at most {node['maxItems']}" if "maxItems" in node else ""
            return f"list of {shape(node.get('items', {}), describe)}{limit}"
        if kind == "number" and "minimum" in node and "maximum" in node:
            return f"number {node['minimum']:g}..{node['maximum']:g}"
        if kind == "string" and node.get("format") in {"date", "date-time"}:
            return "ISO 8601 " + str(node["format"])
        return str(kind)

    def inline(node: dict[str, Any]) -> str:
        fields = ", ".join(f'"{key}": {shape(value, inline)}' for key, value in node.get("properties", {}).items())
        return "{" + fields + "}"

    lines = ["Answer with a JSON object with exactly these keys:"]
    for key, value in schema.get("properties", {}).items():
        lines.append(f"- {key}: {shape(value, inline)}")
    return "\n".join(lines)

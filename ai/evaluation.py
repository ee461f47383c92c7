"""Scoring a triage provider against labelled emails.

A labelled record (the JSONL format of ``shared/corpus/triage``) is turned into a
real RFC 5322 message and read by the service's own parser, so a provider sees
exactly what it would see in production: quoted history stripped into
``new_text``, auto-reply and bounce flags set from the headers. :func:`evaluate`
runs a provider over the records and scores every labelled field; intent also
gets per-class precision, recall and F1, their macro average and a confusion
matrix. A provider error counts as a wrong answer on every field and the run
goes on.

Run it as ``python -m ai.evaluation DATASET.jsonl --provider offline [--json]``
(the ``inbox eval`` command calls :func:`run_eval`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, TextIO

from ai.providers.base import ProviderAnswer, ProviderError, TriageProvider
from ai.schemas import Intent, RepInfo, Sentiment, ThreadMessage, TriageInput, TriageResult, Urgency
from inbox.contacts.models import Temperature
from inbox.ingest.parser import parse_message

__all__ = [
    "DatasetError",
    "EvalReport",
    "LabelledEmail",
    "Labels",
    "evaluate",
    "format_report",
    "load_dataset",
    "main",
    "record_to_input",
    "run_eval",
]

FIELDS = ("intent", "sentiment", "urgency", "temperature", "needs_reply", "return_date", "referral_email")

# Short column labels for the confusion matrix.
INTENT_ABBREVIATIONS = {
    Intent.INTERESTED: "int",
    Intent.MEETING_REQUEST: "mtg",
    Intent.QUESTION: "qst",
    Intent.OBJECTION: "obj",
    Intent.NOT_INTERESTED: "no",
    Intent.UNSUBSCRIBE: "uns",
    Intent.OUT_OF_OFFICE: "ooo",
    Intent.REFERRAL: "ref",
    Intent.BOUNCE: "bnc",
    Intent.AUTO_REPLY: "aut",
    Intent.SPAM: "spm",
    Intent.OTHER: "oth",
}
ERROR_COLUMN = "err"  # a provider error, in the confusion matrix


# --- the dataset ---------------------------------------------------------------------------------------------------


class DatasetError(ValueError):
    """A line of a labelled dataset that cannot be read."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}, line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Labels:
    intent: Intent
    sentiment: Sentiment
    urgency: Urgency
    temperature: Temperature
    needs_reply: bool
    return_date: date | None
    referral_email: str | None


@dataclass(frozen=True, slots=True)
class LabelledEmail:
    id: str
    sender: str  # the record's ``from``: "Name <addr>" or a bare address
    to: str
    subject: str
    date: datetime
    body: str
    labels: Labels
    headers: dict[str, str] = field(default_factory=dict)
    outbound_context: str | None = None


def _text(record: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = record.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {name!r} must be a string")
    return value


def _parse_date(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _labels(raw: object) -> Labels:
    if not isinstance(raw, dict):
        raise ValueError("field 'labels' must be an object")
    needs_reply = raw.get("needs_reply")
    if not isinstance(needs_reply, bool):
        raise ValueError("label 'needs_reply' must be true or false")
    return_date = raw.get("return_date")
    referral = raw.get("referral_email")
    if referral is not None and not isinstance(referral, str):
        raise ValueError("label 'referral_email' must be a string or null")
    if return_date is not None and not isinstance(return_date, str):
        raise ValueError("label 'return_date' must be YYYY-MM-DD or null")
    return Labels(
        intent=Intent(str(raw.get("intent"))),
        sentiment=Sentiment(str(raw.get("sentiment"))),
        urgency=Urgency(str(raw.get("urgency"))),
        temperature=Temperature(str(raw.get("temperature"))),
        needs_reply=needs_reply,
        return_date=date.fromisoformat(return_date) if return_date else None,
        referral_email=referral or None,
    )


def _record(raw: object) -> LabelledEmail:
    if not isinstance(raw, dict):
        raise ValueError("a record must be a JSON object")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ValueError("field 'headers' must be an object of strings")
    outbound = raw.get("outbound_context")
    if outbound is not None and not isinstance(outbound, str):
        raise ValueError("field 'outbound_context' must be a string or null")
    return LabelledEmail(
        id=_text(raw, "id"),
        sender=_text(raw, "from"),
        to=_text(raw, "to"),
        subject=_text(raw, "subject", required=False),
        date=_parse_date(_text(raw, "date")),
        body=_text(raw, "body", required=False),
        labels=_labels(raw.get("labels")),
        headers={str(k): v for k, v in headers.items()},
        outbound_context=outbound,
    )


def load_dataset(path: str | Path) -> list[LabelledEmail]:
    """The records of a JSONL file; blank lines are skipped, a bad line raises :class:`DatasetError`."""
    records: list[LabelledEmail] = []
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(_record(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise DatasetError(str(path), number, f"not JSON ({exc.msg}, column {exc.colno})") from exc
            except (ValueError, TypeError) as exc:
                raise DatasetError(str(path), number, str(exc)) from exc
    return records


# --- a record as the service would receive it ---------------------------------------------------------------------

_DS_FIELD = re.compile(r"^(?:Reporting-MTA|Final-Recipient|Original-Recipient|Arrival-Date|Action|Status):", re.I)
_MDN_FIELD = re.compile(r"^(?:Reporting-UA|Final-Recipient|Original-Message-ID|Disposition):", re.I)
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_CONTINUATION = re.compile(r"^[ \t]+\S")


def _paragraphs(text: str) -> list[str]:
    return re.split(r"\n[ \t]*\n", text)


def _is_field_block(block: str, first: re.Pattern[str]) -> bool:
    lines = [line for line in block.strip("\n").split("\n") if line.strip()]
    return (
        bool(lines)
        and bool(first.match(lines[0]))
        and all(_HEADER_LINE.match(line) or _CONTINUATION.match(line) for line in lines)
    )


def _split_report(body: str, first_field: re.Pattern[str]) -> tuple[str, str, str] | None:
    """(notice, report fields, returned message) of a report whose fields are written into the body,
    or None when the body holds no field block that can be lifted out whole."""
    blocks = _paragraphs(body)
    start = next((i for i, block in enumerate(blocks) if _is_field_block(block, first_field)), None)
    if start is None:
        return None
    end = start
    while (
        end + 1 < len(blocks)
        and _is_field_block(blocks[end + 1], _HEADER_LINE)
        and any(first_field.match(line) for line in blocks[end + 1].split("\n"))
    ):
        end += 1
    notice = "\n\n".join(blocks[:start]).strip("\n") + "\n"
    fields = "\n\n".join(block.strip("\n") for block in blocks[start : end + 1]) + "\n"
    returned = "\n\n".join(blocks[end + 1 :]).strip("\n")
    return notice, fields, returned


def _report_message(record: LabelledEmail, content_type: str) -> EmailMessage:
    """A multipart/report built from a record whose DSN or MDN was flattened into its body."""
    message = EmailMessage(policy=default_policy)
    report_type = "disposition-notification" if "disposition-notification" in content_type else "delivery-status"
    pattern = _MDN_FIELD if report_type == "disposition-notification" else _DS_FIELD
    split = _split_report(record.body, pattern)
    message.set_content(split[0] if split else record.body)
    message.make_mixed()
    message.set_type("multipart/report")
    message.set_param("report-type", report_type)
    if split is None:
        return message
    _, fields, returned = split
    part = EmailMessage(policy=default_policy)
    part["Content-Type"] = f"message/{report_type}"
    if report_type == "delivery-status":  # the generator writes it as a list of header blocks
        part.set_payload(
            [message_from_string(block.strip("\n") + "\n\n", policy=default_policy) for block in _paragraphs(fields)]
        )
    else:
        part.set_payload(fields)
    message.attach(part)
    if returned:
        headers = EmailMessage(policy=default_policy)
        headers.set_content(returned + "\n", subtype="rfc822-headers")
        message.attach(headers)
    return message


def _plain_message(record: LabelledEmail) -> EmailMessage:
    message = EmailMessage(policy=default_policy)
    message.set_content(record.body or "\n")
    return message


def _mime_message(record: LabelledEmail) -> EmailMessage:
    content_type = next((v for k, v in record.headers.items() if k.lower() == "content-type"), None)
    if content_type is None:
        return _plain_message(record)
    lowered = content_type.lower()
    if lowered.startswith("multipart/report"):
        return _report_message(record, lowered)
    message = _plain_message(record)
    if lowered.startswith("multipart/"):
        # A calendar reply and the like: the text part inside a multipart of that kind.
        message.make_mixed()
        subtype = lowered.split(";", 1)[0].split("/", 1)[1].strip() or "mixed"
        message.set_type(f"multipart/{subtype}")
        for param in content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip() and value.strip() and name.strip().lower() != "boundary":
                message.set_param(name.strip(), value.strip().strip('"'))
    return message


def _set_header(message: EmailMessage, name: str, value: str) -> None:
    try:
        message[name] = value
    except (ValueError, TypeError, IndexError):  # a header the default policy cannot read: kept as text
        message[name] = value.encode("ascii", "replace").decode("ascii")


def to_rfc5322(record: LabelledEmail) -> bytes:
    """The record as raw message bytes."""
    message = _mime_message(record)
    _set_header(message, "From", record.sender)
    _set_header(message, "To", record.to)
    _set_header(message, "Subject", record.subject)
    message["Date"] = format_datetime(record.date)
    domain = parseaddr(record.sender)[1].rpartition("@")[2] or "example.invalid"
    message["Message-ID"] = make_msgid(idstring=record.id, domain=domain)
    for name, value in record.headers.items():
        if name.lower() in ("content-type", "from", "to", "subject", "date", "message-id"):
            continue
        _set_header(message, name, value)
    return message.as_bytes()


def rep_from_address(address: str) -> RepInfo:
    """A rep named after a mailbox: ``dana.whitfield@...`` is "Dana Whitfield"."""
    display, bare = parseaddr(address)
    bare = (bare or address).strip().lower()
    local = bare.partition("@")[0]
    name = display or " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or bare
    return RepInfo(name=name, email=bare or None)


def record_to_input(record: LabelledEmail) -> TriageInput:
    """What a provider would be given for this email in production."""
    parsed = parse_message(to_rfc5322(record))
    rep = rep_from_address(record.to)
    history: list[ThreadMessage] = []
    if record.outbound_context:
        history.append(
            ThreadMessage(
                direction="outbound", from_address=rep.email, from_name=rep.name, at=None, text=record.outbound_context
            )
        )
    body_text = parsed.body_text or record.body
    sender_name, sender_address = parseaddr(record.sender)
    cc = parsed.cc_addresses or [address for _, address in getaddresses([record.headers.get("Cc", "")]) if address]
    return TriageInput(
        from_address=parsed.from_address or sender_address.lower(),
        from_name=parsed.from_name or sender_name or None,
        to_addresses=parsed.to_addresses or [record.to.lower()],
        cc_addresses=cc,
        subject=parsed.subject or record.subject,
        received_at=parsed.date or record.date,
        new_text=parsed.reply_text or body_text,
        body_text=body_text,
        now=record.date,
        email_id=record.id,
        is_auto_reply=parsed.is_auto_reply,
        is_bounce=parsed.is_bounce,
        classification_reason=parsed.classification_reason,
        headers=dict(record.headers),
        history=history,
        rep=rep,
    )


# --- scoring ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """One record's answer, or the error that stood in for it."""

    record_id: str
    labels: Labels
    result: TriageResult | None
    latency_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    error: str | None = None


def _field_value(result: TriageResult, name: str) -> object:
    value = getattr(result, name)
    return value.lower() if name == "referral_email" and isinstance(value, str) else value


def _label_value(labels: Labels, name: str) -> object:
    value = getattr(labels, name)
    return value.lower() if name == "referral_email" and isinstance(value, str) else value


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between ranks, as numpy's default."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def intent_scores(
    truth: Sequence[Intent], predicted: Sequence[Intent | None]
) -> tuple[dict[Intent, ClassScore], float]:
    """Per-class scores over the classes in labels and predictions, and their unweighted mean (macro-F1).

    A missing prediction (a provider error) counts against its true class's recall and
    is no class's false positive. A class with no predictions has precision 0, one with
    no support recall 0, as sklearn's ``zero_division=0``.
    """
    classes = [intent for intent in Intent if intent in set(truth) | {p for p in predicted if p is not None}]
    scores: dict[Intent, ClassScore] = {}
    for intent in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == intent and p == intent)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != intent and p == intent)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == intent and p != intent)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[intent] = ClassScore(precision, recall, f1, tp + fn)
    macro = sum(score.f1 for score in scores.values()) / len(scores) if scores else 0.0
    return scores, macro


@dataclass
class EvalReport:
    provider: str
    model: str
    outcomes: list[Outcome]
    price_in_per_mtok: float = 0.0
    price_out_per_mtok: float = 0.0

    @property
    def count(self) -> int:
        return len(self.outcomes)

    @property
    def errors(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result is None)

    def accuracy(self, name: str) -> float:
        if not self.outcomes:
            return 0.0
        right = sum(
            1
            for outcome in self.outcomes
            if outcome.result is not None and _field_value(outcome.result, name) == _label_value(outcome.labels, name)
        )
        return right / len(self.outcomes)

    @property
    def accuracies(self) -> dict[str, float]:
        return {name: self.accuracy(name) for name in FIELDS}

    def _intents(self) -> tuple[list[Intent], list[Intent | None]]:
        truth = [outcome.labels.intent for outcome in self.outcomes]
        predicted = [outcome.result.intent if outcome.result else None for outcome in self.outcomes]
        return truth, predicted

    @property
    def per_intent(self) -> dict[Intent, ClassScore]:
        return intent_scores(*self._intents())[0]

    @property
    def intent_macro_f1(self) -> float:
        return intent_scores(*self._intents())[1]

    @property
    def confusion(self) -> dict[Intent, dict[str, int]]:
        """Rows are true intents, columns predicted intents (and ``err`` for provider errors)."""
        truth, predicted = self._intents()
        classes = list(self.per_intent)
        matrix = {t: {str(p): 0 for p in classes} | {ERROR_COLUMN: 0} for t in classes}
        for t, p in zip(truth, predicted, strict=True):
            matrix[t][ERROR_COLUMN if p is None else str(p)] += 1
        return matrix

    def latency(self, q: float) -> float:
        return percentile([outcome.latency_ms for outcome in self.outcomes], q)

    def _mean(self, values: Iterable[float]) -> float:
        items = list(values)
        return sum(items) / len(items) if items else 0.0

    @property
    def tokens_in(self) -> float:
        return self._mean(outcome.tokens_in for outcome in self.outcomes)

    @property
    def tokens_out(self) -> float:
        return self._mean(outcome.tokens_out for outcome in self.outcomes)

    @property
    def requests(self) -> float:
        return self._mean(outcome.requests for outcome in self.outcomes)

    @property
    def cost_usd(self) -> float:
        """Mean cost of one email, from its tokens and the prices per million tokens."""
        return (self.tokens_in * self.price_in_per_mtok + self.tokens_out * self.price_out_per_mtok) / 1_000_000

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "emails": self.count,
            "errors": self.errors,
            "accuracy": {name: round(value, 4) for name, value in self.accuracies.items()},
            "intent_macro_f1": round(self.intent_macro_f1, 4),
            "per_intent": {
                str(intent): {
                    "precision": round(score.precision, 4),
                    "recall": round(score.recall, 4),
                    "f1": round(score.f1, 4),
                    "support": score.support,
                }
                for intent, score in self.per_intent.items()
            },
            "confusion": {str(t): row for t, row in self.confusion.items()},
            "latency_ms": {f"p{q}": round(self.latency(q), 3) for q in (50, 95, 99)},
            "tokens_in_per_email": round(self.tokens_in, 2),
            "tokens_out_per_email": round(self.tokens_out, 2),
            "requests_per_email": round(self.requests, 3),
            "cost_usd_per_email": round(self.cost_usd, 6),
            "failures": [
                {"id": outcome.record_id, "error": outcome.error} for outcome in self.outcomes if outcome.error
            ],
        }


async def _run_one(
    provider: TriageProvider, record: LabelledEmail, item: TriageInput, gate: asyncio.Semaphore
) -> tuple[Outcome, str | None]:
    async with gate:
        started = time.perf_counter()
        try:
            answer: ProviderAnswer = await provider.triage(item)
        except ProviderError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return Outcome(record.id, record.labels, None, elapsed, requests=exc.requests, error=str(exc)), None
        elapsed = (time.perf_counter() - started) * 1000
    outcome = Outcome(
        record.id,
        record.labels,
        answer.result,
        elapsed,
        tokens_in=answer.tokens_in,
        tokens_out=answer.tokens_out,
        requests=answer.requests,
    )
    return outcome, answer.model


async def evaluate(
    records: Sequence[LabelledEmail],
    provider: TriageProvider,
    *,
    concurrency: int = 8,
    price_in_per_mtok: float = 0.0,
    price_out_per_mtok: float = 0.0,
) -> EvalReport:
    """Run ``provider`` on every record (at most ``concurrency`` at once) and score the answers."""
    gate = asyncio.Semaphore(max(1, concurrency))
    inputs = [record_to_input(record) for record in records]
    results = await asyncio.gather(
        *(_run_one(provider, record, item, gate) for record, item in zip(records, inputs, strict=True))
    )
    models = [model for _, model in results if model]
    return EvalReport(
        provider=provider.name,
        model=models[0] if models else "",
        outcomes=[outcome for outcome, _ in results],
        price_in_per_mtok=price_in_per_mtok,
        price_out_per_mtok=price_out_per_mtok,
    )


# --- the report ---------------------------------------------------------------------------------------------------


def format_report(report: EvalReport) -> str:
    """The report as a text table for a terminal."""
    lines = [
        f"provider {report.provider} ({report.model or '-'}): {report.count} emails, {report.errors} errors",
        "",
        "accuracy",
    ]
    lines += [f"  {name:<15} {value:6.1%}" for name, value in report.accuracies.items()]
    lines += ["", f"intent macro-F1   {report.intent_macro_f1:.3f}", ""]
    lines.append(f"  {'intent':<16} {'prec':>6} {'recall':>6} {'F1':>6} {'n':>4}")
    for intent, score in report.per_intent.items():
        lines.append(f"  {intent!s:<16} {score.precision:6.2f} {score.recall:6.2f} {score.f1:6.2f} {score.support:4d}")
    confusion = report.confusion
    columns = [str(intent) for intent in confusion] + [ERROR_COLUMN]
    short = {str(intent): INTENT_ABBREVIATIONS[intent] for intent in confusion} | {ERROR_COLUMN: ERROR_COLUMN}
    lines += ["", "confusion (rows: label, columns: prediction)"]
    lines.append("  " + " " * 5 + "".join(f"{short[c]:>5}" for c in columns))
    for intent, row in confusion.items():
        cells = "".join(f"{(row[c] or '.')!s:>5}" for c in columns)
        lines.append(f"  {short[str(intent)]:<5}{cells}")
    lines += [
        "",
        f"latency ms        p50 {report.latency(50):.2f}  p95 {report.latency(95):.2f}  p99 {report.latency(99):.2f}",
        f"tokens per email  in {report.tokens_in:.1f}  out {report.tokens_out:.1f}",
        f"requests/email    {report.requests:.2f}",
        f"cost per email    ${report.cost_usd:.6f}",
    ]
    return "\n".join(lines) + "\n"


def run_eval(
    path: str,
    provider: TriageProvider,
    *,
    as_json: bool,
    out: TextIO,
    concurrency: int = 8,
    price_in_per_mtok: float = 0.0,
    price_out_per_mtok: float = 0.0,
) -> int:
    """Evaluate ``provider`` on the dataset at ``path`` and write the report to ``out``."""
    records = load_dataset(path)
    report = asyncio.run(
        evaluate(
            records,
            provider,
            concurrency=concurrency,
            price_in_per_mtok=price_in_per_mtok,
            price_out_per_mtok=price_out_per_mtok,
        )
    )
    if as_json:
        out.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        out.write(format_report(report))
    return 0


def _offline_provider() -> TriageProvider:
    from ai.offline import OfflineProvider

    return OfflineProvider()


def _openai_provider() -> TriageProvider:
    try:
        from ai.providers.openai import OpenAIProvider
    except ImportError as exc:
        raise ProviderUnavailable(f"the openai provider is not available ({exc})") from exc
    from inbox.settings import get_settings

    return OpenAIProvider.from_settings(get_settings())


class ProviderUnavailable(Exception):
    """A provider named on the command line that cannot be built here."""


PROVIDERS: dict[str, Callable[[], TriageProvider]] = {"offline": _offline_provider, "openai": _openai_provider}


def _default_prices(provider: str) -> tuple[float, float]:
    """USD per million tokens in and out: the configured model's for an LLM, nothing for the rules."""
    if provider == "offline":
        return 0.0, 0.0
    from inbox.settings import get_settings

    ai = get_settings().ai
    return ai.price_in_per_million, ai.price_out_per_million


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai.evaluation", description="Score a triage provider.")
    parser.add_argument("dataset", help="labelled emails, one JSON object a line")
    parser.add_argument("--provider", choices=sorted(PROVIDERS), default="offline")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--price-in", type=float, default=None, help="USD per million input tokens")
    parser.add_argument("--price-out", type=float, default=None, help="USD per million output tokens")
    args = parser.parse_args(argv)
    if not Path(args.dataset).is_file():
        print(f"error: no such file: {args.dataset}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        provider = PROVIDERS[args.provider]()
    except ProviderUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    price_in, price_out = _default_prices(args.provider)
    try:
        return run_eval(
            args.dataset,
            provider,
            as_json=args.json,
            out=sys.stdout,
            concurrency=args.concurrency,
            price_in_per_mtok=price_in if args.price_in is None else args.price_in,
            price_out_per_mtok=price_out if args.price_out is None else args.price_out,
        )
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The evaluation harness: scores computed by hand, the dataset reader, the command, and the offline gate."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ai.evaluation import (
    DatasetError,
    LabelledEmail,
    Labels,
    evaluate,
    format_report,
    intent_scores,
    load_dataset,
    main,
    percentile,
    record_to_input,
)
from ai.offline import OfflineProvider
from ai.providers.base import ProviderAnswer, ProviderError
from ai.schemas import FieldConfidence, Intent, NextAction, Sentiment, TriageInput, TriageResult, Urgency
from inbox.contacts.models import Temperature

pytestmark = pytest.mark.no_db

_REPO = Path(__file__).resolve().parents[2]


def _dev_set() -> Path:
    """``$INBOX_CORPUS_DIR/triage/dev.jsonl``, else the shared corpus beside the repository."""
    configured = os.environ.get("INBOX_CORPUS_DIR")
    corpus = Path(configured) if configured else _REPO.parent / "shared" / "corpus"
    return corpus / "triage" / "dev.jsonl"


def labels(intent: Intent, *, temperature: Temperature = Temperature.WARM) -> Labels:
    return Labels(intent, Sentiment.NEUTRAL, Urgency.MEDIUM, temperature, True, None, None)


def record(ident: str, intent: Intent, **kwargs: object) -> LabelledEmail:
    return LabelledEmail(
        id=ident,
        sender="Jo Baker <jo@plumtree.example>",
        to="dana.whitfield@ourco.example",
        subject="Re: invoices",
        date=datetime(2026, 10, 14, 9, 0, tzinfo=UTC),
        body="Hello",
        labels=labels(intent, **kwargs),  # type: ignore[arg-type]
    )


def result(intent: Intent) -> TriageResult:
    return TriageResult(
        intent=intent,
        sentiment=Sentiment.NEUTRAL,
        sentiment_score=0.0,
        urgency=Urgency.MEDIUM,
        summary="",
        temperature=Temperature.WARM,
        temperature_evidence=[],
        needs_reply=True,
        next_action=NextAction.REPLY,
        next_action_due=None,
        return_date=None,
        referral_email=None,
        draft=None,
        injection_detected=False,
        confidence=FieldConfidence(intent=1, sentiment=1, urgency=1, temperature=1, needs_reply=1, next_action=1),
    )


class Scripted:
    """Answers each email with the intent scripted for its id; ``None`` raises a provider error."""

    name = "scripted"

    def __init__(self, answers: dict[str, Intent | None], *, tokens: tuple[int, int] = (0, 0)) -> None:
        self.answers = answers
        self.tokens = tokens
        self.seen: list[str] = []

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        assert item.email_id is not None
        self.seen.append(item.email_id)
        intent = self.answers[item.email_id]
        if intent is None:
            raise ProviderError("model returned nothing usable", requests=3)
        return ProviderAnswer(
            result=result(intent),
            provider=self.name,
            model="scripted-1",
            prompt_version="test",
            tokens_in=self.tokens[0],
            tokens_out=self.tokens[1],
            requests=1,
        )


# Labels and predictions with per-class scores worked out by hand:
#   interested: tp 2, fp 1 (a question called interested), fn 1 -> P 2/3, R 2/3, F1 2/3
#   question:   tp 1, fp 1, fn 1                                -> 1/2, 1/2, 1/2
#   out_of_office: tp 1                                         -> 1, 1, 1
#   spam: fn 1 (called other) -> 0;  other: fp 1 -> 0
#   macro-F1 over the five classes present = (2/3 + 1/2 + 1 + 0 + 0) / 5 = 13/30
CASES = [
    ("a", Intent.INTERESTED, Intent.INTERESTED),
    ("b", Intent.INTERESTED, Intent.INTERESTED),
    ("c", Intent.INTERESTED, Intent.QUESTION),
    ("d", Intent.QUESTION, Intent.QUESTION),
    ("e", Intent.QUESTION, Intent.INTERESTED),
    ("f", Intent.OUT_OF_OFFICE, Intent.OUT_OF_OFFICE),
    ("g", Intent.SPAM, Intent.OTHER),
]


def test_macro_f1_per_intent_scores_and_confusion_match_the_hand_computation() -> None:
    records = [record(ident, truth) for ident, truth, _ in CASES]
    provider = Scripted({ident: predicted for ident, _, predicted in CASES})

    report = asyncio.run(evaluate(records, provider, concurrency=3))

    assert sorted(provider.seen) == [ident for ident, _, _ in CASES]
    assert report.intent_macro_f1 == pytest.approx(13 / 30)
    scores = report.per_intent
    assert list(scores) == [Intent.INTERESTED, Intent.QUESTION, Intent.OUT_OF_OFFICE, Intent.SPAM, Intent.OTHER]
    assert scores[Intent.INTERESTED].precision == pytest.approx(2 / 3)
    assert scores[Intent.INTERESTED].recall == pytest.approx(2 / 3)
    assert scores[Intent.QUESTION].f1 == pytest.approx(0.5)
    assert scores[Intent.INTERESTED].support == 3
    assert (scores[Intent.SPAM].f1, scores[Intent.OTHER].f1) == (0.0, 0.0)
    assert report.accuracy("intent") == pytest.approx(4 / 7)
    confusion = report.confusion
    assert confusion[Intent.INTERESTED] == {
        "interested": 2,
        "question": 1,
        "out_of_office": 0,
        "spam": 0,
        "other": 0,
        "err": 0,
    }
    assert confusion[Intent.SPAM]["other"] == 1
    assert sum(sum(row.values()) for row in confusion.values()) == len(CASES)


def test_intent_scores_agree_with_the_report_and_ignore_absent_classes() -> None:
    scores, macro = intent_scores([Intent.BOUNCE, Intent.BOUNCE], [Intent.BOUNCE, Intent.BOUNCE])

    assert list(scores) == [Intent.BOUNCE]
    assert macro == 1.0


def test_a_provider_error_is_wrong_on_every_field_and_the_run_goes_on() -> None:
    records = [record("a", Intent.QUESTION), record("b", Intent.QUESTION), record("c", Intent.SPAM)]
    provider = Scripted({"a": Intent.QUESTION, "b": None, "c": Intent.SPAM})

    report = asyncio.run(evaluate(records, provider))

    assert report.errors == 1
    assert report.accuracy("intent") == pytest.approx(2 / 3)
    assert report.accuracy("sentiment") == pytest.approx(2 / 3)  # right for the two answers, wrong for the error
    assert report.confusion[Intent.QUESTION]["err"] == 1
    assert report.per_intent[Intent.QUESTION].recall == pytest.approx(0.5)
    assert report.requests == pytest.approx((1 + 3 + 1) / 3)
    assert report.to_json()["failures"] == [{"id": "b", "error": "model returned nothing usable"}]


def test_tokens_cost_and_latency_are_per_email() -> None:
    records = [record("a", Intent.QUESTION), record("b", Intent.QUESTION)]
    provider = Scripted({"a": Intent.QUESTION, "b": Intent.QUESTION}, tokens=(1000, 500))

    report = asyncio.run(evaluate(records, provider, price_in_per_mtok=0.15, price_out_per_mtok=0.60))

    assert (report.tokens_in, report.tokens_out) == (1000, 500)
    assert report.cost_usd == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1_000_000)
    assert report.latency(99) >= report.latency(50) >= 0
    text = format_report(report)
    assert "intent macro-F1" in text and "confusion" in text and "cost per email" in text


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 99) == 5.0
    assert percentile([], 50) == 0.0


# --- the dataset ------------------------------------------------------------------------------------------------------


def _line(ident: str, **overrides: object) -> str:
    data: dict[str, object] = {
        "id": ident,
        "from": "Jo Baker <jo@plumtree.example>",
        "to": "dana.whitfield@ourco.example",
        "subject": "Re: invoices",
        "date": "2026-10-14T09:12:00Z",
        "headers": {},
        "body": "What does it cost?\n\nOn Tue, Oct 13, 2026 at 9:00 AM Dana <dana.whitfield@ourco.example> wrote:\n> Hi",
        "outbound_context": "Cold intro; asks for a call",
        "labels": {
            "intent": "question",
            "sentiment": "neutral",
            "urgency": "medium",
            "temperature": "warm",
            "needs_reply": True,
            "return_date": None,
            "referral_email": None,
        },
    }
    data.update(overrides)
    return json.dumps(data)


def test_a_malformed_line_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(_line("x-1") + "\n\n" + _line("x-2") + "\n{not json\n")

    with pytest.raises(DatasetError) as caught:
        load_dataset(path)

    assert caught.value.line == 4
    assert "line 4" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_bad_label_is_named_by_its_line_too(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    bad = json.loads(_line("x-2"))
    bad["labels"]["intent"] = "maybe"
    path.write_text(_line("x-1") + "\n" + json.dumps(bad) + "\n")

    with pytest.raises(DatasetError, match="line 2"):
        load_dataset(path)


def test_a_record_reaches_the_provider_as_the_parser_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(_line("x-1") + "\n")

    item = record_to_input(load_dataset(path)[0])

    assert item.new_text == "What does it cost?"  # the quoted history went
    assert "wrote:" in item.body_text
    assert item.rep is not None and (item.rep.name, item.rep.email) == (
        "Dana Whitfield",
        "dana.whitfield@ourco.example",
    )
    assert [message.direction for message in item.history] == ["outbound"]
    assert item.now == datetime(2026, 10, 14, 9, 12, tzinfo=UTC)


def test_header_signals_come_from_the_parser(tmp_path: Path) -> None:
    dsn_body = (
        "Your message could not be delivered.\n\n"
        "Reporting-MTA: dns; mx.ourco.example\n\n"
        "Final-Recipient: rfc822; gone@plumtree.example\nAction: failed\nStatus: 5.1.1\n"
    )
    path = tmp_path / "set.jsonl"
    path.write_text(
        _line(
            "x-1",
            **{"from": "Mail Delivery System <MAILER-DAEMON@mx.ourco.example>"},
            subject="Undelivered Mail Returned to Sender",
            headers={"Auto-Submitted": "auto-replied", "Content-Type": "multipart/report; report-type=delivery-status"},
            body=dsn_body,
        )
        + "\n"
        + _line("x-2", headers={"Auto-Submitted": "auto-replied"}, body="I am out of the office until Monday.")
        + "\n"
    )

    bounce, auto = (record_to_input(item) for item in load_dataset(path))

    assert bounce.is_bounce and bounce.classification_reason
    assert auto.is_auto_reply and not auto.is_bounce


def test_main_prints_a_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(_line("x-1") + "\n" + _line("x-2", body="Please remove me from your list.") + "\n")

    code = main([str(path), "--provider", "offline", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["provider"], report["emails"], report["errors"]) == ("offline", 2, 0)
    assert set(report["accuracy"]) == {
        "intent",
        "sentiment",
        "urgency",
        "temperature",
        "needs_reply",
        "return_date",
        "referral_email",
    }
    assert report["cost_usd_per_email"] == 0


def test_main_refuses_a_missing_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


# --- the offline provider on the dev set ------------------------------------------------------------------------------


def test_offline_provider_meets_the_dev_set_goals() -> None:
    path = _dev_set()
    assert path.is_file(), f"triage dev set not found at {path} (set INBOX_CORPUS_DIR)"

    report = asyncio.run(evaluate(load_dataset(path), OfflineProvider()))

    assert report.errors == 0
    assert report.intent_macro_f1 >= 0.80
    assert report.accuracy("temperature") >= 0.85

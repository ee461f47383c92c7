"""The offline provider: rules and lexicons, no key, no network, a millisecond or two per email."""

from __future__ import annotations

import time

from ai.offline.drafts import draft_reply
from ai.offline.rules import read_email
from ai.offline.summary import summarise
from ai.providers.base import ProviderAnswer
from ai.schemas import FieldConfidence, TriageInput, TriageResult

MODEL = "rules-v1"


class OfflineProvider:
    """Triage by rules (:mod:`ai.offline.rules`); always answers, never costs anything."""

    name = "offline"

    def __init__(self, prompt_version: str = "offline.v1") -> None:
        self.prompt_version = prompt_version

    def classify(self, item: TriageInput) -> TriageResult:
        reading = read_email(item)
        return TriageResult(
            intent=reading.intent,
            sentiment=reading.sentiment,
            sentiment_score=max(-1.0, min(1.0, reading.sentiment_score)),
            urgency=reading.urgency,
            summary=summarise(item, reading),
            temperature=reading.temperature,
            temperature_evidence=reading.evidence[:3],
            needs_reply=reading.needs_reply,
            next_action=reading.next_action,
            next_action_due=reading.next_action_due,
            return_date=reading.return_date,
            referral_email=reading.referral_email,
            draft=draft_reply(item, reading),
            injection_detected=reading.injection_detected,
            confidence=FieldConfidence(
                intent=reading.intent_confidence,
                sentiment=reading.sentiment_confidence,
                urgency=reading.urgency_confidence,
                temperature=reading.temperature_confidence,
                needs_reply=reading.needs_reply_confidence,
                next_action=reading.next_action_confidence,
            ),
        )

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        started = time.perf_counter()
        result = self.classify(item)
        return ProviderAnswer(
            result=result,
            provider=self.name,
            model=MODEL,
            prompt_version=self.prompt_version,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

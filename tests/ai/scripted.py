"""A provider whose answers a test writes: for the tests of what triage writes.

It stands in for no external system (the OpenAI-compatible provider is tested
against a real HTTP server in ``fake_openai``); it lets a write test say
exactly what the model concluded, including what a subverted model would say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ai.providers.base import ProviderAnswer
from ai.schemas import TriageInput, TriageResult


def result(**overrides: Any) -> TriageResult:
    """A valid result: a warm question that needs a reply, unless ``overrides`` say otherwise."""
    data: dict[str, Any] = {
        "intent": "question",
        "sentiment": "neutral",
        "sentiment_score": 0.1,
        "urgency": "medium",
        "summary": "Jane asks what the team plan costs.",
        "temperature": "warm",
        "temperature_evidence": ["what does the team plan cost?"],
        "needs_reply": True,
        "next_action": "reply",
        "next_action_due": None,
        "return_date": None,
        "referral_email": None,
        "draft": {"subject": "Re: Pricing question", "body": "Hi Jane,\n\nThe team plan is $40 a seat.\n\nDana"},
        "injection_detected": False,
        "confidence": {
            "intent": 0.9,
            "sentiment": 0.8,
            "urgency": 0.7,
            "temperature": 0.8,
            "needs_reply": 0.9,
            "next_action": 0.8,
        },
    }
    for key, value in overrides.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        data[key] = value
    return TriageResult.model_validate(data)


class ScriptedProvider:
    """Answers with ``answer(item)``, counting its calls."""

    def __init__(
        self,
        answer: Callable[[TriageInput], TriageResult] | TriageResult,
        *,
        name: str = "openai",
        model: str = "scripted-1",
        prompt_version: str = "triage.v1",
        tokens: tuple[int, int] = (800, 150),
    ) -> None:
        self.name = name
        self.model = model
        self.prompt_version = prompt_version
        self.tokens = tokens
        self._answer = answer
        self.calls: list[TriageInput] = []

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        self.calls.append(item)
        answer = self._answer(item) if callable(self._answer) else self._answer
        tokens_in, tokens_out = self.tokens
        return ProviderAnswer(
            result=answer,
            provider=self.name,
            model=self.model,
            prompt_version=self.prompt_version,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            requests=1 if self.name != "offline" else 0,
        )

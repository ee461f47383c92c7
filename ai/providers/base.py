"""The provider interface: one email in, one :class:`TriageResult` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ai.schemas import TriageInput, TriageResult


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """A result with what it cost and where it came from."""

    result: TriageResult
    provider: str  # "openai", "offline"
    model: str
    prompt_version: str
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0  # LLM requests made for this email (retries included)
    latency_ms: float = 0.0
    fallback_reason: str | None = None  # set when another provider's answer stands in


class TriageProvider(Protocol):
    name: str

    async def triage(self, item: TriageInput) -> ProviderAnswer:
        """Read one email. Raises :class:`ProviderError` when no answer can be had."""
        ...


class ProviderError(Exception):
    """The provider gave no usable answer (after its own retries)."""

    def __init__(self, message: str, *, retryable: bool = True, requests: int = 0) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.requests = requests

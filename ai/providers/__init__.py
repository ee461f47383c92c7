"""Triage providers: the offline rules (the embedded default) and any OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai.providers.base import ProviderAnswer, ProviderError, TriageProvider

if TYPE_CHECKING:
    from inbox.settings import AiSettings

__all__ = ["ProviderAnswer", "ProviderError", "TriageProvider", "build_providers"]


def build_providers(settings: AiSettings) -> tuple[TriageProvider, TriageProvider]:
    """The provider the settings name and the offline one.

    With ``openai``, the first is the LLM behind a circuit breaker that hands
    over to the offline provider (and says so in its answer)."""
    from ai.offline import OfflineProvider

    offline = OfflineProvider()
    if settings.provider == "offline":
        return offline, offline
    from ai.breaker import CircuitBreaker, FallbackProvider
    from ai.providers.openai import OpenAIProvider

    breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds)
    return FallbackProvider(OpenAIProvider(settings), offline, breaker), offline

"""Triage without a language model: header signals, multilingual lexicons and the labelling conventions as rules."""

from ai.offline.provider import OfflineProvider

__all__ = ["OfflineProvider"]

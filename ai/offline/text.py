# ruff: noqa: RUF001  (full-width punctuation and typographic quotes are meant)
"""The sender's own words, prepared once for the rules: what to read, in sentences, in which language.

Starts from the parser's ``new_text`` (quoted history already stripped), cuts
anything the parser left (a forwarded message, an "On ... wrote:" line), takes out
text addressed to an AI and legal disclaimers, and separates the body from the
sign-off. Lexicon searches are remembered per text: the rules ask the same
question of the same text more than once.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from ai.offline import lexicons as lx
from ai.offline.injection import neutralise
from ai.schemas import TriageInput

MAX_TEXT = 4000  # characters of the sender's own words that are read; the rest of a long body adds nothing

WORD = re.compile(r"\w+")
QUESTION_MARK = re.compile(r"[?？¿]")
# A sentence runs to ".", "!" or "?" before a space; not to a dot inside "ourco.example" or after a day
# ("am 29.09. um 11 Uhr").
_SENTENCE = re.compile(
    r"(?:[^.!?。！？\n]|[.!?](?=[^\s.!?\"”)])|(?<=\d)\.(?=[ \t]+[^\s]))+(?:[.!?。！？]+[\"”)]?(?=\s|$))?"
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Same-length replacements, so that offsets in the normalised text are offsets in the original.
QUOTE_CHARS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


@lru_cache(maxsize=4096)
def search(pattern: lx.Matcher, text: str) -> re.Match[str] | None:
    """``pattern.search(text)``, remembered."""
    return pattern.search(text)


@lru_cache(maxsize=4096)
def findall(pattern: lx.Matcher, text: str) -> tuple[str, ...]:
    """Every match of ``pattern`` in ``text`` (whole matches), remembered."""
    return tuple(match.group(0) for match in pattern.finditer(text))


def words(text: str) -> int:
    return len(WORD.findall(text))


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 1 or s.strip() in ("?", "？")]


def sentences_matching(sentences: list[str], *patterns: lx.Matcher) -> list[str]:
    """The sentences in which any of ``patterns`` matches, in order."""
    joined = "\n".join(sentences)
    starts: list[int] = []
    offset = 0
    for sentence in sentences:
        starts.append(offset)
        offset += len(sentence) + 1
    hit: set[int] = set()
    for pattern in patterns:
        if search(pattern, joined) is None:
            continue
        hit |= {bisect_right(starts, match.start()) - 1 for match in pattern.finditer(joined)}
    return [sentences[index] for index in sorted(hit)]


def detect_language(text: str) -> str:
    """The language code ("en", "de", "fr", "es", "pt", "nl", "ja") by the commonest words; English when unsure."""
    if lx.JAPANESE.search(text):
        return "ja"
    tokens = WORD.findall(text[:3000].lower())
    counts = {language: sum(1 for token in tokens if token in common) for language, common in lx.LANGUAGE_WORDS.items()}
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] > 0 else "en"


@dataclass(frozen=True, slots=True)
class EmailText:
    raw: str  # the new text as received
    original: str  # the same with quotes normalised (same length, same offsets)
    clean: str  # without text addressed to an AI, disclaimers and forwarded parts
    body: str  # ``clean`` without the sign-off and what follows it
    sentences: list[str]  # of the body
    injection: bool
    language: str

    @property
    def day_first(self) -> bool:
        """Whether 3/11 is more likely the 3rd of November (every language here but English)."""
        return self.language != "en"

    def quote(self, sentence: str) -> str:
        """``sentence`` as it stands in the raw text (quotes as typed), whitespace collapsed."""
        found = self.original.find(sentence)
        quoted = self.raw[found : found + len(sentence)] if found >= 0 else ""
        return " ".join(quoted.split())


def _cut_history(text: str) -> str:
    match = lx.CUT_MARKERS.search(text)
    return text[: match.start()] if match and match.start() > 0 else text


def _drop_disclaimers(text: str) -> str:
    paragraphs = _PARAGRAPH_BREAK.split(text)
    kept = [paragraph for paragraph in paragraphs if not search(lx.DISCLAIMER, paragraph)]
    return "\n\n".join(kept) if kept else text


def _cut_sign_off(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index > 0 and lx.SIGN_OFF.match(line) and any(part.strip() for part in lines[:index]):
            return "\n".join(lines[:index]).strip()
    return text.strip()


def _unquoted(text: str) -> str:
    """The text without ``>`` quoted lines the parser kept (an inline reply keeps its questions as context)."""
    if ">" not in text:
        return text
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def prepare_text(item: TriageInput) -> EmailText:
    raw = (item.new_text or item.body_text or "")[:MAX_TEXT]
    original = raw.translate(QUOTE_CHARS)
    neutral = neutralise(_unquoted(_cut_history(original)))
    clean = _drop_disclaimers(neutral.text).strip()
    body = _cut_sign_off(clean)
    language = detect_language(body or clean)
    return EmailText(raw, original, clean, body, sentences_of(body), neutral.detected, language)

"""A large alternation of phrases, searched quickly.

Python's regular expression engine tries every alternative of ``a|b|c|...`` at
every position of the text, and with ``IGNORECASE`` it cannot skip ahead to
likely starts, so a lexicon of a hundred phrases costs a fraction of a
millisecond on a short email. :class:`Lexicon` splits the phrases by the
letters their matches must start with ("not", "interest", "zurück") and, for a
given text, runs only the groups whose first letters occur at the start of one
of the text's words; phrases with no fixed start (``^...``, Japanese, a
lookbehind) are always run. The result is what one big expression would find
(the leftmost match; among matches at the same place, the longest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

FLAGS = re.IGNORECASE | re.UNICODE
_MAX_KEY = 4  # letters of a start that are compared; a longer start is cut (still a necessary condition)
_LETTERS = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]+(?![^\W\d_])")  # Latin script only: a Japanese phrase has no word start
_WORD = re.compile(r"\w+")


def _class_end(source: str, start: int) -> int:
    """Index of the ``]`` closing the character class that opens at ``start``."""
    index = start + 1
    if source[index : index + 1] == "^":
        index += 1
    if source[index : index + 1] == "]":
        index += 1
    while index < len(source):
        if source[index] == "\\":
            index += 2
            continue
        if source[index] == "]":
            return index
        index += 1
    raise ValueError(f"unclosed character class in {source!r}")


def _closing(source: str, start: int) -> int:
    """Index of the parenthesis closing the group that opens at ``start``."""
    depth = 0
    index = start
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(source, index)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced group in {source!r}")


def split_alternatives(source: str) -> list[str]:
    """The top-level alternatives of a regular expression."""
    parts: list[str] = []
    depth = 0
    last = 0
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(source, index)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[last:index])
            last = index + 1
        index += 1
    parts.append(source[last:])
    return parts


def _optional_after(source: str, index: int) -> bool:
    return source[index : index + 1] in ("?", "*") or source[index : index + 3] in ("{0,", "{0}")


def first_keys(alternative: str, *, at_word_start: bool = False) -> set[str] | None:
    """Lower-case letters every match of ``alternative`` starts with, at the start of a word (one set
    member per way to start), or None when that cannot be told from the source. Only a phrase that
    begins with ``\\b`` is known to start at a word's start."""
    source = alternative
    if source.startswith(r"\b"):
        source = source[2:]
        at_word_start = True
    if source.startswith("(?:"):
        end = _closing(source, 0)
        keys: set[str] = set()
        for branch in split_alternatives(source[3:end]):
            found = first_keys(branch, at_word_start=at_word_start)
            if not found:
                return None
            keys |= found
        if _optional_after(source, end + 1):
            # "(?:please\s+)?unsubscribe": a match starts with the group or with what follows it.
            rest = re.sub(r"^(?:\?|\*|\{0,?\d*\})\??", "", source[end + 1 :])
            rest = re.sub(r"^(?:\\s[+*]?|\s)+", "", rest) if source[end - 3 : end] in (r"\s+", r"\s*") else rest
            following = first_keys(rest, at_word_start=at_word_start) if rest else None
            if not following:
                return None
            keys |= following
        return keys
    letters = _LETTERS.match(source) if at_word_start else None
    if letters is None:
        return None
    run = letters.group(0)
    if _optional_after(source, letters.end()):
        run = run[:-1]  # "thanks?": the last letter may be missing
    if not run:
        return None
    return {run.lower()[:_MAX_KEY]}


@lru_cache(maxsize=2048)
def _word_starts(text: str) -> dict[str, tuple[int, ...]]:
    """Where the words of ``text`` start, by their first letters (1 to :data:`_MAX_KEY`, lower-cased)."""
    index: dict[str, list[int]] = {}
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        for size in range(1, min(len(word), _MAX_KEY) + 1):
            index.setdefault(word[:size], []).append(match.start())
    return {key: tuple(places) for key, places in index.items()}


class Lexicon:
    """Phrases (regular expressions) matched case-insensitively; ``[A-Z]`` in a phrase stays a capital."""

    def __init__(self, *phrases: str) -> None:
        alternatives = [
            alternative.replace("[A-Z]", "(?-i:[A-Z])")
            for phrase in phrases
            for alternative in split_alternatives(phrase)
            if alternative
        ]
        self.pattern = "|".join(f"(?:{alternative})" for alternative in alternatives)
        by_key: dict[str, list[str]] = {}
        residual: list[str] = []
        for alternative in alternatives:
            keys = first_keys(alternative)
            if keys is None:
                residual.append(alternative)
                continue
            for key in keys:
                by_key.setdefault(key, []).append(alternative)
        self._by_key = {key: self._compile(group) for key, group in by_key.items()}
        self._keys = frozenset(self._by_key)
        self._residual = self._compile(residual) if residual else None

    @staticmethod
    def _compile(alternatives: list[str]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives), FLAGS)

    def _matches(self, text: str, pos: int = 0, *, first_only: bool = False) -> list[re.Match[str]]:
        """Matches of each group tried only where a word with its first letters starts."""
        index = _word_starts(text)
        found: list[re.Match[str]] = []
        for key in self._keys.intersection(index):
            pattern = self._by_key[key]
            for start in index[key]:
                if start < pos:
                    continue
                match = pattern.match(text, start)
                if match is not None:
                    found.append(match)
                    if first_only:
                        break
        if self._residual is not None:
            if first_only:
                match = self._residual.search(text, pos)
                if match is not None:
                    found.append(match)
            else:
                found.extend(self._residual.finditer(text, pos))
        return found

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        matches = self._matches(text, pos, first_only=True)
        return min(matches, key=lambda match: (match.start(), -match.end())) if matches else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        matches = sorted(self._matches(text), key=lambda match: (match.start(), -match.end()))
        end = -1
        for match in matches:
            if match.start() >= end and match.end() > match.start():
                end = match.end()
                yield match

    def findall(self, text: str) -> list[str]:
        return [match.group(0) for match in self.finditer(text)]

    def sub(self, replacement: str, text: str) -> str:
        pieces: list[str] = []
        last = 0
        for match in self.finditer(text):
            pieces.append(text[last : match.start()])
            pieces.append(replacement)
            last = match.end()
        pieces.append(text[last:])
        return "".join(pieces)


Matcher = re.Pattern[str] | Lexicon

"""The one template syntax of the service (templates and sequence steps).

``{{ name }}`` inserts a value, ``{{ sender.first_name }}`` looks into nested
mappings, ``{{ first_name|there }}`` falls back to literal text when the value
is missing (``{{ company| }}`` falls back to nothing, on purpose). A value is
missing when its key is absent, None, blank text, or not a scalar. A missing
value without a fallback is an error, never a silent blank ("Hi ,").
Anything else in braces is left as written. Output is text: HTML escaping
belongs to whoever puts it into HTML.

Names are looked up only in mappings, never as attributes, so a template
cannot reach into the objects behind a context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from inbox.core.errors import InvalidInput

_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>" + _NAME + r")\s*(?:\|(?P<fallback>[^{}|]*))?\}\}")

_MISSING = object()


class MissingVariable(InvalidInput):
    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__(
            f"no value for template variable(s): {', '.join(self.names)}; "
            "give them in the context or add a fallback, as in {{first_name|there}}",
            field="context",
            missing=self.names,
        )


def variables(text: str) -> list[str]:
    """The variable names ``text`` uses, each once, in order of first use."""
    return list(dict.fromkeys(match.group("name") for match in PLACEHOLDER.finditer(text)))


def render(text: str, context: Mapping[str, object]) -> str:
    return render_all([text], context)[0]


def render_all(texts: Sequence[str], context: Mapping[str, object]) -> list[str]:
    """Render several texts with one context, reporting every missing name of all of them at once."""
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        value = _lookup(context, match.group("name"))
        if value is not _MISSING:
            return str(value)
        fallback = match.group("fallback")
        if fallback is not None:
            return fallback.strip()
        missing.append(match.group("name"))
        return match.group(0)

    rendered = [PLACEHOLDER.sub(substitute, text) for text in texts]
    if missing:
        raise MissingVariable(list(dict.fromkeys(missing)))
    return rendered


def _lookup(context: Mapping[str, object], name: str) -> object:
    value: object
    if name in context:
        value = context[name]
    else:
        value = context
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return _MISSING
            value = value[part]
    if value is None or isinstance(value, Mapping | list | tuple | set | bytes):
        return _MISSING
    if isinstance(value, str) and not value.strip():
        return _MISSING
    return value

"""Pydantic building blocks shared by every domain's schemas.

Input text is stripped, bounded and free of NUL characters (PostgreSQL
cannot store them, so they would otherwise surface as a server error).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

T = TypeVar("T")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, dict):
        return {_no_nul(str(key)): _clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, float) and value != value:  # NaN cannot be stored as JSON
        raise ValueError("must not contain NaN")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(_no_nul)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_no_nul)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_no_nul)]
Email = Annotated[EmailStr, StringConstraints(max_length=320), AfterValidator(lambda value: value.lower())]
_DOMAIN = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if len(value) > 253 or not _DOMAIN.match(value):
        raise ValueError("must be a domain name such as example.com")
    return value


Domain = Annotated[str, AfterValidator(_domain)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_no_nul)]
CustomFields = Annotated[dict[str, Any], AfterValidator(_clean_json), Field(max_length=200)]


class InputModel(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(
        description=(
            "how many records match the filters, across all pages, counted when the first page was read:"
            " a page asked for with a cursor reports the total of that cursor's first page (records added"
            " or removed since are not counted again); with other filters than the cursor's, it is counted anew"
        )
    )
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")
    limit: int

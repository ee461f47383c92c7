"""The lead shape of the API.

``LeadOut`` is a msgspec Struct, not a Pydantic model: the leads list is the AI
inbox's main screen, and a Struct is built from a row's values in field order
and encoded by msgspec without validating every field of every item again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import Row

from inbox.contacts.models import ContactStatus, Temperature
from inbox.core.db import utcnow
from inbox.core.errors import InvalidInput
from inbox.core.pagination import Page


def parse_temperatures(raw: Iterable[str]) -> list[Temperature]:
    """``status`` values of the query string, repeated or comma-separated."""
    values: list[Temperature] = []
    for item in raw:
        for part in item.split(","):
            name = part.strip().lower()
            if not name:
                continue
            try:
                values.append(Temperature(name))
            except ValueError:
                allowed = ", ".join(t.value for t in Temperature)
                raise InvalidInput(f"status: {name[:40]!r} is not one of {allowed}", field="status") from None
    return list(dict.fromkeys(values))


class LeadOut(msgspec.Struct):
    id: uuid.UUID
    company: str | None
    contact_name: str
    email: str
    status: Temperature
    lifecycle_status: ContactStatus
    last_message: str | None
    ai_suggestion: str | None
    has_ai_draft: bool
    last_contact_at: datetime | None
    account_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    days_since_contact: Annotated[int | None, msgspec.Meta(description="whole days since last_contact_at")]

    @classmethod
    def of(cls, lead: Any, *, now: datetime | None = None) -> LeadOut:
        """The lead shape of anything with the view's columns as attributes."""
        values = [getattr(lead, name) for name in LEAD_COLUMNS]
        values.append(days_since(values[_LAST_CONTACT], now or utcnow()))
        return cls(*values)


# The view's columns a LeadOut is made of, in field order: a list selects these.
LEAD_COLUMNS: tuple[str, ...] = LeadOut.__struct_fields__[:-1]
_LAST_CONTACT = LEAD_COLUMNS.index("last_contact_at")


def days_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole days from ``moment`` until ``now``; 0 for a moment in the future."""
    return None if moment is None else max((now - moment).days, 0)


def lead_page(page: Page[Row[Any]]) -> Page[LeadOut]:
    """The answer for a page of rows that start with LEAD_COLUMNS' values."""
    now, width = utcnow(), len(LEAD_COLUMNS)
    items = [LeadOut(*[*row[:width], days_since(row[_LAST_CONTACT], now)]) for row in page.items]
    return Page(items=items, total=page.total, next_cursor=page.next_cursor, limit=page.limit)

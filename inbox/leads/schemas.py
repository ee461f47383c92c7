from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from pydantic import computed_field

from inbox.contacts.models import ContactStatus, Temperature
from inbox.contacts.schemas import days_since
from inbox.core.errors import InvalidInput
from inbox.core.schemas import OutputModel


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


class LeadOut(OutputModel):
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def days_since_contact(self) -> int | None:
        return days_since(self.last_contact_at)

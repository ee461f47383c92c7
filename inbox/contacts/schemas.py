from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, computed_field

from inbox.contacts.models import ContactStatus, Temperature
from inbox.core.db import utcnow
from inbox.core.schemas import CustomFields, Email, InputModel, OutputModel, ShortText, Tag, Url

MAX_TAGS = 50


def _iana_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError("not an IANA time zone name (e.g. Europe/Paris)") from exc
    return value


def unique_tags(tags: list[str]) -> list[str]:
    """The tags in their first-seen order without repeats, at most MAX_TAGS of them."""
    deduplicated = list(dict.fromkeys(tags))
    if len(deduplicated) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} distinct tags")
    return deduplicated


def days_since(moment: datetime | None) -> int | None:
    """Whole days from ``moment`` until now; 0 for a moment in the future."""
    if moment is None:
        return None
    return max((utcnow() - moment).days, 0)


TimeZoneName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_iana_time_zone)
]
Tags = Annotated[list[Tag], Field(max_length=10 * MAX_TAGS), AfterValidator(unique_tags)]


class ContactCreate(InputModel):
    email: Email
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    title: ShortText | None = None
    phone: ShortText | None = None
    linkedin_url: Url | None = None
    timezone: TimeZoneName | None = None
    account_id: uuid.UUID | None = Field(default=None, description="an account you can see")
    owner_id: uuid.UUID | None = Field(default=None, description="a user of the workspace; defaults to you")
    status: ContactStatus = ContactStatus.NEW
    temperature: Temperature = Temperature.COLD
    tags: Tags = Field(default_factory=list, description=f"deduplicated; at most {MAX_TAGS}")
    custom_fields: CustomFields = Field(default_factory=dict)
    source: ShortText | None = None
    unsubscribed: bool = False
    bounced: bool = False


class ContactUpdate(InputModel):
    email: Email | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    title: ShortText | None = None
    phone: ShortText | None = None
    linkedin_url: Url | None = None
    timezone: TimeZoneName | None = None
    account_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    status: ContactStatus | None = None
    temperature: Temperature | None = None
    tags: Tags | None = None
    custom_fields: CustomFields | None = None
    source: ShortText | None = None
    unsubscribed: bool | None = None
    bounced: bool | None = None


class ContactTagsChange(InputModel):
    add: Tags = Field(default_factory=list)
    remove: Tags = Field(default_factory=list)


class ContactOut(OutputModel):
    id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    title: str | None
    phone: str | None
    linkedin_url: str | None
    timezone: str | None
    account_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    status: ContactStatus
    temperature: Temperature
    tags: list[str]
    custom_fields: dict[str, Any]
    source: str | None
    unsubscribed: bool
    unsubscribed_at: datetime | None
    bounced: bool
    bounced_at: datetime | None
    last_message: str | None
    ai_suggestion: str | None
    has_ai_draft: bool
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def full_name(self) -> str | None:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def days_since_contact(self) -> int | None:
        return days_since(self.last_contact_at)

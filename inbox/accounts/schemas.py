from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from inbox.core.schemas import CustomFields, Domain, InputModel, LongText, Name, OutputModel, ShortText, Url


class AccountCreate(InputModel):
    name: Name
    domain: Domain | None = None
    industry: ShortText | None = None
    employee_count: int | None = Field(default=None, ge=0, le=10_000_000)
    website: Url | None = None
    phone: ShortText | None = None
    description: LongText | None = None
    owner_id: uuid.UUID | None = Field(default=None, description="a user of the workspace; defaults to you")
    custom_fields: CustomFields = Field(default_factory=dict)


class AccountUpdate(InputModel):
    name: Name | None = None
    domain: Domain | None = None
    industry: ShortText | None = None
    employee_count: int | None = Field(default=None, ge=0, le=10_000_000)
    website: Url | None = None
    phone: ShortText | None = None
    description: LongText | None = None
    owner_id: uuid.UUID | None = None
    custom_fields: CustomFields | None = None


class AccountOut(OutputModel):
    id: uuid.UUID
    name: str
    domain: str | None
    industry: str | None
    employee_count: int | None
    website: str | None
    phone: str | None
    description: str | None
    owner_id: uuid.UUID | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from inbox.activities.models import ActivityType
from inbox.core.schemas import CustomFields, InputModel, LongText, OutputModel, ShortText

MAX_DURATION_MINUTES = 60 * 24 * 31


class ActivityCreate(InputModel):
    type: ActivityType
    subject: ShortText | None = None
    body: LongText | None = None
    occurred_at: AwareDatetime | None = Field(default=None, description="defaults to now")
    duration_minutes: int | None = Field(default=None, ge=0, le=MAX_DURATION_MINUTES)
    outcome: ShortText | None = None
    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = Field(default=None, description="who did it; defaults to you")
    data: CustomFields = Field(default_factory=dict)


class ActivityUpdate(InputModel):
    type: ActivityType | None = None
    subject: ShortText | None = None
    body: LongText | None = None
    occurred_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=MAX_DURATION_MINUTES)
    outcome: ShortText | None = None
    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    data: CustomFields | None = None


class ActivityOut(OutputModel):
    id: uuid.UUID
    type: ActivityType
    subject: str | None
    body: str | None
    occurred_at: datetime
    duration_minutes: int | None
    outcome: str | None
    contact_id: uuid.UUID | None
    account_id: uuid.UUID | None
    user_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

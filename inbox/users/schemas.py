from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from inbox.core.schemas import CustomFields, Email, InputModel, LongText, OutputModel, ShortText, Url
from inbox.users.models import UserRole


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as Europe/Paris or UTC") from exc
    return value


TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_timezone)]


class UserOut(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    role: UserRole
    avatar_url: str | None
    timezone: str
    email_signature: str | None
    settings: dict[str, Any]
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProfileUpdate(InputModel):
    """What a user may change about themselves."""

    first_name: ShortText | None = None
    last_name: ShortText | None = None
    timezone: TimeZone | None = None
    email_signature: LongText | None = None
    avatar_url: Url | None = None
    settings: CustomFields | None = None


class UserAdminUpdate(InputModel):
    """What an admin may change about a member of the workspace."""

    role: UserRole | None = None
    is_active: bool | None = Field(default=None, description="false signs the user out everywhere at once")
    first_name: ShortText | None = None
    last_name: ShortText | None = None


class InvitationCreate(InputModel):
    email: Email
    role: UserRole = UserRole.SALES_REP


class InvitationOut(OutputModel):
    id: uuid.UUID
    email: str
    role: UserRole
    invited_by_id: uuid.UUID | None
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime

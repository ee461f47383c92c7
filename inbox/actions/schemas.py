from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from inbox.actions.models import ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.core.schemas import CustomFields, InputModel, LongText, Name, OutputModel


class TaskCreate(InputModel):
    type: ActionType = ActionType.TASK
    title: Name
    description: LongText | None = None
    priority: ActionPriority = ActionPriority.MEDIUM
    status: ActionStatus = ActionStatus.PENDING
    due_at: AwareDatetime | None = None
    snoozed_until: AwareDatetime | None = None
    assigned_to_id: uuid.UUID | None = Field(
        default=None, description="a user of the workspace; defaults to you (a sales rep may assign only themselves)"
    )
    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    thread_id: uuid.UUID | None = None
    data: CustomFields = Field(default_factory=dict)


class TaskUpdate(InputModel):
    type: ActionType | None = None
    title: Name | None = None
    description: LongText | None = None
    priority: ActionPriority | None = None
    status: ActionStatus | None = Field(default=None, description="completed sets completed_at; any other clears it")
    due_at: AwareDatetime | None = None
    snoozed_until: AwareDatetime | None = None
    assigned_to_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    thread_id: uuid.UUID | None = None
    data: CustomFields | None = None


class TaskOut(OutputModel):
    id: uuid.UUID
    type: ActionType
    source: ActionSource
    title: str
    description: str | None
    priority: ActionPriority
    status: ActionStatus
    due_at: datetime | None
    completed_at: datetime | None
    snoozed_until: datetime | None
    assigned_to_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    account_id: uuid.UUID | None
    thread_id: uuid.UUID | None
    email_id: uuid.UUID | None
    draft_email_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

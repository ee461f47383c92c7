"""The ORM class over the ``leads`` view (created by the migration; see
``inbox.contacts.models.leads``). Read-only: writes go to contacts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Mapped

from inbox.contacts.models import ContactStatus, Temperature, leads
from inbox.core.db import Base


class Lead(Base):
    __table__ = leads
    __mapper_args__ = {"primary_key": [leads.c.id]}

    id: Mapped[uuid.UUID]
    workspace_id: Mapped[uuid.UUID]
    owner_id: Mapped[uuid.UUID | None]
    account_id: Mapped[uuid.UUID | None]
    company: Mapped[str | None]
    contact_name: Mapped[str]
    email: Mapped[str]
    status: Mapped[Temperature]
    lifecycle_status: Mapped[ContactStatus]
    last_message: Mapped[str | None]
    ai_suggestion: Mapped[str | None]
    has_ai_draft: Mapped[bool]
    last_contact_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

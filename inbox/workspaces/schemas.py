from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from inbox.core.schemas import CustomFields, Domain, InputModel, Name, OutputModel


class WorkspaceUpdate(InputModel):
    name: Name | None = None
    domain: Domain | None = None
    settings: CustomFields | None = None


class WorkspaceOut(OutputModel):
    id: uuid.UUID
    name: str
    slug: str
    domain: str | None
    plan: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime

"""Sending as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from inbox.core.schemas import InputModel
from inbox.threads.schemas import EmailOut


class SendRequest(InputModel):
    send_at: datetime | None = Field(default=None, description="timezone-aware; omitted or past: send now")


class SendOut(EmailOut):
    """The email with its delivery state: retries so far and the server's last answer."""

    retry_count: int
    last_error: str | None = Field(description="the mail server's reply to the last failed attempt")


class DraftUpdate(InputModel):
    subject: str = Field(max_length=998, description="one line")
    body: str = Field(max_length=100_000, description="plain text; replaces any HTML body")


class DraftRegenerate(InputModel):
    tone: Literal["professional", "friendly", "casual", "formal"]


class DraftOut(SendOut):
    """A draft with what the AI first wrote (kept once a rep changes it) and, once approved, the edit distance."""

    ai_generated: bool
    ai_draft_subject: str | None
    ai_draft_body: str | None
    draft_edit_distance: int | None

"""Sending as the API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from inbox.core.schemas import InputModel
from inbox.threads.schemas import EmailOut


class SendRequest(InputModel):
    send_at: datetime | None = Field(default=None, description="timezone-aware; omitted or past: send now")


class SendOut(EmailOut):
    """The email with its delivery state: retries so far and the server's last answer."""

    retry_count: int
    last_error: str | None = Field(description="the mail server's reply to the last failed attempt")

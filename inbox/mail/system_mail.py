"""The service's own outgoing mail: password resets and invitations.

Sent through ``settings.smtp``; with no SMTP host (the embedded demo, tests)
each message is written as an ``.eml`` file to ``<data_dir>/outbox/`` instead,
where a person (or a test) can open it. Call this after the transaction that
made the token has committed: a link must never point at a rolled-back row.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib

from inbox.core.db import utcnow
from inbox.settings import Settings


def outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "outbox"


def build_message(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp.from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    domain = settings.smtp.from_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message


async def send_system_mail(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    """Send one plain-text message; returns it as sent."""
    message = build_message(settings, to=to, subject=subject, text=text)
    smtp = settings.smtp
    if smtp.host is None:
        await asyncio.to_thread(_write_to_outbox, settings, message)
        return message
    await aiosmtplib.send(
        message,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password.get_secret_value() if smtp.password else None,
        start_tls=smtp.starttls,
        use_tls=smtp.use_tls,
        timeout=smtp.timeout_seconds,
    )
    return message


def _write_to_outbox(settings: Settings, message: EmailMessage) -> Path:
    folder = outbox_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}.eml"
    path = folder / name
    # Written under a temporary name and renamed, so a reader never sees half a file.
    partial = folder / f".{name}.partial"
    partial.write_bytes(message.as_bytes())
    os.replace(partial, path)
    return path

"""Delivery over SMTP with aiosmtplib, reusing connections per mailbox.

A connection is kept after a successful message and reused for the next one
of the same mailbox (same host, port, TLS and login): connecting, EHLO,
STARTTLS and AUTH cost more than the message. A kept connection may have been
closed by the server meanwhile; that shows on MAIL FROM, before anything of
the message was sent, so a fresh connection is tried once. Every failure is
classified by *when* it happened, which decides whether a retry could
duplicate the message:

- ``TransientFailure``: a 4xx reply or a connection problem before the
  message's data was sent; the server has nothing, retrying is safe.
- ``PermanentFailure``: a 5xx reply; retrying would get the same answer.
- ``UncertainDelivery``: the connection broke after the data was sent and
  before the server's reply; the server may have accepted it, so it is not
  retried (a second copy is worse than a failure a person can check).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import Message

import aiosmtplib

CONNECT_TIMEOUT_SECONDS = 30.0
IDLE_SECONDS = 30.0  # a kept connection older than this is closed rather than reused
MAX_IDLE_PER_KEY = 32


class DeliveryError(Exception):
    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransientFailure(DeliveryError):
    pass


class PermanentFailure(DeliveryError):
    pass


class UncertainDelivery(DeliveryError):
    pass


@dataclass(frozen=True, slots=True)
class SmtpLogin:
    host: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None
    password: str | None


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


class SmtpPool:
    """Idle SMTP connections keyed by login. One per event loop (connections belong to their loop)."""

    def __init__(self, *, timeout_seconds: float = CONNECT_TIMEOUT_SECONDS) -> None:
        self._idle: dict[SmtpLogin, list[tuple[aiosmtplib.SMTP, float]]] = {}
        self._timeout = timeout_seconds

    async def send(self, login: SmtpLogin, message: Message, sender: str, recipients: list[str]) -> None:
        smtp, reused = await self._checkout(login)
        try:
            try:
                await smtp.mail(sender)
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as exc:
                if not reused:
                    raise TransientFailure(f"connection lost: {exc}") from exc
                # A kept connection the server had closed: nothing was sent, start afresh.
                _close(smtp)
                smtp = await self._connect(login)
                await smtp.mail(sender)
            for recipient in recipients:
                await smtp.rcpt(recipient)
            payload = message.as_bytes()
            try:
                await smtp.data(payload)
            except aiosmtplib.SMTPResponseException:
                raise
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                _close(smtp)
                raise UncertainDelivery(
                    f"the connection broke after the message was transmitted, before the server answered: {exc}"
                ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            _close(smtp)
            if 400 <= exc.code < 500:
                raise TransientFailure(_reply(exc), code=exc.code) from exc
            raise PermanentFailure(_reply(exc), code=exc.code) from exc
        except DeliveryError:
            _close(smtp)
            raise
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
        self._checkin(login, smtp)

    async def _checkout(self, login: SmtpLogin) -> tuple[aiosmtplib.SMTP, bool]:
        idle = self._idle.get(login)
        now = time.monotonic()
        while idle:
            smtp, since = idle.pop()
            if now - since < IDLE_SECONDS and smtp.is_connected:
                return smtp, True
            _close(smtp)
        try:
            return await self._connect(login), False
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise TransientFailure(_reply(exc), code=exc.code) from exc
            raise PermanentFailure(_reply(exc), code=exc.code) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise TransientFailure(f"cannot connect to {login.host}:{login.port}: {exc}") from exc

    async def _connect(self, login: SmtpLogin) -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(
            hostname=login.host,
            port=login.port,
            use_tls=login.use_tls,
            start_tls=login.start_tls,
            timeout=self._timeout,
        )
        await smtp.connect()
        if login.username and login.password is not None:
            await smtp.login(login.username, login.password)
        return smtp

    def _checkin(self, login: SmtpLogin, smtp: aiosmtplib.SMTP) -> None:
        idle = self._idle.setdefault(login, [])
        if len(idle) >= MAX_IDLE_PER_KEY:
            _close(smtp)
            return
        idle.append((smtp, time.monotonic()))

    async def close(self) -> None:
        for idle in self._idle.values():
            for smtp, _ in idle:
                try:
                    await smtp.quit()
                except (TimeoutError, aiosmtplib.SMTPException, OSError):
                    _close(smtp)
        self._idle.clear()


def _close(smtp: aiosmtplib.SMTP) -> None:
    if smtp.is_connected:
        smtp.close()

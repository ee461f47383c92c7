"""Secrets at rest: Fernet tokens under a list of keys, newest first.

The first key encrypts; every key decrypts, so a new key is put in front of
the old ones, stored secrets are rotated onto it, and only then the old key
is dropped. A Fernet token does not name its key: whether a token is under
the newest key is known only by trying that key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from inbox.core.errors import InboxError
from inbox.settings import Settings


class UndecryptableSecret(InboxError):
    """A stored secret that none of the configured keys opens: the keys are
    misconfigured (a key was dropped before its secrets were rotated)."""

    status_code = 500
    code = "UNDECRYPTABLE_SECRET"

    def __init__(self, **extra: Any) -> None:
        super().__init__("stored credentials cannot be decrypted with the configured INBOX_ENCRYPTION_KEYS", **extra)


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("INBOX_ENCRYPTION_KEYS is empty: at least one Fernet key is needed")
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except ValueError:
                # The key itself is never part of the message.
                raise ValueError(
                    f"INBOX_ENCRYPTION_KEYS entry {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.fernet_keys)

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret() from None

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` is not under the newest key (including when no key opens it)."""
        try:
            self._newest.decrypt(token.encode())
        except InvalidToken:
            return True
        return False

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the newest key, keeping its timestamp."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableSecret() from None

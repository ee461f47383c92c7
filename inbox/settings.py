"""The one settings object of the service.

Every value has an embedded default, so ``inbox serve`` with no environment at
all runs on SQLite in a data folder, Dramatiq's in-process broker and the
offline AI provider. Production sets ``INBOX_DATABASE_URL`` (asyncpg),
``INBOX_REDIS_URL`` and the secrets. Nested groups use ``__``:
``INBOX_SMTP__HOST``, ``INBOX_AUTH__BASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseModel):
    # Better Auth's BETTER_AUTH_SECRET / AUTH_SECRET are read too (see Settings.auth_secret),
    # so a Better Auth server and this service can share one configuration.
    secret: SecretStr | None = None
    base_url: str = "http://localhost:8000"
    session_days: int = Field(default=7, ge=1)
    update_age_hours: int = Field(default=24, ge=1)
    reset_token_minutes: int = Field(default=60, ge=1)
    invitation_days: int = Field(default=7, ge=1)
    password_min_length: int = Field(default=8, ge=1)
    password_max_length: int = Field(default=128, ge=8)
    # Sign-in attempts allowed per window, per address and per client IP.
    sign_in_window_seconds: int = Field(default=900, ge=1)
    sign_in_max_per_email: int = Field(default=10, ge=1)
    sign_in_max_per_ip: int = Field(default=50, ge=1)
    # Honour X-Forwarded-For from a proxy in front of the service.
    trust_forwarded_for: bool = False


class SmtpSettings(BaseModel):
    """The service's own outgoing mail (password resets, invitations).

    With no host, mail is written to ``<data_dir>/outbox`` instead, which is
    what the embedded demo uses.
    """

    host: str | None = None
    port: int = 25
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    use_tls: bool = False
    timeout_seconds: float = 10.0
    from_address: str = "inbox@localhost"


class AiSettings(BaseModel):
    """AI triage: which provider reads the mail, and how hard to try."""

    provider: Literal["offline", "openai"] = "offline"
    # Any OpenAI-compatible endpoint: OpenAI, Azure, vLLM, Ollama, llama.cpp.
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    prompt_version: str = "triage.v1"
    # "json_schema" asks for structured output; "json_object" is for servers without it.
    response_format: Literal["json_schema", "json_object"] = "json_schema"
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_seconds: float = Field(default=0.5, ge=0)
    max_retry_after_seconds: float = Field(default=30.0, ge=0)
    # The circuit opens after this many failed emails in a row and stays open this long,
    # during which the offline provider answers (and says so in the insight).
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=60.0, gt=0)
    # Prompt budget: the thread history is trimmed to fit.
    history_token_budget: int = Field(default=500, ge=0)
    max_output_tokens: int = Field(default=700, ge=64)
    # Per workspace and UTC day; past it, the offline provider answers. 0 = no limit.
    daily_token_budget: int = Field(default=2_000_000, ge=0)
    # USD per million tokens, for the usage report.
    price_in_per_million: float = Field(default=0.15, ge=0)
    price_out_per_million: float = Field(default=0.60, ge=0)
    # The sweeper re-enqueues inbound mail left untriaged this long.
    sweep_after_seconds: float = Field(default=120.0, ge=0)


class IngestSettings(BaseModel):
    """Mail ingestion: IMAP sync, the blob store, batching."""

    # An initial sync fetches this many days back, newest first.
    initial_days: int = Field(default=30, ge=1)
    # Messages fetched and stored per transaction.
    batch_size: int = Field(default=200, ge=1, le=5000)
    # Servers without IDLE are polled this often; IDLE is re-issued this often (RFC 2177: < 29 min).
    poll_seconds: float = Field(default=60.0, gt=0)
    idle_seconds: float = Field(default=600.0, gt=0)
    # Reconnect backoff after a dropped connection: doubles up to the maximum.
    backoff_initial_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    timeout_seconds: float = Field(default=60.0, gt=0)
    # Gmail mailboxes are synced this often by ``inbox ingest`` (pushes bring mail sooner).
    gmail_poll_seconds: float = Field(default=300.0, gt=0)
    # ``inbox ingest`` looks for added, removed or repaired mailboxes this often.
    refresh_seconds: float = Field(default=30.0, gt=0)
    # Attachments and raw messages; default ``<data_dir>/blobs``.
    blob_dir: Path | None = None


class GmailSettings(BaseModel):
    """Gmail's REST API and Google's OAuth token endpoint.

    Both base URLs are settings so tests (and proxies) can point them elsewhere.
    """

    api_base_url: str = "https://gmail.googleapis.com"
    token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # users.watch: the Pub/Sub topic Gmail publishes to.
    pubsub_topic: str | None = None
    # The secret in the push URL: POST /webhooks/gmail?token=<push_token>.
    push_token: SecretStr | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)


class WebhookSettings(BaseModel):
    """Secrets of the mail providers that call ``/webhooks``."""

    mailgun_signing_key: SecretStr | None = None
    # The PEM (or base64 DER) public key of SendGrid's signed Event Webhook.
    sendgrid_public_key: str | None = None
    # SendGrid's Inbound Parse is not signed: a secret token in its URL authenticates it.
    sendgrid_inbound_token: SecretStr | None = None
    # Signed requests older (or newer) than this are refused; a token seen before is refused as a replay
    # whatever its age. Mailgun retries a failed delivery for 8 hours with the signature it first sent,
    # so the window covers that.
    max_age_seconds: int = Field(default=9 * 3600, ge=1)


class TrackingSettings(BaseModel):
    """Open pixel, click redirects and unsubscribe links in outbound mail (switched on per workspace)."""

    # Where those links point: a tracking domain of its own, else the service's public URL (INBOX_AUTH__BASE_URL).
    base_url: str | None = None


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)
    debug: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INBOX_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        env_ignore_empty=True,
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = None
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1)
    redis_url: str | None = None
    # Fernet keys, newest first: the first encrypts, all decrypt (rotation).
    encryption_keys: list[SecretStr] = Field(default_factory=list)

    auth: AuthSettings = Field(default_factory=AuthSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    ai: AiSettings = Field(default_factory=AiSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    gmail: GmailSettings = Field(default_factory=GmailSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'inbox.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.ingest.blob_dir or self.data_dir / "blobs"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @cached_property
    def auth_secret(self) -> str:
        if self.auth.secret is not None:
            return self.auth.secret.get_secret_value()
        for name in ("BETTER_AUTH_SECRET", "AUTH_SECRET"):
            if value := os.environ.get(name):
                return value
        return self._persisted_secret("auth-secret", lambda: secrets.token_urlsafe(48))

    @cached_property
    def fernet_keys(self) -> list[str]:
        if self.encryption_keys:
            return [key.get_secret_value() for key in self.encryption_keys]
        return [self._persisted_secret("fernet.key", lambda: Fernet.generate_key().decode())]

    def _persisted_secret(self, name: str, make: Callable[[], str]) -> str:
        """A secret kept in the data folder, for the embedded mode only.

        Production must set its secrets: a replica on another machine would not
        see this file.
        """
        if self.environment == "production":
            raise RuntimeError(f"{name} must be set in production (see README, Configuration)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

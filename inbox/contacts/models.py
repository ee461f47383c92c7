"""People, and the ``leads`` view over them.

A contact carries both its lifecycle ``status`` (new ... churned) and the AI
inbox's lead fields (``temperature``, ``last_message``, ``ai_suggestion``,
``has_ai_draft``). ``leads`` presents them in the AI inbox's shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from inbox.accounts.models import Account
from inbox.core.db import Base, Timestamps, UTCDateTime, UUIDPrimaryKey


class Temperature(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class ContactStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    REPLIED = "replied"
    INTERESTED = "interested"
    MEETING_SCHEDULED = "meeting_scheduled"
    QUALIFIED = "qualified"
    CUSTOMER = "customer"
    NOT_INTERESTED = "not_interested"
    CHURNED = "churned"


class Contact(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "email"),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.Index(None, "workspace_id", "created_at", "id"),
        sa.Index("ix_contacts_workspace_temperature_contact", "workspace_id", "temperature", "last_contact_at", "id"),
        # Counts one temperature's contacts (the leads list's total) from deduplicated index entries: migration 0002.
        sa.Index(None, "workspace_id", "temperature"),
        # The leads list in any mix of temperatures, most recently contacted first.
        sa.Index("ix_contacts_workspace_last_contact", "workspace_id", "last_contact_at", "id"),
        sa.Index(None, "workspace_id", "account_id"),
        sa.Index(None, "workspace_id", "owner_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(320))
    first_name: Mapped[str | None]
    last_name: Mapped[str | None]
    title: Mapped[str | None]
    phone: Mapped[str | None]
    linkedin_url: Mapped[str | None]
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[ContactStatus] = mapped_column(
        sa.Enum(
            ContactStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="contacts_status",
        ),
        default=ContactStatus.NEW,
        server_default=ContactStatus.NEW.value,
    )
    temperature: Mapped[Temperature] = mapped_column(
        sa.Enum(
            Temperature,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="contacts_temperature",
        ),
        default=Temperature.COLD,
        server_default=Temperature.COLD.value,
    )
    tags: Mapped[list[str]] = mapped_column(default=list, server_default=sa.text("'[]'"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))
    source: Mapped[str | None]
    unsubscribed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    unsubscribed_at: Mapped[datetime | None]
    bounced: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    bounced_at: Mapped[datetime | None]
    last_message: Mapped[str | None] = mapped_column(sa.Text)
    ai_suggestion: Mapped[str | None] = mapped_column(sa.Text)
    has_ai_draft: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    last_contact_at: Mapped[datetime | None]

    account: Mapped[Account | None] = relationship(lazy="raise")


def _blank_if_null(column: InstrumentedAttribute[str | None]) -> sa.ColumnElement[str]:
    return sa.func.coalesce(column, sa.literal_column("''", sa.String))


# The text that contact search matches against. On PostgreSQL the trigram
# index ix_contacts_search_trgm (created by the migration) is built over exactly
# this expression, so ``contact_search_document.ilike(...)`` / ``.like(...)`` can
# use it. Literals are inlined, not bound: a bound '' would not match the index.
contact_search_document: sa.ColumnElement[str] = sa.func.lower(
    _blank_if_null(Contact.first_name)
    + sa.literal_column("' '", sa.String)
    + _blank_if_null(Contact.last_name)
    + sa.literal_column("' '", sa.String)
    + Contact.email
)

# The ``leads`` view. It lives in its own MetaData so that create_all and
# Alembic's autogenerate leave it alone: the migration creates it with
# the same SQL on both dialects. ``days_since_contact`` is computed in Python, never stored.
view_metadata = sa.MetaData()

leads = sa.Table(
    "leads",
    view_metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("workspace_id", sa.Uuid(), nullable=False),
    sa.Column("owner_id", sa.Uuid()),
    sa.Column("account_id", sa.Uuid()),
    sa.Column("company", sa.String()),
    sa.Column("contact_name", sa.String(), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column(
        "status",
        sa.Enum(Temperature, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        nullable=False,
    ),
    sa.Column(
        "lifecycle_status",
        sa.Enum(ContactStatus, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        nullable=False,
    ),
    sa.Column("last_message", sa.Text()),
    sa.Column("ai_suggestion", sa.Text()),
    sa.Column("has_ai_draft", sa.Boolean(), nullable=False),
    sa.Column("last_contact_at", UTCDateTime()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

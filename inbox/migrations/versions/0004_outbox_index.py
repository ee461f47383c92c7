"""The send sweeper's index: outbound mail queued or being sent.

``ix_emails_scheduled_due`` covers scheduled mail. The sweeper also looks for
QUEUED mail whose queue message was lost and for SENDING rows whose worker
died mid-delivery; this partial index holds only those rows (a handful at any
time), so neither look scans the emails table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = "delivery_status IN ('queued', 'sending')"


def upgrade() -> None:
    op.create_index(
        "ix_emails_outbox",
        "emails",
        ["delivery_status", "updated_at"],
        unique=False,
        postgresql_where=sa.text(IN_FLIGHT),
        sqlite_where=sa.text(IN_FLIGHT),
    )


def downgrade() -> None:
    op.drop_index("ix_emails_outbox", table_name="emails")

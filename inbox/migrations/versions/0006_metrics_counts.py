"""Metrics rollup: the count behind each average response time, and the rollup's indexes.

``performance_metrics.response_count`` is how many replies the row's
``avg_response_time_minutes`` averages, so figures over several users or days
weight each day's average by it (see ``inbox.metrics.rollup``).

The rollup reads a few days of mail and completed actions at a time, every
few minutes, for every workspace: partial indexes on when outbound mail was
sent, inbound mail received and actions completed let it read just those
days instead of scanning the tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOUND = "direction = 'outbound'"
INBOUND = "direction = 'inbound'"
COMPLETED = "status = 'completed'"


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table to add the named check; PostgreSQL alters it in place.
    with op.batch_alter_table("performance_metrics") as batch:
        batch.add_column(sa.Column("response_count", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch.create_check_constraint(
            op.f("ck_performance_metrics_response_count_non_negative"), sa.text("response_count >= 0")
        )
    op.create_index(
        "ix_emails_outbound_sent_at",
        "emails",
        ["sent_at"],
        unique=False,
        postgresql_where=sa.text(OUTBOUND),
        sqlite_where=sa.text(OUTBOUND),
    )
    op.create_index(
        "ix_emails_inbound_received_at",
        "emails",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text(INBOUND),
        sqlite_where=sa.text(INBOUND),
    )
    op.create_index(
        "ix_actions_completed_at",
        "actions",
        ["completed_at"],
        unique=False,
        postgresql_where=sa.text(COMPLETED),
        sqlite_where=sa.text(COMPLETED),
    )


def downgrade() -> None:
    op.drop_index("ix_actions_completed_at", table_name="actions")
    op.drop_index("ix_emails_inbound_received_at", table_name="emails")
    op.drop_index("ix_emails_outbound_sent_at", table_name="emails")
    with op.batch_alter_table("performance_metrics") as batch:
        batch.drop_constraint(op.f("ck_performance_metrics_response_count_non_negative"), type_="check")
        batch.drop_column("response_count")

"""AI triage: when each inbound email was triaged, and LLM usage per day.

``emails.triaged_at`` is written in the transaction that stores an email's
triage; the partial index ``ix_emails_untriaged`` lets the sweeper find the
inbound mail no triage has read without scanning the table. ``ai_usage``
counts requests, tokens and cost per workspace, rep, UTC day, provider and
model: the daily token budget and ``/api/metrics/ai-usage`` read it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNTRIAGED = "direction = 'inbound' AND triaged_at IS NULL"


def _now() -> sa.TextClause:
    if op.get_context().dialect.name == "sqlite":
        return sa.text("(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')")
    return sa.text("now()")


def upgrade() -> None:
    op.add_column("emails", sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_emails_untriaged",
        "emails",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text(UNTRIAGED),
        sqlite_where=sa.text(UNTRIAGED),
    )
    op.create_table(
        "ai_usage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_key", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("emails", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("requests", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("fallbacks", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens_in", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tokens_out", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_usd", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("tokens_in >= 0", name=op.f("ck_ai_usage_tokens_in_non_negative")),
        sa.CheckConstraint("tokens_out >= 0", name=op.f("ck_ai_usage_tokens_out_non_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ai_usage_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_ai_usage_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_usage")),
        sa.UniqueConstraint(
            "workspace_id",
            "day",
            "user_key",
            "provider",
            "model",
            name=op.f("uq_ai_usage_workspace_id_day_user_key_provider_model"),
        ),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_ai_usage_updated_at BEFORE UPDATE ON ai_usage "
            "FOR EACH ROW EXECUTE FUNCTION inbox_set_updated_at()"
        )


def downgrade() -> None:
    op.drop_table("ai_usage")
    op.drop_index("ix_emails_untriaged", table_name="emails")
    op.drop_column("emails", "triaged_at")

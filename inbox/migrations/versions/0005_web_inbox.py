"""The web inbox: each thread's state for the inbox list, full-text search, what a rep changed in a draft.

``email_threads`` gains the figures the inbox sorts and filters by, kept by
``inbox.threads.state.refresh_threads`` whenever mail arrives, is triaged, read,
sent or archived: ``unread_count``, ``needs_reply``, ``has_draft``, the latest
inbound message's ``intent`` and ``urgency``, and ``attention`` (3: a hot lead
waits for a reply, 2: an urgent one does, 1: a reply or a draft waits, 0:
nothing). ``ix_email_threads_inbox`` serves the inbox's first page (active
threads by attention, then newest) without a sort.

``emails`` keeps the AI's draft as first written (``ai_draft_subject``,
``ai_draft_body``) and, once sent, the edit distance between it and what the rep
sent (``draft_edit_distance``).

On PostgreSQL, ``ix_emails_search`` is a GIN index over the words of each
received email's subject, sender and body, for the inbox's search.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status = 'active'"
# Received mail only: a row of our own outbound mail changes status several times as it is sent, and
# each change would recompute its words for the index.
SEARCHED = "direction = 'inbound'"
PENDING = "status = 'pending'"
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(from_name, '') || ' ' "
    "|| coalesce(from_address, '') || ' ' || coalesce(body_text, ''))"
)


def upgrade() -> None:
    for column in (
        sa.Column("unread_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("needs_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("has_draft", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("attention", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("intent", sa.String(length=32), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
    ):
        op.add_column("email_threads", column)
    op.create_index(
        "ix_email_threads_inbox",
        "email_threads",
        ["workspace_id", "attention", "last_message_at", "id"],
        unique=False,
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )
    op.add_column("emails", sa.Column("ai_draft_subject", sa.Text(), nullable=True))
    op.add_column("emails", sa.Column("ai_draft_body", sa.Text(), nullable=True))
    op.add_column("emails", sa.Column("draft_edit_distance", sa.Integer(), nullable=True))
    op.create_index(
        "ix_actions_pending_thread",
        "actions",
        ["thread_id"],
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_emails_search ON emails USING gin ({SEARCH_DOCUMENT}) WHERE {SEARCHED}")
    # Existing threads: unread mail and waiting drafts (triage refines attention as mail arrives).
    op.execute(
        "UPDATE email_threads SET "
        "unread_count = (SELECT count(*) FROM emails WHERE emails.thread_id = email_threads.id "
        "AND emails.direction = 'inbound' AND emails.inbox_status = 'unread'), "
        "has_draft = EXISTS (SELECT 1 FROM emails WHERE emails.thread_id = email_threads.id "
        "AND emails.direction = 'outbound' AND emails.delivery_status = 'draft')"
    )
    op.execute("UPDATE email_threads SET attention = 1 WHERE has_draft")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_emails_search")
    op.drop_index("ix_actions_pending_thread", table_name="actions")
    for column in ("draft_edit_distance", "ai_draft_body", "ai_draft_subject"):
        op.drop_column("emails", column)
    op.drop_index("ix_email_threads_inbox", table_name="email_threads")
    for column in ("urgency", "intent", "attention", "has_draft", "needs_reply", "unread_count"):
        op.drop_column("email_threads", column)

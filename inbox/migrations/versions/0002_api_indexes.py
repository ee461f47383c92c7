"""An index that counts a temperature's contacts: ``(workspace_id, temperature)``.

The first page of the leads list reports its ``total``: ``count(*)`` of the
workspace's contacts at one temperature (the AI inbox's hot list). PostgreSQL
counts them by an index-only scan; on the four-column index that also sorts
the list (``ix_contacts_workspace_temperature_contact``) every entry is distinct,
so the scan reads each one (about 1,100 pages for 100,000 contacts). In this
two-column index the entries of one workspace and temperature are equal, so
B-tree deduplication stores them as posting lists (about 90 pages): the count
takes a quarter of the time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_contacts_workspace_id_contacts_temperature"


def upgrade() -> None:
    op.create_index(op.f(INDEX), "contacts", ["workspace_id", "temperature"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(INDEX), table_name="contacts")

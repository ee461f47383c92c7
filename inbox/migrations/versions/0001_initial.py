"""The initial schema: every table, on PostgreSQL and SQLite alike.

Generated from the models with ``alembic revision --autogenerate`` and then
edited so that one file builds both dialects. Beyond the tables it creates:

- on both: the ``leads`` view (contacts joined to their company);
- on PostgreSQL only: the ``pg_trgm`` extension with a trigram index for
  contact search and a GIN index on ``contacts.tags``; triggers that keep
  ``updated_at`` (``"updatedAt"`` on Better Auth's tables) current on writes
  made outside the ORM; and the trigger that creates and updates a ``users``
  profile when Better Auth's ``user`` table changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 22:27:24.492092
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def _now() -> sa.TextClause:
    """The database's current time as a column default. On SQLite it is text
    in SQLAlchemy's own datetime format (microseconds included), so defaulted
    values compare and sort like the values the application writes."""
    if op.get_context().dialect.name == "sqlite":
        return sa.text("(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')")
    return sa.text("now()")


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on PostgreSQL, JSON text on SQLite (inbox.core.db.JSONType).
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# In creation order; dropped in reverse.
TABLES = (
    "user",
    "verification",
    "workspaces",
    "account",
    "session",
    "users",
    "accounts",
    "email_accounts",
    "email_templates",
    "invitations",
    "performance_metrics",
    "contacts",
    "mailbox_sync_state",
    "sequences",
    "activities",
    "email_threads",
    "sequence_enrollments",
    "sequence_steps",
    "emails",
    "actions",
    "ai_insights",
    "email_attachments",
    "email_events",
)

BETTER_AUTH_TABLES = (
    "user",
    "session",
    "account",
    "verification",
)

# The leads view: the same SQL on both dialects.
LEADS_VIEW = """
CREATE VIEW leads AS
SELECT
    c.id AS id,
    c.workspace_id AS workspace_id,
    c.owner_id AS owner_id,
    c.account_id AS account_id,
    a.name AS company,
    trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) AS contact_name,
    c.email AS email,
    c.temperature AS status,
    c.status AS lifecycle_status,
    c.last_message AS last_message,
    c.ai_suggestion AS ai_suggestion,
    c.has_ai_draft AS has_ai_draft,
    c.last_contact_at AS last_contact_at,
    c.created_at AS created_at,
    c.updated_at AS updated_at
FROM contacts AS c
LEFT JOIN accounts AS a ON a.id = c.account_id
"""

# updated_at is set to now() unless the UPDATE itself assigned a new value, so
# writes made outside the ORM (psql, another service) keep it current while an
# explicit value (a backfill, a test) is respected.
SET_UPDATED_AT = """
CREATE FUNCTION inbox_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$
"""

SET_AUTH_UPDATED_AT = """
CREATE FUNCTION inbox_set_auth_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."updatedAt" IS NOT DISTINCT FROM OLD."updatedAt" THEN
        NEW."updatedAt" := now();
    END IF;
    RETURN NEW;
END;
$$
"""

# Keeps the application profile (users) in step with Better Auth's "user" row,
# so that a sign-up handled by a separate Better Auth server gets a profile.
#
# The same rules are applied in Python by the sign-up code, which is what runs
# on SQLite. On PostgreSQL both run: the Python code inserts the "user" row,
# this trigger creates the profile in the same transaction, and the Python code
# then finds a profile for the identity and does nothing more. The two must
# therefore agree on the rules:
#
# On INSERT into "user":
#   1. a users row with auth_user_id = NEW.id exists: nothing to do;
#   2. else an invitation for lower(NEW.email) that is neither accepted nor
#      expired (the newest, if several): the profile joins that invitation's
#      workspace with its role, and the invitation is marked accepted;
#   3. else a new workspace named "<name>'s workspace" (the part of the email
#      before '@' when the name is blank), slug 'ws-' || lower(NEW.id) (with a
#      random suffix if that is taken), and a profile with role 'admin'.
#   The profile's email is lower(NEW.email); first_name is the trimmed name up
#   to its first space, last_name the rest (NULL when empty); avatar_url is
#   NEW.image.
# On UPDATE of "user" (email, name or image changed): the same fields are
#   copied into the existing profile.
#
# SECURITY DEFINER: a Better Auth server may connect with a role that can
# write only its own four tables.
SYNC_USER_PROFILE = """
CREATE FUNCTION inbox_sync_user_profile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_name text := btrim(coalesce(NEW.name, ''));
    v_space integer := position(' ' in v_name);
    v_first_name text;
    v_last_name text;
    v_invitation record;
    v_workspace_id uuid;
    v_slug text;
BEGIN
    IF v_space = 0 THEN
        v_first_name := nullif(v_name, '');
        v_last_name := NULL;
    ELSE
        v_first_name := left(v_name, v_space - 1);
        v_last_name := nullif(btrim(substr(v_name, v_space + 1)), '');
    END IF;

    IF TG_OP = 'UPDATE' THEN
        IF NEW.email IS DISTINCT FROM OLD.email
           OR NEW.name IS DISTINCT FROM OLD.name
           OR NEW.image IS DISTINCT FROM OLD.image THEN
            UPDATE users
               SET email = lower(NEW.email),
                   first_name = v_first_name,
                   last_name = v_last_name,
                   avatar_url = NEW.image
             WHERE auth_user_id = NEW.id;
        END IF;
        RETURN NEW;
    END IF;

    IF EXISTS (SELECT 1 FROM users WHERE auth_user_id = NEW.id) THEN
        RETURN NEW;
    END IF;

    SELECT id, workspace_id, role INTO v_invitation
      FROM invitations
     WHERE lower(email) = lower(NEW.email)
       AND accepted_at IS NULL
       AND expires_at > now()
     ORDER BY created_at DESC
     LIMIT 1
       FOR UPDATE;

    IF FOUND THEN
        INSERT INTO users (id, workspace_id, auth_user_id, email, first_name, last_name, role, avatar_url)
        VALUES (gen_random_uuid(), v_invitation.workspace_id, NEW.id, lower(NEW.email),
                v_first_name, v_last_name, v_invitation.role, NEW.image);
        UPDATE invitations SET accepted_at = now() WHERE id = v_invitation.id;
        RETURN NEW;
    END IF;

    v_slug := 'ws-' || lower(NEW.id);
    IF EXISTS (SELECT 1 FROM workspaces WHERE slug = v_slug) THEN
        v_slug := v_slug || '-' || substr(md5(random()::text), 1, 8);
    END IF;
    INSERT INTO workspaces (id, name, slug)
    VALUES (gen_random_uuid(),
            coalesce(nullif(v_name, ''), split_part(NEW.email, '@', 1)) || '''s workspace',
            v_slug)
    RETURNING id INTO v_workspace_id;
    INSERT INTO users (id, workspace_id, auth_user_id, email, first_name, last_name, role, avatar_url)
    VALUES (gen_random_uuid(), v_workspace_id, NEW.id, lower(NEW.email),
            v_first_name, v_last_name, 'admin', NEW.image);
    RETURN NEW;
END;
$$
"""

# Matches inbox.contacts.models.contact_search_document, so searches can use it.
CONTACT_SEARCH_INDEX = """
CREATE INDEX ix_contacts_search_trgm ON contacts USING gin (
    (lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || email)) gin_trgm_ops
)
"""


def _is_postgres() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    _create_tables()
    op.execute(LEADS_VIEW)
    if _is_postgres():
        _create_postgres_extras()


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS leads")
    if _is_postgres():
        op.execute('DROP TRIGGER IF EXISTS trg_user_sync_profile ON "user"')
        op.execute("DROP FUNCTION IF EXISTS inbox_sync_user_profile()")
    # Dropping a table drops its indexes and triggers.
    for table in reversed(TABLES):
        op.drop_table(table)
    if _is_postgres():
        op.execute("DROP FUNCTION IF EXISTS inbox_set_updated_at()")
        op.execute("DROP FUNCTION IF EXISTS inbox_set_auth_updated_at()")
        # pg_trgm stays: it may have been there before, and other objects may use it.


def _create_postgres_extras() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(CONTACT_SEARCH_INDEX)
    op.create_index(
        "ix_contacts_tags_gin",
        "contacts",
        ["tags"],
        postgresql_using="gin",
        postgresql_ops={"tags": "jsonb_path_ops"},
    )

    op.execute(SET_UPDATED_AT)
    op.execute(SET_AUTH_UPDATED_AT)
    for table in TABLES:
        function = "inbox_set_auth_updated_at" if table in BETTER_AUTH_TABLES else "inbox_set_updated_at"
        op.execute(
            f'CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )

    op.execute(SYNC_USER_PROFILE)
    op.execute(
        'CREATE TRIGGER trg_user_sync_profile AFTER INSERT OR UPDATE ON "user" '
        "FOR EACH ROW EXECUTE FUNCTION inbox_sync_user_profile()"
    )


def _create_tables() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("emailVerified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    op.create_table(
        "verification",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification")),
    )
    op.create_index(op.f("ix_verification_identifier"), "verification", ["identifier"], unique=False)
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("domain", sa.String(), nullable=True),
        sa.Column("plan", sa.String(length=32), server_default="free", nullable=False),
        sa.Column(
            "settings",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("slug", name=op.f("uq_workspaces_slug")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("accountId", sa.Text(), nullable=False),
        sa.Column("providerId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("accessToken", sa.Text(), nullable=True),
        sa.Column("refreshToken", sa.Text(), nullable=True),
        sa.Column("idToken", sa.Text(), nullable=True),
        sa.Column("accessTokenExpiresAt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshTokenExpiresAt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["userId"], ["user.id"], name=op.f("fk_account_userId_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
    )
    op.create_index(op.f("ix_account_userId"), "account", ["userId"], unique=False)
    op.create_table(
        "session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("expiresAt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("ipAddress", sa.Text(), nullable=True),
        sa.Column("userAgent", sa.Text(), nullable=True),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["userId"], ["user.id"], name=op.f("fk_session_userId_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session")),
        sa.UniqueConstraint("token", name=op.f("uq_session_token")),
    )
    op.create_index(op.f("ix_session_userId"), "session", ["userId"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("auth_user_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "manager",
                "sales_rep",
                name=op.f("ck_users_users_role"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="sales_rep",
            nullable=False,
        ),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("email_signature", sa.Text(), nullable=True),
        sa.Column(
            "settings",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lower_case")),
        sa.ForeignKeyConstraint(
            ["auth_user_id"], ["user.id"], name=op.f("fk_users_auth_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_users_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("auth_user_id", name=op.f("uq_users_auth_user_id")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_users_workspace_id_email")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=True),
        sa.Column("industry", sa.String(), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("website", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "custom_fields",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "employee_count IS NULL OR employee_count >= 0", name=op.f("ck_accounts_employee_count_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_accounts_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_accounts_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("workspace_id", "domain", name=op.f("uq_accounts_workspace_id_domain")),
    )
    op.create_index(
        op.f("ix_accounts_workspace_id_accounts_created_at_accounts_id"),
        "accounts",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_accounts_workspace_id_accounts_name"), "accounts", ["workspace_id", "name"], unique=False)
    op.create_index(
        op.f("ix_accounts_workspace_id_accounts_owner_id"), "accounts", ["workspace_id", "owner_id"], unique=False
    )
    op.create_table(
        "email_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("email_address", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(), nullable=True),
        sa.Column(
            "provider",
            sa.Enum(
                "gmail",
                "outlook",
                "imap",
                name=op.f("ck_email_accounts_email_accounts_provider"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("imap_host", sa.String(), nullable=True),
        sa.Column("imap_port", sa.Integer(), nullable=True),
        sa.Column("imap_use_ssl", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("smtp_host", sa.String(), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("smtp_use_ssl", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("smtp_starttls", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("username", sa.String(), nullable=True),
        sa.Column("encrypted_password", sa.Text(), nullable=True),
        sa.Column("encrypted_oauth_tokens", sa.Text(), nullable=True),
        sa.Column("daily_send_limit", sa.Integer(), server_default=sa.text("200"), nullable=False),
        sa.Column("sent_today", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent_today_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "error",
                "disconnected",
                "paused",
                name=op.f("ck_email_accounts_email_accounts_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("push_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("daily_send_limit >= 0", name=op.f("ck_email_accounts_daily_send_limit_non_negative")),
        sa.CheckConstraint(
            "imap_port IS NULL OR imap_port BETWEEN 1 AND 65535", name=op.f("ck_email_accounts_imap_port_range")
        ),
        sa.CheckConstraint("sent_today >= 0", name=op.f("ck_email_accounts_sent_today_non_negative")),
        sa.CheckConstraint(
            "smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535", name=op.f("ck_email_accounts_smtp_port_range")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_accounts_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_accounts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_accounts")),
        sa.UniqueConstraint("workspace_id", "email_address", name=op.f("uq_email_accounts_workspace_id_email_address")),
    )
    op.create_index(op.f("ix_email_accounts_user_id"), "email_accounts", ["user_id"], unique=False)
    op.create_table(
        "email_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "tone",
            sa.Enum(
                "professional",
                "friendly",
                "casual",
                "formal",
                name=op.f("ck_email_templates_email_templates_tone"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="professional",
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), server_default="general", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_email_templates_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_email_templates_workspace_id_name")),
    )
    op.create_index(
        "uq_email_templates_default_category",
        "email_templates",
        ["workspace_id", "category"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "manager",
                "sales_rep",
                name=op.f("ck_invitations_invitations_role"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="sales_rep",
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_invitations_invited_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_invitations_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index("ix_invitations_email_lower", "invitations", [sa.literal_column("lower(email)")], unique=False)
    op.create_index(op.f("ix_invitations_workspace_id"), "invitations", ["workspace_id"], unique=False)
    op.create_table(
        "performance_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("emails_sent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("emails_received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("replies_received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reply_rate", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("avg_response_time_minutes", sa.Float(), nullable=True),
        sa.Column("leads_contacted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("meetings_scheduled", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("actions_completed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "actions_completed >= 0", name=op.f("ck_performance_metrics_actions_completed_non_negative")
        ),
        sa.CheckConstraint(
            "avg_response_time_minutes IS NULL OR avg_response_time_minutes >= 0",
            name=op.f("ck_performance_metrics_avg_response_time_minutes_non_negative"),
        ),
        sa.CheckConstraint("emails_received >= 0", name=op.f("ck_performance_metrics_emails_received_non_negative")),
        sa.CheckConstraint("emails_sent >= 0", name=op.f("ck_performance_metrics_emails_sent_non_negative")),
        sa.CheckConstraint("leads_contacted >= 0", name=op.f("ck_performance_metrics_leads_contacted_non_negative")),
        sa.CheckConstraint(
            "meetings_scheduled >= 0", name=op.f("ck_performance_metrics_meetings_scheduled_non_negative")
        ),
        sa.CheckConstraint("replies_received >= 0", name=op.f("ck_performance_metrics_replies_received_non_negative")),
        sa.CheckConstraint("reply_rate >= 0", name=op.f("ck_performance_metrics_reply_rate_non_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_performance_metrics_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_performance_metrics_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_metrics")),
        sa.UniqueConstraint("user_id", "date", name=op.f("uq_performance_metrics_user_id_date")),
    )
    op.create_index(
        op.f("ix_performance_metrics_workspace_id_performance_metrics_date"),
        "performance_metrics",
        ["workspace_id", "date"],
        unique=False,
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("linkedin_url", sa.String(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "contacted",
                "replied",
                "interested",
                "meeting_scheduled",
                "qualified",
                "customer",
                "not_interested",
                "churned",
                name=op.f("ck_contacts_contacts_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="new",
            nullable=False,
        ),
        sa.Column(
            "temperature",
            sa.Enum(
                "hot",
                "warm",
                "cold",
                name=op.f("ck_contacts_contacts_temperature"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="cold",
            nullable=False,
        ),
        sa.Column(
            "tags",
            JSON,
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "custom_fields",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("unsubscribed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bounced", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("ai_suggestion", sa.Text(), nullable=True),
        sa.Column("has_ai_draft", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_contacts_email_lower_case")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_contacts_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_contacts_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_contacts_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("workspace_id", "email", name=op.f("uq_contacts_workspace_id_email")),
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_contacts_account_id"), "contacts", ["workspace_id", "account_id"], unique=False
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_contacts_created_at_contacts_id"),
        "contacts",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contacts_workspace_id_contacts_owner_id"), "contacts", ["workspace_id", "owner_id"], unique=False
    )
    op.create_index(
        "ix_contacts_workspace_temperature_contact",
        "contacts",
        ["workspace_id", "temperature", "last_contact_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_contacts_workspace_last_contact",
        "contacts",
        ["workspace_id", "last_contact_at", "id"],
        unique=False,
    )
    op.create_table(
        "mailbox_sync_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email_account_id", sa.Uuid(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=True),
        sa.Column("highest_modseq", sa.BigInteger(), nullable=True),
        sa.Column("gmail_history_id", sa.String(length=32), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "initial",
                "poll",
                "resync",
                "error",
                name=op.f("ck_mailbox_sync_state_mailbox_sync_state_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="initial",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_account_id"],
            ["email_accounts.id"],
            name=op.f("fk_mailbox_sync_state_email_account_id_email_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_mailbox_sync_state_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_sync_state")),
        sa.UniqueConstraint("email_account_id", "folder", name=op.f("uq_mailbox_sync_state_email_account_id_folder")),
    )
    op.create_index(op.f("ix_mailbox_sync_state_workspace_id"), "mailbox_sync_state", ["workspace_id"], unique=False)
    op.create_table(
        "sequences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "paused",
                "archived",
                name=op.f("ck_sequences_sequences_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("email_account_id", sa.Uuid(), nullable=True),
        sa.Column(
            "settings",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_account_id"],
            ["email_accounts.id"],
            name=op.f("fk_sequences_email_account_id_email_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_sequences_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_sequences_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequences")),
    )
    op.create_index(
        op.f("ix_sequences_workspace_id_sequences_status"), "sequences", ["workspace_id", "status"], unique=False
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "call",
                "meeting",
                "note",
                "email",
                "task",
                name=op.f("ck_activities_activities_type"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column(
            "data",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0",
            name=op.f("ck_activities_duration_minutes_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_activities_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_activities_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activities_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_activities_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(
        "ix_activities_workspace_account_occurred",
        "activities",
        ["workspace_id", "account_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_activities_workspace_contact_occurred",
        "activities",
        ["workspace_id", "contact_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_activities_workspace_id_activities_created_at_activities_id"),
        "activities",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "email_threads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email_account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("normalized_subject", sa.String(), nullable=True),
        sa.Column("thread_identifier", sa.String(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "archived",
                "closed",
                name=op.f("ck_email_threads_email_threads_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("message_count >= 0", name=op.f("ck_email_threads_message_count_non_negative")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_email_threads_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["email_account_id"],
            ["email_accounts.id"],
            name=op.f("fk_email_threads_email_account_id_email_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_threads_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_threads")),
        sa.UniqueConstraint(
            "email_account_id", "thread_identifier", name=op.f("uq_email_threads_email_account_id_thread_identifier")
        ),
    )
    op.create_index(
        op.f("ix_email_threads_workspace_id_email_threads_contact_id"),
        "email_threads",
        ["workspace_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_email_threads_workspace_id_email_threads_last_message_at"),
        "email_threads",
        ["workspace_id", "last_message_at"],
        unique=False,
    )
    op.create_table(
        "sequence_enrollments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("email_account_id", sa.Uuid(), nullable=True),
        sa.Column("enrolled_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "completed",
                "replied",
                "bounced",
                "unsubscribed",
                "stopped",
                "failed",
                name=op.f("ck_sequence_enrollments_sequence_enrollments_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("current_step", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_email_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_reason", sa.String(), nullable=True),
        sa.Column("last_step_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("current_step >= 0", name=op.f("ck_sequence_enrollments_current_step_non_negative")),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sequence_enrollments_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_account_id"],
            ["email_accounts.id"],
            name=op.f("fk_sequence_enrollments_email_account_id_email_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"],
            ["users.id"],
            name=op.f("fk_sequence_enrollments_enrolled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["sequences.id"],
            name=op.f("fk_sequence_enrollments_sequence_id_sequences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sequence_enrollments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrollments")),
    )
    op.create_index(
        "ix_sequence_enrollments_due",
        "sequence_enrollments",
        ["next_email_scheduled_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.create_index(
        op.f("ix_sequence_enrollments_sequence_id_sequence_enrollments_status"),
        "sequence_enrollments",
        ["sequence_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_sequence_enrollments_workspace_contact",
        "sequence_enrollments",
        ["workspace_id", "contact_id"],
        unique=False,
    )
    op.create_index(
        "uq_sequence_enrollments_live_contact",
        "sequence_enrollments",
        ["sequence_id", "contact_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'paused')"),
        sqlite_where=sa.text("status IN ('active', 'paused')"),
    )
    op.create_table(
        "sequence_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("step_order", sa.Integer(), nullable=False),
        sa.Column(
            "step_type",
            sa.Enum(
                "auto_email",
                "manual_email",
                "call",
                "task",
                name=op.f("ck_sequence_steps_sequence_steps_step_type"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="auto_email",
            nullable=False,
        ),
        sa.Column("delay_days", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("thread_with_previous", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("delay_days >= 0", name=op.f("ck_sequence_steps_delay_days_non_negative")),
        sa.CheckConstraint("step_order >= 0", name=op.f("ck_sequence_steps_step_order_non_negative")),
        sa.ForeignKeyConstraint(
            ["sequence_id"], ["sequences.id"], name=op.f("fk_sequence_steps_sequence_id_sequences"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["email_templates.id"],
            name=op.f("fk_sequence_steps_template_id_email_templates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_sequence_steps_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_steps")),
        sa.UniqueConstraint("sequence_id", "step_order", name=op.f("uq_sequence_steps_sequence_id_step_order")),
    )
    op.create_index(op.f("ix_sequence_steps_workspace_id"), "sequence_steps", ["workspace_id"], unique=False)
    op.create_table(
        "emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=True),
        sa.Column("email_account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound",
                "outbound",
                name=op.f("ck_emails_emails_direction"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("from_name", sa.String(), nullable=True),
        sa.Column(
            "to_addresses",
            JSON,
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "cc_addresses",
            JSON,
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "bcc_addresses",
            JSON,
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("reply_to", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column(
            "references",
            JSON,
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "delivery_status",
            sa.Enum(
                "draft",
                "scheduled",
                "queued",
                "sending",
                "sent",
                "delivered",
                "opened",
                "clicked",
                "replied",
                "bounced",
                "failed",
                name=op.f("ck_emails_emails_delivery_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "inbox_status",
            sa.Enum(
                "unread",
                "read",
                "replied",
                "archived",
                name=op.f("ck_emails_emails_inbox_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("is_auto_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_bounce", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("parse_error", sa.Text(), nullable=True),
        sa.Column("raw_size", sa.Integer(), nullable=True),
        sa.Column("raw_storage_key", sa.String(), nullable=True),
        sa.Column("folder", sa.String(), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("gmail_message_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("click_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=True),
        sa.Column("sequence_step_id", sa.Uuid(), nullable=True),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ai_generated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("click_count >= 0", name=op.f("ck_emails_click_count_non_negative")),
        sa.CheckConstraint("open_count >= 0", name=op.f("ck_emails_open_count_non_negative")),
        sa.CheckConstraint("raw_size IS NULL OR raw_size >= 0", name=op.f("ck_emails_raw_size_non_negative")),
        sa.CheckConstraint("retry_count >= 0", name=op.f("ck_emails_retry_count_non_negative")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_emails_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["email_account_id"],
            ["email_accounts.id"],
            name=op.f("fk_emails_email_account_id_email_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["sequence_enrollments.id"],
            name=op.f("fk_emails_enrollment_id_sequence_enrollments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sequence_id"], ["sequences.id"], name=op.f("fk_emails_sequence_id_sequences"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sequence_step_id"],
            ["sequence_steps.id"],
            name=op.f("fk_emails_sequence_step_id_sequence_steps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["email_threads.id"], name=op.f("fk_emails_thread_id_email_threads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_emails_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_emails_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emails")),
        sa.UniqueConstraint(
            "email_account_id",
            "folder",
            "uidvalidity",
            "uid",
            name=op.f("uq_emails_email_account_id_folder_uidvalidity_uid"),
        ),
        sa.UniqueConstraint("enrollment_id", "sequence_step_id", name=op.f("uq_emails_enrollment_id_sequence_step_id")),
        sa.UniqueConstraint("workspace_id", "message_id", name=op.f("uq_emails_workspace_id_message_id")),
    )
    op.create_index(
        "ix_emails_scheduled_due",
        "emails",
        ["scheduled_at"],
        unique=False,
        postgresql_where=sa.text("delivery_status = 'scheduled'"),
        sqlite_where=sa.text("delivery_status = 'scheduled'"),
    )
    op.create_index(op.f("ix_emails_sequence_id"), "emails", ["sequence_id"], unique=False)
    op.create_index(op.f("ix_emails_sequence_step_id"), "emails", ["sequence_step_id"], unique=False)
    op.create_index(
        op.f("ix_emails_thread_id_emails_received_at"), "emails", ["thread_id", "received_at"], unique=False
    )
    op.create_index(
        op.f("ix_emails_workspace_id_emails_contact_id"), "emails", ["workspace_id", "contact_id"], unique=False
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "reply",
                "follow_up",
                "meeting",
                "call",
                "email",
                "task",
                "other",
                name=op.f("ck_actions_actions_type"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "ai",
                "manual",
                "sequence",
                "rule",
                name=op.f("ck_actions_actions_source"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="manual",
            nullable=False,
        ),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name=op.f("ck_actions_actions_priority"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="medium",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "completed",
                "dismissed",
                name=op.f("ck_actions_actions_status"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("thread_id", sa.Uuid(), nullable=True),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        sa.Column("draft_email_id", sa.Uuid(), nullable=True),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "data",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_actions_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"], ["users.id"], name=op.f("fk_actions_assigned_to_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_actions_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_actions_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["draft_email_id"], ["emails.id"], name=op.f("fk_actions_draft_email_id_emails"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["email_id"], ["emails.id"], name=op.f("fk_actions_email_id_emails"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["sequence_enrollments.id"],
            name=op.f("fk_actions_enrollment_id_sequence_enrollments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["email_threads.id"], name=op.f("fk_actions_thread_id_email_threads"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_actions_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index(
        "ix_actions_workspace_assignee_status_due",
        "actions",
        ["workspace_id", "assigned_to_id", "status", "due_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_actions_workspace_id_actions_contact_id"), "actions", ["workspace_id", "contact_id"], unique=False
    )
    op.create_index(
        op.f("ix_actions_workspace_id_actions_created_at_actions_id"),
        "actions",
        ["workspace_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "ai_insights",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("thread_id", sa.Uuid(), nullable=True),
        sa.Column(
            "insight_type",
            sa.Enum(
                "intent",
                "sentiment",
                "urgency",
                "summary",
                "suggestion",
                "temperature",
                "injection_attempt",
                "other",
                name=op.f("ck_ai_insights_ai_insights_insight_type"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column(
            "data",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name=op.f("ck_ai_insights_confidence_range")
        ),
        sa.CheckConstraint("tokens_in IS NULL OR tokens_in >= 0", name=op.f("ck_ai_insights_tokens_in_non_negative")),
        sa.CheckConstraint(
            "tokens_out IS NULL OR tokens_out >= 0", name=op.f("ck_ai_insights_tokens_out_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_ai_insights_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["email_id"], ["emails.id"], name=op.f("fk_ai_insights_email_id_emails"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["email_threads.id"],
            name=op.f("fk_ai_insights_thread_id_email_threads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_ai_insights_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_insights")),
        sa.UniqueConstraint(
            "email_id",
            "insight_type",
            "prompt_version",
            name=op.f("uq_ai_insights_email_id_insight_type_prompt_version"),
        ),
    )
    op.create_index(
        op.f("ix_ai_insights_workspace_id_ai_insights_contact_id"),
        "ai_insights",
        ["workspace_id", "contact_id"],
        unique=False,
    )
    op.create_table(
        "email_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(), nullable=True),
        sa.Column("content_type", sa.String(length=255), server_default="application/octet-stream", nullable=False),
        sa.Column("size_bytes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("content_id", sa.String(), nullable=True),
        sa.Column("is_inline", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("storage_key", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_email_attachments_size_bytes_non_negative")),
        sa.ForeignKeyConstraint(
            ["email_id"], ["emails.id"], name=op.f("fk_email_attachments_email_id_emails"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_attachments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
    )
    op.create_index(op.f("ix_email_attachments_email_id"), "email_attachments", ["email_id"], unique=False)
    op.create_index(op.f("ix_email_attachments_workspace_id"), "email_attachments", ["workspace_id"], unique=False)
    op.create_table(
        "email_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column(
            "event_type",
            sa.Enum(
                "sent",
                "delivered",
                "opened",
                "clicked",
                "bounced",
                "replied",
                "unsubscribed",
                "spam_complaint",
                "deferred",
                name=op.f("ck_email_events_email_events_event_type"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("is_machine", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_event_id", sa.String(), nullable=True),
        sa.Column(
            "data",
            JSON,
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_email_events_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["email_id"], ["emails.id"], name=op.f("fk_email_events_email_id_emails"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_email_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_events")),
        sa.UniqueConstraint("provider", "provider_event_id", name=op.f("uq_email_events_provider_provider_event_id")),
    )
    op.create_index(op.f("ix_email_events_email_id"), "email_events", ["email_id"], unique=False)
    op.create_index(
        "ix_email_events_workspace_type_occurred",
        "email_events",
        ["workspace_id", "event_type", "occurred_at"],
        unique=False,
    )

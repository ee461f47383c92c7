"""The migrations build the schema the models describe, on PostgreSQL and
SQLite, and the database enforces it.

Every test here runs against a database built by ``upgrade()``: the schema is
compared with ``Base.metadata``, and each unique, foreign key, check and
partial-unique constraint is shown to refuse a violating write.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
import warnings
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from inbox.contacts.models import Contact, ContactStatus, Temperature, contact_search_document
from inbox.core.db import Database
from inbox.core.migrate import downgrade_async, upgrade_async
from inbox.models import AuthUser, Base, Workspace, leads

TABLES = Base.metadata.tables
BETTER_AUTH_TABLES = {"user", "session", "account", "verification"}
# Created by the migration on PostgreSQL only, so absent from the models.
POSTGRES_ONLY_INDEXES = {"ix_contacts_search_trgm", "ix_contacts_tags_gin", "ix_emails_search"}
OLD = datetime(2000, 1, 1, tzinfo=UTC)

Row = dict[str, Any]
World = dict[str, list[Row]]


def postgres_test(test: Any) -> Any:
    """Run ``test`` on the PostgreSQL database of the module only."""
    on_postgres = pytest.mark.parametrize("schema_db", ["postgresql"], indirect=True)
    return pytest.mark.postgres_only(on_postgres(test))


# --- a populated workspace: two rows in every table ------------------------


async def seed_world(database: Database) -> World:
    """Two rows in every table, all of them in one workspace (the second row
    of ``workspaces`` excepted), every foreign key set."""
    tag = secrets.token_hex(4)
    now = datetime.now(UTC)
    world: World = {}

    async with database.engine.begin() as conn:

        async def add(name: str, rows: list[Row]) -> list[Row]:
            for row in rows:
                row.setdefault("id", uuid.uuid4())
            await conn.execute(sa.insert(TABLES[name]), rows)
            world[name] = rows
            return rows

        ws = await add("workspaces", [{"name": f"W{k}", "slug": f"seed-{tag}-{k}"} for k in (1, 2)])
        workspace_id = ws[0]["id"]
        auth = await add(
            "user",
            [{"id": f"u{tag}{k}", "name": f"Seed User{k}", "email": f"seed-{tag}-{k}@example.com"} for k in (1, 2)],
        )
        await add(
            "session",
            [
                {"id": f"s{tag}{k}", "token": f"t{tag}{k}", "expiresAt": now + timedelta(days=1), "userId": a["id"]}
                for k, a in enumerate(auth)
            ],
        )
        await add(
            "account",
            [
                {"id": f"a{tag}{k}", "accountId": a["id"], "providerId": "credential", "userId": a["id"]}
                for k, a in enumerate(auth)
            ],
        )
        await add(
            "verification",
            [
                {"id": f"v{tag}{k}", "identifier": f"reset-password:{tag}{k}", "value": "x", "expiresAt": now}
                for k in (1, 2)
            ],
        )
        # On PostgreSQL the trigger on "user" has made the profiles already.
        world["users"] = [await place_profile(conn, a, workspace_id, "admin") for a in auth]
        users = world["users"]

        def each(make: Any) -> list[Row]:
            return [make(k, i) for i, k in enumerate((1, 2))]

        await add(
            "invitations",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "email": f"inv-{tag}-{k}@example.com",
                    "token_hash": hashlib.sha256(f"{tag}{k}".encode()).hexdigest(),
                    "invited_by_id": users[i]["id"],
                    "expires_at": now + timedelta(days=7),
                }
            ),
        )
        boxes = await add(
            "email_accounts",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "user_id": users[i]["id"],
                    "email_address": f"box{k}-{tag}@example.com",
                    "provider": "imap",
                    "imap_port": 993,
                    "smtp_port": 587,
                }
            ),
        )
        await add(
            "mailbox_sync_state",
            each(lambda k, i: {"workspace_id": workspace_id, "email_account_id": boxes[i]["id"], "folder": "INBOX"}),
        )
        companies = await add(
            "accounts",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "owner_id": users[i]["id"],
                    "name": f"Acme {k}",
                    "domain": f"acme{k}-{tag}.example",
                    "employee_count": 10,
                }
            ),
        )
        contacts = await add(
            "contacts",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "account_id": companies[i]["id"],
                    "owner_id": users[i]["id"],
                    "email": f"c{k}-{tag}@example.com",
                }
            ),
        )
        templates = await add(
            "email_templates",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "created_by_id": users[i]["id"],
                    "name": f"T{k}",
                    "body": "Hello {{first_name}}",
                }
            ),
        )
        sequences = await add(
            "sequences",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "owner_id": users[i]["id"],
                    "name": f"S{k}",
                    "email_account_id": boxes[i]["id"],
                }
            ),
        )
        steps = await add(
            "sequence_steps",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "sequence_id": sequences[0]["id"],
                    "step_order": k,
                    "template_id": templates[i]["id"],
                }
            ),
        )
        enrollments = await add(
            "sequence_enrollments",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "sequence_id": sequences[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "email_account_id": boxes[i]["id"],
                    "enrolled_by_id": users[i]["id"],
                }
            ),
        )
        threads = await add(
            "email_threads",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "email_account_id": boxes[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "thread_identifier": f"<root{k}@example.com>",
                }
            ),
        )
        emails = await add(
            "emails",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "thread_id": threads[i]["id"],
                    "email_account_id": boxes[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "user_id": users[i]["id"],
                    "direction": "outbound",
                    "message_id": f"<m{k}-{tag}@example.com>",
                    "folder": "Sent",
                    "uidvalidity": 7,
                    "uid": k,
                    "raw_size": 100,
                    "sequence_id": sequences[i]["id"],
                    "sequence_step_id": steps[i]["id"],
                    "enrollment_id": enrollments[i]["id"],
                }
            ),
        )
        await add(
            "email_attachments",
            each(lambda k, i: {"workspace_id": workspace_id, "email_id": emails[i]["id"], "size_bytes": 10}),
        )
        await add(
            "email_events",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "email_id": emails[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "event_type": "opened",
                    "provider": "test",
                    "provider_event_id": f"ev{k}-{tag}",
                }
            ),
        )
        await add(
            "actions",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "type": "reply",
                    "title": f"Reply {k}",
                    "assigned_to_id": users[i]["id"],
                    "created_by_id": users[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "account_id": companies[i]["id"],
                    "thread_id": threads[i]["id"],
                    "email_id": emails[i]["id"],
                    "draft_email_id": emails[i]["id"],
                    "enrollment_id": enrollments[i]["id"],
                }
            ),
        )
        await add(
            "activities",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "type": "note",
                    "user_id": users[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "account_id": companies[i]["id"],
                    "duration_minutes": 5,
                }
            ),
        )
        await add(
            "ai_insights",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "email_id": emails[i]["id"],
                    "contact_id": contacts[i]["id"],
                    "thread_id": threads[i]["id"],
                    "insight_type": "intent",
                    "confidence": 0.5,
                    "provider": "offline",
                    "model": "offline-1",
                    "prompt_version": "v1",
                    "tokens_in": 1,
                    "tokens_out": 1,
                }
            ),
        )
        await add(
            "ai_usage",
            each(
                lambda k, i: {
                    "workspace_id": workspace_id,
                    "day": date(2024, 1, k),
                    "user_id": users[i]["id"],
                    "user_key": str(users[i]["id"]),
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "emails": 1,
                    "requests": 1,
                    "tokens_in": 900,
                    "tokens_out": 200,
                    "cost_usd": 0.0003,
                }
            ),
        )
        await add(
            "performance_metrics",
            each(lambda k, i: {"workspace_id": workspace_id, "user_id": users[i]["id"], "date": date(2024, 1, k)}),
        )
    assert set(world) == set(TABLES)
    return world


async def place_profile(conn: AsyncConnection, auth_user: Row, workspace_id: uuid.UUID, role: str) -> Row:
    """The profile of ``auth_user`` in ``workspace_id``: the one the trigger
    made (PostgreSQL), moved there, or a new one (SQLite)."""
    users = TABLES["users"]
    values: Row = {
        "workspace_id": workspace_id,
        "auth_user_id": auth_user["id"],
        "email": auth_user["email"].lower(),
        "role": role,
    }
    existing = (
        await conn.execute(sa.select(users.c.id).where(users.c.auth_user_id == auth_user["id"]))
    ).scalar_one_or_none()
    if existing is None:
        values["id"] = uuid.uuid4()
        await conn.execute(sa.insert(users).values(values))
    else:
        values["id"] = existing
        await conn.execute(sa.update(users).where(users.c.id == existing).values(values))
    return values


@pytest.fixture(scope="module")
async def world(schema_db: Database) -> World:
    return await seed_world(schema_db)


def primary_key(table: sa.Table) -> sa.Column[Any]:
    (column,) = table.primary_key.columns
    return column


async def refuses(database: Database, statement: sa.Executable) -> None:
    with pytest.raises(IntegrityError):
        async with database.engine.begin() as conn:
            await conn.execute(statement)


async def accepts(database: Database, statement: sa.Executable) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(statement)


# --- the schema is the models' ---------------------------------------------


async def test_migrated_schema_matches_the_models(schema_db: Database) -> None:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)

    def diff(connection: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # SQLite reports server defaults in its own spelling ('' as "''").
                "compare_server_default": not schema_db.is_sqlite,
                "include_object": include,
            },
        )
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (ix_invitations_email_lower).
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            return list(compare_metadata(context, Base.metadata))

    async with schema_db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_every_table_and_the_leads_view_exist(schema_db: Database) -> None:
    def names(connection: sa.Connection) -> tuple[set[str], list[str]]:
        inspector = sa.inspect(connection)
        return set(inspector.get_table_names()), inspector.get_view_names()

    async with schema_db.engine.connect() as conn:
        tables, views = await conn.run_sync(names)
    assert tables == set(TABLES) | {"alembic_version"}
    assert views == ["leads"]


async def test_check_constraints_are_the_models(schema_db: Database) -> None:
    def reflected(connection: sa.Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(connection)
        return {name: {str(ck["name"]) for ck in inspector.get_check_constraints(name)} for name in TABLES}

    expected = {
        table.name: {str(c.name) for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        for table in TABLES.values()
    }
    async with schema_db.engine.connect() as conn:
        assert await conn.run_sync(reflected) == expected


def test_every_foreign_key_says_what_happens_on_delete() -> None:
    for table in TABLES.values():
        for fk in table.foreign_keys:
            assert fk.ondelete in {"CASCADE", "SET NULL"}, f"{table.name}.{fk.parent.name}"
            if fk.ondelete == "SET NULL":
                assert fk.parent.nullable, f"{table.name}.{fk.parent.name} is SET NULL but NOT NULL"


def test_every_tenant_table_has_an_indexed_workspace_id() -> None:
    for table in TABLES.values():
        if table.name in BETTER_AUTH_TABLES or table.name == "workspaces":
            continue
        column = table.c.workspace_id
        assert not column.nullable
        (fk,) = column.foreign_keys
        assert (fk.column.table.name, fk.ondelete) == ("workspaces", "CASCADE")
        leading = [next(iter(i.columns)) for i in table.indexes] + [
            next(iter(c.columns)) for c in table.constraints if isinstance(c, sa.UniqueConstraint)
        ]
        assert column in leading, table.name


# --- constraints are enforced ----------------------------------------------

UNIQUE_CONSTRAINTS = [
    (table.name, constraint)
    for table in TABLES.values()
    for constraint in table.constraints
    if isinstance(constraint, sa.UniqueConstraint)
]


@pytest.mark.parametrize(
    ("table_name", "constraint"), UNIQUE_CONSTRAINTS, ids=[str(c.name) for _, c in UNIQUE_CONSTRAINTS]
)
async def test_unique_constraint_refuses_a_duplicate(
    schema_db: Database, world: World, table_name: str, constraint: sa.UniqueConstraint
) -> None:
    table = TABLES[table_name]
    first, second = world[table_name]
    duplicate = {column.key: first[column.key] for column in constraint.columns}
    assert None not in duplicate.values()
    await refuses(schema_db, sa.update(table).where(primary_key(table) == second["id"]).values(duplicate))


FOREIGN_KEYS = sorted(
    ((table.name, fk) for table in TABLES.values() for fk in table.foreign_keys),
    key=lambda item: f"{item[0]}.{item[1].parent.name}",
)
FK_IDS = [f"{name}.{fk.parent.name}" for name, fk in FOREIGN_KEYS]


@pytest.mark.parametrize(("table_name", "fk"), FOREIGN_KEYS, ids=FK_IDS)
async def test_foreign_key_refuses_a_missing_row(
    schema_db: Database, world: World, table_name: str, fk: sa.ForeignKey
) -> None:
    table = TABLES[table_name]
    missing: Any = uuid.uuid4() if isinstance(fk.parent.type, sa.Uuid) else f"missing-{secrets.token_hex(4)}"
    row = world[table_name][0]
    await refuses(schema_db, sa.update(table).where(primary_key(table) == row["id"]).values({fk.parent.key: missing}))


@pytest.mark.parametrize(("table_name", "fk"), FOREIGN_KEYS, ids=FK_IDS)
async def test_deleting_the_referenced_row_cascades_or_nulls(
    schema_db: Database, world: World, table_name: str, fk: sa.ForeignKey
) -> None:
    table, parent = TABLES[table_name], fk.column.table
    row = world[table_name][0]
    parent_id = row[fk.parent.key]
    assert parent_id is not None
    async with schema_db.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await conn.execute(sa.delete(parent).where(fk.column == parent_id))
            after = (await conn.execute(sa.select(fk.parent).where(primary_key(table) == row["id"]))).one_or_none()
        finally:
            await transaction.rollback()
    if fk.ondelete == "CASCADE":
        assert after is None
    elif cascades_reach(parent.name, table_name):
        # Also deleted along another path (a thread's emails and their insights).
        assert after is None or after[0] is None
    else:
        assert after is not None
        assert after[0] is None


def cascades_reach(parent: str, child: str) -> bool:
    """Whether deleting a ``parent`` row can delete ``child`` rows by ON DELETE CASCADE."""
    seen, todo = set(), [parent]
    while todo:
        current = todo.pop()
        for table in TABLES.values():
            if table.name not in seen and any(
                fk.ondelete == "CASCADE" and fk.column.table.name == current for fk in table.foreign_keys
            ):
                seen.add(table.name)
                todo.append(table.name)
    return child in seen


async def test_foreign_keys_in_the_database_have_the_models_on_delete(schema_db: Database) -> None:
    def reflected(connection: sa.Connection) -> set[tuple[str, str, str, str | None]]:
        inspector = sa.inspect(connection)
        return {
            (name, fk["constrained_columns"][0], fk["referred_table"], fk["options"].get("ondelete"))
            for name in TABLES
            for fk in inspector.get_foreign_keys(name)
        }

    expected = {(name, fk.parent.name, fk.column.table.name, fk.ondelete) for name, fk in FOREIGN_KEYS}
    async with schema_db.engine.connect() as conn:
        assert await conn.run_sync(reflected) == expected


def _bad_value(table: sa.Table, check: sa.CheckConstraint) -> tuple[str, Any]:
    """A column of ``check`` and a value it must refuse."""
    name = str(check.name).removeprefix(f"ck_{table.name}_")
    explicit: dict[str, tuple[str, Any]] = {
        "email_lower_case": ("email", "Mixed.Case@Example.com"),
        "imap_port_range": ("imap_port", 70000),
        "smtp_port_range": ("smtp_port", 0),
        "confidence_range": ("confidence", 1.5),
    }
    if name in explicit:
        return explicit[name]
    for column in table.columns:
        if isinstance(column.type, sa.Enum) and column.type.name == name:
            return column.key, "not-a-member"
    if name.endswith("_non_negative"):
        column_name = name.removesuffix("_non_negative")
        assert column_name in table.c, f"{check.name}: no column {column_name}"
        return column_name, -1
    raise AssertionError(f"no violating value known for {check.name}: add one to this test")


CHECKS = [
    (table.name, check)
    for table in TABLES.values()
    for check in table.constraints
    if isinstance(check, sa.CheckConstraint)
]


@pytest.mark.parametrize(("table_name", "check"), CHECKS, ids=[str(c.name) for _, c in CHECKS])
async def test_check_constraint_refuses_a_bad_value(
    schema_db: Database, world: World, table_name: str, check: sa.CheckConstraint
) -> None:
    table = TABLES[table_name]
    column, value = _bad_value(table, check)
    row = world[table_name][0]
    # Raw SQL: the ORM's enum type would refuse a non-member before the database sees it.
    statement = sa.text(f'UPDATE "{table_name}" SET "{column}" = :value WHERE id = :id').bindparams(
        sa.bindparam("id", row["id"], type_=primary_key(table).type), value=value
    )
    await refuses(schema_db, statement)


async def new_workspace(database: Database) -> uuid.UUID:
    workspace_id = uuid.uuid4()
    await accepts(
        database,
        sa.insert(TABLES["workspaces"]).values(id=workspace_id, name="W", slug=f"w-{workspace_id.hex}"),
    )
    return workspace_id


async def test_contact_email_is_unique_per_workspace_only(schema_db: Database) -> None:
    contacts = TABLES["contacts"]
    first, second = await new_workspace(schema_db), await new_workspace(schema_db)
    email = f"{secrets.token_hex(4)}@example.com"
    await accepts(schema_db, sa.insert(contacts).values(workspace_id=first, email=email))
    await refuses(schema_db, sa.insert(contacts).values(workspace_id=first, email=email))
    await accepts(schema_db, sa.insert(contacts).values(workspace_id=second, email=email))


async def test_one_default_template_per_category(schema_db: Database) -> None:
    templates = TABLES["email_templates"]
    workspace_id = await new_workspace(schema_db)

    def template(name: str, category: str, *, is_default: bool) -> sa.Insert:
        return sa.insert(templates).values(
            workspace_id=workspace_id, name=name, body="b", category=category, is_default=is_default
        )

    await accepts(schema_db, template("a", "intro", is_default=True))
    await refuses(schema_db, template("b", "intro", is_default=True))
    await accepts(schema_db, template("c", "intro", is_default=False))
    await accepts(schema_db, template("d", "intro", is_default=False))
    await accepts(schema_db, template("e", "follow-up", is_default=True))


async def test_one_live_enrollment_per_contact_and_sequence(schema_db: Database) -> None:
    workspace_id = await new_workspace(schema_db)
    contact_id, sequence_id = uuid.uuid4(), uuid.uuid4()
    await accepts(
        schema_db, sa.insert(TABLES["contacts"]).values(id=contact_id, workspace_id=workspace_id, email="x@example.com")
    )
    await accepts(schema_db, sa.insert(TABLES["sequences"]).values(id=sequence_id, workspace_id=workspace_id, name="S"))

    def enroll(status: str) -> sa.Insert:
        return sa.insert(TABLES["sequence_enrollments"]).values(
            workspace_id=workspace_id, sequence_id=sequence_id, contact_id=contact_id, status=status
        )

    await accepts(schema_db, enroll("completed"))
    await accepts(schema_db, enroll("stopped"))
    await accepts(schema_db, enroll("active"))
    await refuses(schema_db, enroll("active"))
    await refuses(schema_db, enroll("paused"))


async def test_deleting_a_workspace_deletes_its_contacts(schema_db: Database) -> None:
    workspace_id = await new_workspace(schema_db)
    contacts = TABLES["contacts"]
    await accepts(schema_db, sa.insert(contacts).values(workspace_id=workspace_id, email="gone@example.com"))
    await accepts(schema_db, sa.delete(TABLES["workspaces"]).where(TABLES["workspaces"].c.id == workspace_id))
    async with schema_db.engine.connect() as conn:
        left = await conn.scalar(sa.select(sa.func.count()).where(contacts.c.workspace_id == workspace_id))
    assert left == 0


# --- partial indexes ---------------------------------------------------------

PARTIAL_INDEXES = {
    # name: (unique, PostgreSQL's rendering of the predicate, SQLite's)
    "ix_emails_scheduled_due": (
        False,
        "((delivery_status)::text = 'scheduled'::text)",
        "delivery_status = 'scheduled'",
    ),
    "ix_sequence_enrollments_due": (False, "((status)::text = 'active'::text)", "status = 'active'"),
    "uq_sequence_enrollments_live_contact": (
        True,
        "((status)::text = ANY ((ARRAY['active'::character varying, 'paused'::character varying])::text[]))",
        "status IN ('active', 'paused')",
    ),
    "uq_email_templates_default_category": (True, "is_default", "is_default"),
}


@pytest.mark.parametrize("name", sorted(PARTIAL_INDEXES))
async def test_partial_index_has_its_predicate(schema_db: Database, name: str) -> None:
    unique, postgres_predicate, sqlite_predicate = PARTIAL_INDEXES[name]
    async with schema_db.engine.connect() as conn:
        if schema_db.is_sqlite:
            definition = await conn.scalar(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": name}
            )
            assert definition is not None
            assert definition.endswith(f"WHERE {sqlite_predicate}")
        else:
            definition = await conn.scalar(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name}
            )
            assert definition is not None
            assert definition.endswith(f"WHERE {postgres_predicate}")
    assert definition.startswith("CREATE UNIQUE INDEX" if unique else "CREATE INDEX")


async def explain(conn: AsyncConnection, statement: sa.ClauseElement) -> str:
    await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    rows = await conn.execute(sa.text(f"EXPLAIN {compiled}"))
    return "\n".join(row[0] for row in rows)


@postgres_test
async def test_postgres_planner_uses_the_search_and_due_indexes(schema_db: Database) -> None:
    emails, enrollments = TABLES["emails"], TABLES["sequence_enrollments"]
    now = datetime(2030, 1, 1, tzinfo=UTC)
    plans: dict[str, sa.ClauseElement] = {
        "ix_contacts_search_trgm": sa.select(Contact.id).where(contact_search_document.like("%lovelace%")),
        "ix_contacts_tags_gin": sa.text("""SELECT id FROM contacts WHERE tags @> '["vip"]'"""),
        "ix_emails_scheduled_due": sa.select(emails.c.id).where(
            emails.c.delivery_status == "scheduled", emails.c.scheduled_at <= now
        ),
        "ix_sequence_enrollments_due": sa.select(enrollments.c.id).where(
            enrollments.c.status == "active", enrollments.c.next_email_scheduled_at <= now
        ),
    }
    async with schema_db.engine.connect() as conn:
        for index, statement in plans.items():
            assert index in await explain(conn, statement)
            await conn.rollback()


# --- updated_at ----------------------------------------------------------------


@postgres_test
@pytest.mark.parametrize("table_name", sorted(TABLES))
async def test_postgres_trigger_sets_updated_at_on_raw_sql_updates(
    schema_db: Database, world: World, table_name: str
) -> None:
    column = "updatedAt" if table_name in BETTER_AUTH_TABLES else "updated_at"
    row_id = world[table_name][0]["id"]
    async with schema_db.engine.begin() as conn:
        # An UPDATE that assigns the column keeps the value it was given...
        await conn.execute(
            sa.text(f'UPDATE "{table_name}" SET "{column}" = :old WHERE id = :id'), {"old": OLD, "id": row_id}
        )
        kept = await conn.scalar(sa.text(f'SELECT "{column}" FROM "{table_name}" WHERE id = :id'), {"id": row_id})
    async with schema_db.engine.begin() as conn:
        # ...any other UPDATE sets it to now.
        await conn.execute(sa.text(f'UPDATE "{table_name}" SET id = id WHERE id = :id'), {"id": row_id})
        updated, now = (
            await conn.execute(sa.text(f'SELECT "{column}", now() FROM "{table_name}" WHERE id = :id'), {"id": row_id})
        ).one()
    assert kept == OLD
    assert updated == now


async def test_orm_update_sets_updated_at(schema_db: Database, world: World) -> None:
    workspace_id = world["workspaces"][0]["id"]
    contact_id = world["contacts"][0]["id"]
    auth_user_id = world["user"][0]["id"]
    async with schema_db.engine.begin() as conn:
        for model, row_id in ((Workspace, workspace_id), (Contact, contact_id), (AuthUser, auth_user_id)):
            await conn.execute(sa.update(model).where(model.id == row_id).values(updated_at=OLD))
    async with schema_db.transaction() as session:
        workspace = await session.get_one(Workspace, workspace_id)
        contact = await session.get_one(Contact, contact_id)
        auth_user = await session.get_one(AuthUser, auth_user_id)
        assert (workspace.updated_at, contact.updated_at, auth_user.updated_at) == (OLD, OLD, OLD)
        workspace.plan = "team"
        contact.title = "CTO"
        auth_user.email_verified = True
    async with schema_db.sessionmaker() as session:
        for model, row_id in ((Workspace, workspace_id), (Contact, contact_id), (AuthUser, auth_user_id)):
            updated_at = await session.scalar(sa.select(model.updated_at).where(model.id == row_id))
            assert updated_at is not None
            assert updated_at > OLD + timedelta(days=365), model.__name__


# --- the leads view --------------------------------------------------------------


async def test_leads_view_has_the_columns_of_the_leads_table(schema_db: Database) -> None:
    async with schema_db.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: [c["name"] for c in sa.inspect(sync).get_columns("leads")])
    assert columns == [c.name for c in leads.columns]


async def test_leads_view_rows_with_and_without_a_company(schema_db: Database) -> None:
    workspace_id = await new_workspace(schema_db)
    account_id, with_company, without_company = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    contacted = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    async with schema_db.engine.begin() as conn:
        await conn.execute(
            sa.insert(TABLES["accounts"]).values(id=account_id, workspace_id=workspace_id, name="Initech")
        )
        await conn.execute(
            sa.insert(TABLES["contacts"]),
            [
                {
                    "id": with_company,
                    "workspace_id": workspace_id,
                    "account_id": account_id,
                    "email": "ada@initech.example",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "temperature": "hot",
                    "status": "interested",
                    "last_message": "Sounds good",
                    "ai_suggestion": "Book a call",
                    "has_ai_draft": True,
                    "last_contact_at": contacted,
                }
            ],
        )
        await conn.execute(
            sa.insert(TABLES["contacts"]).values(
                id=without_company, workspace_id=workspace_id, email="someone@example.com"
            )
        )
    async with schema_db.engine.connect() as conn:
        rows = {
            row.id: row._asdict()
            for row in await conn.execute(sa.select(leads).where(leads.c.workspace_id == workspace_id))
        }
    assert set(rows) == {with_company, without_company}
    ada, someone = rows[with_company], rows[without_company]
    assert ada == {
        "id": with_company,
        "workspace_id": workspace_id,
        "owner_id": None,
        "account_id": account_id,
        "company": "Initech",
        "contact_name": "Ada Lovelace",
        "email": "ada@initech.example",
        "status": Temperature.HOT,
        "lifecycle_status": ContactStatus.INTERESTED,
        "last_message": "Sounds good",
        "ai_suggestion": "Book a call",
        "has_ai_draft": True,
        "last_contact_at": contacted,
        "created_at": ada["created_at"],
        "updated_at": ada["updated_at"],
    }
    assert isinstance(ada["created_at"], datetime)
    assert ada["created_at"].tzinfo is not None
    assert (someone["company"], someone["account_id"], someone["contact_name"]) == (None, None, "")
    assert (someone["status"], someone["lifecycle_status"], someone["has_ai_draft"]) == (
        Temperature.COLD,
        ContactStatus.NEW,
        False,
    )


# --- PostgreSQL: Better Auth's "user" keeps "users" in step -----------------------


async def insert_auth_user(database: Database, *, name: str, email: str, image: str | None = None) -> str:
    auth_user_id = secrets.token_hex(16)
    await accepts(
        database,
        sa.text(
            'INSERT INTO "user" (id, name, email, "emailVerified", image) VALUES (:id, :name, :email, false, :image)'
        ).bindparams(id=auth_user_id, name=name, email=email, image=image),
    )
    return auth_user_id


async def profile_of(database: Database, auth_user_id: str) -> Row:
    async with database.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT u.workspace_id, u.email, u.first_name, u.last_name, u.role, u.avatar_url, u.is_active, "
                    "w.name AS workspace_name, w.slug AS workspace_slug "
                    "FROM users u JOIN workspaces w ON w.id = u.workspace_id WHERE u.auth_user_id = :id"
                ),
                {"id": auth_user_id},
            )
        ).one()
    return dict(row._mapping)


@postgres_test
async def test_postgres_sign_up_without_invitation_creates_a_workspace_and_an_admin(schema_db: Database) -> None:
    auth_user_id = await insert_auth_user(
        schema_db, name="Grace Brewster Hopper", email="Grace.Hopper@Example.COM", image="https://img.example/g.png"
    )
    profile = await profile_of(schema_db, auth_user_id)
    assert profile == {
        "workspace_id": profile["workspace_id"],
        "email": "grace.hopper@example.com",
        "first_name": "Grace",
        "last_name": "Brewster Hopper",
        "role": "admin",
        "avatar_url": "https://img.example/g.png",
        "is_active": True,
        "workspace_name": "Grace Brewster Hopper's workspace",
        "workspace_slug": f"ws-{auth_user_id.lower()}",
    }


@postgres_test
async def test_postgres_sign_up_with_a_single_word_name(schema_db: Database) -> None:
    auth_user_id = await insert_auth_user(schema_db, name="Plato", email=f"plato-{secrets.token_hex(3)}@example.com")
    profile = await profile_of(schema_db, auth_user_id)
    assert (profile["first_name"], profile["last_name"], profile["workspace_name"]) == (
        "Plato",
        None,
        "Plato's workspace",
    )


@postgres_test
async def test_postgres_sign_up_with_an_invitation_joins_its_workspace(schema_db: Database) -> None:
    workspace_id, elsewhere = await new_workspace(schema_db), await new_workspace(schema_db)
    email = f"invitee-{secrets.token_hex(3)}@example.com"
    invitations = TABLES["invitations"]
    now = datetime.now(UTC)
    live_id, expired_id = uuid.uuid4(), uuid.uuid4()
    await accepts(
        schema_db,
        sa.insert(invitations).values(
            [
                {
                    "id": live_id,
                    "workspace_id": workspace_id,
                    "email": email,
                    "role": "manager",
                    "token_hash": secrets.token_hex(32),
                    "expires_at": now + timedelta(days=3),
                },
                {
                    "id": expired_id,
                    "workspace_id": elsewhere,
                    "email": email,
                    "role": "admin",
                    "token_hash": secrets.token_hex(32),
                    "expires_at": now - timedelta(days=1),
                },
            ]
        ),
    )
    auth_user_id = await insert_auth_user(schema_db, name="In Vitee", email=email.upper())
    profile = await profile_of(schema_db, auth_user_id)
    assert (profile["workspace_id"], profile["role"], profile["email"]) == (workspace_id, "manager", email)
    async with schema_db.engine.connect() as conn:
        accepted = dict(
            (
                await conn.execute(
                    sa.select(invitations.c.id, invitations.c.accepted_at).where(invitations.c.email == email)
                )
            ).all()
        )
        own_workspace = await conn.scalar(
            sa.select(sa.func.count()).where(TABLES["workspaces"].c.slug == f"ws-{auth_user_id.lower()}")
        )
    assert accepted[live_id] is not None
    assert accepted[expired_id] is None
    assert own_workspace == 0


@postgres_test
async def test_postgres_sign_up_with_only_an_expired_invitation_gets_its_own_workspace(schema_db: Database) -> None:
    workspace_id = await new_workspace(schema_db)
    email = f"late-{secrets.token_hex(3)}@example.com"
    await accepts(
        schema_db,
        sa.insert(TABLES["invitations"]).values(
            workspace_id=workspace_id,
            email=email,
            role="sales_rep",
            token_hash=secrets.token_hex(32),
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        ),
    )
    auth_user_id = await insert_auth_user(schema_db, name="Late Comer", email=email)
    profile = await profile_of(schema_db, auth_user_id)
    assert profile["workspace_id"] != workspace_id
    assert profile["role"] == "admin"


@postgres_test
async def test_postgres_updating_the_identity_updates_the_profile(schema_db: Database) -> None:
    auth_user_id = await insert_auth_user(schema_db, name="Old Name", email=f"old-{secrets.token_hex(3)}@example.com")
    before = await profile_of(schema_db, auth_user_id)
    new_email = f"New-{secrets.token_hex(3)}@Example.com"
    await accepts(
        schema_db,
        sa.text('UPDATE "user" SET name = :name, email = :email, image = :image WHERE id = :id').bindparams(
            name="Ada King Lovelace", email=new_email, image="https://img.example/a.png", id=auth_user_id
        ),
    )
    after = await profile_of(schema_db, auth_user_id)
    assert after == {
        **before,
        "email": new_email.lower(),
        "first_name": "Ada",
        "last_name": "King Lovelace",
        "avatar_url": "https://img.example/a.png",
    }


# --- down and up again -------------------------------------------------------------


async def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds(empty_url: str) -> None:
    def contents(connection: sa.Connection) -> tuple[set[str], list[str]]:
        inspector = sa.inspect(connection)
        return set(inspector.get_table_names()) - {"alembic_version"}, inspector.get_view_names()

    async def inspect() -> tuple[set[str], list[str], int]:
        database = Database(empty_url, pool_size=1)
        try:
            async with database.engine.connect() as conn:
                tables, views = await conn.run_sync(contents)
                functions = 0
                if not database.is_sqlite:
                    functions = await conn.scalar(sa.text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'inbox_%'"))
        finally:
            await database.dispose()
        return tables, views, functions

    await upgrade_async(empty_url)
    tables, views, functions = await inspect()
    assert (tables, views) == (set(TABLES), ["leads"])
    assert functions == (0 if empty_url.startswith("sqlite") else 3)

    await downgrade_async(empty_url, "base")
    assert await inspect() == (set(), [], 0)

    await upgrade_async(empty_url)
    assert (await inspect())[:2] == (set(TABLES), ["leads"])

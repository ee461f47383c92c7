"""The fast paths of the contacts and leads lists keep their answers: list
items are msgspec Structs built from rows, so they must be the JSON the
Pydantic shapes of a single record give; the hot list's first page counts in
its own statement; a page that cannot count there still reports its total;
reads run without a transaction on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from inbox.contacts.models import Contact, contact_search_document
from inbox.contacts.repository import search_document
from inbox.core.db import Database, utcnow
from inbox.core.principal import Role
from tests.factories import Member


async def _get(client: httpx.AsyncClient, member: Member, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _contact(client: httpx.AsyncClient, member: Member, **fields: Any) -> dict[str, Any]:
    fields.setdefault("email", f"c-{uuid.uuid4().hex[:10]}@example.com")
    response = await client.post("/api/contacts", json=fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _touch(session: AsyncSession, contact: dict[str, Any], **values: Any) -> None:
    """Lead fields the AI sets, written directly."""
    await session.execute(update(Contact).where(Contact.id == uuid.UUID(contact["id"])).values(**values))
    await session.commit()


async def test_contact_list_items_are_the_contact_shape(
    client: httpx.AsyncClient, team: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    account = (await client.post("/api/accounts", json={"name": "Initech"}, headers=admin.headers)).json()
    full = await _contact(
        client,
        admin,
        first_name="Milton",
        last_name="Waddams",
        title="Collator",
        phone="+1 555 0100",
        linkedin_url="https://example.com/in/milton",
        timezone="America/Chicago",
        account_id=account["id"],
        status="replied",
        temperature="hot",
        tags=["stapler", "basement"],
        custom_fields={"desk": {"floor": -1, "size": 1.5e16}, "flags": [True, None, "red"]},
        source="referral",
        unsubscribed=True,
    )
    await _touch(session, full, last_contact_at=utcnow() - timedelta(days=3, hours=2), has_ai_draft=True)
    bare = await _contact(client, admin, email="nobody-at-all@example.com")
    for contact, q in ((full, "waddams"), (bare, "nobody-at-all")):
        single = await _get(client, admin, f"/api/contacts/{contact['id']}")
        page = await _get(client, admin, "/api/contacts", q=q)
        assert page["items"] == [single]
    listed = (await _get(client, admin, "/api/contacts", q="waddams"))["items"][0]
    assert (listed["full_name"], listed["days_since_contact"]) == ("Milton Waddams", 3)


async def test_lead_list_items_are_the_lead_shape(
    client: httpx.AsyncClient, team: dict[Role, Member], session: AsyncSession
) -> None:
    admin = team[Role.ADMIN]
    account = (await client.post("/api/accounts", json={"name": "Chotchkie's"}, headers=admin.headers)).json()
    contacted = await _contact(
        client, admin, first_name="Joanna", last_name="Flair", account_id=account["id"], temperature="warm"
    )
    await _touch(
        session,
        contacted,
        last_contact_at=utcnow() - timedelta(days=9),
        last_message="Is this about the flair?",
        ai_suggestion="Offer 37 pieces",
        has_ai_draft=True,
    )
    never = await _contact(client, admin, temperature="warm")
    page = await _get(client, admin, "/api/leads", status="warm")
    assert [item["id"] for item in page["items"]] == [contacted["id"], never["id"]]
    for item in page["items"]:
        assert item == await _get(client, admin, f"/api/leads/{item['id']}")
    assert (page["items"][0]["days_since_contact"], page["items"][1]["days_since_contact"]) == (9, None)


def test_search_document_is_the_models_sql() -> None:
    """The trigram index is built over the model's expression: the repository's
    Core copy must compile to the same SQL."""
    for url in ("postgresql+asyncpg://unused@127.0.0.1:1/unused", "sqlite+aiosqlite://"):
        dialect = create_async_engine(url).dialect
        assert str(search_document.compile(dialect=dialect)) == str(contact_search_document.compile(dialect=dialect))


async def test_the_first_leads_page_counts_in_its_own_statement(
    client: httpx.AsyncClient, team: dict[Role, Member], session: AsyncSession, db: Database
) -> None:
    admin = team[Role.ADMIN]
    for i in range(3):
        lead = await _contact(client, admin, first_name=f"Counted{i}", temperature="hot")
        await _touch(session, lead, last_contact_at=utcnow() - timedelta(hours=i + 1))
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "leads" in statement or "contacts" in statement:
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        page = await _get(client, admin, "/api/leads", status="hot", limit=2)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert page["total"] == 3
    assert len(statements) == 1, statements
    assert "count(*)" in statements[0]


async def test_an_empty_page_after_a_cursor_still_counts(
    client: httpx.AsyncClient, team: dict[Role, Member], session: AsyncSession
) -> None:
    """A cursor taken to other filters counts again; when nothing follows the
    cursor under them, the page has no row to carry the count, which is then
    counted apart."""
    admin = team[Role.ADMIN]
    drafted = await _contact(client, admin, email="a-drafted@example.com", temperature="hot")
    plain = await _contact(client, admin, email="b-plain@example.com", temperature="hot")
    await _touch(session, drafted, last_contact_at=utcnow() - timedelta(hours=1), has_ai_draft=True)
    await _touch(session, plain, last_contact_at=utcnow() - timedelta(hours=2))

    first = await _get(client, admin, "/api/leads", status="hot", limit=1)
    assert [item["id"] for item in first["items"]] == [drafted["id"]]
    after = await _get(client, admin, "/api/leads", status="hot", has_ai_draft="true", cursor=first["next_cursor"])
    assert (after["items"], after["total"], after["next_cursor"]) == ([], 1, None)

    by_email = await _get(client, admin, "/api/contacts", sort="email", limit=1)
    assert [item["id"] for item in by_email["items"]] == [drafted["id"]]
    after = await _get(
        client, admin, "/api/contacts", sort="email", has_ai_draft="true", cursor=by_email["next_cursor"]
    )
    assert (after["items"], after["total"], after["next_cursor"]) == ([], 1, None)


@pytest.mark.postgres_only
async def test_reads_run_without_a_transaction(engine_database: Database) -> None:
    """Each statement of a read session is its own transaction (no BEGIN and
    COMMIT round trips); a write session's statements share one."""

    async def moments(factory: Any) -> list[Any]:
        async with factory() as session:
            first = (await session.execute(text("SELECT now()"))).scalar_one()
            await session.execute(text("SELECT pg_sleep(0.01)"))
            return [first, (await session.execute(text("SELECT now()"))).scalar_one()]

    read = await moments(engine_database.read_sessionmaker)
    assert read[1] > read[0]
    write = await moments(engine_database.sessionmaker)
    assert write[1] == write[0]

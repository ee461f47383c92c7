"""Storing a batch of messages: dedupe, threads, contacts, attachments, bounces.

Every source (IMAP, Gmail, provider webhooks) ends here, inside the caller's
transaction: one batch, one commit, then the caller enqueues
``IngestResult.triage``. The batch is written with a handful of set-based
statements, not a round trip per message:

- duplicates are dropped on the (workspace, Message-ID) and
  (mailbox, folder, UIDVALIDITY, UID) keys, first by a lookup and finally by
  ``ON CONFLICT DO NOTHING``, so two syncs racing on the same mail store it once;
- a message with no Message-ID gets a stable one made from its bytes, so a
  re-sync after a UIDVALIDITY change still recognises it;
- the raw bytes always go to the blob store, so a message the parser could
  not read is kept, flagged with ``parse_error`` and can be parsed again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.ingest import leads, threading
from inbox.ingest.blobs import BlobStore, put_blobs
from inbox.ingest.events import mark_bounced
from inbox.ingest.parser import parse_message
from inbox.ingest.types import BounceKind, IncomingMessage, ParsedMessage
from inbox.mailboxes.models import EmailAccount
from inbox.sequences.models import EnrollmentStatus, SequenceEnrollment
from inbox.threads.models import (
    DeliveryStatus,
    Direction,
    Email,
    EmailAttachment,
    EmailEvent,
    EmailEventType,
    EmailThread,
    InboxStatus,
)
from inbox.threads.state import refresh_threads
from inbox.users.models import User

# Longest text kept as a contact's ``last_message`` preview.
PREVIEW_CHARS = 500
_MISSING_ID_DOMAIN = "no-message-id.invalid"


@dataclass(slots=True)
class IngestResult:
    stored: list[uuid.UUID] = field(default_factory=list)
    duplicates: int = 0
    # New inbound emails for the triage workers (enqueue after commit).
    triage: list[uuid.UUID] = field(default_factory=list)
    parse_errors: int = 0
    bounces: int = 0


# A contact as the store needs it: ``id``, ``email`` and ``last_contact_at``.
ContactRef = sa.Row[Any]


@dataclass(slots=True)
class _Item:
    incoming: IncomingMessage
    parsed: ParsedMessage
    message_id: str
    outbound: bool
    at: datetime
    # The subject that threads it (``threading.normalize_subject``).
    subject_key: str | None
    email_id: uuid.UUID = field(default_factory=uuid.uuid4)
    contact_address: str | None = None
    thread_id: uuid.UUID | None = None


def stable_message_id(raw: bytes) -> str:
    """A Message-ID for a message that has none, the same on every sync."""
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@{_MISSING_ID_DOMAIN}"


async def ingest_messages(
    session: AsyncSession,
    account: EmailAccount,
    messages: Sequence[IncomingMessage],
    *,
    blobs: BlobStore,
) -> IngestResult:
    """Parse and store ``messages`` of one mailbox (in the caller's transaction)."""
    return await ingest_parsed(session, account, [(m, parse_message(m.raw)) for m in messages], blobs=blobs)


async def ingest_parsed(
    session: AsyncSession,
    account: EmailAccount,
    batch: Sequence[tuple[IncomingMessage, ParsedMessage]],
    *,
    blobs: BlobStore,
) -> IngestResult:
    """Store already parsed messages (a sync may parse in other processes)."""
    result = IngestResult()
    if not batch:
        return result
    await _plan_each_statement(session, on=True)
    own = await _own_addresses(session, account)
    items = _new_items(account, batch, own, result)
    items = await _drop_stored(session, account, items, result)
    if items:
        contacts = await _resolve_contacts(session, account, items, own)
        await _resolve_threads(session, account, items, contacts)
    await _plan_each_statement(session, on=False)
    if not items:
        return result
    inserted = await _insert_emails(session, account, items, contacts, blobs)
    result.duplicates += len(items) - len(inserted)
    items = [item for item in items if item.email_id in inserted]
    if not items:
        return result

    await _insert_attachments(session, account, items, blobs)
    await _plan_each_statement(session, on=True)
    await _update_threads(session, {item.thread_id for item in items if item.thread_id})
    await _update_contacts(session, items, contacts)
    await _apply_bounces(session, account, items, result)
    await _mark_replied_enrollments(session, account, items, contacts)

    result.stored = [item.email_id for item in items]
    result.parse_errors = sum(1 for item in items if item.parsed.parse_error)
    result.triage = [item.email_id for item in items if not item.outbound]
    return result


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    """A Core INSERT into ``model``'s table that can say ON CONFLICT DO NOTHING, in the session's dialect.

    Core, not the ORM's bulk path: these rows are never loaded as objects, and
    skipping the unit of work halves the cost of a batch."""
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def _plan_each_statement(session: AsyncSession, *, on: bool) -> None:
    """Plan each statement for the tables as they are now (``on``), or use cached plans again (PostgreSQL).

    asyncpg prepares every statement, and after five runs PostgreSQL may keep
    one generic plan for good. A mailbox's first sync starts with its tables
    (nearly) empty, where every plan looks alike; a lookup plan picked then is
    kept while the tables grow by tens of thousands of rows, and one that reads
    every row of the workspace, fine at 100 rows, costs more with every batch.
    Planning a lookup costs a fraction of a millisecond; planning the two bulk
    INSERTs (thousands of parameters) every time costs more than it saves, so
    they use cached plans. JIT compilation (set off by the estimates of the
    thread recount) costs ~10 ms a statement and never pays off on statements
    this short. Both settings are local: they end with the caller's
    transaction, and ``ingest_parsed`` leaves fresh planning on.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    mode = sa.literal("force_custom_plan") if on else _DEFAULT_PLAN_CACHE_MODE
    await session.execute(
        sa.select(sa.func.set_config("plan_cache_mode", mode, True), sa.func.set_config("jit", "off", True))
    )


# The plan_cache_mode that RESET would restore (the server's, database's or role's setting).
_DEFAULT_PLAN_CACHE_MODE = (
    sa.select(sa.column("reset_val"))
    .select_from(sa.table("pg_settings"))
    .where(sa.column("name") == "plan_cache_mode")
    .scalar_subquery()
)


def _each_key(
    session: AsyncSession,
    query: sa.Select[*tuple[Any, ...]],
    key: Any,
    keys: Collection[Any],
    *,
    unique: bool = True,
) -> sa.Select[*tuple[Any, ...]]:
    """``query`` narrowed to the rows whose ``key`` column is one of ``keys``.

    On PostgreSQL as one index probe per key: a LATERAL subquery over the keys
    unnested from one array. ``key IN (...)`` over hundreds of values is costed
    as hundreds of index descents (and, without statistics, as matching every
    row), so a workspace's first big sync got plans that read every row of the
    workspace, or of the table, and filtered them: a cost that grows with the
    mailbox. Give ``query`` no condition that another index could serve as
    well as ``key``'s, or the planner, unable to tell them apart without
    statistics, may take that one. ``unique``: each key matches at most one row.
    ``query`` must select columns, not entities.
    """
    if session.get_bind().dialect.name != "postgresql":
        return query.where(key.in_(keys))
    wanted = sa.func.unnest(sa.literal(list(keys), postgresql.ARRAY(key.type))).table_valued("key").render_derived()
    probe = query.where(key == wanted.c.key)
    # LIMIT or OFFSET keeps the subquery a per-key probe: without either it would be merged into a join.
    probe = probe.limit(1) if unique else probe.offset(0)
    lateral = probe.lateral()
    return sa.select(lateral).select_from(wanted).join(lateral, sa.true())


async def _own_addresses(session: AsyncSession, account: EmailAccount) -> frozenset[str]:
    """The workspace's own people and mailboxes: never leads."""
    users = await session.scalars(sa.select(User.email).where(User.workspace_id == account.workspace_id))
    boxes = await session.scalars(
        sa.select(EmailAccount.email_address).where(EmailAccount.workspace_id == account.workspace_id)
    )
    return frozenset(a.lower() for a in [*users, *boxes, account.email_address] if a)


def _new_items(
    account: EmailAccount,
    batch: Sequence[tuple[IncomingMessage, ParsedMessage]],
    own: frozenset[str],
    result: IngestResult,
) -> list[_Item]:
    items: dict[str, _Item] = {}
    for incoming, parsed in batch:
        message_id = parsed.message_id or stable_message_id(incoming.raw)
        if message_id in items:
            result.duplicates += 1
            continue
        outbound = incoming.outbound or (parsed.from_address is not None and parsed.from_address in own)
        at = incoming.received_at or parsed.date or utcnow()
        item = _Item(incoming, parsed, message_id[:998], outbound, at, threading.normalize_subject(parsed.subject))
        item.contact_address = _counterpart(parsed, outbound, own)
        items[message_id] = item
    return list(items.values())


def _counterpart(parsed: ParsedMessage, outbound: bool, own: frozenset[str]) -> str | None:
    """The lead of a message: its sender, or for the rep's own mail its first outside recipient."""
    if parsed.is_bounce:
        return None
    candidates = [*parsed.to_addresses, *parsed.cc_addresses] if outbound else [parsed.from_address]
    for address in candidates:
        if address and address not in own and leads.is_person_address(address):
            return address
    return None


async def _drop_stored(
    session: AsyncSession, account: EmailAccount, items: list[_Item], result: IngestResult
) -> list[_Item]:
    known_ids = set(
        await session.scalars(
            _each_key(
                session,
                sa.select(Email.message_id).where(Email.workspace_id == account.workspace_id),
                Email.message_id,
                [item.message_id for item in items],
            )
        )
    )
    # By the whole (mailbox, folder, UIDVALIDITY, UID) key, the UIDs bounded by a range: a sync's batch is a
    # run of UIDs, so the index is read over that run only, not over the whole mailbox.
    places: dict[tuple[str | None, int | None], list[int]] = {}
    for item in items:
        if item.incoming.uid is not None:
            places.setdefault((item.incoming.folder, item.incoming.uidvalidity), []).append(item.incoming.uid)
    known_uids: set[tuple[str | None, int | None, int | None]] = set()
    for (folder, uidvalidity), uids in places.items():
        rows = await session.execute(
            sa.select(Email.uid).where(
                Email.email_account_id == account.id,
                Email.folder.is_(None) if folder is None else Email.folder == folder,
                Email.uidvalidity.is_(None) if uidvalidity is None else Email.uidvalidity == uidvalidity,
                Email.uid.between(min(uids), max(uids)),
                Email.uid.in_(uids),
            )
        )
        known_uids.update((folder, uidvalidity, uid) for uid in rows.scalars())
    fresh = [
        item
        for item in items
        if item.message_id not in known_ids
        and (item.incoming.folder, item.incoming.uidvalidity, item.incoming.uid) not in known_uids
    ]
    result.duplicates += len(items) - len(fresh)
    return fresh


async def _resolve_contacts(
    session: AsyncSession, account: EmailAccount, items: list[_Item], own: frozenset[str]
) -> dict[str, ContactRef]:
    """Find or create the contact (and company account) of every counterpart address."""
    names: dict[str, str | None] = {}
    for item in items:
        if item.contact_address and item.contact_address not in names:
            names[item.contact_address] = item.parsed.from_name if not item.outbound else None
    if not names:
        return {}
    workspace_id = account.workspace_id
    query = sa.select(Contact.id, Contact.email, Contact.last_contact_at).where(Contact.workspace_id == workspace_id)
    contacts: dict[str, ContactRef] = {
        row.email: row for row in await session.execute(_each_key(session, query, Contact.email, names))
    }
    missing = [address for address in names if address not in contacts]
    if missing:
        account_ids = await _resolve_accounts(session, workspace_id, missing, account.user_id)
        rows = []
        for address in missing:
            first, last = leads.split_name(names[address])
            domain = leads.company_domain(address)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "workspace_id": workspace_id,
                    "email": address,
                    "first_name": first,
                    "last_name": last,
                    "account_id": account_ids.get(domain) if domain else None,
                    "owner_id": account.user_id,
                    "source": "inbound_email",
                }
            )
        await session.execute(_insert(session, Contact).on_conflict_do_nothing(), rows)
        contacts.update(
            {row.email: row for row in await session.execute(_each_key(session, query, Contact.email, missing))}
        )
    return contacts


async def _resolve_accounts(
    session: AsyncSession, workspace_id: uuid.UUID, addresses: list[str], owner_id: uuid.UUID | None
) -> dict[str, uuid.UUID]:
    domains = sorted({d for d in map(leads.company_domain, addresses) if d})
    if not domains:
        return {}
    query = sa.select(Account.domain, Account.id).where(
        Account.workspace_id == workspace_id, Account.domain.in_(domains)
    )
    found: dict[str, uuid.UUID] = {row.domain: row.id for row in await session.execute(query)}
    rows = [
        {
            "id": uuid.uuid4(),
            "workspace_id": workspace_id,
            "domain": d,
            "name": leads.account_name(d),
            "owner_id": owner_id,
        }
        for d in domains
        if d not in found
    ]
    if rows:
        await session.execute(_insert(session, Account).on_conflict_do_nothing(), rows)
        found = {row.domain: row.id for row in await session.execute(query)}
    return found


async def _resolve_threads(
    session: AsyncSession, account: EmailAccount, items: list[_Item], contacts: dict[str, ContactRef]
) -> None:
    """Give every item a thread: by Gmail threadId, by headers, by subject, or a new one."""
    # Process oldest first so that, within a batch, a parent opens the thread its replies join.
    items = sorted(items, key=lambda item: item.at)
    keys: dict[str, str] = {}  # item message_id -> thread identifier
    linked: dict[str, list[str]] = {}
    for item in items:
        if item.incoming.gmail_thread_id:
            keys[item.message_id] = f"gmail:{item.incoming.gmail_thread_id}"
        else:
            keys[item.message_id] = threading.root_identifier(item.parsed, item.message_id)
            linked[item.message_id] = threading.linked_ids(item.parsed)

    # Stored messages this batch replies to, and threads already keyed by a root we computed.
    referenced = {ref for refs in linked.values() for ref in refs}
    by_message: dict[str, uuid.UUID] = {}
    if referenced:
        query = sa.select(Email.message_id, Email.thread_id, Email.email_account_id).where(
            Email.workspace_id == account.workspace_id
        )
        rows = await session.execute(_each_key(session, query, Email.message_id, referenced))
        by_message = {
            row.message_id: row.thread_id
            for row in rows
            if row.email_account_id == account.id and row.thread_id is not None
        }
    threads = sa.select(EmailThread.thread_identifier, EmailThread.id).where(EmailThread.email_account_id == account.id)
    wanted = set(keys.values()) | {item.message_id for item in items}
    by_key = {
        row.thread_identifier: row.id
        for row in await session.execute(_each_key(session, threads, EmailThread.thread_identifier, wanted))
    }

    new_threads: dict[str, dict[str, Any]] = {}
    unlinked: list[_Item] = []
    for item in items:
        key = keys[item.message_id]
        thread_id = by_key.get(key) or by_key.get(item.message_id)
        if thread_id is None:
            thread_id = next((by_message[ref] for ref in linked.get(item.message_id, []) if ref in by_message), None)
        if thread_id is None and key in new_threads:
            thread_id = new_threads[key]["id"]
        if thread_id is None and not item.incoming.gmail_thread_id and not linked.get(item.message_id):
            unlinked.append(item)
            continue
        if thread_id is None:
            thread_id = _new_thread(new_threads, account, item, key, contacts)
        item.thread_id = thread_id
        by_message[item.message_id] = thread_id

    by_subject = await _threads_by_subject(session, account, unlinked, contacts)
    # Unlinked mail of this batch by (contact, subject): later mail of a group joins an earlier one's thread.
    groups: dict[tuple[uuid.UUID, str], list[_Item]] = {}
    for item in unlinked:
        contact = contacts.get(item.contact_address or "")
        if item.subject_key and contact:
            groups.setdefault((contact.id, item.subject_key), []).append(item)
    for item in unlinked:
        key = keys[item.message_id]
        item.thread_id = by_subject.get(item.message_id) or _new_thread(new_threads, account, item, key, contacts)
        contact = contacts.get(item.contact_address or "")
        if item.subject_key and contact:
            for other in groups[(contact.id, item.subject_key)]:
                if (
                    other.thread_id is None
                    and other.message_id not in by_subject
                    and abs(other.at - item.at) <= threading.SUBJECT_WINDOW
                ):
                    by_subject[other.message_id] = item.thread_id

    if new_threads:
        await session.execute(_insert(session, EmailThread).on_conflict_do_nothing(), list(new_threads.values()))
        # A concurrent sync may have created the same thread: use whichever row won.
        winners = {
            row.thread_identifier: row.id
            for row in await session.execute(_each_key(session, threads, EmailThread.thread_identifier, new_threads))
        }
        remap = {
            row["id"]: winners[key] for key, row in new_threads.items() if winners.get(key, row["id"]) != row["id"]
        }
        for item in items:
            if item.thread_id in remap:
                item.thread_id = remap[item.thread_id]


def _new_thread(
    new_threads: dict[str, dict[str, Any]],
    account: EmailAccount,
    item: _Item,
    key: str,
    contacts: dict[str, ContactRef],
) -> uuid.UUID:
    if key in new_threads:
        return uuid.UUID(str(new_threads[key]["id"]))
    contact = contacts.get(item.contact_address or "")
    thread_id = uuid.uuid4()
    new_threads[key] = {
        "id": thread_id,
        "workspace_id": account.workspace_id,
        "email_account_id": account.id,
        "contact_id": contact.id if contact else None,
        "subject": _clip(item.parsed.subject, 998),
        "normalized_subject": item.subject_key,
        "thread_identifier": key[:998],
        "last_message_at": item.at,
        "message_count": 0,
    }
    return thread_id


async def _threads_by_subject(
    session: AsyncSession, account: EmailAccount, items: list[_Item], contacts: dict[str, ContactRef]
) -> dict[str, uuid.UUID]:
    """For mail that names no parent: the latest stored thread with its subject and contact within the window."""
    wanted: dict[str, tuple[str, uuid.UUID, datetime]] = {}
    for item in items:
        contact = contacts.get(item.contact_address or "")
        if item.subject_key is not None and contact is not None:
            wanted[item.message_id] = (item.subject_key, contact.id, item.at)
    if not wanted:
        return {}
    # Probed by contact through the (workspace, contact) index; the window is checked below (a range on
    # last_message_at would offer the planner the (workspace, last_message_at) index, which it can't tell
    # from the contact index without statistics).
    query = sa.select(
        EmailThread.id, EmailThread.normalized_subject, EmailThread.contact_id, EmailThread.last_message_at
    ).where(
        EmailThread.workspace_id == account.workspace_id,
        EmailThread.email_account_id == account.id,
        EmailThread.normalized_subject.in_({subject for subject, _, _ in wanted.values()}),
        EmailThread.last_message_at.is_not(None),
    )
    contact_ids = {contact_id for _, contact_id, _ in wanted.values()}
    rows = await session.execute(_each_key(session, query, EmailThread.contact_id, contact_ids, unique=False))
    candidates: dict[tuple[str | None, uuid.UUID | None], list[tuple[uuid.UUID, datetime | None]]] = {}
    for row in sorted(rows, key=lambda row: row.last_message_at, reverse=True):
        candidates.setdefault((row.normalized_subject, row.contact_id), []).append((row.id, row.last_message_at))
    found: dict[str, uuid.UUID] = {}
    for message_id, (subject, contact_id, at) in wanted.items():
        for thread_id, last in candidates.get((subject, contact_id), []):
            if last is not None and abs(last - at) <= threading.SUBJECT_WINDOW:
                found[message_id] = thread_id
                break
    return found


async def _insert_emails(
    session: AsyncSession,
    account: EmailAccount,
    items: list[_Item],
    contacts: dict[str, ContactRef],
    blobs: BlobStore,
) -> set[uuid.UUID]:
    rows = []
    for item in items:
        parsed, incoming = item.parsed, item.incoming
        contact = contacts.get(item.contact_address or "")
        rows.append(
            {
                "id": item.email_id,
                "workspace_id": account.workspace_id,
                "thread_id": item.thread_id,
                "email_account_id": account.id,
                "contact_id": contact.id if contact else None,
                "user_id": account.user_id,
                "direction": Direction.OUTBOUND if item.outbound else Direction.INBOUND,
                "from_address": _clip(parsed.from_address, 320),
                "from_name": _clip(parsed.from_name, 998),
                "to_addresses": parsed.to_addresses,
                "cc_addresses": parsed.cc_addresses,
                "bcc_addresses": parsed.bcc_addresses,
                "reply_to": _clip(parsed.reply_to, 998),
                "subject": _clip(parsed.subject, 998),
                "body_text": parsed.body_text,
                "body_html": parsed.body_html,
                "reply_text": parsed.reply_text,
                "message_id": item.message_id,
                "in_reply_to": _clip(parsed.in_reply_to, 998),
                "references": parsed.references,
                "delivery_status": DeliveryStatus.SENT if item.outbound else None,
                "inbox_status": None if item.outbound else (InboxStatus.READ if incoming.seen else InboxStatus.UNREAD),
                "is_auto_reply": parsed.is_auto_reply,
                "is_bounce": parsed.is_bounce,
                "parse_error": parsed.parse_error,
                "raw_size": len(incoming.raw),
                "raw_storage_key": put_blobs(incoming.raw, parsed, blobs).raw_storage_key,
                "folder": incoming.folder,
                "uidvalidity": incoming.uidvalidity,
                "uid": incoming.uid,
                "gmail_message_id": incoming.gmail_message_id,
                "received_at": None if item.outbound else item.at,
                "sent_at": item.at if item.outbound else None,
            }
        )
    statement = _insert(session, Email).on_conflict_do_nothing().returning(Email.__table__.c.id)
    inserted = await session.scalars(statement, rows)
    return set(inserted)


async def _insert_attachments(
    session: AsyncSession, account: EmailAccount, items: list[_Item], blobs: BlobStore
) -> None:
    rows = []
    for item in items:
        for attachment in put_blobs(item.incoming.raw, item.parsed, blobs).attachments:
            key = attachment.storage_key
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "workspace_id": account.workspace_id,
                    "email_id": item.email_id,
                    "filename": _clip(attachment.filename, 998),
                    "content_type": (attachment.content_type or "application/octet-stream")[:255],
                    "size_bytes": attachment.size,
                    "content_id": _clip(attachment.content_id, 998),
                    "is_inline": attachment.is_inline,
                    "storage_key": key,
                    "sha256": key,
                }
            )
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(_insert(session, EmailAttachment), rows)
        return
    # COPY: a batch's hundreds of attachments in one round trip, not one INSERT each (executemany).
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    assert driver is not None  # an open connection's asyncpg connection
    await driver.copy_records_to_table(
        EmailAttachment.__tablename__, columns=list(rows[0]), records=[tuple(row.values()) for row in rows]
    )


async def _update_threads(session: AsyncSession, thread_ids: set[uuid.UUID]) -> None:
    """Recount the touched threads from their emails (exact whatever the arrival order), with the rest of
    what the inbox shows of them (:mod:`inbox.threads.state`), in one write per thread."""
    await refresh_threads(session, thread_ids)


async def _update_contacts(session: AsyncSession, items: list[_Item], contacts: dict[str, ContactRef]) -> None:
    """Move each contact's ``last_contact_at`` and ``last_message`` forward to its newest human message."""
    newest: dict[uuid.UUID, _Item] = {}
    for item in items:
        contact = contacts.get(item.contact_address or "")
        if contact is None or item.parsed.is_auto_reply:
            continue
        current = newest.get(contact.id)
        if current is None or item.at > current.at:
            newest[contact.id] = item
    with_preview: list[dict[str, Any]] = []
    without_preview: list[dict[str, Any]] = []
    for contact_id, item in newest.items():
        contact = contacts[item.contact_address or ""]
        if contact.last_contact_at is not None and contact.last_contact_at >= item.at:
            continue
        if item.outbound:
            without_preview.append({"b_id": contact_id, "b_at": item.at})
        else:
            preview = (item.parsed.reply_text or item.parsed.body_text or item.parsed.subject or "").strip()
            with_preview.append({"b_id": contact_id, "b_at": item.at, "b_preview": preview[:PREVIEW_CHARS] or None})
    table: sa.Table = Contact.__table__  # type: ignore[assignment]
    updates: tuple[tuple[list[dict[str, Any]], dict[str, Any]], ...] = (
        (with_preview, {"last_contact_at": sa.bindparam("b_at"), "last_message": sa.bindparam("b_preview")}),
        (without_preview, {"last_contact_at": sa.bindparam("b_at")}),
    )
    for rows, values in updates:
        if rows:
            statement = sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(values)
            await session.execute(statement, rows)


async def _apply_bounces(
    session: AsyncSession, account: EmailAccount, items: list[_Item], result: IngestResult
) -> None:
    """Each recipient a DSN reports: an event on our last mail to them; a hard bounce also marks the contact
    bounced and stops its sequences. A soft bounce (4.x.x) is recorded as deferred, nothing more."""
    reports = [
        (item, recipient) for item in items if item.parsed.is_bounce for recipient in item.parsed.bounced_recipients
    ]
    result.bounces = sum(1 for item in items if item.parsed.is_bounce)
    if not reports:
        return
    workspace_id = account.workspace_id
    addresses = {recipient.address.strip().lower() for _, recipient in reports}
    contact_ids: dict[str, uuid.UUID] = {
        row.email: row.id
        for row in await session.execute(
            sa.select(Contact.email, Contact.id).where(
                Contact.workspace_id == workspace_id, Contact.email.in_(addresses)
            )
        )
    }
    latest: dict[uuid.UUID, uuid.UUID] = {}
    if contact_ids:
        sent = await session.execute(
            sa.select(Email.contact_id, Email.id)
            .where(
                Email.workspace_id == workspace_id,
                Email.direction == Direction.OUTBOUND,
                Email.contact_id.in_(set(contact_ids.values())),
            )
            .order_by(Email.contact_id, sa.func.coalesce(Email.sent_at, Email.created_at).desc())
        )
        for row in sent:
            latest.setdefault(row.contact_id, row.id)

    hard_contacts: set[uuid.UUID] = set()
    bounced_emails: set[uuid.UUID] = set()
    events = []
    for item, recipient in reports:
        address = recipient.address.strip().lower()
        contact_id = contact_ids.get(address)
        original = latest.get(contact_id) if contact_id else None
        if recipient.kind == BounceKind.HARD and contact_id:
            hard_contacts.add(contact_id)
        if recipient.kind != BounceKind.SOFT and original:
            bounced_emails.add(original)
        events.append(
            {
                "id": uuid.uuid4(),
                "workspace_id": workspace_id,
                "email_id": original,
                "contact_id": contact_id,
                "event_type": EmailEventType.DEFERRED if recipient.kind == BounceKind.SOFT else EmailEventType.BOUNCED,
                "occurred_at": item.at,
                "provider": "dsn",
                "provider_event_id": f"{item.message_id}/{address}"[:998],
                "data": {
                    "recipient": address,
                    "kind": str(recipient.kind),
                    "status": recipient.status,
                    "action": recipient.action,
                    "diagnostic": _clip(recipient.diagnostic, 1000),
                    "dsn_email_id": str(item.email_id),
                },
            }
        )
    await session.execute(_insert(session, EmailEvent).on_conflict_do_nothing(), events)
    if bounced_emails:
        await session.execute(
            sa.update(Email)
            .where(Email.id.in_(bounced_emails))
            .values(delivery_status=DeliveryStatus.BOUNCED)
            .execution_options(synchronize_session=False)
        )
    if hard_contacts:
        await mark_bounced(session, hard_contacts, utcnow())
        await session.execute(
            sa.update(SequenceEnrollment)
            .where(
                SequenceEnrollment.workspace_id == workspace_id,
                SequenceEnrollment.contact_id.in_(hard_contacts),
                SequenceEnrollment.status.in_([EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED]),
            )
            .values(status=EnrollmentStatus.BOUNCED, stopped_reason="bounced", next_email_scheduled_at=None)
            .execution_options(synchronize_session=False)
        )


async def _mark_replied_enrollments(
    session: AsyncSession, account: EmailAccount, items: list[_Item], contacts: dict[str, ContactRef]
) -> None:
    """A person's reply in a thread a sequence started stops that enrollment (status replied)."""
    replies = [
        item
        for item in items
        if not item.outbound and not item.parsed.is_bounce and not item.parsed.is_auto_reply and item.thread_id
    ]
    if not replies:
        return
    thread_ids = {item.thread_id for item in replies}
    # Probed by thread; the workspace is checked here, as a condition on it would offer the planner
    # the (workspace, contact) index, which it can't tell from the thread index without statistics.
    query = sa.select(Email.enrollment_id, Email.workspace_id).where(Email.enrollment_id.is_not(None))
    rows = await session.execute(_each_key(session, query, Email.thread_id, thread_ids, unique=False))
    enrollment_ids = {row.enrollment_id for row in rows if row.workspace_id == account.workspace_id}
    if not enrollment_ids:
        return
    await session.execute(
        sa.update(SequenceEnrollment)
        .where(
            SequenceEnrollment.workspace_id == account.workspace_id,
            SequenceEnrollment.id.in_(enrollment_ids),
            SequenceEnrollment.status.in_([EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED]),
        )
        .values(
            status=EnrollmentStatus.REPLIED,
            stopped_reason="replied",
            completed_at=utcnow(),
            next_email_scheduled_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value

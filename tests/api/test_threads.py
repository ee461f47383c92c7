"""The read API over ingested mail: what the ingestion store keeps is what /api/threads and /api/emails show.

Every message here goes through ``inbox.ingest.store.ingest_messages`` into the app's own blob store, so
the API is tested against real stored rows and bytes, an unparseable message and a bounce included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.threads import download_headers, safe_media_type
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore, blob_key
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from tests.api.paging import walk_pages
from tests.factories import Member
from tests.ingest.factories import make_mailbox, message
from tests.ingest.test_store import DSN

Client = AsyncTestClient[Litestar]

NOV = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
GARBAGE = b"\xff\xfe\x00garbage"
HTML_ATTACHMENT = b"<html><script>steal(document.cookie)</script></html>"
PDF = b"%PDF-1.4 the contract"
GERMAN_NAME = 'Angebot für Q4 "final"; v2.pdf'


@pytest.fixture
def blobs(settings: Settings) -> LocalBlobStore:
    """The store the app reads from (``settings.blob_dir``)."""
    return LocalBlobStore(settings.blob_dir)


async def ingest(
    session: AsyncSession, mailbox: EmailAccount, blobs: LocalBlobStore, *raws: bytes, **where: Any
) -> list[str]:
    """Store ``raws`` as one batch and commit; the new emails' ids."""
    result = await ingest_messages(session, mailbox, [IncomingMessage(raw=raw, **where) for raw in raws], blobs=blobs)
    await session.commit()
    return [str(email_id) for email_id in result.stored]


def contract_mail() -> bytes:
    """Bob's mail: an HTML body with a script, a PDF, an HTML attachment and a filename that needs encoding."""
    msg = EmailMessage()
    msg["From"] = "Bob Buyer <bob@globex.example>"
    msg["To"] = "boss@ourco.example"
    msg["Subject"] = "Contract"
    msg["Message-ID"] = "<b1@test.example>"
    msg["Date"] = "Tue, 03 Nov 2026 09:00:00 +0000"
    msg.set_content("Contract attached.\n")
    msg.add_alternative('<p onclick="steal()">Contract <b>attached</b>.</p><script>steal()</script>', subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="contract.pdf")
    msg.add_attachment(HTML_ATTACHMENT, maintype="text", subtype="html", filename="../../invoice.html")
    msg.add_attachment(b"v2", maintype="application", subtype="pdf", filename=GERMAN_NAME)
    return msg.as_bytes()


@dataclass
class Inbox:
    """What the team's three mailboxes received, by name: email ids (``j1``...) and thread ids (``A``...)."""

    rep_box: EmailAccount
    manager_box: EmailAccount
    shared_box: EmailAccount
    emails: dict[str, str]
    threads: dict[str, str]
    jane: str  # contact ids
    bob: str
    carol: str


@pytest.fixture
async def inbox(
    client: Client, session: AsyncSession, settings: Settings, team: dict[Role, Member], blobs: LocalBlobStore
) -> Inbox:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    workspace_id = admin.workspace_id
    rep_box = await make_mailbox(
        session, settings, workspace_id=workspace_id, user_id=rep.user.id, address="rep@ourco.example"
    )
    manager_box = await make_mailbox(
        session, settings, workspace_id=workspace_id, user_id=manager.user.id, address="boss@ourco.example"
    )
    shared_box = await make_mailbox(session, settings, workspace_id=workspace_id, address="sales@ourco.example")
    await session.commit()

    emails: dict[str, str] = {}
    jane = "Jane Buyer <jane@acme-corp.example>"
    (emails["j1"],) = await ingest(
        session, rep_box, blobs, message(sender=jane, message_id="<j1@test.example>", date=NOV)
    )
    (emails["r1"],) = await ingest(
        session,
        rep_box,
        blobs,
        message(
            sender="Rita Rep <rep@ourco.example>",
            to=jane,
            subject="Re: Pricing question",
            body="It is 20 EUR a seat.\n",
            message_id="<r1@test.example>",
            in_reply_to="<j1@test.example>",
            date=NOV + timedelta(hours=1),
        ),
        folder="Sent",
        uidvalidity=1,
        uid=1,
        outbound=True,
    )
    (emails["j2"],) = await ingest(
        session,
        rep_box,
        blobs,
        message(
            sender=jane,
            subject="Re: Pricing question",
            body=(
                "Great,\n  send the contract.\n\n"
                "On Mon, Nov 2, 2026 at 10:00 AM Rita Rep <rep@ourco.example> wrote:\n> It is 20 EUR a seat.\n"
            ),
            message_id="<j2@test.example>",
            in_reply_to="<r1@test.example>",
            references=["<j1@test.example>", "<r1@test.example>"],
            date=NOV + timedelta(hours=2),
        ),
    )
    (emails["e1"],) = await ingest(
        session,
        manager_box,
        blobs,
        message(
            sender=jane,
            to="boss@ourco.example",
            subject="Intro via Max",
            message_id="<e1@test.example>",
            date=NOV + timedelta(hours=4),
        ),
    )
    (emails["c1"],) = await ingest(
        session,
        shared_box,
        blobs,
        message(
            sender="carol@initech.example",
            to="sales@ourco.example",
            subject="Demo request",
            message_id="<c1@test.example>",
            date=NOV + timedelta(hours=5),
        ),
    )
    (emails["b1"],) = await ingest(session, manager_box, blobs, contract_mail())
    (emails["ooo"],) = await ingest(
        session,
        manager_box,
        blobs,
        message(
            sender="bob@globex.example",
            to="boss@ourco.example",
            subject="Out of Office: back Monday",
            message_id="<ooo@test.example>",
            date=NOV + timedelta(days=1, hours=1),
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    (emails["dsn"],) = await ingest(session, manager_box, blobs, DSN, received_at=NOV + timedelta(days=2))
    (emails["garbage"],) = await ingest(session, manager_box, blobs, GARBAGE, received_at=NOV + timedelta(days=3))

    threads = {}
    contacts = {}
    for name, email_id in {
        "A": "j1",
        "E": "e1",
        "D": "c1",
        "B": "b1",
        "OOO": "ooo",
        "DSN": "dsn",
        "G": "garbage",
    }.items():
        email = (await client.get(f"/api/emails/{emails[email_id]}", headers=admin.headers)).json()
        threads[name] = email["thread_id"]
        contacts[name] = email["contact_id"]
    return Inbox(
        rep_box=rep_box,
        manager_box=manager_box,
        shared_box=shared_box,
        emails=emails,
        threads=threads,
        jane=contacts["A"],
        bob=contacts["B"],
        carol=contacts["D"],
    )


async def _page(client: Client, path: str, member: Member, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params={"limit": 200, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _thread_names(client: Client, inbox: Inbox, member: Member, **params: Any) -> list[str]:
    names = {thread_id: name for name, thread_id in inbox.threads.items()}
    return [names[item["id"]] for item in (await _page(client, "/api/threads", member, **params))["items"]]


async def _email_names(client: Client, inbox: Inbox, member: Member, **params: Any) -> list[str]:
    names = {email_id: name for name, email_id in inbox.emails.items()}
    return [names[item["id"]] for item in (await _page(client, "/api/emails", member, **params))["items"]]


async def test_threads_list_shows_what_ingestion_stored(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    page = await _page(client, "/api/threads", admin)
    assert page["total"] == 7
    names = await _thread_names(client, inbox, admin)
    assert names == ["G", "DSN", "OOO", "B", "D", "E", "A"]  # newest last message first
    by_id = {item["id"]: item for item in page["items"]}

    pricing = by_id[inbox.threads["A"]]
    assert pricing["subject"] == "Pricing question"
    assert pricing["status"] == "active"
    assert pricing["contact_id"] == inbox.jane
    assert pricing["email_account_id"] == str(inbox.rep_box.id)
    assert datetime.fromisoformat(pricing["last_message_at"]) == NOV + timedelta(hours=2)
    # The latest message's sender and its new text on one line, without the quoted history.
    assert (pricing["last_from_address"], pricing["last_from_name"]) == ("jane@acme-corp.example", "Jane Buyer")
    assert pricing["preview"] == "Great, send the contract."

    garbage = by_id[inbox.threads["G"]]
    assert garbage["contact_id"] is None
    assert garbage["last_from_address"] is None
    assert by_id[inbox.threads["DSN"]]["last_from_address"] == "mailer-daemon@mx.acme-corp.example"

    assert (await _page(client, "/api/threads", admin, sort="last_message_at"))["items"] == page["items"][::-1]
    assert sorted(await _thread_names(client, inbox, admin, sort="-created_at")) == sorted(names)


async def test_message_count_is_the_threads_own(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    items = (await _page(client, "/api/threads", team[Role.ADMIN]))["items"]
    counts = {name: next(item["message_count"] for item in items if item["id"] == inbox.threads[name]) for name in "GA"}
    assert counts == {"G": 1, "A": 3}


async def test_thread_filters(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    assert await _thread_names(client, inbox, admin, contact_id=inbox.jane) == ["E", "A"]
    assert await _thread_names(client, inbox, admin, email_account_id=str(inbox.manager_box.id)) == [
        "G",
        "DSN",
        "OOO",
        "B",
        "E",
    ]
    assert await _thread_names(client, inbox, admin, q="PRICING") == ["A"]
    assert await _thread_names(client, inbox, admin, q="of office") == ["OOO"]
    assert await _thread_names(client, inbox, admin, q="%") == []
    assert await _thread_names(client, inbox, admin, q="_") == []
    since = (NOV + timedelta(days=1)).isoformat()
    assert await _thread_names(client, inbox, admin, since=since) == ["G", "DSN", "OOO", "B"]
    assert await _thread_names(client, inbox, admin, until=since) == ["D", "E", "A"]
    assert await _thread_names(client, inbox, admin, since=since, until=(NOV + timedelta(days=2)).isoformat()) == [
        "OOO",
        "B",
    ]
    assert await _thread_names(client, inbox, admin, status="active", contact_id=inbox.bob) == ["OOO", "B"]
    assert await _thread_names(client, inbox, admin, status="archived") == []
    assert await _thread_names(client, inbox, admin, contact_id=str(uuid.uuid4())) == []

    refused: list[tuple[dict[str, str | int], str]] = [
        ({"since": "2026-11-02T09:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"status": "deleted"}, "status"),
        ({"sort": "subject"}, "sort"),
        ({"cursor": "garbage"}, "cursor"),
        ({"contact_id": "not-a-uuid"}, "contact_id"),
        ({"limit": 0}, "limit"),
    ]
    for params, field in refused:
        response = await client.get("/api/threads", params=params, headers=admin.headers)
        assert response.status_code == 400, (params, response.text)
        assert field in response.text


async def test_thread_detail_and_status(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    response = await client.get(f"/api/threads/{inbox.threads['A']}", headers=admin.headers)
    assert response.status_code == 200, response.text
    thread = response.json()
    assert [email["id"] for email in thread["emails"]] == [inbox.emails[name] for name in ("j1", "r1", "j2")]
    first, reply, latest = thread["emails"]
    assert (first["direction"], first["inbox_status"], first["delivery_status"]) == ("inbound", "unread", None)
    assert (reply["direction"], reply["inbox_status"], reply["delivery_status"]) == ("outbound", None, "sent")
    assert reply["to_addresses"] == ["jane@acme-corp.example"]
    assert reply["body_text"] == "It is 20 EUR a seat."
    assert latest["reply_text"] == "Great,\n  send the contract."
    assert "> It is 20 EUR a seat." in latest["body_text"]
    assert all("body_html" not in email for email in thread["emails"])

    contract = (await client.get(f"/api/threads/{inbox.threads['B']}", headers=admin.headers)).json()
    (email,) = contract["emails"]
    # The parser keeps a sender's path out of a filename.
    assert [a["filename"] for a in email["attachments"]] == ["contract.pdf", "invoice.html", GERMAN_NAME]

    url = f"/api/threads/{inbox.threads['A']}"
    closed = await client.patch(url, json={"status": "closed"}, headers=admin.headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert (await client.get(url, headers=admin.headers)).json()["status"] == "closed"
    assert await _thread_names(client, inbox, admin, status="closed") == ["A"]
    assert await _thread_names(client, inbox, admin, status=["closed", "archived"]) == ["A"]
    assert "A" not in await _thread_names(client, inbox, admin, status="active")

    for body in ({"status": "deleted"}, {}, {"status": "archived", "subject": "renamed"}, {"status": None}):
        refused = await client.patch(url, json=body, headers=admin.headers)
        assert refused.status_code == 400, (body, refused.text)
    assert (await client.get(url, headers=admin.headers)).json()["status"] == "closed"
    unknown = f"/api/threads/{uuid.uuid4()}"
    assert (await client.get(unknown, headers=admin.headers)).status_code == 404
    assert (await client.patch(unknown, json={"status": "closed"}, headers=admin.headers)).status_code == 404


async def test_an_unparseable_message_is_surfaced_and_its_raw_bytes_download(
    client: Client, team: dict[Role, Member], inbox: Inbox
) -> None:
    admin = team[Role.ADMIN]
    flagged = await _page(client, "/api/emails", admin, parse_error="true")
    assert flagged["total"] == 1
    (item,) = flagged["items"]
    assert item["id"] == inbox.emails["garbage"]
    assert item["parse_error"]
    assert item["thread_id"] == inbox.threads["G"]
    parsed = await _page(client, "/api/emails", admin, parse_error="false")
    assert parsed["total"] == len(inbox.emails) - 1
    assert all(email["parse_error"] is None for email in parsed["items"])

    detail = (await client.get(f"/api/emails/{item['id']}", headers=admin.headers)).json()
    assert detail["parse_error"] == item["parse_error"]
    assert detail["raw_size"] == len(GARBAGE)
    raw = await client.get(f"/api/emails/{item['id']}/raw", headers=admin.headers)
    assert raw.status_code == 200
    assert raw.content == GARBAGE
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert f"{item['id']}.eml" in raw.headers["content-disposition"]
    assert raw.headers["x-content-type-options"] == "nosniff"

    # A parsed message downloads byte for byte too.
    dsn = await client.get(f"/api/emails/{inbox.emails['dsn']}/raw", headers=admin.headers)
    assert dsn.content == DSN


async def test_email_filters(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    everything = await _email_names(client, inbox, admin)
    assert everything == ["garbage", "dsn", "ooo", "b1", "c1", "e1", "j2", "r1", "j1"]  # newest first
    assert await _email_names(client, inbox, admin, sort="date") == everything[::-1]
    assert await _email_names(client, inbox, admin, is_bounce="true") == ["dsn"]
    assert "dsn" not in await _email_names(client, inbox, admin, is_bounce="false")
    assert await _email_names(client, inbox, admin, is_auto_reply="true") == ["ooo"]
    assert await _email_names(client, inbox, admin, direction="outbound") == ["r1"]
    assert await _email_names(client, inbox, admin, thread_id=inbox.threads["A"]) == ["j2", "r1", "j1"]
    assert await _email_names(client, inbox, admin, contact_id=inbox.jane) == ["e1", "j2", "r1", "j1"]
    assert await _email_names(client, inbox, admin, email_account_id=str(inbox.shared_box.id)) == ["c1"]
    assert await _email_names(client, inbox, admin, inbox_status="unread") == [n for n in everything if n != "r1"]
    assert await _email_names(client, inbox, admin, inbox_status="read") == []
    assert await _email_names(client, inbox, admin, thread_id=str(uuid.uuid4())) == []

    items = {item["id"]: item for item in (await _page(client, "/api/emails", admin))["items"]}
    latest = items[inbox.emails["j2"]]
    assert latest["preview"] == "Great, send the contract."
    assert "body_text" not in latest and "body_html" not in latest
    assert items[inbox.emails["dsn"]]["is_bounce"] is True
    assert items[inbox.emails["ooo"]]["is_auto_reply"] is True

    for params, field in [
        ({"direction": "sideways"}, "direction"),
        ({"inbox_status": "lost"}, "inbox_status"),
        ({"parse_error": "maybe"}, "parse_error"),
        ({"sort": "-subject"}, "sort"),
        ({"cursor": "x"}, "cursor"),
    ]:
        response = await client.get("/api/emails", params=params, headers=admin.headers)
        assert response.status_code == 400, (params, response.text)
        assert field in response.text


async def test_email_detail_and_attachment_downloads(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    email = (await client.get(f"/api/emails/{inbox.emails['b1']}", headers=admin.headers)).json()
    assert email["subject"] == "Contract"
    assert email["message_id"] == "b1@test.example"
    assert email["body_text"] == "Contract attached."
    assert "attached" in email["body_html"]
    assert "<script" not in email["body_html"] and "onclick" not in email["body_html"]
    assert email["folder"] is None
    pdf, page, german = email["attachments"]
    assert {key: pdf[key] for key in ("filename", "content_type", "size_bytes", "is_inline", "content_id")} == {
        "filename": "contract.pdf",
        "content_type": "application/pdf",
        "size_bytes": len(PDF),
        "is_inline": False,
        "content_id": None,
    }
    base = f"/api/emails/{inbox.emails['b1']}/attachments"

    download = await client.get(f"{base}/{pdf['id']}", headers=admin.headers)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"contract.pdf\"; filename*=UTF-8''contract.pdf"
    )

    # Untrusted HTML is a download, never a page of ours: no sniffing, sandboxed.
    html = await client.get(f"{base}/{page['id']}", headers=admin.headers)
    assert html.content == HTML_ATTACHMENT
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"] == "attachment; filename=\"invoice.html\"; filename*=UTF-8''invoice.html"
    assert html.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in html.headers["content-security-policy"]

    named = await client.get(f"{base}/{german['id']}", headers=admin.headers)
    assert named.content == b"v2"
    assert named.headers["content-disposition"] == (
        'attachment; filename="Angebot f_r Q4 _final_; v2.pdf"; '
        "filename*=UTF-8''Angebot%20f%C3%BCr%20Q4%20%22final%22%3B%20v2.pdf"
    )

    # An attachment is reached only through its own email.
    other = f"/api/emails/{inbox.emails['j1']}/attachments/{pdf['id']}"
    assert (await client.get(other, headers=admin.headers)).status_code == 404
    assert (await client.get(f"{base}/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/emails/{uuid.uuid4()}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/emails/{uuid.uuid4()}/raw", headers=admin.headers)).status_code == 404


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        (None, "attachment; filename=\"fallback.bin\"; filename*=UTF-8''fallback.bin"),
        ("", "attachment; filename=\"fallback.bin\"; filename*=UTF-8''fallback.bin"),
        ("...", "attachment; filename=\"fallback.bin\"; filename*=UTF-8''fallback.bin"),
        ("../../etc/passwd", "attachment; filename=\"_.._etc_passwd\"; filename*=UTF-8''_.._etc_passwd"),
        (
            "a\r\nSet-Cookie: x=1.html",
            "attachment; filename=\"a__Set-Cookie_ x=1.html\"; filename*=UTF-8''a__Set-Cookie%3A%20x%3D1.html",
        ),
        ('q"uo\\te%.txt', "attachment; filename=\"q_uo_te_.txt\"; filename*=UTF-8''q%22uo_te%25.txt"),
        ("x" * 300, f"attachment; filename=\"{'x' * 200}\"; filename*=UTF-8''{'x' * 200}"),
    ],
)
def test_download_headers_never_let_a_senders_name_escape(filename: str | None, disposition: str) -> None:
    headers = download_headers(filename, "fallback.bin")
    assert headers["Content-Disposition"] == disposition
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert all(ord(char) >= 32 for value in headers.values() for char in value)


@pytest.mark.parametrize(
    ("claimed", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("Image/SVG+XML", "image/svg+xml"),
        ("text/html\r\nX-Injected: 1", "application/octet-stream"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
    ],
)
def test_only_plain_media_types_pass(claimed: str, served: str) -> None:
    assert safe_media_type(claimed) == served


async def test_a_missing_blob_is_a_404_that_says_so(
    client: Client,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    inbox: Inbox,
    blobs: LocalBlobStore,
) -> None:
    admin = team[Role.ADMIN]
    raw = message(message_id=f"<lost-{uuid.uuid4()}@test.example>", body=f"unique {uuid.uuid4()}\n")
    (email_id,) = await ingest(session, inbox.rep_box, blobs, raw)
    key = blob_key(raw)
    (settings.blob_dir / key[:2] / key[2:4] / key).unlink()
    response = await client.get(f"/api/emails/{email_id}/raw", headers=admin.headers)
    assert response.status_code == 404
    assert "blob store" in response.json()["detail"]
    # The row itself still reads.
    assert (await client.get(f"/api/emails/{email_id}", headers=admin.headers)).status_code == 200


async def test_inbox_status_changes(client: Client, team: dict[Role, Member], inbox: Inbox) -> None:
    admin = team[Role.ADMIN]
    url = f"/api/emails/{inbox.emails['j1']}"
    for status in ("read", "archived", "unread", "read"):
        changed = await client.patch(url, json={"inbox_status": status}, headers=admin.headers)
        assert changed.status_code == 200, changed.text
        assert changed.json()["inbox_status"] == status
    assert changed.json()["attachments"] == []
    assert await _email_names(client, inbox, admin, inbox_status="read") == ["j1"]

    for body in ({"inbox_status": "replied"}, {"inbox_status": "lost"}, {}, {"inbox_status": "read", "subject": "x"}):
        refused = await client.patch(url, json=body, headers=admin.headers)
        assert refused.status_code == 400, (body, refused.text)
    outbound = await client.patch(
        f"/api/emails/{inbox.emails['r1']}", json={"inbox_status": "read"}, headers=admin.headers
    )
    assert outbound.status_code == 400
    assert outbound.json()["field"] == "inbox_status"
    assert (await client.get(url, headers=admin.headers)).json()["inbox_status"] == "read"
    unknown = await client.patch(f"/api/emails/{uuid.uuid4()}", json={"inbox_status": "read"}, headers=admin.headers)
    assert unknown.status_code == 404


async def test_pages_walk_with_totals(
    client: Client, session: AsyncSession, team: dict[Role, Member], inbox: Inbox, blobs: LocalBlobStore
) -> None:
    admin = team[Role.ADMIN]
    # Eleven more conversations, several at the very same moment: ties are broken by id.
    raws = [
        message(
            sender=f"lead{i}@prospect{i}.example",
            subject=f"Enquiry {i}",
            message_id=f"<q{i}@test.example>",
            date=NOV - timedelta(days=1, hours=i // 3),
        )
        for i in range(11)
    ]
    await ingest(session, inbox.rep_box, blobs, *raws)

    threads = await walk_pages(client, "/api/threads", headers=admin.headers, total=18, limit=4)
    moments = [(item["last_message_at"], item["id"]) for item in threads]
    assert len(set(moments)) == 18
    assert [datetime.fromisoformat(at) for at, _ in moments] == sorted(
        (datetime.fromisoformat(at) for at, _ in moments), reverse=True
    )
    oldest_first = await walk_pages(
        client, "/api/threads", headers=admin.headers, total=18, limit=5, sort="last_message_at"
    )
    assert [item["id"] for item in oldest_first] == [item["id"] for item in threads][::-1]
    enquiries = await walk_pages(client, "/api/threads", headers=admin.headers, total=11, limit=3, q="enquiry")
    assert sorted(item["subject"] for item in enquiries) == sorted(f"Enquiry {i}" for i in range(11))

    emails = await walk_pages(client, "/api/emails", headers=admin.headers, total=20, limit=6)
    assert len({item["id"] for item in emails}) == 20
    ascending = await walk_pages(client, "/api/emails", headers=admin.headers, total=20, limit=7, sort="date")
    assert [item["id"] for item in ascending] == [item["id"] for item in emails][::-1]
    inbound = await walk_pages(
        client, "/api/emails", headers=admin.headers, total=19, limit=8, direction="inbound", sort="-created_at"
    )
    assert len({item["id"] for item in inbound}) == 19


async def test_sales_rep_sees_their_own_shared_and_their_contacts_mail(
    client: Client, team: dict[Role, Member], inbox: Inbox
) -> None:
    admin, manager, rep = team[Role.ADMIN], team[Role.MANAGER], team[Role.SALES_REP]
    # Their own mailbox (A), a shared mailbox (D), and their own contact writing to a teammate (E).
    assert await _thread_names(client, inbox, rep) == ["D", "E", "A"]
    assert (await _page(client, "/api/threads", rep))["total"] == 3
    assert await _email_names(client, inbox, rep) == ["c1", "e1", "j2", "r1", "j1"]
    assert await _email_names(client, inbox, rep, parse_error="true") == []
    assert await _email_names(client, inbox, rep, is_bounce="true") == []
    assert await _thread_names(client, inbox, manager) == await _thread_names(client, inbox, admin)
    assert len(await _email_names(client, inbox, manager)) == 9

    intro = await client.get(f"/api/threads/{inbox.threads['E']}", headers=rep.headers)
    assert intro.status_code == 200
    assert [email["id"] for email in intro.json()["emails"]] == [inbox.emails["e1"]]

    hidden_thread = f"/api/threads/{inbox.threads['B']}"
    hidden_email = f"/api/emails/{inbox.emails['b1']}"
    attachment = (await client.get(hidden_email, headers=admin.headers)).json()["attachments"][0]["id"]
    for url in (
        hidden_thread,
        f"/api/threads/{inbox.threads['G']}",
        hidden_email,
        f"{hidden_email}/raw",
        f"{hidden_email}/attachments/{attachment}",
        f"/api/emails/{inbox.emails['garbage']}/raw",
    ):
        assert (await client.get(url, headers=rep.headers)).status_code == 404, url
    assert (await client.patch(hidden_thread, json={"status": "closed"}, headers=rep.headers)).status_code == 404
    assert (await client.patch(hidden_email, json={"inbox_status": "read"}, headers=rep.headers)).status_code == 404
    assert (await client.get(hidden_thread, headers=admin.headers)).json()["status"] == "active"
    assert (await client.get(hidden_email, headers=admin.headers)).json()["inbox_status"] == "unread"

    # What they see, they change.
    own = await client.patch(f"/api/threads/{inbox.threads['A']}", json={"status": "archived"}, headers=rep.headers)
    assert own.status_code == 200
    read = await client.patch(f"/api/emails/{inbox.emails['c1']}", json={"inbox_status": "read"}, headers=rep.headers)
    assert read.status_code == 200

    # Bob becomes nobody's contact: his conversations with the manager are the rep's to see too, not the
    # rest of the manager's mailbox.
    unowned = await client.patch(f"/api/contacts/{inbox.bob}", json={"owner_id": None}, headers=manager.headers)
    assert unowned.status_code == 200, unowned.text
    assert await _thread_names(client, inbox, rep) == ["OOO", "B", "D", "E", "A"]
    assert await _email_names(client, inbox, rep, contact_id=inbox.bob) == ["ooo", "b1"]
    assert (await client.get(f"{hidden_email}/attachments/{attachment}", headers=rep.headers)).status_code == 200
    taken = await client.patch(
        f"/api/contacts/{inbox.bob}", json={"owner_id": str(manager.user.id)}, headers=manager.headers
    )
    assert taken.status_code == 200
    assert await _thread_names(client, inbox, rep) == ["D", "E", "A"]


async def test_other_workspaces_and_strangers_see_nothing(
    client: Client, team: dict[Role, Member], rival: dict[Role, Member], inbox: Inbox
) -> None:
    stranger = rival[Role.ADMIN]
    assert (await _page(client, "/api/threads", stranger))["total"] == 0
    assert (await _page(client, "/api/emails", stranger))["total"] == 0
    assert (await _page(client, "/api/threads", stranger, contact_id=inbox.jane))["items"] == []
    email = (await client.get(f"/api/emails/{inbox.emails['b1']}", headers=team[Role.ADMIN].headers)).json()
    for url in (
        f"/api/threads/{inbox.threads['A']}",
        f"/api/emails/{inbox.emails['j1']}",
        f"/api/emails/{inbox.emails['garbage']}/raw",
        f"/api/emails/{inbox.emails['b1']}/attachments/{email['attachments'][0]['id']}",
    ):
        assert (await client.get(url, headers=stranger.headers)).status_code == 404, url
        assert (await client.get(url)).status_code == 401, url
    closing = await client.patch(
        f"/api/threads/{inbox.threads['A']}", json={"status": "closed"}, headers=stranger.headers
    )
    assert closing.status_code == 404
    assert (await client.get("/api/threads")).status_code == 401
    assert (await client.get("/api/emails")).status_code == 401

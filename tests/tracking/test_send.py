"""Tracked mail through the real send path to an SMTP server on loopback, and its links followed back."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.contacts.models import Contact
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.sending.service import approve_send, send_email
from inbox.sequences.models import EnrollmentStatus, SequenceEnrollment
from inbox.settings import Settings
from inbox.threads.models import Email, EmailEvent, EmailEventType
from inbox.tracking.machine import TOO_SOON
from inbox.tracking.service import OutboundTracking, TrackingOptions, token_signer
from inbox.tracking.tokens import TokenKind
from inbox.workspaces.models import Workspace
from tests.factories import Member
from tests.sending.factories import make_draft
from tests.sending.smtp_server import SmtpServer

BASE = "http://testserver.local"
HTML = (
    '<html><body><p>Hi Jane, here is <a href="https://acme.example/pricing?plan=team&amp;seats=5">pricing</a>'
    ' and <a href="https://acme.example/docs">the docs</a>. <a href="mailto:rep@ourco.example">Mail me</a>,'
    ' <a href="tel:+15550100">call me</a> or read the <a href="#faq">FAQ</a>.</p></body></html>'
)


async def _track(session: AsyncSession, workspace_id: uuid.UUID, **switches: bool) -> None:
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    workspace.settings = {**workspace.settings, "tracking": switches}
    await session.commit()


async def _send(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
    **values: object,
) -> tuple[Email, EmailMessage]:
    """A draft with HTML approved and sent through the send path; what the SMTP server received."""
    draft = await make_draft(session, mailbox, to=["Jane Buyer <jane@acme-corp.example>"], html=HTML)
    for name, value in values.items():
        setattr(draft, name, value)
    await session.commit()
    email = await approve_send(session, team[Role.SALES_REP].principal, draft.id, None)
    await session.commit()
    assert (await send_email(db, email.id, settings)).status == "sent"
    [received] = smtp.with_message_id(email.message_id or "")
    return email, received.message


def _bodies(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return plain.get_content(), html.get_content()


async def test_a_tracked_send_carries_the_pixel_signed_redirects_and_one_click_unsubscribe(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
    client: httpx.AsyncClient,
    contact: Contact,
) -> None:
    await _track(session, mailbox.workspace_id, opens=True, clicks=True, unsubscribe=True)

    email, message = await _send(db, session, settings, team, mailbox, smtp)

    text, html = _bodies(message)
    hrefs = re.findall(r'href="([^"]+)"', html)
    clicks = [href for href in hrefs if href.startswith(f"{BASE}/t/c/")]
    assert len(clicks) == 2  # the two web links; mailto:, tel: and #faq are left as they were
    assert {"mailto:rep@ourco.example", "tel:+15550100", "#faq"} <= set(hrefs)
    assert "acme.example" not in " ".join(clicks)  # the targets are inside the signed tokens
    pixel = re.search(rf'<img src="({BASE}/t/o/[^"]+)" width="1" height="1"', html)
    assert pixel is not None
    unsubscribe = f"{BASE}/u/"
    assert re.search(rf'<a href="{unsubscribe}[^"]+"', html)
    assert unsubscribe in text and "Hi Jane" in text
    header = message["List-Unsubscribe"].strip()  # folded onto its own line: it is longer than 78 characters
    assert re.fullmatch(rf"<{unsubscribe}[A-Za-z0-9_-]+>, <mailto:rep@ourco\.example\?subject=unsubscribe>", header)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Following the received links: each redirect goes where the rep's link went.
    answers = [await client.get(href.removeprefix(BASE)) for href in clicks]
    assert [(a.status_code, a.headers["location"]) for a in answers] == [
        (302, "https://acme.example/pricing?plan=team&seats=5"),
        (302, "https://acme.example/docs"),
    ]
    # Fetched within seconds of the send: that is a gateway, not Jane (and two links at once, too).
    assert (await client.get(pixel.group(1).removeprefix(BASE))).status_code == 200
    events = (await session.scalars(sa.select(EmailEvent).where(EmailEvent.email_id == email.id))).all()
    kinds = sorted((e.event_type, e.is_machine, e.data.get("reason")) for e in events)
    assert kinds == sorted(
        [
            (EmailEventType.SENT, False, None),
            (EmailEventType.CLICKED, True, TOO_SOON),
            (EmailEventType.CLICKED, True, TOO_SOON),
            (EmailEventType.OPENED, True, TOO_SOON),
        ]
    )
    stored = await session.scalar(
        sa.select(Email).where(Email.id == email.id).execution_options(populate_existing=True)
    )
    assert stored is not None and (stored.open_count, stored.click_count) == (0, 0)

    # The header's one-click URL unsubscribes Jane (RFC 8058 POST, no session); the draft names no contact,
    # so she is found by the address it was sent to.
    assert email.contact_id is None
    one_click = header.split(">", 1)[0].removeprefix("<").removeprefix(BASE)
    answer = await client.post(one_click, content=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200
    await session.refresh(contact)
    assert contact.unsubscribed


async def test_sequence_mail_carries_the_unsubscribe_header_by_default_and_a_reps_reply_nothing(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    mailbox: EmailAccount,
    smtp: SmtpServer,
    enrollment: SequenceEnrollment,
) -> None:
    _, reply = await _send(db, session, settings, team, mailbox, smtp)
    assert reply["List-Unsubscribe"] is None and reply["List-Unsubscribe-Post"] is None
    assert _bodies(reply)[1] == HTML  # sent exactly as written

    email, sequenced = await _send(
        db, session, settings, team, mailbox, smtp, sequence_id=enrollment.sequence_id, enrollment_id=enrollment.id
    )

    assert sequenced["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = sequenced["List-Unsubscribe"].strip().split(">", 1)[0].removeprefix("<")
    token = url.rsplit("/", 1)[1]
    verified = token_signer(settings).verify(token, TokenKind.UNSUBSCRIBE)
    assert verified is not None and verified.email_id == email.id
    text, html = _bodies(sequenced)
    assert url in text and url in html
    assert "/t/o/" not in html and "/t/c/" not in html  # opens and clicks stay off unless switched on
    assert enrollment.status is EnrollmentStatus.ACTIVE


async def test_a_workspace_may_turn_the_unsubscribe_link_off_and_switches_are_read_leniently(
    session: AsyncSession, team: dict[Role, Member], settings: Settings
) -> None:
    assert TrackingOptions.from_workspace_settings({}) == TrackingOptions(False, False, None)
    assert TrackingOptions.from_workspace_settings({"tracking": "yes"}) == TrackingOptions()
    assert TrackingOptions.from_workspace_settings({"tracking": {"opens": "true", "clicks": True}}) == TrackingOptions(
        opens=False, clicks=True
    )
    workspace_id = team[Role.ADMIN].workspace_id
    await _track(session, workspace_id, unsubscribe=False)
    now = [0.0]
    tracking = OutboundTracking(settings, clock=lambda: now[0])
    sequenced = Email(id=uuid.uuid4(), workspace_id=workspace_id, sequence_id=uuid.uuid4(), body_text="Hi")
    options = await tracking.options(session, workspace_id)
    assert tracking.content(sequenced, options, "rep@ourco.example") is None

    # The send path reads the switches again once its cached copy is OPTIONS_TTL_SECONDS old.
    await _track(session, workspace_id, opens=True)
    assert await tracking.options(session, workspace_id) == options
    now[0] += 60
    fresh = await tracking.options(session, workspace_id)
    assert fresh == TrackingOptions(opens=True)
    content = tracking.content(sequenced, fresh, "rep@ourco.example")
    assert content is not None and content.headers and "/t/o/" in (content.body_html or "")


async def test_an_admin_switches_tracking_through_the_workspace_api(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], settings: Settings
) -> None:
    body = {"settings": {"tracking": {"opens": True, "clicks": True, "unsubscribe": False}}}

    refused = await client.patch("/api/workspace", json=body, headers=team[Role.SALES_REP].headers)
    changed = await client.patch("/api/workspace", json=body, headers=team[Role.ADMIN].headers)

    assert (refused.status_code, changed.status_code) == (403, 200)
    assert changed.json()["settings"]["tracking"] == body["settings"]["tracking"]
    options = await OutboundTracking(settings).options(session, team[Role.ADMIN].workspace_id)
    assert options == TrackingOptions(opens=True, clicks=True, unsubscribe=False)

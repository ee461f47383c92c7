"""A demo workspace for ``inbox serve --demo``: a team of three, companies,
contacts at every temperature, templates, tasks and activities.

Seeding is idempotent: a second start finds the demo user and changes nothing.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.activities.models import Activity, ActivityType
from inbox.auth.crypto import generate_id, hash_password
from inbox.auth.models import AuthAccount, AuthUser
from inbox.contacts.models import Contact, ContactStatus, Temperature
from inbox.core.db import Database, utcnow
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.templates.models import EmailTemplate, Tone
from inbox.users.models import Invitation, User
from inbox.users.provisioning import ensure_profile

DEMO_EMAIL = "demo@inbox.local"
DEMO_PASSWORD = "inbox-demo-password"  # noqa: S105 - printed on purpose: a local demo sign-in

COMPANIES = [
    ("Kinlock Creamery", "kinlockcreamery.example", "Food & beverage"),
    ("Northwind Freight", "northwind.example", "Logistics"),
    ("Bluefin Analytics", "bluefin.example", "Software"),
    ("Harbor & Vale Legal", "harborvale.example", "Legal"),
    ("Atelier Coste", "atelierscoste.example", "Manufacturing"),
    ("Greenleaf Clinics", "greenleaf.example", "Healthcare"),
    ("Quartz Retail", "quartzretail.example", "Retail"),
    ("Summit Robotics", "summitrobotics.example", "Manufacturing"),
]
FIRST_NAMES = ["Owen", "Fiona", "Julien", "Maya", "Ravi", "Ingrid", "Tomás", "Aiko", "Lena", "Marcus", "Priya", "Noah"]
LAST_NAMES = [
    "Pryce",
    "Hale",
    "Moreau",
    "Okafor",
    "Shah",
    "Lund",
    "García",
    "Tanaka",
    "Vogel",
    "Reid",
    "Iyer",
    "Brooks",
]
TEMPLATES = [
    (
        "Intro: cut invoice handling",
        "introduction",
        Tone.PROFESSIONAL,
        True,
        "{{company|your team}} + OurCo: fewer hands on every invoice",
        "Hi {{first_name|there}},\n\nTeams like {{company|yours}} usually spend hours a week chasing invoices. "
        "OurCo reads, matches and routes them so your people only touch the exceptions.\n\n"
        "Worth 20 minutes next week?\n\n{{sender.first_name}}",
    ),
    (
        "Follow-up: gentle nudge",
        "follow_up",
        Tone.FRIENDLY,
        True,
        "Re: {{company|quick question}}",
        "Hi {{first_name|there}}, just floating this back to the top of your inbox. Happy to send a 2-minute video "
        "instead of a call if that's easier.\n\n{{sender.first_name}}",
    ),
    (
        "Meeting: propose times",
        "meeting",
        Tone.PROFESSIONAL,
        True,
        "Times for a quick call",
        "Hi {{first_name|there}},\n\nThanks for getting back to me. Would Tuesday at 10:00 or Thursday at 15:00 "
        "({{timezone|your time}}) work for a 20-minute call?\n\n{{sender.first_name}}",
    ),
    (
        "Objection: already have a tool",
        "objection",
        Tone.FORMAL,
        True,
        "Re: how OurCo fits beside your current setup",
        "Hello {{first_name|there}},\n\nUnderstood. Most of our customers kept their ERP and added OurCo only for "
        "capture and matching. If a side-by-side on ten of your invoices would help, I can set it up.\n\n"
        "Kind regards,\n{{sender.first_name}}",
    ),
    (
        "Breakup: closing the loop",
        "breakup",
        Tone.CASUAL,
        True,
        "Should I close your file?",
        "Hi {{first_name|there}} - I haven't heard back, so I'll assume the timing is off. "
        "If that changes, just reply to this email.\n\n{{sender.first_name}}",
    ),
]


# Replies in the demo mailbox, as a rep's inbox holds them after a week of outreach:
# (contact index, subject, body, hours ago). Triage reads them when the server starts.
DEMO_MAIL = [
    (
        0,
        "Re: fewer hands on every invoice",
        "Dana, this is timely: our AP team is drowning since we added the second plant. Can we do a call "
        "Thursday at 10:00? I'd like our controller to join. If the pricing works we could start a pilot "
        "this month.\n\nOwen",
        2,
    ),
    (
        3,
        "Re: invoice automation for Bluefin",
        "Hi Dana,\n\nThanks for the note. Quick question before we go further: do you integrate with "
        "NetSuite, and what does it cost for roughly 2,000 invoices a month?\n\nMaya",
        5,
    ),
    (
        6,
        "Re: OurCo Payables",
        "We already use Coupa for this and we're locked in until 2028. Not a fit right now, sorry.",
        9,
    ),
    (9, "Re: quick question", "Please remove me from your mailing list. I do not want to receive further emails.", 20),
    (
        1,
        "Re: Northwind + OurCo",
        "Dana - I'm not the right person for this. Talk to our CFO, Priya Shah (priya.shah@northwind.example). "
        "She owns the AP roadmap.\n\nFiona",
        26,
    ),
    (
        4,
        "Re: 20 minutes next week?",
        "Sounds interesting. Send me the case study you mentioned and I'll read it over the weekend.\n\nRavi",
        31,
    ),
    (
        7,
        "Re: Harbor & Vale + OurCo",
        "Hi Dana, we're evaluating three vendors this quarter. Can you send a proposal with pricing for two "
        "entities by Friday? The decision is next week and we need it urgently.\n\nAiko",
        1,
    ),
    (10, "Re: invoice capture", "Thanks, not interested at the moment. Maybe next year.", 48),
]


def _ascii(name: str) -> str:
    """The name as an address's local part: lower case, accents dropped (Tomás -> tomas)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str


async def seed_demo(settings: Settings) -> DemoCredentials:
    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            await _seed(session, settings.blob_dir)
    finally:
        await database.dispose()
    return DemoCredentials(DEMO_EMAIL, DEMO_PASSWORD)


async def _add_identity(session: AsyncSession, name: str, email: str, password: str | None) -> User:
    now = utcnow()
    auth_user = AuthUser(id=generate_id(), name=name, email=email, email_verified=True, created_at=now, updated_at=now)
    session.add(auth_user)
    await session.flush()
    if password is not None:
        session.add(
            AuthAccount(
                id=generate_id(),
                account_id=auth_user.id,
                provider_id="credential",
                user_id=auth_user.id,
                password=hash_password(password),
                created_at=now,
                updated_at=now,
            )
        )
    return await ensure_profile(session, auth_user)


async def _seed(session: AsyncSession, blob_dir: Path) -> None:
    if (await session.execute(select(AuthUser.id).where(AuthUser.email == DEMO_EMAIL))).first() is not None:
        return
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    now = utcnow()
    admin = await _add_identity(session, "Dana Whitfield", DEMO_EMAIL, DEMO_PASSWORD)
    workspace_id = admin.workspace_id
    team = [admin]
    for name, email, role in (
        ("Marco Lindqvist", "marco@inbox.local", Role.MANAGER),
        ("Claire Dubois", "claire@inbox.local", Role.SALES_REP),
    ):
        session.add(
            Invitation(
                workspace_id=workspace_id,
                email=email,
                role=role,
                token_hash=generate_id(64),
                expires_at=now + timedelta(days=1),
                invited_by_id=admin.id,
            )
        )
        await session.flush()
        team.append(await _add_identity(session, name, email, None))

    accounts = []
    for name, domain, industry in COMPANIES:
        account = Account(
            workspace_id=workspace_id,
            name=name,
            domain=domain,
            industry=industry,
            employee_count=rng.choice([12, 45, 120, 480, 2300]),
            website=f"https://{domain}",
            owner_id=rng.choice(team).id,
        )
        session.add(account)
        accounts.append(account)
    await session.flush()

    temperatures = [Temperature.HOT, Temperature.WARM, Temperature.COLD]
    contacts = []
    for index in range(36):
        account = accounts[index % len(accounts)]
        first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 5) % len(LAST_NAMES)]
        temperature = temperatures[index % 3]
        contact = Contact(
            workspace_id=workspace_id,
            account_id=account.id,
            owner_id=account.owner_id if index % 4 else None,
            email=f"{_ascii(first)}.{_ascii(last)}{index}@{account.domain}",
            first_name=first,
            last_name=last,
            title=rng.choice(["CFO", "Head of Finance", "AP Manager", "Controller", "COO"]),
            status=rng.choice(
                [ContactStatus.NEW, ContactStatus.CONTACTED, ContactStatus.REPLIED, ContactStatus.INTERESTED]
            ),
            temperature=temperature,
            tags=rng.sample(["pilot", "q4", "inbound", "event", "referral"], k=2),
            last_contact_at=now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23)),
            last_message="Thanks, send me some times for next week." if temperature is Temperature.HOT else None,
            source="demo",
        )
        session.add(contact)
        contacts.append(contact)
    await session.flush()

    for name, category, tone, is_default, subject, body in TEMPLATES:
        session.add(
            EmailTemplate(
                workspace_id=workspace_id,
                created_by_id=admin.id,
                name=name,
                subject=subject,
                body=body,
                tone=tone,
                category=category,
                is_default=is_default,
            )
        )

    for index, contact in enumerate(contacts[:12]):
        owner = contact.owner_id or admin.id
        session.add(
            Action(
                workspace_id=workspace_id,
                type=ActionType.FOLLOW_UP if index % 2 else ActionType.CALL,
                source=ActionSource.MANUAL,
                title=f"{'Follow up with' if index % 2 else 'Call'} {contact.first_name} {contact.last_name}",
                priority=[ActionPriority.LOW, ActionPriority.MEDIUM, ActionPriority.HIGH, ActionPriority.URGENT][
                    index % 4
                ],
                due_at=now + timedelta(days=index % 5 - 1),
                assigned_to_id=owner,
                created_by_id=admin.id,
                contact_id=contact.id,
                account_id=contact.account_id,
            )
        )
        session.add(
            Activity(
                workspace_id=workspace_id,
                type=[ActivityType.CALL, ActivityType.NOTE, ActivityType.MEETING][index % 3],
                user_id=owner,
                contact_id=contact.id,
                account_id=contact.account_id,
                subject=f"Discovery with {contact.first_name}",
                body="Interested in automating AP; currently 3 people on invoices.",
                occurred_at=now - timedelta(days=index + 1),
                duration_minutes=30 if index % 3 != 1 else None,
            )
        )
    await session.flush()
    await _demo_mail(session, admin, contacts, now, blob_dir)
    await _demo_history(session, team, contacts, now, rng)


async def _demo_mail(session: AsyncSession, rep: User, contacts: list[Contact], now: datetime, blob_dir: Path) -> None:
    """Dana's mailbox (no server: the demo sends nowhere) and the replies of ``DEMO_MAIL`` in it."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    from inbox.ingest.blobs import LocalBlobStore
    from inbox.ingest.store import ingest_messages
    from inbox.ingest.types import IncomingMessage

    mailbox = EmailAccount(
        workspace_id=rep.workspace_id,
        user_id=rep.id,
        email_address="dana@ourco.example",
        display_name="Dana Whitfield",
        provider=MailboxProvider.IMAP,
    )
    session.add(mailbox)
    await session.flush()
    raws = []
    for index, subject, body, hours in DEMO_MAIL:
        contact = contacts[index]
        message = EmailMessage()
        message["From"] = f"{contact.first_name} {contact.last_name} <{contact.email}>"
        message["To"] = "Dana Whitfield <dana@ourco.example>"
        message["Subject"] = subject
        message["Date"] = format_datetime(now - timedelta(hours=hours))
        message["Message-ID"] = f"<demo-{index}@{contact.email.rpartition('@')[2]}>"
        message.set_content(body + "\n")
        raws.append(IncomingMessage(raw=message.as_bytes(), outbound=False))
    await ingest_messages(session, mailbox, raws, blobs=LocalBlobStore(blob_dir))


async def _demo_history(
    session: AsyncSession, team: list[User], contacts: list[Contact], now: datetime, rng: random.Random
) -> None:
    """Four weeks of the team's mail (threads of a sales email, sometimes a reply, sometimes an answer to
    that) and the meetings they booked, then the metrics rollup over them: the dashboard has a past."""
    from inbox.metrics.rollup import rollup_range
    from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread, InboxStatus, ThreadStatus

    start = now - timedelta(days=28)
    for day in range(28):
        for rep in team:
            for n in range(rng.randint(2, 6)):
                contact = contacts[rng.randrange(len(contacts))]
                sent = start + timedelta(days=day, hours=8 + rng.randint(0, 8), minutes=rng.randint(0, 59))
                if sent >= now - timedelta(hours=3):
                    continue
                thread = EmailThread(
                    workspace_id=rep.workspace_id,
                    contact_id=contact.id,
                    subject="OurCo for your AP team",
                    thread_identifier=f"history-{rep.id}-{day}-{n}@ourco.example",
                    status=ThreadStatus.ARCHIVED,
                    last_message_at=sent,
                )
                session.add(thread)
                await session.flush()
                mail = [
                    Email(
                        workspace_id=rep.workspace_id,
                        thread_id=thread.id,
                        contact_id=contact.id,
                        user_id=rep.id,
                        direction=Direction.OUTBOUND,
                        from_address=rep.email,
                        to_addresses=[contact.email],
                        subject=thread.subject,
                        body_text="Hi, worth 20 minutes next week?",
                        message_id=f"{thread.thread_identifier}",
                        delivery_status=DeliveryStatus.DELIVERED,
                        sent_at=sent,
                    )
                ]
                if rng.random() < 0.35:
                    replied = sent + timedelta(hours=rng.randint(1, 30))
                    answered = replied + timedelta(minutes=rng.choice([12, 25, 40, 75, 140, 300]))
                    mail.append(
                        Email(
                            workspace_id=rep.workspace_id,
                            thread_id=thread.id,
                            contact_id=contact.id,
                            user_id=rep.id,
                            direction=Direction.INBOUND,
                            from_address=contact.email,
                            subject=f"Re: {thread.subject}",
                            body_text="Sure, send me some times.",
                            message_id=f"reply-{thread.thread_identifier}",
                            inbox_status=InboxStatus.READ,
                            received_at=replied,
                            triaged_at=replied,
                        )
                    )
                    if answered < now:
                        mail.append(
                            Email(
                                workspace_id=rep.workspace_id,
                                thread_id=thread.id,
                                contact_id=contact.id,
                                user_id=rep.id,
                                direction=Direction.OUTBOUND,
                                from_address=rep.email,
                                to_addresses=[contact.email],
                                subject=f"Re: {thread.subject}",
                                body_text="Great: Tuesday 10:00 or Thursday 15:00?",
                                message_id=f"answer-{thread.thread_identifier}",
                                delivery_status=DeliveryStatus.DELIVERED,
                                sent_at=answered,
                            )
                        )
                        if rng.random() < 0.4:
                            session.add(
                                Action(
                                    workspace_id=rep.workspace_id,
                                    type=ActionType.MEETING,
                                    source=ActionSource.AI,
                                    title=f"Book the meeting {contact.email} asked for",
                                    status=ActionStatus.COMPLETED,
                                    completed_at=answered + timedelta(hours=2),
                                    assigned_to_id=rep.id,
                                    contact_id=contact.id,
                                    thread_id=thread.id,
                                )
                            )
                    thread.last_message_at = max(m.sent_at or m.received_at or sent for m in mail)
                thread.message_count = len(mail)
                session.add_all(mail)
    await session.flush()
    await rollup_range(session, team[0].workspace_id, start.date(), now.date())

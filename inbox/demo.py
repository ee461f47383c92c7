"""A demo workspace for ``inbox serve --demo``: a team of three, companies,
contacts at every temperature, templates, tasks and activities.

Seeding is idempotent: a second start finds the demo user and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.actions.models import Action, ActionPriority, ActionSource, ActionType
from inbox.activities.models import Activity, ActivityType
from inbox.auth.crypto import generate_id, hash_password
from inbox.auth.models import AuthAccount, AuthUser
from inbox.contacts.models import Contact, ContactStatus, Temperature
from inbox.core.db import Database, utcnow
from inbox.core.principal import Role
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


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str


async def seed_demo(settings: Settings) -> DemoCredentials:
    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            await _seed(session)
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


async def _seed(session: AsyncSession) -> None:
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
            email=f"{first.lower()}.{last.lower()}{index}@{account.domain}",
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

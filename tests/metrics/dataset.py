"""A known set of emails and actions over three days, two reps and five threads, with the figures the rollup
must find, worked out by hand from the definitions in ``inbox.metrics.rollup``.

Rita (a sales rep) owns the mailbox rita@ourco.example, Sam (another rep) sam@ourco.example. Times are UTC.

    T1 Rita <-> jane     D1 09:00 o1 sent   10:30 i1 in   11:00 o2 sent (answers i1 after 30 min)
                         D1 11:30 o3 sent (a follow-up to her own o2: no response)
                         D2 08:00 i2 auto-reply   09:00 i3 in   10:00 o4 sent (answers i3 after 60 min)
                         D3 09:30 i9 in                    + a draft and a failed send (never sent)
    T2 Rita <-> bob      D1 15:00 o5 sent   15:05 b1 bounce   D3 09:00 i8 in
    T5 Rita <-> dora     D0 23:59:59 o0 sent (before the range)   D1 00:00:01 i7 in (no user_id: the mailbox's owner)
    T6 Rita <-> bob      D3 08:00 o10 sent
    T3 Sam  <-> carl     D2 12:00 i4 in   12:45 o6 sent (45 min)   D3 09:00 o7 sent (follow-up)
                         D3 10:00 i5 in   10:20 o8 sent (20 min)
    T4 Sam  <-> jane     D2 14:00 o9 sent   D3 00:00:00 i6 in (midnight: D3)

    actions: a1 meeting completed D2 (Rita), a2 reply completed D2 (Rita), a3 task completed D3 (unassigned,
    created by Sam), a4 meeting pending, a5 meeting dismissed (Rita).

The rival workspace has mail on the same days: it must never count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus, ActionType
from inbox.contacts.models import Contact
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread, InboxStatus
from tests.factories import Member, make_member

D0, D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)

FIGURES = (
    "emails_sent",
    "emails_received",
    "replies_received",
    "reply_rate",
    "avg_response_time_minutes",
    "response_count",
    "leads_contacted",
    "meetings_scheduled",
    "actions_completed",
)


def figures(
    sent: int = 0,
    received: int = 0,
    replies: int = 0,
    rate: float = 0.0,
    avg: float | None = None,
    responses: int = 0,
    leads: int = 0,
    meetings: int = 0,
    actions: int = 0,
) -> dict[str, float | int | None]:
    return dict(zip(FIGURES, (sent, received, replies, rate, avg, responses, leads, meetings, actions), strict=True))


ZERO = figures()

# Per user and day.
EXPECTED_RITA = {
    D1: figures(sent=4, received=2, replies=2, rate=0.5, avg=30.0, responses=1, leads=2),
    D2: figures(sent=1, received=2, replies=1, rate=1.0, avg=60.0, responses=1, leads=1, meetings=1, actions=2),
    # Two replies to earlier mail and one send: the rate is capped at 1.
    D3: figures(sent=1, received=2, replies=2, rate=1.0, leads=1),
}
EXPECTED_SAM = {
    D1: ZERO,
    D2: figures(sent=2, received=1, replies=0, rate=0.0, avg=45.0, responses=1, leads=2),
    D3: figures(sent=2, received=2, replies=2, rate=1.0, avg=20.0, responses=1, leads=1, actions=1),
}
# group_by=day: both reps (the others have nothing), rates from the sums, averages weighted by response_count.
EXPECTED_DAYS = {
    D1: figures(sent=4, received=2, replies=2, rate=0.5, avg=30.0, responses=1, leads=2),
    D2: figures(sent=3, received=3, replies=1, rate=1 / 3, avg=52.5, responses=2, leads=3, meetings=1, actions=2),
    D3: figures(sent=3, received=4, replies=4, rate=1.0, avg=20.0, responses=1, leads=2, actions=1),
}
# group_by=user over D1..D3.
EXPECTED_USERS = {
    "rita": figures(sent=6, received=6, replies=5, rate=5 / 6, avg=45.0, responses=2, leads=4, meetings=1, actions=2),
    "sam": figures(sent=4, received=3, replies=2, rate=0.5, avg=32.5, responses=2, leads=3, actions=1),
}


@dataclass
class Dataset:
    team: dict[Role, Member]
    rita: Member
    sam: Member
    rita_box: EmailAccount
    sam_box: EmailAccount
    emails: dict[str, Email]
    actions: dict[str, Action]

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.rita.workspace_id


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


async def build(session: AsyncSession, settings: Settings, team: dict[Role, Member]) -> Dataset:
    rita = team[Role.SALES_REP]
    sam = await make_member(session, settings, workspace_id=rita.workspace_id, role=Role.SALES_REP, name="Sam Seller")
    workspace_id = rita.workspace_id
    rita_box = EmailAccount(
        workspace_id=workspace_id,
        user_id=rita.user.id,
        email_address="rita@ourco.example",
        provider=MailboxProvider.IMAP,
    )
    sam_box = EmailAccount(
        workspace_id=workspace_id, user_id=sam.user.id, email_address="sam@ourco.example", provider=MailboxProvider.IMAP
    )
    session.add_all([rita_box, sam_box])
    contacts = {
        name: Contact(workspace_id=workspace_id, email=f"{name}@{name}-corp.example")
        for name in ("jane", "bob", "carl", "dora")
    }
    session.add_all(contacts.values())
    await session.flush()

    threads: dict[str, EmailThread] = {}
    for key, box, contact in (
        ("T1", rita_box, "jane"),
        ("T2", rita_box, "bob"),
        ("T3", sam_box, "carl"),
        ("T4", sam_box, "jane"),
        ("T5", rita_box, "dora"),
        ("T6", rita_box, "bob"),
    ):
        threads[key] = EmailThread(
            workspace_id=workspace_id,
            email_account_id=box.id,
            contact_id=contacts[contact].id,
            subject=key,
            thread_identifier=f"{key}-{uuid.uuid4().hex}@ourco.example",
        )
    session.add_all(threads.values())
    await session.flush()

    emails: dict[str, Email] = {}

    def out(key: str, thread: str, who: Member, when: datetime | None, **extra: object) -> None:
        found = threads[thread]
        emails[key] = Email(
            workspace_id=workspace_id,
            thread_id=found.id,
            email_account_id=found.email_account_id,
            contact_id=found.contact_id,
            user_id=who.user.id,
            direction=Direction.OUTBOUND,
            delivery_status=extra.pop("status", DeliveryStatus.SENT),
            subject=key,
            message_id=f"{key}-{uuid.uuid4().hex}@ourco.example",
            sent_at=when,
            **extra,
        )

    def into(key: str, thread: str, owner: Member | None, when: datetime, **extra: object) -> None:
        found = threads[thread]
        emails[key] = Email(
            workspace_id=workspace_id,
            thread_id=found.id,
            email_account_id=found.email_account_id,
            contact_id=found.contact_id,
            user_id=owner.user.id if owner else None,
            direction=Direction.INBOUND,
            inbox_status=InboxStatus.UNREAD,
            subject=key,
            message_id=f"{key}-{uuid.uuid4().hex}@lead.example",
            received_at=when,
            **extra,
        )

    out("o1", "T1", rita, at(D1, 9))
    into("i1", "T1", rita, at(D1, 10, 30))
    out("o2", "T1", rita, at(D1, 11))
    out("o3", "T1", rita, at(D1, 11, 30))
    into("i2", "T1", rita, at(D2, 8), is_auto_reply=True)
    into("i3", "T1", rita, at(D2, 9))
    out("o4", "T1", rita, at(D2, 10))
    into("i9", "T1", rita, at(D3, 9, 30))
    out("draft", "T1", rita, None, status=DeliveryStatus.DRAFT)
    out("failed", "T1", rita, None, status=DeliveryStatus.FAILED, last_error="550 no such user")
    out("o5", "T2", rita, at(D1, 15))
    into("b1", "T2", rita, at(D1, 15, 5), is_bounce=True)
    into("i8", "T2", rita, at(D3, 9))
    out("o0", "T5", rita, at(D0, 23, 59, 59))
    into("i7", "T5", None, at(D1, 0, 0, 1))
    out("o10", "T6", rita, at(D3, 8))
    into("i4", "T3", sam, at(D2, 12))
    out("o6", "T3", sam, at(D2, 12, 45))
    out("o7", "T3", sam, at(D3, 9))
    into("i5", "T3", sam, at(D3, 10))
    out("o8", "T3", sam, at(D3, 10, 20))
    out("o9", "T4", sam, at(D2, 14))
    into("i6", "T4", sam, at(D3, 0))
    session.add_all(emails.values())

    actions = {
        "a1": Action(
            workspace_id=workspace_id,
            type=ActionType.MEETING,
            title="Book the demo",
            status=ActionStatus.COMPLETED,
            completed_at=at(D2, 16),
            assigned_to_id=rita.user.id,
        ),
        "a2": Action(
            workspace_id=workspace_id,
            type=ActionType.REPLY,
            title="Reply to Jane",
            status=ActionStatus.COMPLETED,
            completed_at=at(D2, 10),
            assigned_to_id=rita.user.id,
            created_by_id=sam.user.id,
        ),
        "a3": Action(
            workspace_id=workspace_id,
            type=ActionType.TASK,
            title="Update the CRM",
            status=ActionStatus.COMPLETED,
            completed_at=at(D3, 17),
            created_by_id=sam.user.id,
        ),
        "a4": Action(
            workspace_id=workspace_id,
            type=ActionType.MEETING,
            title="Book a call",
            assigned_to_id=rita.user.id,
        ),
        "a5": Action(
            workspace_id=workspace_id,
            type=ActionType.MEETING,
            title="Book lunch",
            status=ActionStatus.DISMISSED,
            completed_at=at(D2, 12),
            assigned_to_id=rita.user.id,
        ),
    }
    session.add_all(actions.values())
    await session.commit()
    return Dataset(
        team=team,
        rita=rita,
        sam=sam,
        rita_box=rita_box,
        sam_box=sam_box,
        emails=emails,
        actions=actions,
    )


async def rival_mail(session: AsyncSession, rival: dict[Role, Member]) -> None:
    """A send, a reply and a completed meeting in another workspace, on the same days."""
    rep = rival[Role.SALES_REP]
    box = EmailAccount(
        workspace_id=rep.workspace_id,
        user_id=rep.user.id,
        email_address="r@rival.example",
        provider=MailboxProvider.IMAP,
    )
    session.add(box)
    await session.flush()
    thread = EmailThread(workspace_id=rep.workspace_id, email_account_id=box.id, thread_identifier="rival-1")
    session.add(thread)
    await session.flush()
    common = {"workspace_id": rep.workspace_id, "thread_id": thread.id, "email_account_id": box.id}
    session.add_all(
        [
            Email(**common, user_id=rep.user.id, direction=Direction.OUTBOUND, sent_at=at(D1, 9), message_id="r1@x"),
            Email(
                **common, user_id=rep.user.id, direction=Direction.INBOUND, received_at=at(D1, 10), message_id="r2@x"
            ),
            Action(
                workspace_id=rep.workspace_id,
                type=ActionType.MEETING,
                title="Rival meeting",
                status=ActionStatus.COMPLETED,
                completed_at=at(D2, 9),
                assigned_to_id=rep.user.id,
            ),
        ]
    )
    await session.commit()

"""The web inbox over HTTP: sign-in, the inbox list and its order, filters and search, a thread, the draft."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus, ActionType
from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.settings import Settings
from inbox.templates.models import EmailTemplate, Tone
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread
from tests.factories import Member, make_member
from tests.ingest.factories import message
from tests.web.conftest import draft_of
from tests.web.helpers import ORIGIN, receive


def thread_order(html: str) -> list[str]:
    return re.findall(r'class="thread[^"]*"[^>]*href="/threads/([0-9a-f-]+)"', html)


async def test_pages_need_a_session_and_send_the_browser_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    response = await client.get(f"/threads/{uuid.uuid4()}?images=1")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=%2Fthreads%2F")
    response = await client.get("/", headers={"HX-Request": "true"})
    assert response.headers["hx-redirect"] == "/sign-in"


async def test_sign_in_form_sets_the_session_cookie_and_goes_where_it_was_asked(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, team: dict[Role, Member]
) -> None:
    member = await make_member(
        session, settings, workspace_id=team[Role.ADMIN].workspace_id, role=Role.SALES_REP, password="correct horse 9"
    )
    page = await client.get("/sign-in?next=/actions")
    assert page.status_code == 200
    assert 'name="next" value="/actions"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    wrong = await client.post(
        "/sign-in", data={"email": member.user.email, "password": "nope nope", "next": "/actions"}, headers=ORIGIN
    )
    assert wrong.status_code == 401
    assert "Wrong email or password." in wrong.text

    foreign = await client.post(
        "/sign-in",
        data={"email": member.user.email, "password": "correct horse 9"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403

    offsite = await client.post(
        "/sign-in",
        data={"email": member.user.email, "password": "correct horse 9", "next": "//evil.example/x"},
        headers=ORIGIN,
    )
    assert offsite.status_code == 303
    assert offsite.headers["location"] == "/"
    assert "better-auth.session_token" in offsite.headers["set-cookie"]

    inbox = await client.get("/")  # the cookie jar holds the session now
    assert inbox.status_code == 200
    assert "Sign out" in inbox.text

    out = await client.post("/sign-out", headers=ORIGIN)
    assert out.status_code == 303
    client.cookies.clear()
    assert (await client.get("/")).status_code == 303


async def test_password_reset_pages_mail_a_link_that_sets_a_new_password(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, team: dict[Role, Member]
) -> None:
    member = await make_member(
        session, settings, workspace_id=team[Role.ADMIN].workspace_id, role=Role.SALES_REP, password="old password 1"
    )
    outbox = Path(settings.data_dir) / "outbox"
    before = set(outbox.glob("*")) if outbox.exists() else set()
    sent = await client.post("/forgot-password", data={"email": member.user.email}, headers=ORIGIN)
    assert sent.status_code == 200
    assert "a link to choose a new password is on its way" in sent.text
    mails = [path for path in outbox.glob("*") if path not in before]
    assert len(mails) == 1
    token = re.search(r"/reset-password\?token=([\w-]+)", mails[0].read_text()).group(1)  # type: ignore[union-attr]

    form = await client.get(f"/reset-password?token={token}")
    assert f'value="{token}"' in form.text
    differ = await client.post(
        "/reset-password", data={"token": token, "password": "new password 22", "password_again": "x"}, headers=ORIGIN
    )
    assert differ.status_code == 400
    done = await client.post(
        "/reset-password",
        data={"token": token, "password": "new password 22", "password_again": "new password 22"},
        headers=ORIGIN,
    )
    assert done.status_code == 200, done.text
    assert "Your password is changed" in done.text
    again = await client.post(
        "/reset-password",
        data={"token": token, "password": "new password 33", "password_again": "new password 33"},
        headers=ORIGIN,
    )
    assert again.status_code == 400
    assert "invalid or has expired" in again.text
    signed_in = await client.post(
        "/sign-in", data={"email": member.user.email, "password": "new password 22"}, headers=ORIGIN
    )
    assert signed_in.status_code == 303


async def test_the_inbox_shows_threads_that_need_a_person_first(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    threads = {
        row.id: row
        for row in (await session.execute(sa.select(EmailThread).where(EmailThread.id.in_(inbox.values())))).scalars()
    }
    hot, question, no = (threads[inbox[name]] for name in ("hot", "question", "no"))
    assert (hot.attention, hot.needs_reply, hot.has_draft, hot.unread_count) == (3, True, True, 1)
    assert question.needs_reply and question.has_draft and question.attention in (1, 2)
    assert no.attention < question.attention
    # Each thread carries what triage said of its own newest message.
    assert (hot.intent, question.intent, no.intent) == ("interested", "question", "unsubscribe")
    assert question.urgency in ("low", "medium") and hot.urgency == "high"

    page = await client.get("/", headers=team[Role.SALES_REP].headers)
    assert page.status_code == 200
    order = thread_order(page.text)
    assert order[:3] == [str(inbox["hot"]), str(inbox["question"]), str(inbox["no"])]
    assert "needs reply" in page.text and "draft ready" in page.text
    assert 'hx-trigger="every 20s"' in page.text  # the list refreshes itself

    # The manager sees the same threads; the rival workspace none of them.
    manager = await client.get("/", headers=team[Role.MANAGER].headers)
    assert set(thread_order(manager.text)) >= set(map(str, inbox.values()))


async def test_filters_and_search_narrow_the_list(
    client: httpx.AsyncClient, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    headers = team[Role.SALES_REP].headers

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/?{query}", headers=headers)
        assert response.status_code == 200
        return thread_order(response.text)

    assert await ids("temperature=hot") == [str(inbox["hot"])]
    assert str(inbox["no"]) not in await ids("needs_reply=1")
    assert await ids("q=seats") == [str(inbox["question"])]
    assert await ids("q=hannah") == [str(inbox["hot"])]  # the sender
    assert await ids("q=ready+sign") == [str(inbox["hot"])]  # every word, anywhere
    assert await ids("q=nothing-matches-this") == []
    assert set(await ids("unread=1")) == {str(i) for i in inbox.values()}
    # A value the page never offers is ignored, not an error; a bad cursor starts over.
    assert len(await ids("temperature=lukewarm&intent=%3Cscript%3E&cursor=garbage")) == 3
    # Reading a thread marks it read: it leaves the unread filter.
    assert (await client.get(f"/threads/{inbox['question']}", headers=headers)).status_code == 200
    assert str(inbox["question"]) not in await ids("unread=1")


async def test_the_list_pages_by_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient,
    db: Database,
    session: AsyncSession,
    mailbox: EmailAccount,
    team: dict[Role, Member],
    tmp_path: Path,
) -> None:
    raws = [
        message(sender=f"Lead {n} <lead{n}@co{n}.example>", subject=f"Hello {n}", body=f"Note number {n}.\n")
        for n in range(57)
    ]
    await receive(session, mailbox, tmp_path / "blobs", *raws)
    seen: list[str] = []
    url = "/"
    while url:
        response = await client.get(
            url, headers={**team[Role.SALES_REP].headers, "HX-Request": "true", "HX-Target": "more"}
        )
        seen += thread_order(response.text)
        found = re.search(r'hx-get="(/\?cursor=[^"]+)"', response.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == 57 == len(set(seen))


async def test_a_thread_shows_the_message_the_lead_and_what_the_ai_read(
    client: httpx.AsyncClient, team: dict[Role, Member], inbox: dict[str, uuid.UUID], rival: dict[Role, Member]
) -> None:
    page = await client.get(f"/threads/{inbox['hot']}", headers=team[Role.SALES_REP].headers)
    assert page.status_code == 200
    assert "sign the contract this week" in page.text
    assert "hannah@bigbuyer.example" in page.text
    assert 'class="temp hot"' in page.text
    assert "AI read" in page.text and "offline" in page.text
    assert 'id="send"' in page.text  # the draft, ready to send

    foreign = await client.get(f"/threads/{inbox['hot']}", headers=rival[Role.ADMIN].headers)
    assert foreign.status_code == 404
    assert "sign the contract" not in foreign.text


async def test_html_mail_is_shown_in_a_sandboxed_frame_with_its_own_strict_policy(
    client: httpx.AsyncClient,
    db: Database,
    session: AsyncSession,
    mailbox: EmailAccount,
    team: dict[Role, Member],
    tmp_path: Path,
) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@attacker.example>"
    msg["To"] = "rita@ourco.example"
    msg["Subject"] = "Look"
    msg["Message-ID"] = "<look@attacker.example>"
    msg.set_content("plain part")
    msg.add_alternative(
        '<p>Hello<img src="https://tracker.example/p.gif"><script>alert(1)</script>'
        '<a href="javascript:alert(2)" onclick="alert(3)">x</a></p>',
        subtype="html",
    )
    (email_id,) = await receive(session, mailbox, tmp_path / "blobs", msg.as_bytes())
    thread_id = await session.scalar(sa.select(Email.thread_id).where(Email.id == email_id))
    headers = team[Role.SALES_REP].headers
    page = await client.get(f"/threads/{thread_id}", headers=headers)
    assert '<iframe class="body" sandbox title=' in page.text
    assert f'src="/emails/{email_id}/body"' in page.text
    assert "<script>alert" not in page.text

    body = await client.get(f"/emails/{email_id}/body", headers=headers)
    policy = body.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "img-src data:;" in policy and "sandbox" in policy
    assert "<script" not in body.text and "onclick" not in body.text and "javascript:" not in body.text
    allowed = await client.get(f"/emails/{email_id}/body?images=1", headers=headers)
    assert "img-src data: https:" in allowed.headers["content-security-policy"]


async def test_editing_and_sending_the_draft_keeps_what_the_rep_changed(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    headers = {**team[Role.SALES_REP].headers, **ORIGIN}
    draft = await draft_of(session, inbox["question"])
    ai_subject, ai_body = draft.subject, draft.body_text or ""
    assert draft.ai_generated and ai_body

    edited = ai_body.rstrip() + "\nP.S. 12 seats are 240 EUR a month."
    saved = await client.post(
        f"/emails/{draft.id}/draft", data={"do": "save", "subject": ai_subject, "body": edited}, headers=headers
    )
    assert saved.status_code == 200
    assert "Draft saved." in saved.text
    draft = await draft_of(session, inbox["question"])
    assert (draft.ai_draft_subject, draft.ai_draft_body, draft.body_text) == (ai_subject, ai_body, edited)

    too_long = await client.post(
        f"/emails/{draft.id}/draft", data={"do": "save", "subject": "x\ny", "body": "b"}, headers=headers
    )
    assert too_long.status_code == 400
    assert "one line" in too_long.text

    sent = await client.post(
        f"/emails/{draft.id}/draft",
        data={"do": "send", "subject": ai_subject, "body": edited},
        headers={**headers, "HX-Request": "true"},
    )
    assert sent.status_code == 200
    assert sent.headers["hx-redirect"] == f"/threads/{inbox['question']}"
    email = await session.scalar(sa.select(Email).where(Email.id == draft.id).execution_options(populate_existing=True))
    assert email is not None
    assert email.delivery_status is DeliveryStatus.QUEUED
    assert email.draft_edit_distance == len("\nP.S. 12 seats are 240 EUR a month.")  # 35 characters added
    action = await session.scalar(
        sa.select(Action).where(Action.draft_email_id == draft.id).execution_options(populate_existing=True)
    )
    assert action is not None and action.status is ActionStatus.COMPLETED
    thread = await session.scalar(
        sa.select(EmailThread).where(EmailThread.id == inbox["question"]).execution_options(populate_existing=True)
    )
    assert thread is not None and not thread.has_draft

    again = await client.post(f"/emails/{draft.id}/draft", data={"do": "save", "body": "x"}, headers=headers)
    assert again.status_code == 409


async def test_regenerate_in_a_tone_insert_a_template_and_discard(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], inbox: dict[str, uuid.UUID]
) -> None:
    rep = team[Role.SALES_REP]
    headers = {**rep.headers, **ORIGIN}
    draft = await draft_of(session, inbox["question"])

    casual = await client.post(
        f"/emails/{draft.id}/draft", data={"do": "regenerate", "tone": "casual"}, headers=headers
    )
    assert casual.status_code == 200, casual.text
    assert "Hey Quinn," in casual.text
    formal = await client.post(
        f"/emails/{draft.id}/draft", data={"do": "regenerate", "tone": "formal"}, headers=headers
    )
    assert "Dear Quinn Query," in formal.text and "Kind regards" in formal.text
    bad = await client.post(f"/emails/{draft.id}/draft", data={"do": "regenerate", "tone": "snarky"}, headers=headers)
    assert bad.status_code == 400

    template = EmailTemplate(
        workspace_id=rep.workspace_id,
        name="Pricing",
        subject="Our pricing",
        body="Hi {{first_name|there}}, the pricing sheet for {{company|your team}} is attached.",
        tone=Tone.PROFESSIONAL,
        category="pricing",
    )
    session.add(template)
    await session.commit()
    inserted = await client.post(
        f"/emails/{draft.id}/draft",
        data={"do": "template", "template_id": str(template.id), "subject": "Re: Pricing question", "body": "Hello"},
        headers=headers,
    )
    assert inserted.status_code == 200, inserted.text
    assert "Hello\n\nHi Quinn, the pricing sheet for" in inserted.text

    discarded = await client.post(f"/emails/{draft.id}/draft", data={"do": "discard"}, headers=headers)
    assert discarded.status_code == 303
    assert await session.scalar(sa.select(Email.id).where(Email.id == draft.id)) is None
    action = await session.scalar(
        sa.select(Action).where(Action.thread_id == inbox["question"], Action.type == ActionType.REPLY)
    )
    assert action is not None and action.status is ActionStatus.DISMISSED


async def test_another_workspace_cannot_touch_a_draft(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    inbox: dict[str, uuid.UUID],
) -> None:
    draft = await draft_of(session, inbox["hot"])
    for action in ("save", "send", "discard", "regenerate"):
        response = await client.post(
            f"/emails/{draft.id}/draft",
            data={"do": action, "subject": "pwned", "body": "pwned", "tone": "casual"},
            headers={**rival[Role.ADMIN].headers, **ORIGIN},
        )
        assert response.status_code == 404, action
    assert (await draft_of(session, inbox["hot"])).subject != "pwned"
    archived = await client.post(f"/threads/{inbox['hot']}/archive", headers={**rival[Role.ADMIN].headers, **ORIGIN})
    assert archived.status_code == 404
    assert (await session.get(EmailThread, inbox["hot"])) is not None
    direction = await session.scalar(sa.select(Email.direction).where(Email.id == draft.id))
    assert direction is Direction.OUTBOUND

"""The inbox and a thread: reading, the AI's insights, and the draft a rep edits and sends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from ai.drafting import regenerate_draft, template_text
from ai.providers import build_providers
from ai.schemas import DRAFT_TONES
from api.web.common import PAGE_HEADERS, AnyRequest, current_user, is_htmx, page, parse_uuid
from inbox.accounts.models import Account
from inbox.actions.models import Action, ActionStatus
from inbox.contacts.models import Contact, Temperature
from inbox.core.errors import InboxError, NotFound
from inbox.core.principal import Principal
from inbox.insights.models import AiInsight
from inbox.mailboxes.models import EmailAccount
from inbox.sending.drafts import discard_draft, edit_draft
from inbox.sending.service import approve_send
from inbox.sequences.models import Sequence, SequenceEnrollment
from inbox.settings import Settings
from inbox.templates.models import EmailTemplate
from inbox.threads.inbox import FOLDERS, InboxFilters, inbox_counts, inbox_page
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread, InboxStatus, ThreadStatus
from inbox.threads.repository import EmailRepository, ThreadRepository
from inbox.threads.state import refresh_threads
from inbox.users.models import User
from workers.queue import enqueue_send

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
INTENTS = (
    "interested",
    "meeting_request",
    "question",
    "objection",
    "not_interested",
    "unsubscribe",
    "out_of_office",
    "referral",
    "auto_reply",
    "spam",
    "other",
)
# The frame that shows an email's HTML: no script, no form, no plugin, nothing from outside; images only
# when the rep allows them (then over https only).
BODY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
BODY_CSP_IMAGES = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; sandbox; frame-ancestors 'self'"


def _filters(
    folder: str | None,
    needs_reply: str | None,
    unread: str | None,
    drafts: str | None,
    temperature: str | None,
    intent: str | None,
    mailbox_id: str | None,
    assignee_id: str | None,
    q: str | None,
) -> InboxFilters:
    """Filters from the query string; a value the page never offers is ignored, not an error."""
    return InboxFilters(
        folder=folder if folder in FOLDERS else "inbox",
        needs_reply=needs_reply == "1",
        unread=unread == "1",
        drafts=drafts == "1",
        temperature=Temperature(temperature) if temperature in {t.value for t in Temperature} else None,
        intent=intent if intent in INTENTS else None,
        mailbox_id=parse_uuid(mailbox_id),
        assignee_id=parse_uuid(assignee_id),
        q=(q or "").strip()[:200] or None,
    )


Query = Annotated[str | None, QueryParameter(max_length=200)]


async def _chrome(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """What the layout shows on every page: the user and the inbox's badges."""
    return {
        "me": await current_user(session, principal),
        "principal": principal,
        "counts": await inbox_counts(session, principal),
    }


class InboxPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def inbox(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        folder: Query = None,
        needs_reply: Query = None,
        unread: Query = None,
        drafts: Query = None,
        temperature: Query = None,
        intent: Query = None,
        mailbox_id: Query = None,
        assignee_id: Query = None,
        q: Query = None,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
    ) -> Template:
        filters = _filters(folder, needs_reply, unread, drafts, temperature, intent, mailbox_id, assignee_id, q)
        try:
            result = await inbox_page(db_session, web_principal, filters, cursor=cursor)
        except InboxError:
            result = await inbox_page(db_session, web_principal, filters)
        context: dict[str, Any] = {
            "result": result,
            "filters": filters,
            "qs": urlencode(filters.query_items()),
            "intents": INTENTS,
            "temperatures": [t.value for t in Temperature],
        }
        if is_htmx(request) and request.headers.get("hx-target") in ("thread-list", "more"):
            return page("_thread_rows.html", **context, counts=await inbox_counts(db_session, web_principal))
        mailboxes = (
            await db_session.execute(
                sa.select(EmailAccount.id, EmailAccount.email_address)
                .where(EmailAccount.workspace_id == web_principal.workspace_id)
                .order_by(EmailAccount.email_address)
            )
        ).all()
        users = (
            await db_session.execute(
                sa.select(User.id, User.first_name, User.last_name, User.email)
                .where(User.workspace_id == web_principal.workspace_id, User.is_active.is_(True))
                .order_by(User.email)
            )
        ).all()
        return page(
            "inbox.html", **context, **await _chrome(db_session, web_principal), mailboxes=mailboxes, users=users
        )

    @get("/threads/{thread_id:uuid}")
    async def thread(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        thread_id: FromPath[uuid.UUID],
        images: Query = None,
    ) -> Template:
        threads = ThreadRepository(db_session, web_principal)
        try:
            thread = await threads.get(thread_id)
        except NotFound:
            return page("not_found.html", 404, **await _chrome(db_session, web_principal), what="thread")
        context = await _thread_context(db_session, web_principal, thread)
        return page(
            "thread.html",
            **context,
            **await _chrome(db_session, web_principal),
            images=images == "1",
            tones=DRAFT_TONES,
        )

    @post("/threads/{thread_id:uuid}/read", status_code=200)
    async def mark_read(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        thread_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Redirect:
        thread = await ThreadRepository(db_session, web_principal).get(thread_id)
        await _mark_read(db_session, thread)
        return _done(request, f"/threads/{thread.id}")

    @post("/threads/{thread_id:uuid}/archive", status_code=200)
    async def archive(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        thread_id: FromPath[uuid.UUID],
    ) -> Response[Any] | Redirect:
        thread = await ThreadRepository(db_session, web_principal).get(thread_id)
        thread.status = ThreadStatus.ARCHIVED if thread.status is not ThreadStatus.ARCHIVED else ThreadStatus.ACTIVE
        await db_session.flush()
        await refresh_threads(db_session, [thread.id])
        return _done(request, "/")

    @get("/emails/{email_id:uuid}/body")
    async def email_body(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
        images: Query = None,
    ) -> Response[str]:
        """The email's sanitised HTML as its own document, for the sandboxed frame of the thread page."""
        email = await EmailRepository(db_session, web_principal).get(email_id)
        html = email.body_html or ""
        document = (
            "<!doctype html><html><head><meta charset='utf-8'><base target='_blank'>"
            "<style>body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;word-wrap:break-word}"
            "img{max-width:100%;height:auto}</style></head><body>" + html + "</body></html>"
        )
        return Response(
            content=document,
            media_type="text/html",
            headers={
                "content-security-policy": BODY_CSP_IMAGES if images == "1" else BODY_CSP,
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                "cache-control": "private, no-store",
            },
        )

    # --- the draft -----------------------------------------------------------------------------------------

    @post("/emails/{email_id:uuid}/draft", status_code=200)
    async def save_draft(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        email_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template | Response[Any] | Redirect:
        """One form, several buttons: save, send (now or at a time), discard, regenerate in a tone, insert a
        template. Each is answered with the draft's panel (htmx) or the thread page."""
        intent = data.get("do") or "save"
        notice: str | None = None
        try:
            if intent == "discard":
                thread_id = await discard_draft(db_session, web_principal, email_id)
                return _done(request, f"/threads/{thread_id}" if thread_id else "/", reload=True)
            if intent in ("save", "send"):
                await edit_draft(
                    db_session, web_principal, email_id, subject=data.get("subject", ""), body=data.get("body", "")
                )
                notice = "Draft saved."
            if intent == "send":
                send_at = _send_at(data.get("send_at"))
                email = await approve_send(db_session, web_principal, email_id, send_at)
                await db_session.commit()
                if email.delivery_status is DeliveryStatus.QUEUED:
                    enqueue_send([email.id])
                return _done(request, f"/threads/{email.thread_id}" if email.thread_id else "/", reload=True)
            if intent == "regenerate":
                provider, _ = build_providers(app_settings.ai)
                await regenerate_draft(db_session, web_principal, provider, email_id, data.get("tone", ""))
                notice = f"Rewritten in a {data.get('tone')} tone."
            elif intent == "template":
                template_id = parse_uuid(data.get("template_id"))
                if template_id is None:
                    raise NotFound.of("template")
                subject, body = await template_text(db_session, web_principal, email_id, template_id)
                email = await EmailRepository(db_session, web_principal).get(email_id)
                text = data.get("body", email.body_text or "").rstrip()
                await edit_draft(
                    db_session,
                    web_principal,
                    email_id,
                    subject=data.get("subject") or subject or email.subject or "",
                    body=f"{text}\n\n{body}".strip() if text else body,
                )
                notice = "Template inserted."
        except InboxError as exc:
            await db_session.rollback()
            return await _draft_panel(db_session, web_principal, email_id, error=exc.message, status=exc.status_code)
        return await _draft_panel(db_session, web_principal, email_id, notice=notice)


def _send_at(raw: str | None) -> datetime | None:
    """A ``datetime-local`` value, read as UTC (the page says so); empty: now."""
    if not raw:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        from inbox.core.errors import InvalidInput

        raise InvalidInput("send_at: not a date and time", field="send_at") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _done(request: AnyRequest, location: str, *, reload: bool = False) -> Response[Any] | Redirect:
    if is_htmx(request):
        header = "HX-Redirect" if reload or location == "/" else "HX-Location"
        return Response(content=b"", status_code=200, headers={header: location})
    return Redirect(location, status_code=303)


async def _mark_read(session: AsyncSession, thread: EmailThread) -> None:
    if thread.unread_count == 0:
        return
    await session.execute(
        sa.update(Email)
        .where(
            Email.workspace_id == thread.workspace_id,
            Email.thread_id == thread.id,
            Email.direction == Direction.INBOUND,
            Email.inbox_status == InboxStatus.UNREAD,
        )
        .values(inbox_status=InboxStatus.READ)
        .execution_options(synchronize_session=False)
    )
    await refresh_threads(session, [thread.id])


async def _draft_panel(
    session: AsyncSession,
    principal: Principal,
    email_id: uuid.UUID,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    email = await EmailRepository(session, principal).get(email_id)
    templates = (
        await session.execute(
            sa.select(EmailTemplate.id, EmailTemplate.name, EmailTemplate.category, EmailTemplate.tone)
            .where(EmailTemplate.workspace_id == principal.workspace_id)
            .order_by(EmailTemplate.category, EmailTemplate.name)
        )
    ).all()
    return Template(
        template_name="_draft.html",
        context={"draft": email, "templates": templates, "tones": DRAFT_TONES, "notice": notice, "error": error},
        status_code=status,
        headers=PAGE_HEADERS,
    )


async def _thread_context(session: AsyncSession, principal: Principal, thread: EmailThread) -> dict[str, Any]:
    emails = await EmailRepository(session, principal).in_thread(thread.id)
    await _mark_read(session, thread)
    contact = account = None
    sequences: list[Any] = []
    if thread.contact_id is not None:
        contact = await session.get(Contact, thread.contact_id)
        if contact is not None and contact.account_id is not None:
            account = await session.get(Account, contact.account_id)
        sequences = list(
            (
                await session.execute(
                    sa.select(Sequence.name, SequenceEnrollment.status, SequenceEnrollment.current_step)
                    .join(Sequence, Sequence.id == SequenceEnrollment.sequence_id)
                    .where(
                        SequenceEnrollment.workspace_id == principal.workspace_id,
                        SequenceEnrollment.contact_id == thread.contact_id,
                    )
                )
            ).all()
        )
    insights = (
        (
            await session.execute(
                sa.select(AiInsight)
                .where(AiInsight.workspace_id == principal.workspace_id, AiInsight.thread_id == thread.id)
                .order_by(AiInsight.created_at.desc())
                .limit(40)
            )
        )
        .scalars()
        .all()
    )
    latest: dict[str, AiInsight] = {}
    for insight in insights:
        latest.setdefault(str(insight.insight_type), insight)
    actions = (
        (
            await session.execute(
                sa.select(Action)
                .where(
                    Action.workspace_id == principal.workspace_id,
                    Action.thread_id == thread.id,
                    Action.status == ActionStatus.PENDING,
                )
                .order_by(Action.due_at.asc().nulls_last())
            )
        )
        .scalars()
        .all()
    )
    drafts = [e for e in emails if e.direction is Direction.OUTBOUND and e.delivery_status is DeliveryStatus.DRAFT]
    messages = [e for e in emails if e not in drafts]
    templates = (
        await session.execute(
            sa.select(EmailTemplate.id, EmailTemplate.name, EmailTemplate.category, EmailTemplate.tone)
            .where(EmailTemplate.workspace_id == principal.workspace_id)
            .order_by(EmailTemplate.category, EmailTemplate.name)
        )
    ).all()
    html_ids = set(
        (
            await session.execute(
                sa.select(Email.id).where(
                    Email.workspace_id == principal.workspace_id,
                    Email.thread_id == thread.id,
                    Email.body_html.is_not(None),
                    Email.body_html != "",
                )
            )
        )
        .scalars()
        .all()
    )
    return {
        "thread": thread,
        "messages": messages,
        "drafts": drafts,
        "html_ids": html_ids,
        "contact": contact,
        "account": account,
        "sequences": sequences,
        "insights": latest,
        "actions": actions,
        "templates": templates,
    }

"""The actions page: a rep's tasks and AI actions, due today first; complete, snooze, reassign.

Each row's buttons post with htmx and get the row back (``_action_row.html``); without JavaScript the forms
post the same way and the browser is sent back to the list. The list and the changes go through
``inbox.actions`` (the repository's visibility rule and the service that backs ``/api/tasks``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.web.common import AnyRequest, is_htmx, page, parse_uuid
from api.web.inbox_pages import _chrome
from inbox.actions import service
from inbox.actions.repository import ActionRepository, AgendaItem
from inbox.core.db import utcnow
from inbox.core.errors import InboxError, InvalidInput, NotFound
from inbox.core.principal import Principal
from inbox.users.models import User
from inbox.users.repository import UserRepository

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Query = Annotated[str | None, QueryParameter(max_length=64)]
# The list shows at most this many actions (the oldest due first); the rest wait for these to be done.
AGENDA_LIMIT = 500


def display_name(user: User) -> str:
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.email


async def _users(session: AsyncSession, principal: Principal) -> list[User]:
    """The workspace's active users, for the reassign menu and the assignee filter."""
    result = await UserRepository(session, principal).list(
        role=None, is_active=True, q=None, sort="name", limit=200, cursor=None
    )
    return list(result.items)


def _day_bounds(now: datetime) -> datetime:
    """The end of today (UTC): an action due before it is due today or overdue."""
    return datetime.combine(now.date() + timedelta(days=1), time(0, 0), now.tzinfo)


def _row_context(principal: Principal, users: list[User]) -> dict[str, Any]:
    now = utcnow()
    end_of_today = _day_bounds(now)
    return {
        "now": now,
        "start_of_today": end_of_today - timedelta(days=1),
        "end_of_today": end_of_today,
        "users": [(user.id, display_name(user)) for user in users],
        "user_names": {user.id: display_name(user) for user in users},
        "snooze_choices": service.SNOOZE_CHOICES,
    }


class ActionPages(Controller):
    path = "/actions"
    include_in_schema = False

    @get("/")
    async def actions(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        snoozed: Query = None,
        assignee: Query = None,
    ) -> Template:
        """Pending actions of the signed-in user (a manager or admin may pick anyone, or everyone)."""
        return await _list_page(db_session, web_principal, snoozed=snoozed == "1", assignee=assignee)

    @post("/{task_id:uuid}/complete", status_code=200)
    async def complete(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
    ) -> Template | Redirect:
        async def change() -> None:
            await service.complete_task(db_session, web_principal, task_id)

        return await _act(request, db_session, web_principal, task_id, change, "Done.")

    @post("/{task_id:uuid}/snooze", status_code=200)
    async def snooze(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template | Redirect:
        async def change() -> None:
            now = utcnow()
            until = service.snooze_until((data.get("until") or "").strip(), now)
            await service.snooze_task(db_session, web_principal, task_id, until, now=now)

        return await _act(request, db_session, web_principal, task_id, change, "Snoozed.")

    @post("/{task_id:uuid}/reassign", status_code=200)
    async def reassign(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        task_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template | Redirect:
        async def change() -> None:
            raw = (data.get("assigned_to_id") or "").strip()
            assignee_id = parse_uuid(raw)
            if raw and assignee_id is None:
                raise InvalidInput("assigned_to_id: not a user id", field="assigned_to_id")
            await service.reassign_task(db_session, web_principal, task_id, assignee_id)

        return await _act(request, db_session, web_principal, task_id, change, "Reassigned.")


async def _list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    snoozed: bool,
    assignee: str | None,
    error: str | None = None,
    error_id: uuid.UUID | None = None,
    status: int = 200,
) -> Template:
    users = await _users(session, principal)
    context = _row_context(principal, users)
    # A rep's list is always their own; a manager's is theirs unless they pick someone else or everyone.
    owner_id: uuid.UUID | None = principal.user_id
    chosen = "me"
    if principal.sees_whole_workspace and assignee:
        if assignee == "all":
            owner_id, chosen = None, "all"
        elif (picked := parse_uuid(assignee)) is not None and picked in context["user_names"]:
            owner_id, chosen = picked, str(picked)
    items = await ActionRepository(session, principal).agenda(
        owner_id=owner_id,
        now=context["now"],
        end_of_today=context["end_of_today"],
        include_snoozed=snoozed,
        limit=AGENDA_LIMIT,
    )
    sections: list[tuple[str, list[AgendaItem]]] = [("Today and overdue", []), ("Later", []), ("No due date", [])]
    for item in items:
        due = item.action.due_at
        index = 2 if due is None else 0 if due < context["end_of_today"] else 1
        sections[index][1].append(item)
    return page(
        "actions.html",
        status,
        **context,
        **await _chrome(session, principal),
        sections=[section for section in sections if section[1]],
        total=len(items),
        limit=AGENDA_LIMIT,
        snoozed=snoozed,
        chosen=chosen,
        error=error,
        error_id=error_id,
    )


async def _row(
    session: AsyncSession,
    principal: Principal,
    item: AgendaItem,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    context = _row_context(principal, await _users(session, principal))
    return page("_action_row.html", status, **context, principal=principal, item=item, notice=notice, error=error)


async def _act(
    request: AnyRequest,
    session: AsyncSession,
    principal: Principal,
    task_id: uuid.UUID,
    change: Callable[[], Awaitable[None]],
    notice: str,
) -> Template | Redirect:
    """Make one change to an action the principal can see; answer with its row (htmx) or the list."""
    try:
        # Read first: the row is shown as it is now even when the change takes it out of the user's sight (a
        # hand-over); the service changes this same instance (the session's identity map).
        item = await ActionRepository(session, principal).agenda_item(task_id)
        await change()
    except InboxError as exc:
        return await _failed(request, session, principal, task_id, exc)
    if is_htmx(request):
        return await _row(session, principal, item, notice=notice)
    return Redirect("/actions", status_code=303)


async def _failed(
    request: AnyRequest, session: AsyncSession, principal: Principal, task_id: uuid.UUID, exc: InboxError
) -> Template:
    """The row (htmx) or the list (a plain form post) with the error beside the action; 404 for an action
    the user cannot see."""
    await session.rollback()
    if isinstance(exc, NotFound):
        if is_htmx(request):
            return page("_action_gone.html", 404)
        return page("not_found.html", 404, **await _chrome(session, principal), what="task")
    if is_htmx(request):
        item = await ActionRepository(session, principal).agenda_item(task_id)
        return await _row(session, principal, item, error=exc.message, status=exc.status_code)
    return await _list_page(
        session, principal, snoozed=True, assignee=None, error=exc.message, error_id=task_id, status=exc.status_code
    )

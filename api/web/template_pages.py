"""The template library: every user reads it; managers and admins create, edit and delete templates.

Forms post here and go through ``inbox.templates.service`` (the one behind ``/api/templates``), so the
rules are the API's: names unique in the workspace, one default per category (a new default replaces the
old one), the same validation. A refused form comes back with what was typed and the reason.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.web.common import AnyRequest, is_htmx, page
from api.web.inbox_pages import _chrome
from inbox.core.errors import InboxError, NotFound
from inbox.core.principal import Principal
from inbox.templates import rendering, service
from inbox.templates.models import EmailTemplate, Tone
from inbox.templates.repository import TemplateRepository
from inbox.templates.schemas import TemplateCreate, TemplateUpdate

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
FIELDS = ("name", "subject", "body", "tone", "category")
NOTICES = {"created": "Template created.", "updated": "Template saved.", "deleted": "Template deleted."}
# The library lists at most this many templates (pages of the repository's list).
LIBRARY_PAGES, PAGE_SIZE = 10, 200


def variables(template: EmailTemplate | dict[str, Any]) -> list[str]:
    """The ``{{variables}}`` the template's subject and body use, each once."""
    subject = template.subject if isinstance(template, EmailTemplate) else template.get("subject", "")
    body = template.body if isinstance(template, EmailTemplate) else template.get("body", "")
    return list(dict.fromkeys(rendering.variables(subject or "") + rendering.variables(body or "")))


async def _library(session: AsyncSession, principal: Principal) -> list[EmailTemplate]:
    repository = TemplateRepository(session, principal)
    found: list[EmailTemplate] = []
    cursor: str | None = None
    for _ in range(LIBRARY_PAGES):
        result = await repository.list(
            category=None, tone=None, is_default=None, q=None, sort="name", limit=PAGE_SIZE, cursor=cursor
        )
        found.extend(result.items)
        cursor = result.next_cursor
        if cursor is None:
            break
    return found


def _form_values(data: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: data.get(name, "") for name in FIELDS}
    values["category"] = values["category"].strip() or "general"
    values["is_default"] = data.get("is_default") in ("1", "on", "true")
    return values


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "form"
        if error["type"] in ("string_too_short", "too_short") and error.get("ctx", {}).get("min_length") == 1:
            message = "must not be empty"
        else:
            message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


class TemplatePages(Controller):
    path = "/templates"
    include_in_schema = False

    @get("/")
    async def library(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        done: Annotated[str | None, QueryParameter(max_length=16)] = None,
    ) -> Template:
        templates = await _library(db_session, web_principal)
        by_category: dict[str, list[EmailTemplate]] = defaultdict(list)
        for template in templates:
            by_category[template.category].append(template)
        return page(
            "templates_list.html",
            **await _chrome(db_session, web_principal),
            categories=sorted(by_category.items()),
            variables=variables,
            may_edit=web_principal.sees_whole_workspace,
            notice=NOTICES.get(done or ""),
        )

    @get("/new")
    async def new_form(
        self, db_session: NamedDependency[AsyncSession], web_principal: NamedDependency[Principal]
    ) -> Template:
        if not web_principal.sees_whole_workspace:
            return await _forbidden(db_session, web_principal)
        values = {"name": "", "subject": "", "body": "", "tone": Tone.PROFESSIONAL.value, "category": "general"}
        return await _form(db_session, web_principal, None, {**values, "is_default": False})

    @post("/", status_code=303)
    async def create(
        self, db_session: NamedDependency[AsyncSession], web_principal: NamedDependency[Principal], data: Form
    ) -> Template | Redirect:
        if not web_principal.sees_whole_workspace:
            return await _forbidden(db_session, web_principal)
        values = _form_values(data)
        try:
            await service.create_template(db_session, web_principal, TemplateCreate.model_validate(values))
        except ValidationError as exc:
            return await _form(db_session, web_principal, None, values, error=_validation_message(exc), status=400)
        except InboxError as exc:
            await db_session.rollback()
            return await _form(db_session, web_principal, None, values, error=exc.message, status=exc.status_code)
        return Redirect("/templates?done=created", status_code=303)

    @get("/{template_id:uuid}")
    async def edit_form(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
    ) -> Template:
        if not web_principal.sees_whole_workspace:
            return await _forbidden(db_session, web_principal)
        try:
            template = await TemplateRepository(db_session, web_principal).get(template_id)
        except NotFound:
            return await _not_found(db_session, web_principal)
        values = {name: getattr(template, name) for name in FIELDS}
        values["is_default"] = template.is_default
        return await _form(db_session, web_principal, template_id, values)

    @post("/{template_id:uuid}", status_code=303)
    async def update(
        self,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Template | Redirect:
        if not web_principal.sees_whole_workspace:
            return await _forbidden(db_session, web_principal)
        values = _form_values(data)
        try:
            await service.update_template(db_session, web_principal, template_id, TemplateUpdate.model_validate(values))
        except ValidationError as exc:
            return await _form(
                db_session, web_principal, template_id, values, error=_validation_message(exc), status=400
            )
        except NotFound:
            await db_session.rollback()
            return await _not_found(db_session, web_principal)
        except InboxError as exc:
            await db_session.rollback()
            return await _form(
                db_session, web_principal, template_id, values, error=exc.message, status=exc.status_code
            )
        return Redirect("/templates?done=updated", status_code=303)

    @post("/{template_id:uuid}/delete", status_code=303)
    async def delete(
        self,
        request: AnyRequest,
        db_session: NamedDependency[AsyncSession],
        web_principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
    ) -> Template | Redirect | Response[bytes]:
        if not web_principal.sees_whole_workspace:
            return await _forbidden(db_session, web_principal)
        try:
            await service.delete_template(db_session, web_principal, template_id)
        except NotFound:
            await db_session.rollback()
            return await _not_found(db_session, web_principal)
        if is_htmx(request):  # the list's button asks first (hx-confirm), then the page goes to the list
            return Response(content=b"", status_code=200, headers={"HX-Redirect": "/templates?done=deleted"})
        return Redirect("/templates?done=deleted", status_code=303)


async def _form(
    session: AsyncSession,
    principal: Principal,
    template_id: uuid.UUID | None,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status: int = 200,
) -> Template:
    categories = sorted({template.category for template in await _library(session, principal)} | {"general"})
    return page(
        "template_form.html",
        status,
        **await _chrome(session, principal),
        template_id=template_id,
        values=values,
        variables=variables(values),
        tones=[tone.value for tone in Tone],
        categories=categories,
        error=error,
    )


async def _forbidden(session: AsyncSession, principal: Principal) -> Template:
    return page(
        "forbidden.html",
        403,
        **await _chrome(session, principal),
        what="Only managers and admins can change the template library.",
    )


async def _not_found(session: AsyncSession, principal: Principal) -> Template:
    return page("not_found.html", 404, **await _chrome(session, principal), what="template")

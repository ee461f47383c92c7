"""The template library pages: everyone reads it, managers and admins change it through the API's service."""

from __future__ import annotations

import re
import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.templates.models import EmailTemplate, Tone
from tests.factories import Member
from tests.web.helpers import ORIGIN


async def add_template(session: AsyncSession, member: Member, name: str, **values: object) -> EmailTemplate:
    template = EmailTemplate(
        workspace_id=member.workspace_id,
        created_by_id=member.user.id,
        name=name,
        subject=values.pop("subject", "Hello {{first_name}}"),
        body=values.pop("body", "Hi {{first_name|there}}, about {{company}}."),
        **values,
    )
    session.add(template)
    await session.commit()
    return template


async def stored(session: AsyncSession, workspace_id: uuid.UUID) -> dict[str, EmailTemplate]:
    rows = await session.scalars(
        sa.select(EmailTemplate)
        .where(EmailTemplate.workspace_id == workspace_id)
        .execution_options(populate_existing=True)
    )
    return {template.name: template for template in rows}


def form(**values: str) -> dict[str, str]:
    return {"name": "", "subject": "", "body": "", "tone": "professional", "category": "general"} | values


async def test_the_library_lists_templates_by_category_for_every_role(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    admin = team[Role.ADMIN]
    follow_up = await add_template(session, admin, "Gentle nudge", category="follow_up", is_default=True)
    await add_template(session, admin, "Intro", category="intro", tone=Tone.FRIENDLY, subject="Meet {{sender.name}}")
    await add_template(session, rival[Role.ADMIN], "Rival secret", category="follow_up")

    for role in Role:
        page = await client.get("/templates", headers=team[role].headers)
        assert page.status_code == 200
        html = page.text
        assert "Rival secret" not in html
        assert html.index(">follow up <") < html.index("Gentle nudge") < html.index(">intro <") < html.index("Intro<")
        row = html[html.index(f'id="template-{follow_up.id}"') :]
        row = row[: row.index("</tr>")]
        assert "default" in row and "professional" in row and "Hello {{first_name}}" in row
        assert re.findall(r'<code class="var">([\w.]+)</code>', row) == ["first_name", "company"]
        assert "sender.name" in html
        editable = role is not Role.SALES_REP
        assert ('href="/templates/new"' in html) is editable
        assert (f'action="/templates/{follow_up.id}/delete"' in html) is editable


async def test_a_manager_creates_edits_and_deletes_a_template(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member]
) -> None:
    manager = team[Role.MANAGER]
    headers = {**manager.headers, **ORIGIN}
    new = await client.get("/templates/new", headers=manager.headers)
    assert new.status_code == 200 and 'action="/templates"' in new.text

    created = await client.post(
        "/templates",
        data=form(
            name="Pricing reply", subject="Pricing for {{company}}", body="Hi {{first_name}}", category="Pricing"
        ),
        headers=headers,
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/templates?done=created"
    template = (await stored(session, manager.workspace_id))["Pricing reply"]
    assert (template.category, template.tone, template.is_default) == ("pricing", Tone.PROFESSIONAL, False)
    assert template.created_by_id == manager.user.id
    listed = await client.get("/templates?done=created", headers=manager.headers)
    assert "Template created." in listed.text

    edit = await client.get(f"/templates/{template.id}", headers=manager.headers)
    assert edit.status_code == 200
    assert 'value="Pricing reply"' in edit.text
    assert re.findall(r'<code class="var">([\w.]+)</code>', edit.text) == ["company", "first_name"]
    saved = await client.post(
        f"/templates/{template.id}",
        data=form(
            name="Pricing answer",
            subject="Re: pricing",
            body="Hello {{ first_name|there }}",
            tone="casual",
            category="pricing",
            is_default="1",
        ),
        headers=headers,
    )
    assert saved.status_code == 303, saved.text
    template = (await stored(session, manager.workspace_id))["Pricing answer"]
    assert (template.subject, template.tone, template.is_default) == ("Re: pricing", Tone.CASUAL, True)

    deleted = await client.post(f"/templates/{template.id}/delete", headers=headers)
    assert deleted.status_code == 303
    assert "Pricing answer" not in await stored(session, manager.workspace_id)
    assert (await client.get(f"/templates/{template.id}", headers=manager.headers)).status_code == 404
    # The list's delete button uses htmx (to confirm first): the page is then sent to the list.
    other = await add_template(session, manager, "Short-lived")
    htmx = await client.post(f"/templates/{other.id}/delete", headers={**headers, "HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == "/templates?done=deleted"
    assert "Short-lived" not in await stored(session, manager.workspace_id)


async def test_a_second_default_replaces_the_first_and_errors_come_back_in_the_form(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member]
) -> None:
    admin = team[Role.ADMIN]
    headers = {**admin.headers, **ORIGIN}
    first = await add_template(session, admin, "Old default", category="follow_up", is_default=True)
    replaced = await client.post(
        "/templates",
        data=form(name="New default", body="Checking in.", category="follow up", is_default="on"),
        headers=headers,
    )
    assert replaced.status_code == 303, replaced.text
    templates = await stored(session, admin.workspace_id)
    assert templates["New default"].is_default and templates["New default"].category == "follow_up"
    assert not templates["Old default"].is_default

    duplicate = await client.post(
        "/templates", data=form(name="Old default", body="Again", category="intro", is_default="1"), headers=headers
    )
    assert duplicate.status_code == 409
    assert "a template with this name already exists in the workspace" in duplicate.text
    assert 'value="Old default"' in duplicate.text and "Again</textarea>" in duplicate.text  # what was typed
    templates = await stored(session, admin.workspace_id)
    assert len(templates) == 2 and templates["New default"].is_default  # the refused form changed nothing

    for data, message in (
        (form(name="", body="x"), "name: must not be empty"),
        (form(name="No body", body=""), "body: must not be empty"),
        (form(name="Bad tone", body="x", tone="angry"), "tone: Input should be"),
        (form(name="Bad category", body="x", category="a/b"), "category: must be 1 to 64 letters"),
        (form(name="Two lines", body="x", subject="a\nb"), "subject: must be a single line"),
        (form(name="Nul", body="x\x00"), "body: must not contain NUL characters"),
    ):
        refused = await client.post("/templates", data=data, headers=headers)
        assert refused.status_code == 400, (data, refused.text)
        assert message in refused.text, refused.text

    renamed = await client.post(
        f"/templates/{first.id}", data=form(name="New default", body="x", category="follow_up"), headers=headers
    )
    assert renamed.status_code == 409
    assert "already exists" in renamed.text
    assert (await stored(session, admin.workspace_id))["Old default"].body == first.body


async def test_a_rep_reads_the_library_but_cannot_change_it(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member]
) -> None:
    rep = team[Role.SALES_REP]
    own = await add_template(session, rep, "Rep's own")
    headers = {**rep.headers, **ORIGIN}
    assert (await client.get("/templates/new", headers=rep.headers)).status_code == 403
    create = await client.post("/templates", data=form(name="Sneaky", body="x"), headers=headers)
    assert create.status_code == 403
    assert "Only managers and admins can change the template library." in create.text
    assert (await client.get(f"/templates/{own.id}", headers=rep.headers)).status_code == 403
    edit = await client.post(f"/templates/{own.id}", data=form(name="Changed", body="x"), headers=headers)
    assert edit.status_code == 403
    assert (await client.post(f"/templates/{own.id}/delete", headers=headers)).status_code == 403
    assert set(await stored(session, rep.workspace_id)) == {"Rep's own"}


async def test_another_workspaces_template_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]
) -> None:
    theirs = await add_template(session, rival[Role.ADMIN], "Rival template", body="Secret body")
    for member in (team[Role.ADMIN], team[Role.MANAGER]):
        headers = {**member.headers, **ORIGIN}
        page = await client.get(f"/templates/{theirs.id}", headers=member.headers)
        assert page.status_code == 404 and "Secret body" not in page.text
        edit = await client.post(f"/templates/{theirs.id}", data=form(name="Mine now", body="x"), headers=headers)
        assert edit.status_code == 404
        delete = await client.post(f"/templates/{theirs.id}/delete", headers=headers)
        assert delete.status_code == 404
    template = (await stored(session, rival[Role.ADMIN].workspace_id))["Rival template"]
    assert template.body == "Secret body"

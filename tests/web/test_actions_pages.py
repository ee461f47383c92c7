"""The actions page: whose actions it lists and in what order, and complete, snooze, reassign from a row."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionPriority, ActionSource, ActionStatus, ActionType
from inbox.actions.service import snooze_until
from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.core.principal import Role
from inbox.settings import Settings
from inbox.threads.models import EmailThread
from tests.factories import Member, make_member
from tests.web.helpers import ORIGIN

HTMX = {"HX-Request": "true"}


def listed(html: str) -> list[str]:
    return re.findall(r'<tr id="action-([0-9a-f-]+)"', html)


async def fresh(session: AsyncSession, action_id: uuid.UUID) -> Action:
    action = await session.scalar(
        sa.select(Action).where(Action.id == action_id).execution_options(populate_existing=True)
    )
    assert action is not None
    return action


async def add_action(session: AsyncSession, workspace_id: uuid.UUID, title: str, **values: object) -> Action:
    action = Action(
        workspace_id=workspace_id,
        type=values.pop("type", ActionType.TASK),
        source=values.pop("source", ActionSource.MANUAL),
        title=title,
        **values,
    )
    session.add(action)
    await session.flush()
    return action


@pytest.fixture
async def agenda(session: AsyncSession, team: dict[Role, Member]) -> dict[str, uuid.UUID]:
    """Actions of every kind around the team's rep; their ids by name."""
    rep, manager = team[Role.SALES_REP], team[Role.MANAGER]
    workspace_id = rep.workspace_id
    now = utcnow()
    end_of_today = datetime.combine(now.date() + timedelta(days=1), time(0, 0), UTC)
    reps_lead = Contact(
        workspace_id=workspace_id, email="lena@lead.example", first_name="Lena", last_name="Lead", owner_id=rep.user.id
    )
    managers_lead = Contact(
        workspace_id=workspace_id, email="otto@other.example", first_name="Otto", owner_id=manager.user.id
    )
    session.add_all([reps_lead, managers_lead])
    await session.flush()
    thread = EmailThread(
        workspace_id=workspace_id,
        subject="Order form",
        thread_identifier=f"t-{uuid.uuid4()}@x",
        contact_id=reps_lead.id,
    )
    session.add(thread)
    await session.flush()
    mine = {"assigned_to_id": rep.user.id}
    made = {
        "later": await add_action(session, workspace_id, "Send the proposal", due_at=now + timedelta(days=3), **mine),
        "undated": await add_action(session, workspace_id, "Update the CRM notes", **mine),
        "today": await add_action(
            session,
            workspace_id,
            "Reply to Lena",
            type=ActionType.REPLY,
            source=ActionSource.AI,
            due_at=end_of_today - timedelta(seconds=1),
            contact_id=reps_lead.id,
            thread_id=thread.id,
            priority=ActionPriority.URGENT,
            **mine,
        ),
        "overdue": await add_action(
            session,
            workspace_id,
            "Call back Lena",
            type=ActionType.CALL,
            due_at=now - timedelta(days=2),
            contact_id=reps_lead.id,
            **mine,
        ),
        "unassigned_mine": await add_action(
            session,
            workspace_id,
            "Follow up with Lena",
            type=ActionType.FOLLOW_UP,
            contact_id=reps_lead.id,
            due_at=now + timedelta(days=1, hours=1),
        ),
        "unassigned_other": await add_action(session, workspace_id, "Follow up with Otto", contact_id=managers_lead.id),
        "managers": await add_action(session, workspace_id, "Quarterly review", assigned_to_id=manager.user.id),
        "completed": await add_action(
            session, workspace_id, "Done already", status=ActionStatus.COMPLETED, completed_at=now, **mine
        ),
        "snoozed": await add_action(
            session, workspace_id, "Sleeping task", snoozed_until=now + timedelta(days=1), **mine
        ),
        "woke": await add_action(session, workspace_id, "Woken task", snoozed_until=now - timedelta(hours=1), **mine),
    }
    await session.commit()
    return {name: action.id for name, action in made.items()}


async def test_a_rep_sees_their_pending_actions_due_today_first_then_later_then_undated(
    client: httpx.AsyncClient, team: dict[Role, Member], agenda: dict[str, uuid.UUID]
) -> None:
    page = await client.get("/actions", headers=team[Role.SALES_REP].headers)
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    ids = [uuid.UUID(found) for found in listed(page.text)]
    order = {name: ids.index(action_id) for name, action_id in agenda.items() if action_id in ids}
    # Hidden: another person's, unassigned about someone else's contact, completed, snoozed.
    assert set(order) == {"overdue", "today", "later", "unassigned_mine", "undated", "woke"}
    assert order["overdue"] < order["today"] < order["unassigned_mine"] < order["later"] < order["undated"]
    assert order["later"] < order["woke"]  # undated ones last
    assert page.text.index("Today and overdue") < page.text.index("Later") < page.text.index("No due date")
    row = page.text[page.text.index(f'id="action-{agenda["today"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Reply to Lena" in row and "Lena Lead" in row and ">reply<" in row and "urgent" in row
    assert re.search(r'href="/threads/[0-9a-f-]+">Open thread', row)
    assert 'hx-post="/actions/' in row and 'hx-target="closest tr"' in row
    assert "style=" not in page.text and "onclick" not in page.text and "<script>" not in page.text

    snoozed = await client.get("/actions?snoozed=1", headers=team[Role.SALES_REP].headers)
    assert str(agenda["snoozed"]) in listed(snoozed.text)
    assert "snoozed until" in snoozed.text


async def test_a_manager_sees_their_own_list_and_may_look_at_everyones(
    client: httpx.AsyncClient, team: dict[Role, Member], agenda: dict[str, uuid.UUID]
) -> None:
    manager = team[Role.MANAGER]
    own = {uuid.UUID(i) for i in listed((await client.get("/actions", headers=manager.headers)).text)}
    assert own == {agenda["managers"], agenda["unassigned_other"]}
    everyone = await client.get("/actions?assignee=all", headers=manager.headers)
    found = {uuid.UUID(i) for i in listed(everyone.text)}
    assert found == {agenda[name] for name in agenda if name not in ("completed", "snoozed")}
    reps = await client.get(f"/actions?assignee={team[Role.SALES_REP].user.id}", headers=manager.headers)
    assert agenda["today"] in {uuid.UUID(i) for i in listed(reps.text)}
    assert agenda["managers"] not in {uuid.UUID(i) for i in listed(reps.text)}
    # A rep cannot look at anyone else's list: the parameter is ignored.
    rep_view = await client.get(f"/actions?assignee={manager.user.id}", headers=team[Role.SALES_REP].headers)
    assert str(agenda["managers"]) not in rep_view.text


async def test_complete_from_a_row_marks_it_done_and_answers_with_the_row(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], agenda: dict[str, uuid.UUID]
) -> None:
    rep = team[Role.SALES_REP]
    answer = await client.post(f"/actions/{agenda['today']}/complete", headers={**rep.headers, **ORIGIN, **HTMX})
    assert answer.status_code == 200
    assert answer.text.strip().startswith(f'<tr id="action-{agenda["today"]}" class="action done')
    assert "Done." in answer.text
    action = await fresh(session, agenda["today"])
    assert action.status is ActionStatus.COMPLETED
    assert action.completed_at is not None
    page = await client.get("/actions", headers=rep.headers)
    assert str(agenda["today"]) not in listed(page.text)

    # Without htmx, the form post goes back to the list.
    plain = await client.post(f"/actions/{agenda['later']}/complete", headers={**rep.headers, **ORIGIN})
    assert plain.status_code == 303
    assert plain.headers["location"] == "/actions"
    assert (await fresh(session, agenda["later"])).status is ActionStatus.COMPLETED


async def test_snooze_hides_the_action_until_the_chosen_time(
    client: httpx.AsyncClient, session: AsyncSession, team: dict[Role, Member], agenda: dict[str, uuid.UUID]
) -> None:
    rep = team[Role.SALES_REP]
    before = utcnow()
    answer = await client.post(
        f"/actions/{agenda['overdue']}/snooze", data={"until": "tomorrow"}, headers={**rep.headers, **ORIGIN, **HTMX}
    )
    assert answer.status_code == 200, answer.text
    assert "Snoozed." in answer.text and "snoozed until" in answer.text
    action = await fresh(session, agenda["overdue"])
    assert action.snoozed_until is not None
    tomorrow_nine = datetime.combine(before.date() + timedelta(days=1), time(9, 0), UTC)
    assert action.snoozed_until in (tomorrow_nine, tomorrow_nine + timedelta(days=1))  # a request across midnight
    assert action.status is ActionStatus.PENDING
    assert str(agenda["overdue"]) not in listed((await client.get("/actions", headers=rep.headers)).text)

    hour = await client.post(
        f"/actions/{agenda['undated']}/snooze", data={"until": "1h"}, headers={**rep.headers, **ORIGIN, **HTMX}
    )
    assert hour.status_code == 200
    snoozed = (await fresh(session, agenda["undated"])).snoozed_until
    assert snoozed is not None and timedelta(minutes=59) < snoozed - before < timedelta(minutes=61)

    bad = await client.post(
        f"/actions/{agenda['later']}/snooze", data={"until": "forever"}, headers={**rep.headers, **ORIGIN, **HTMX}
    )
    assert bad.status_code == 400
    assert f'id="action-{agenda["later"]}"' in bad.text
    assert "until: choose one of 1h, tomorrow, next_week" in bad.text
    assert (await fresh(session, agenda["later"])).snoozed_until is None

    # Without htmx the list comes back with the message beside the row.
    plain = await client.post(f"/actions/{agenda['later']}/snooze", data={}, headers={**rep.headers, **ORIGIN})
    assert plain.status_code == 400
    assert "until: choose one of" in plain.text and "<table" in plain.text

    done = await client.post(
        f"/actions/{agenda['completed']}/snooze", data={"until": "1h"}, headers={**rep.headers, **ORIGIN, **HTMX}
    )
    assert done.status_code == 400
    assert "only a pending task can be snoozed" in done.text


def test_snooze_choices_name_the_moments_the_page_promises() -> None:
    wednesday = datetime(2025, 3, 5, 15, 30, tzinfo=UTC)
    assert snooze_until("1h", wednesday) == datetime(2025, 3, 5, 16, 30, tzinfo=UTC)
    assert snooze_until("tomorrow", wednesday) == datetime(2025, 3, 6, 9, 0, tzinfo=UTC)
    assert snooze_until("next_week", wednesday) == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    monday_early = datetime(2025, 3, 10, 7, 0, tzinfo=UTC)
    assert snooze_until("next_week", monday_early) == datetime(2025, 3, 17, 9, 0, tzinfo=UTC)


async def test_reassign_hands_the_action_over_within_the_workspace_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    agenda: dict[str, uuid.UUID],
) -> None:
    rep, manager = team[Role.SALES_REP], team[Role.MANAGER]
    page = await client.get("/actions", headers=rep.headers)
    assert f'<option value="{manager.user.id}"' in page.text  # the menu offers the workspace's active users
    assert str(rival[Role.ADMIN].user.id) not in page.text

    answer = await client.post(
        f"/actions/{agenda['today']}/reassign",
        data={"assigned_to_id": str(manager.user.id)},
        headers={**rep.headers, **ORIGIN, **HTMX},
    )
    assert answer.status_code == 200, answer.text
    assert "Reassigned." in answer.text and "Max Manager" in answer.text
    assert (await fresh(session, agenda["today"])).assigned_to_id == manager.user.id
    assert str(agenda["today"]) not in listed((await client.get("/actions", headers=rep.headers)).text)
    # Handed over, it is out of the rep's sight: they cannot change it again.
    again = await client.post(
        f"/actions/{agenda['today']}/reassign",
        data={"assigned_to_id": str(rep.user.id)},
        headers={**rep.headers, **ORIGIN, **HTMX},
    )
    assert again.status_code == 404
    # A rep cannot reassign what they cannot see (another person's action).
    theirs = await client.post(
        f"/actions/{agenda['managers']}/reassign",
        data={"assigned_to_id": str(rep.user.id)},
        headers={**rep.headers, **ORIGIN, **HTMX},
    )
    assert theirs.status_code == 404
    assert (await fresh(session, agenda["managers"])).assigned_to_id == manager.user.id

    for bad in (str(rival[Role.SALES_REP].user.id), "not-a-uuid", str(uuid.uuid4())):
        refused = await client.post(
            f"/actions/{agenda['later']}/reassign",
            data={"assigned_to_id": bad},
            headers={**rep.headers, **ORIGIN, **HTMX},
        )
        assert refused.status_code == 400, bad
        assert "assigned_to_id:" in refused.text
        assert f'id="action-{agenda["later"]}"' in refused.text
    inactive = await make_member(session, settings, workspace_id=rep.workspace_id, role=Role.SALES_REP)
    inactive.user.is_active = False
    await session.commit()
    refused = await client.post(
        f"/actions/{agenda['later']}/reassign",
        data={"assigned_to_id": str(inactive.user.id)},
        headers={**manager.headers, **ORIGIN, **HTMX},
    )
    assert refused.status_code == 400
    assert (await fresh(session, agenda["later"])).assigned_to_id == rep.user.id

    unassign = await client.post(
        f"/actions/{agenda['later']}/reassign", data={"assigned_to_id": ""}, headers={**rep.headers, **ORIGIN, **HTMX}
    )
    assert unassign.status_code == 200
    assert (await fresh(session, agenda["later"])).assigned_to_id is None


async def test_another_workspaces_action_is_not_found_and_unchanged(
    client: httpx.AsyncClient,
    session: AsyncSession,
    team: dict[Role, Member],
    rival: dict[Role, Member],
    agenda: dict[str, uuid.UUID],
) -> None:
    target = agenda["today"]
    for member in (rival[Role.ADMIN], rival[Role.SALES_REP]):
        page = await client.get("/actions?assignee=all&snoozed=1", headers=member.headers)
        assert page.status_code == 200
        assert not set(listed(page.text)) & {str(i) for i in agenda.values()}
        for path, data in (
            ("complete", {}),
            ("snooze", {"until": "1h"}),
            ("reassign", {"assigned_to_id": str(member.user.id)}),
        ):
            for extra in ({}, HTMX):
                answer = await client.post(
                    f"/actions/{target}/{path}", data=data, headers={**member.headers, **ORIGIN, **extra}
                )
                assert answer.status_code == 404, (path, answer.text)
                assert "Reply to Lena" not in answer.text
                assert ("<html" in answer.text) is not bool(extra)  # htmx gets a row to swap in
    action = await fresh(session, target)
    assert action.status is ActionStatus.PENDING
    assert action.snoozed_until is None
    assert action.assigned_to_id == team[Role.SALES_REP].user.id


async def test_the_page_needs_a_session_and_a_cookie_post_needs_our_origin(
    client: httpx.AsyncClient, team: dict[Role, Member], agenda: dict[str, uuid.UUID]
) -> None:
    assert (await client.get("/actions")).headers["location"] == "/sign-in?next=%2Factions"
    anonymous = await client.post(f"/actions/{agenda['today']}/complete", headers=ORIGIN)
    assert anonymous.status_code == 303

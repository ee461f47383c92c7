"""The managers' dashboard on a known set of daily metrics and emails, with known answers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.principal import Role
from inbox.metrics.dashboard import dashboard
from inbox.metrics.models import PerformanceMetric
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread
from tests.factories import Member

RANGE = "from=2025-03-01&to=2025-03-07"


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def metric(member: Member, day: date, sent: int, received: int, replies: int, meetings: int) -> PerformanceMetric:
    return PerformanceMetric(
        workspace_id=member.workspace_id,
        user_id=member.user.id,
        date=day,
        emails_sent=sent,
        emails_received=received,
        replies_received=replies,
        reply_rate=replies / sent if sent else 0.0,
        meetings_scheduled=meetings,
    )


async def thread_of(session: AsyncSession, member: Member, *mail: tuple[str, datetime, dict[str, object]]) -> None:
    """A thread and its messages: ("in", received at, extra) or ("out", sent at, extra); out mail is the member's."""
    thread = EmailThread(workspace_id=member.workspace_id, subject="Pricing", thread_identifier=f"{uuid.uuid4()}@x")
    session.add(thread)
    await session.flush()
    for direction, moment, extra in mail:
        values: dict[str, object] = {"workspace_id": member.workspace_id, "thread_id": thread.id, "subject": "Pricing"}
        if direction == "in":
            values |= {"direction": Direction.INBOUND, "received_at": moment, "from_address": "lead@buyer.example"}
        else:
            values |= {
                "direction": Direction.OUTBOUND,
                "user_id": member.user.id,
                "delivery_status": DeliveryStatus.SENT,
                "sent_at": moment,
            }
        session.add(Email(**(values | extra)))
    await session.flush()


@pytest.fixture
async def figures(session: AsyncSession, team: dict[Role, Member], rival: dict[Role, Member]) -> None:
    rep, manager = team[Role.SALES_REP], team[Role.MANAGER]
    session.add_all(
        [
            metric(rep, date(2025, 3, 1), sent=10, received=6, replies=3, meetings=1),
            metric(rep, date(2025, 3, 3), sent=4, received=2, replies=1, meetings=0),
            metric(manager, date(2025, 3, 1), sent=6, received=4, replies=3, meetings=2),
            metric(rep, date(2025, 2, 28), sent=100, received=100, replies=100, meetings=100),  # before the range
            metric(rival[Role.SALES_REP], date(2025, 3, 1), sent=1000, received=1000, replies=1000, meetings=1000),
        ]
    )
    # The rep answers after 30 minutes, then 60 (an auto-reply in between does not count), then writes again
    # an hour later: a follow-up to their own mail, not a response (as the rollup defines it).
    await thread_of(
        session,
        rep,
        ("in", at(1, 9), {}),
        ("out", at(1, 9, 30), {}),
        ("in", at(2, 10), {}),
        ("in", at(2, 10, 30), {"is_auto_reply": True}),
        ("out", at(2, 11), {"delivery_status": DeliveryStatus.DELIVERED}),
        ("out", at(2, 12), {}),
        ("out", at(3, 9), {"delivery_status": DeliveryStatus.DRAFT, "sent_at": None}),  # not sent
    )
    # The manager answers after 10 minutes; a first message with nothing to answer is no response.
    await thread_of(session, manager, ("in", at(3, 8), {}), ("out", at(3, 8, 10), {}))
    await thread_of(session, manager, ("out", at(4, 8), {}))
    # Outside the range, and another workspace's.
    await thread_of(session, rep, ("in", at(28, 8, month=2), {}), ("out", at(28, 9, month=2), {}))
    await thread_of(session, rival[Role.SALES_REP], ("in", at(2, 8), {}), ("out", at(2, 8, 1), {}))
    await session.commit()


async def test_dashboard_figures_per_day_and_per_rep(
    session: AsyncSession, team: dict[Role, Member], figures: None
) -> None:
    rep, manager = team[Role.SALES_REP], team[Role.MANAGER]
    data = await dashboard(session, manager.principal, date(2025, 3, 1), date(2025, 3, 7))
    assert [day.day for day in data.days] == [date(2025, 3, d) for d in range(1, 8)]
    first, second, third = data.days[0], data.days[1], data.days[2]
    assert (first.sent, first.received, first.replies, first.meetings) == (16, 10, 6, 3)
    assert first.reply_rate == pytest.approx(6 / 16)
    assert first.median_response_minutes == 30
    assert (second.sent, second.reply_rate, second.median_response_minutes) == (0, None, 60)
    assert (third.sent, third.replies, third.median_response_minutes) == (4, 1, 10)
    assert all(day.sent == 0 and day.median_response_minutes is None for day in data.days[3:])

    reps = {figures.user_id: figures for figures in data.reps}
    assert set(reps) == {member.user.id for member in team.values()}
    r, m, a = reps[rep.user.id], reps[manager.user.id], reps[team[Role.ADMIN].user.id]
    assert (r.name, r.sent, r.received, r.replies, r.meetings) == ("Rita Rep", 14, 8, 4, 1)
    assert r.reply_rate == pytest.approx(4 / 14)
    assert r.response_minutes == [30, 60] and r.median_response_minutes == 45
    assert (m.sent, m.replies, m.meetings, m.median_response_minutes) == (6, 3, 2, 10)
    assert (a.sent, a.reply_rate, a.median_response_minutes) == (0, None, None)
    total = data.total
    assert (total.sent, total.received, total.replies, total.meetings) == (20, 12, 7, 3)
    assert total.reply_rate == pytest.approx(0.35)
    assert total.median_response_minutes == 30  # of 10, 30, 60

    # A sales rep's figures are their own only.
    own = await dashboard(session, rep.principal, date(2025, 3, 1), date(2025, 3, 7))
    assert [figures.user_id for figures in own.reps] == [rep.user.id]
    assert (own.total.sent, own.total.median_response_minutes) == (14, 45)


async def test_the_dashboard_page_shows_the_figures_charts_and_export(
    client: httpx.AsyncClient, team: dict[Role, Member], figures: None
) -> None:
    for role in (Role.MANAGER, Role.ADMIN):
        page = await client.get(f"/dashboard?{RANGE}", headers=team[role].headers)
        assert page.status_code == 200, page.text
        html = page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "style=" not in html and "<script>" not in html
        assert re.search(r'id="kpi-sent">20<', html)
        assert re.search(r'id="kpi-received">12<', html)
        assert re.search(r'id="kpi-reply-rate">35%<', html)
        assert re.search(r'id="kpi-median">30 min<', html)
        assert re.search(r'id="kpi-meetings">3<', html)
        rep_row = html[html.index(f'id="rep-{team[Role.SALES_REP].user.id}"') :]
        rep_row = rep_row[: rep_row.index("</tr>")]
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", rep_row)
        assert cells == ["Rita Rep", "14", "8", "4", "28.6%", "45 min", "1"]
        assert 'href="/api/metrics?from=2025-03-01&amp;to=2025-03-07&amp;group_by=user&amp;format=csv"' in html
        # Sent and received bars: one per day with mail (1 and 3 March sent; 1 and 3 March received).
        assert len(re.findall(r'<rect class="bar sent"', html)) == 2
        assert len(re.findall(r'<rect class="bar received"', html)) == 2
        assert "<title>2025-03-01: 16 sent</title>" in html
        assert "<title>2025-03-02: 60 min median response</title>" in html
        assert len(re.findall(r'<circle class="dot rate"', html)) == 2  # days on which mail was sent
        assert "<title>2025-03-01: 37.5% reply rate</title>" in html
        assert "Rival" not in html and "1000" not in html


async def test_the_dashboard_defaults_to_the_last_30_days_and_refuses_bad_ranges(
    client: httpx.AsyncClient, team: dict[Role, Member]
) -> None:
    manager = team[Role.MANAGER]
    page = await client.get("/dashboard", headers=manager.headers)
    assert page.status_code == 200
    values = re.findall(r'type="date" name="(?:from|to)" value="([\d-]+)"', page.text)
    since, until = (date.fromisoformat(value) for value in values)
    assert (until - since).days == 29
    assert "No data in this range" in page.text

    for query, message in (
        ("from=yesterday", "from: not a date; use YYYY-MM-DD"),
        ("from=2025-03-08&to=2025-03-01", "from must be on or before to"),
        ("from=2020-01-01&to=2025-01-01", "choose at most 366 days"),
        ("to=2025-02-30", "to: not a date"),
    ):
        bad = await client.get(f"/dashboard?{query}", headers=manager.headers)
        assert bad.status_code == 400, query
        assert message in bad.text


async def test_a_rep_gets_a_403_page(client: httpx.AsyncClient, team: dict[Role, Member], figures: None) -> None:
    page = await client.get(f"/dashboard?{RANGE}", headers=team[Role.SALES_REP].headers)
    assert page.status_code == 403
    assert "The dashboard is for managers and admins." in page.text
    assert "kpi-sent" not in page.text
    assert 'href="/dashboard"' not in page.text  # the navigation offers it to managers only

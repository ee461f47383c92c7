"""The public tracking links through the app: no session, the signed token decides everything."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.auth.crypto import sign_cookie_value
from inbox.contacts.models import Contact
from inbox.core.principal import Role
from inbox.sequences.models import EnrollmentStatus, SequenceEnrollment
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Email, EmailEvent, EmailEventType
from inbox.tracking.machine import BURST, HEAD_REQUEST, PRIVACY_PROXY, TOO_SOON
from inbox.tracking.rewrite import TrackingLinks
from tests.factories import Member
from tests.tracking.conftest import SentEmail

BROWSER = {
    "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
}
PRICING = "https://acme.example/pricing?plan=team&seats=5"
DOCS = "https://acme.example/docs"


def _path(url: str) -> str:
    return url.split("testserver.local", 1)[1]


async def _email(session: AsyncSession, email_id: uuid.UUID) -> Email:
    email = await session.scalar(sa.select(Email).where(Email.id == email_id).execution_options(populate_existing=True))
    assert email is not None
    return email


async def _events(session: AsyncSession, email_id: uuid.UUID, kind: EmailEventType) -> list[EmailEvent]:
    rows = await session.scalars(
        sa.select(EmailEvent)
        .where(EmailEvent.email_id == email_id, EmailEvent.event_type == kind)
        .order_by(EmailEvent.occurred_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


# --- Opens ------------------------------------------------------------------------------------------------------


async def test_a_persons_open_answers_an_uncached_pixel_counts_and_moves_the_status(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()

    response = await client.get(_path(links.open_url(email.id)), headers={**BROWSER, "x-forwarded-for": "17.1.1.1"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) < 100
    assert "no-store" in response.headers["cache-control"]
    [event] = await _events(session, email.id, EmailEventType.OPENED)
    assert (event.is_machine, event.provider, event.contact_id) == (False, "tracking", email.contact_id)
    assert event.ip_address == "127.0.0.1"  # X-Forwarded-For is not trusted unless configured
    assert event.user_agent == BROWSER["user-agent"]
    stored = await _email(session, email.id)
    assert (stored.open_count, stored.delivery_status) == (1, DeliveryStatus.OPENED)


async def test_a_forged_open_token_gets_the_pixel_all_the_same_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    good = _path(links.open_url(email.id))
    forged = [good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "/t/o/nonsense", "/t/o/" + "A" * 5000]
    forged.append(_path(links.unsubscribe_url(email.id)).replace("/u/", "/t/o/"))  # another kind's token

    for path in forged:
        response = await client.get(path, headers=BROWSER)
        assert (response.status_code, response.headers["content-type"]) == (200, "image/gif"), path

    assert await _events(session, email.id, EmailEventType.OPENED) == []
    assert (await _email(session, email.id)).open_count == 0


async def test_machine_opens_are_recorded_and_never_counted(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    just_sent = await sent_email(sent_ago=timedelta(seconds=1))

    head = await client.head(_path(links.open_url(email.id)), headers=BROWSER)
    apple = await client.get(_path(links.open_url(email.id)), headers={"user-agent": "Mozilla/5.0"})
    gateway = await client.get(_path(links.open_url(just_sent.id)), headers=BROWSER)

    assert (head.status_code, apple.status_code, gateway.status_code) == (200, 200, 200)
    events = await _events(session, email.id, EmailEventType.OPENED)
    assert [(e.is_machine, e.data.get("reason")) for e in events] == [(True, HEAD_REQUEST), (True, PRIVACY_PROXY)]
    [early] = await _events(session, just_sent.id, EmailEventType.OPENED)
    assert (early.is_machine, early.data["reason"]) == (True, TOO_SOON)
    for machine_only in (email, just_sent):
        stored = await _email(session, machine_only.id)
        assert (stored.open_count, stored.delivery_status) == (0, DeliveryStatus.SENT)

    # A person opening it afterwards counts, once.
    await client.get(_path(links.open_url(email.id)), headers=BROWSER)
    stored = await _email(session, email.id)
    assert (stored.open_count, stored.delivery_status) == (1, DeliveryStatus.OPENED)


# --- Clicks -----------------------------------------------------------------------------------------------------


async def test_a_click_redirects_to_the_signed_url_and_counts(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    path = _path(links.click_url(email.id, 0, PRICING))

    response = await client.get(path + "?url=https://evil.example/", headers=BROWSER)

    assert response.status_code == 302
    assert response.headers["location"] == PRICING  # from the token, never from the query
    [event] = await _events(session, email.id, EmailEventType.CLICKED)
    assert (event.url, event.is_machine, event.data["link"]) == (PRICING, False, 0)
    stored = await _email(session, email.id)
    assert (stored.click_count, stored.delivery_status) == (1, DeliveryStatus.CLICKED)
    # A later open does not move a clicked email back.
    await client.get(_path(links.open_url(email.id)), headers=BROWSER)
    assert (await _email(session, email.id)).delivery_status is DeliveryStatus.CLICKED


async def test_a_forged_click_token_is_a_404_and_redirects_nowhere(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    token = _path(links.click_url(email.id, 0, PRICING)).rsplit("/", 1)[1]
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]

    for path in (f"/t/c/{tampered}", "/t/c/x", f"/t/c/{_path(links.open_url(email.id)).rsplit('/', 1)[1]}"):
        response = await client.get(path, params={"url": "https://evil.example/"}, headers=BROWSER)
        assert response.status_code == 404, path
        assert "location" not in response.headers
        assert response.text == "This link is not valid."
    assert await _events(session, email.id, EmailEventType.CLICKED) == []


async def test_head_and_early_clicks_are_machine_clicks_that_still_redirect(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    just_sent = await sent_email(sent_ago=timedelta(seconds=2))

    head = await client.head(_path(links.click_url(email.id, 0, PRICING)), headers=BROWSER)
    early = await client.get(_path(links.click_url(just_sent.id, 0, PRICING)), headers=BROWSER)

    assert (head.status_code, head.headers["location"]) == (302, PRICING)
    assert (early.status_code, early.headers["location"]) == (302, PRICING)
    [probe] = await _events(session, email.id, EmailEventType.CLICKED)
    [scan] = await _events(session, just_sent.id, EmailEventType.CLICKED)
    assert (probe.is_machine, probe.data["reason"], scan.is_machine, scan.data["reason"]) == (
        True,
        HEAD_REQUEST,
        True,
        TOO_SOON,
    )
    for untouched in (email, just_sent):
        stored = await _email(session, untouched.id)
        assert (stored.click_count, stored.delivery_status) == (0, DeliveryStatus.SENT)


async def test_a_scanner_clicking_every_link_at_once_is_marked_and_its_first_click_taken_back(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    urls = [PRICING, DOCS, "https://acme.example/about"]

    first = await client.get(_path(links.click_url(email.id, 0, urls[0])), headers=BROWSER)
    # Looked at alone, the first click is a person's: counted.
    assert (await _email(session, email.id)).click_count == 1
    rest = [
        await client.get(_path(links.click_url(email.id, i, url)), headers=BROWSER) for i, url in enumerate(urls[1:], 1)
    ]

    assert [r.headers["location"] for r in (first, *rest)] == urls  # a scanner still gets its redirects
    events = await _events(session, email.id, EmailEventType.CLICKED)
    assert len(events) == 3
    assert all(e.is_machine and e.data["reason"] == BURST for e in events)
    stored = await _email(session, email.id)
    assert (stored.click_count, stored.delivery_status) == (0, DeliveryStatus.SENT)


async def test_a_person_clicking_twice_counts_twice_and_a_burst_keeps_earlier_real_engagement(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    await client.get(_path(links.open_url(email.id)), headers=BROWSER)
    await client.get(_path(links.click_url(email.id, 0, PRICING)), headers=BROWSER)
    await client.get(_path(links.click_url(email.id, 0, PRICING)), headers=BROWSER)  # the same link again
    stored = await _email(session, email.id)
    assert (stored.open_count, stored.click_count, stored.delivery_status) == (1, 2, DeliveryStatus.CLICKED)

    # Those clicks were a while ago; now a scanner (forwarded mail, say) clicks two links at once.
    for event in await session.scalars(sa.select(EmailEvent).where(EmailEvent.email_id == email.id)):
        event.occurred_at -= timedelta(minutes=5)
    await session.commit()
    await client.get(_path(links.click_url(email.id, 1, DOCS)), headers=BROWSER)
    await client.get(_path(links.click_url(email.id, 0, PRICING)), headers=BROWSER)

    events = await _events(session, email.id, EmailEventType.CLICKED)
    assert [e.is_machine for e in events] == [False, False, True, True]
    stored = await _email(session, email.id)
    assert (stored.open_count, stored.click_count, stored.delivery_status) == (1, 2, DeliveryStatus.CLICKED)


async def test_when_a_burst_takes_back_the_only_click_the_status_returns_to_opened(
    client: httpx.AsyncClient, session: AsyncSession, links: TrackingLinks, sent_email: SentEmail
) -> None:
    email = await sent_email()
    await client.get(_path(links.open_url(email.id)), headers=BROWSER)
    await client.get(_path(links.click_url(email.id, 0, PRICING)), headers=BROWSER)
    assert (await _email(session, email.id)).delivery_status is DeliveryStatus.CLICKED

    await client.get(_path(links.click_url(email.id, 1, DOCS)), headers=BROWSER)

    stored = await _email(session, email.id)
    assert (stored.open_count, stored.click_count, stored.delivery_status) == (1, 0, DeliveryStatus.OPENED)


# --- Unsubscribe ------------------------------------------------------------------------------------------------


async def test_the_unsubscribe_page_asks_with_a_form_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    links: TrackingLinks,
    sent_email: SentEmail,
    contact: Contact,
    enrollment: SequenceEnrollment,
) -> None:
    email = await sent_email()
    path = _path(links.unsubscribe_url(email.id))

    page = await client.get(path, headers=BROWSER)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text and '<button type="submit">Unsubscribe</button>' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    await session.refresh(contact)
    await session.refresh(enrollment)
    assert contact.unsubscribed is False and enrollment.status is EnrollmentStatus.ACTIVE
    assert await _events(session, email.id, EmailEventType.UNSUBSCRIBED) == []
    forged = await client.get(path[:-4] + "AAAA", headers=BROWSER)
    assert forged.status_code == 404 and "not valid" in forged.text


async def test_one_click_unsubscribe_needs_no_session_and_stops_everything_once(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    team: dict[Role, Member],
    links: TrackingLinks,
    sent_email: SentEmail,
    contact: Contact,
    enrollment: SequenceEnrollment,
) -> None:
    email = await sent_email(sequence_id=enrollment.sequence_id, enrollment_id=enrollment.id)
    path = _path(links.unsubscribe_url(email.id))
    # What Gmail's servers send (RFC 8058): no cookie, no Origin of ours.
    one_click = {
        "content": b"List-Unsubscribe=One-Click",
        "headers": {"content-type": "application/x-www-form-urlencoded", "user-agent": "Google-List-Unsubscribe"},
    }

    response = await client.post(path, **one_click)  # type: ignore[arg-type]

    assert response.status_code == 200
    assert "unsubscribed" in response.text
    await session.refresh(contact)
    await session.refresh(enrollment)
    assert contact.unsubscribed is True and contact.unsubscribed_at is not None
    assert enrollment.status is EnrollmentStatus.UNSUBSCRIBED
    assert enrollment.next_email_scheduled_at is None and enrollment.stopped_reason == "unsubscribe link"
    [event] = await _events(session, email.id, EmailEventType.UNSUBSCRIBED)
    assert (event.contact_id, event.workspace_id, event.provider) == (contact.id, contact.workspace_id, "tracking")
    first_time = contact.unsubscribed_at

    # Again, and from a browser that happens to carry a rep's session cookie and a foreign Origin: no CSRF
    # refusal (nothing here acts for a session), and nothing changes.
    cookie = sign_cookie_value(team[Role.ADMIN].token, settings.auth_secret)
    again = await client.post(
        path,
        data={"List-Unsubscribe": "One-Click"},
        headers={"cookie": f"better-auth.session_token={cookie}", "origin": "https://evil.example"},
    )
    assert again.status_code == 200
    await session.refresh(contact)
    assert contact.unsubscribed_at == first_time
    assert len(await _events(session, email.id, EmailEventType.UNSUBSCRIBED)) == 1


async def test_a_forged_unsubscribe_post_is_a_404_and_unsubscribes_no_one(
    client: httpx.AsyncClient,
    session: AsyncSession,
    links: TrackingLinks,
    sent_email: SentEmail,
    contact: Contact,
    enrollment: SequenceEnrollment,
) -> None:
    email = await sent_email()
    open_token = _path(links.open_url(email.id)).rsplit("/", 1)[1]

    for token in (open_token, "garbage", _path(links.unsubscribe_url(uuid.uuid4())).rsplit("/", 1)[1]):
        response = await client.post(f"/u/{token}", content=b"List-Unsubscribe=One-Click")
        assert response.status_code == 404, token

    await session.refresh(contact)
    await session.refresh(enrollment)
    assert contact.unsubscribed is False and enrollment.status is EnrollmentStatus.ACTIVE
    assert (await session.scalar(sa.select(sa.func.count()).select_from(EmailEvent))) == 0


async def test_tracking_links_are_not_part_of_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/t/", "/u/"))]

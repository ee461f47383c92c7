"""The web inbox in a real browser: headless Chromium (Debian's) driven by Playwright, against `inbox serve`
on PostgreSQL, sending through a real SMTP server on loopback.

1. A rep signs in, moves to the triaged thread with the keyboard, edits the AI's draft and sends it; the SMTP
   server receives it with In-Reply-To and References naming the lead's message.
2. An email full of script, event-handler and CSS attacks is opened: nothing runs and nothing loads from
   outside (a server standing for "outside" counts every request it gets).

``INBOX_SCREENSHOT_DIR`` set: the inbox and the thread are also saved there as PNGs (docs/ holds the committed
ones).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from pydantic import SecretStr

from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.mailboxes.models import EmailAccount
from inbox.settings import AuthSettings, Settings
from inbox.threads.models import DeliveryStatus, Email
from tests.factories import make_member
from tests.ingest.factories import message
from tests.sending.factories import mailbox_values
from tests.sending.smtp_server import SmtpServer, free_port
from tests.web.helpers import receive, triage
from tests.workers import ROOT, committed_database

pytestmark = [pytest.mark.postgres_only]

CHROMIUM = os.environ.get("INBOX_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser test password 1"
LEAD_MESSAGE_ID = "<lead-question@bigbuyer.example>"
ROOT_MESSAGE_ID = "<our-intro@ourco.example>"


@dataclass
class Live:
    base: str
    database: Database
    smtp: SmtpServer
    mailbox: EmailAccount
    rep_email: str
    blob_dir: Path


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def live(tmp_path: Path, smtp: SmtpServer) -> AsyncIterator[Live]:
    if not HAVE_CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (scripts/lib.sh ensure_chromium installs it)")
        pytest.skip("Chromium is not installed")
    async with committed_database("inbox_web") as url:
        key, secret, port = Fernet.generate_key().decode(), uuid.uuid4().hex * 2, free_port()
        base = f"http://127.0.0.1:{port}"
        settings = Settings(
            environment="test",
            data_dir=tmp_path,
            database_url=url,
            encryption_keys=[SecretStr(key)],
            auth=AuthSettings(secret=SecretStr(secret), base_url=base),
        )
        database = Database(url)
        async with database.transaction() as session:
            admin = await make_member(session, settings, name="Ada Admin", password=PASSWORD)
            rep = await make_member(
                session,
                settings,
                workspace_id=admin.workspace_id,
                role=Role.SALES_REP,
                name="Rita Rep",
                email=f"rita-{uuid.uuid4().hex[:6]}@ourco.example",
                password=PASSWORD,
            )
            mailbox = EmailAccount(
                workspace_id=rep.workspace_id,
                user_id=rep.user.id,
                imap_host="127.0.0.1",
                imap_port=free_port(),  # nothing listens: the server's ingestion retries quietly
                **mailbox_values(settings, smtp.host, smtp.port),
            )
            session.add(mailbox)
        env = {
            key_: value
            for key_, value in os.environ.items()
            if not key_.startswith("INBOX_") or key_ in ("INBOX_TEST_DATABASE",)
        }
        env.update(
            {
                "INBOX_DATABASE_URL": url,
                "INBOX_DATA_DIR": str(tmp_path),
                "INBOX_AUTH__SECRET": secret,
                "INBOX_AUTH__BASE_URL": base,
                "INBOX_ENCRYPTION_KEYS": json.dumps([key]),
            }
        )
        process = await asyncio.to_thread(_start_server, port, env, tmp_path / "serve.log")
        try:
            await _wait_until_up(base, process, tmp_path / "serve.log")
            yield Live(base, database, smtp, mailbox, rep.user.email, tmp_path / "blobs")
        finally:
            await asyncio.to_thread(_stop, process)
            await database.dispose()


def _start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "inbox.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


def _wait_for_mail(smtp: SmtpServer, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not smtp.received and time.monotonic() < deadline:
        time.sleep(0.1)


async def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"inbox serve exited: {await asyncio.to_thread(_tail, log)}")
            try:
                if (await client.get(f"{base}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"inbox serve did not start: {await asyncio.to_thread(_tail, log)}")


async def _browser():  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return playwright, browser


async def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/sign-in")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/")


def _screenshot(page, name: str) -> asyncio.Future[bytes] | None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("INBOX_SCREENSHOT_DIR")
    if not folder:
        return None
    return page.screenshot(path=str(Path(folder) / name), full_page=False)  # type: ignore[no-any-return]


async def test_a_rep_signs_in_edits_the_ai_draft_and_sends_it_threaded(live: Live) -> None:
    async with live.database.transaction() as session:
        mailbox = await session.get(EmailAccount, live.mailbox.id)
        assert mailbox is not None
        raw = message(
            sender="Quinn Query <quinn@bigbuyer.example>",
            to=mailbox.email_address,
            subject="Re: Intro",
            body="Thanks for the intro. What does the team plan cost for 12 seats? Quinn\n",
            message_id=LEAD_MESSAGE_ID,
            in_reply_to=ROOT_MESSAGE_ID,
            references=[ROOT_MESSAGE_ID],
        )
        (email_id,) = await receive(session, mailbox, live.blob_dir, raw)
    await triage(live.database, email_id)

    playwright, browser = await _browser()
    try:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await _sign_in(page, live.base, live.rep_email)
        row = page.locator("#thread-list a.thread").first
        assert "Re: Intro" in await row.inner_text()
        assert "needs reply" in await row.inner_text()
        if (shot := _screenshot(page, "inbox.png")) is not None:
            await shot

        await page.keyboard.press("j")
        assert await row.get_attribute("aria-current") == "true"
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{live.base}/threads/*")
        assert "12 seats" in await page.inner_text(".conversation")
        body = page.locator("textarea[name=body]")
        draft_text = await body.input_value()
        assert draft_text.startswith("Hi Quinn")
        if (shot := _screenshot(page, "thread.png")) is not None:
            await shot

        edited = draft_text.rstrip() + "\n\nP.S. For 12 seats it is 240 EUR a month."
        await body.fill(edited)
        await page.click("#send")
        await page.wait_for_selector(".status.sent, .status.queued, .status.sending", timeout=15_000)

        await asyncio.to_thread(_wait_for_mail, live.smtp, 20)
        (received,) = live.smtp.received
        sent = received.message
        assert sent["In-Reply-To"] == LEAD_MESSAGE_ID
        assert sent["References"].split() == [ROOT_MESSAGE_ID, LEAD_MESSAGE_ID]
        assert sent["Subject"] == "Re: Intro"
        assert "quinn@bigbuyer.example" in sent["To"]
        assert "240 EUR a month" in sent.get_payload(decode=True).decode()  # type: ignore[union-attr]
        async with live.database.transaction() as session:
            email = await session.scalar(sa.select(Email).where(Email.message_id == sent["Message-ID"].strip("<>")))
            assert email is not None
            assert email.delivery_status in (DeliveryStatus.SENT, DeliveryStatus.SENDING)
            assert email.draft_edit_distance == len("\n\nP.S. For 12 seats it is 240 EUR a month.")
        await page.reload()
        assert await page.locator(".status.sent").count() == 1
    finally:
        await browser.close()
        await playwright.stop()


class _Outside(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/css" if self.path.endswith(".css") else "image/gif")
        self.end_headers()
        self.wfile.write(b"")

    do_POST = do_GET

    def log_message(self, *_: object) -> None:
        pass


ATTACKS = """
<html><head>
<style>@import url("{o}/import.css"); body {{ background: url("{o}/bg.gif") }}</style>
<link rel="stylesheet" href="{o}/link.css">
<meta http-equiv="refresh" content="0; url={o}/refresh">
<base href="{o}/">
</head><body>
<script>window.parent.__pwned = "script"; fetch("{o}/script")</script>
<img src="{o}/img.gif" onerror="window.parent.__pwned='onerror'">
<img src="x" onerror="window.parent.__pwned='onerror2'; new Image().src='{o}/onerror'">
<svg onload="window.parent.__pwned='svg'"><image href="{o}/svg.gif"/></svg>
<div style="background-image: url('{o}/style.gif'); width: expression(alert(1))">styled</div>
<a href="javascript:window.parent.__pwned='js-link'" id="jslink">click me</a>
<iframe src="{o}/iframe"></iframe>
<object data="{o}/object"></object><embed src="{o}/embed">
<form action="{o}/form" method="post"><input name="q" value="x"><button id="go">go</button></form>
<video poster="{o}/poster.gif" src="{o}/video.mp4"></video>
<input type="image" src="{o}/input.gif">
<body onload="window.parent.__pwned='body-onload'">
<p>Visible text of the attack email.</p>
</body></html>
"""


async def test_an_email_full_of_attacks_runs_nothing_and_loads_nothing(live: Live) -> None:
    outside = ThreadingHTTPServer(("127.0.0.1", 0), _Outside)
    _Outside.hits = []
    threading.Thread(target=outside.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{outside.server_address[1]}"
    try:
        msg = EmailMessage()
        msg["From"] = "Mallory <mallory@attacker.example>"
        msg["To"] = live.mailbox.email_address
        msg["Subject"] = "Quarterly numbers"
        msg["Message-ID"] = f"<attack-{uuid.uuid4().hex}@attacker.example>"
        msg.set_content("Visible text of the attack email.")
        msg.add_alternative(ATTACKS.format(o=origin), subtype="html")
        async with live.database.transaction() as session:
            mailbox = await session.get(EmailAccount, live.mailbox.id)
            assert mailbox is not None
            (email_id,) = await receive(session, mailbox, live.blob_dir, msg.as_bytes())
            thread_id = await session.scalar(sa.select(Email.thread_id).where(Email.id == email_id))

        playwright, browser = await _browser()
        try:
            context = await browser.new_context()
            page = await context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            # What the browser got an answer for (a request the CSP blocks is attempted, then fails: no answer).
            loaded: list[str] = []
            page.on("response", lambda response: loaded.append(response.url))
            await _sign_in(page, live.base, live.rep_email)
            for images in ("", "?images=1"):  # remote images allowed (https only) changes nothing here
                await page.goto(f"{live.base}/threads/{thread_id}{images}")
                frame_element = await page.wait_for_selector("iframe.body")
                frame = await frame_element.content_frame()
                assert frame is not None
                await frame.wait_for_load_state("load")
                assert "Visible text of the attack email." in await frame.inner_text("body")
                if await frame.locator("#jslink").count():
                    await frame.click("#jslink", timeout=2_000)
                await page.wait_for_timeout(1_000)
                assert await page.evaluate("window.__pwned") is None
                assert await frame.locator("script").count() == 0
            assert dialogs == []
            assert _Outside.hits == []
            assert [url for url in loaded if not url.startswith(live.base)] == []
            assert any(url.startswith(f"{live.base}/emails/") for url in loaded)  # the frame's own document did
        finally:
            await browser.close()
            await playwright.stop()
    finally:
        outside.shutdown()

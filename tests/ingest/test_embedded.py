"""The embedded mode end to end: ``inbox serve`` with no settings syncs a mailbox added through the API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.ingest.dovecot import DovecotServer, ImapUser
from tests.ingest.factories import message


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("INBOX_")}
    env = {
        **clean,
        "INBOX_DATA_DIR": str(tmp_path),
        "INBOX_ENCRYPTION_KEYS": json.dumps([Fernet.generate_key().decode()]),
        "INBOX_AUTH__BASE_URL": f"http://127.0.0.1:{port}",
        "INBOX_INGEST__REFRESH_SECONDS": "0.5",
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"inbox serve did not start:\n{(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_mailbox_added_through_the_api_is_synced_by_the_serve_process(
    served: str, dovecot: DovecotServer, imap_user: ImapUser, tmp_path: Path
) -> None:
    dovecot.append(
        imap_user, [message(message_id="<embedded-1@test.example>", subject="Hello from a lead", to=imap_user.address)]
    )
    with httpx.Client(base_url=served, timeout=10) as client:
        signed_up = client.post(
            "/api/auth/sign-up/email",
            json={"email": "admin@ourco.example", "password": "a-long-password", "name": "Ada Admin"},
        )
        assert signed_up.status_code == 200, signed_up.text
        headers = {"Authorization": f"Bearer {signed_up.json()['token']}"}
        created = client.post(
            "/api/email-accounts",
            headers=headers,
            json={
                "email_address": imap_user.address,
                "provider": "imap",
                "imap_host": imap_user.host,
                "imap_port": imap_user.port,
                "imap_use_ssl": False,
                "smtp_host": "127.0.0.1",
                "username": imap_user.username,
                "password": imap_user.password,
            },
        )
        assert created.status_code == 201, created.text

        # Synced, then triaged by the in-process worker with the offline provider.
        deadline = time.monotonic() + 30
        found: list[dict[str, object]] = []
        while time.monotonic() < deadline and not (found and found[0]["ai_suggestion"]):
            contacts = client.get("/api/contacts", headers=headers, params={"q": "jane@acme-corp"})
            assert contacts.status_code == 200, contacts.text
            found = contacts.json()["items"]
            time.sleep(0.3)
        tasks = client.get("/api/tasks", headers=headers).json()["items"]
    log = (tmp_path / "serve.log").read_text()[-3000:]
    assert found, f"the mailbox was not synced:\n{log}"
    assert found[0]["email"] == "jane@acme-corp.example"
    assert found[0]["last_message"] == "Hi, what does the team plan cost?"
    assert found[0]["ai_suggestion"], f"the email was not triaged:\n{log}"
    assert found[0]["temperature"] == "warm", json.dumps(found[0])
    assert found[0]["has_ai_draft"] is True
    assert [task["type"] for task in tasks] == ["reply"]

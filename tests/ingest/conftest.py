"""Fixtures of the ingestion tests: one private Dovecot per test run, a fresh mailbox per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.ingest.dovecot import DovecotServer, ImapUser, find_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The test Dovecot (see ``tests/ingest/dovecot.py``), started at first use and stopped after the run.

    Without the ``dovecot`` binary the tests that need it are skipped on a developer machine, but fail in CI
    (``CI`` set), where a skipped IMAP suite would pass unnoticed.
    """
    binary = find_dovecot()
    if binary is None:
        message = "dovecot is not installed (Debian: apt-get install dovecot-imapd, or scripts/lib.sh ensure_dovecot)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = DovecotServer.start(binary)
    yield server
    server.stop()


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> ImapUser:
    """A new, empty mailbox (INBOX, Sent, Drafts, Trash) on the test Dovecot."""
    return dovecot.add_user(f"user-{secrets.token_hex(6)}", secrets.token_urlsafe(16))

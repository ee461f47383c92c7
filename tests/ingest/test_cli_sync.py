"""``inbox sync MAILBOX``, run as a user runs it: a fresh process on an embedded SQLite data folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from inbox.core.db import Database
from inbox.threads.models import Email
from tests.ingest.dovecot import DovecotServer, ImapUser
from tests.ingest.factories import message, seed_imap_mailbox
from tests.test_cli import run_cli


async def _count(url: str) -> int:
    database = Database(url)
    async with database.transaction() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(Email))
    await database.dispose()
    return int(count or 0)


def test_sync_one_mailbox_from_the_command_line(tmp_path: Path, dovecot: DovecotServer, imap_user: ImapUser) -> None:
    key = Fernet.generate_key().decode()
    env = {"INBOX_DATA_DIR": str(tmp_path), "INBOX_ENCRYPTION_KEYS": json.dumps([key])}
    assert run_cli("migrate", env=env).returncode == 0
    url = f"sqlite+aiosqlite:///{(tmp_path / 'inbox.db').resolve()}"
    asyncio.run(seed_imap_mailbox(url, key, imap_user))
    dovecot.append(imap_user, [message(message_id=f"<cli-{n}@test.example>") for n in range(30)])

    done = run_cli("sync", imap_user.address.upper(), env=env)
    assert done.returncode == 0, done.stderr
    assert "INBOX: 30 new, 0 already stored" in done.stdout
    assert asyncio.run(_count(url)) == 30

    again = run_cli("sync", imap_user.address, env=env)
    assert again.returncode == 0, again.stderr
    assert "INBOX: 0 new" in again.stdout  # an incremental pass: nothing above the last UID

    unknown = run_cli("sync", "nobody@nowhere.example", env=env)
    assert unknown.returncode == 2
    assert "no mailbox 'nobody@nowhere.example'" in unknown.stderr

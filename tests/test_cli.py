"""The ``inbox`` command, run as a user runs it: a fresh process on SQLite."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from inbox.core.db import Database
from inbox.core.secrets import SecretBox
from inbox.demo import DEMO_EMAIL
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.workspaces.models import Workspace


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("INBOX_")}
    return subprocess.run(
        [sys.executable, "-m", "inbox.cli", *args], env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_migrate_then_rotate_keys(tmp_path: Path) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = {"INBOX_DATA_DIR": str(tmp_path), "INBOX_ENCRYPTION_KEYS": json.dumps([old_key])}
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "database at head" in migrated.stdout

    url = f"sqlite+aiosqlite:///{(tmp_path / 'inbox.db').resolve()}"
    stored_under_old = SecretBox([old_key]).encrypt("imap-password")

    async def seed() -> None:
        database = Database(url)
        async with database.transaction() as session:
            workspace = Workspace(name="W", slug="w")
            session.add(workspace)
            await session.flush()
            session.add(
                EmailAccount(
                    workspace_id=workspace.id,
                    email_address="rep@example.com",
                    provider=MailboxProvider.IMAP,
                    encrypted_password=stored_under_old,
                )
            )
        await database.dispose()

    async def stored() -> str | None:
        database = Database(url)
        async with database.transaction() as session:
            value = (await session.execute(select(EmailAccount.encrypted_password))).scalar_one()
        await database.dispose()
        return value

    asyncio.run(seed())
    rotated = run_cli("rotate-keys", env={**env, "INBOX_ENCRYPTION_KEYS": json.dumps([new_key, old_key])})
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 1 stored credential" in rotated.stdout
    token = asyncio.run(stored())
    assert token is not None
    assert token != stored_under_old
    assert SecretBox([new_key]).decrypt(token) == "imap-password"

    again = run_cli("rotate-keys", env={**env, "INBOX_ENCRYPTION_KEYS": json.dumps([new_key, old_key])})
    assert "re-encrypted 0 stored credential" in again.stdout


def test_production_refuses_to_invent_secrets(tmp_path: Path) -> None:
    result = run_cli("rotate-keys", env={"INBOX_DATA_DIR": str(tmp_path), "INBOX_ENVIRONMENT": "production"})
    assert result.returncode != 0
    assert "must be set in production" in result.stderr


def test_worker_without_redis_explains_itself(tmp_path: Path) -> None:
    result = run_cli("worker", env={"INBOX_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "INBOX_REDIS_URL" in result.stderr


def test_demo_seed_is_idempotent_and_its_password_verifies(tmp_path: Path) -> None:
    code = (
        "import asyncio; from inbox.settings import Settings; from inbox.core.migrate import upgrade;"
        f"from inbox.demo import seed_demo; s = Settings(data_dir={str(tmp_path)!r}); upgrade(s.resolved_database_url);"
        "c = asyncio.run(seed_demo(s)); c = asyncio.run(seed_demo(s)); print(c.email, c.password)"
    )
    clean = {key: value for key, value in os.environ.items() if not key.startswith("INBOX_")}
    seeded = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    email, password = seeded.stdout.split()
    assert email == DEMO_EMAIL

    async def counts() -> tuple[int, int, bool]:
        from inbox.auth.crypto import verify_password
        from inbox.auth.models import AuthAccount, AuthUser
        from inbox.contacts.models import Contact

        database = Database(f"sqlite+aiosqlite:///{(tmp_path / 'inbox.db').resolve()}")
        async with database.transaction() as session:
            users = len((await session.execute(select(AuthUser.id))).all())
            contacts = len((await session.execute(select(Contact.id))).all())
            stored = (
                await session.execute(
                    select(AuthAccount.password)
                    .join(AuthUser, AuthUser.id == AuthAccount.user_id)
                    .where(AuthUser.email == email)
                )
            ).scalar_one()
        await database.dispose()
        return users, contacts, stored is not None and verify_password(stored, password)

    assert asyncio.run(counts()) == (3, 36, True)


def test_eval_scores_a_labelled_set_and_refuses_a_missing_or_broken_one(tmp_path: Path) -> None:
    records = [
        {
            "id": "t-1",
            "from": "Ana Ruiz <ana@acme.example>",
            "to": "rep@ourco.example",
            "subject": "Re: intro",
            "date": "2026-10-14T09:12:00Z",
            "headers": {},
            "body": "Please remove me from your mailing list.",
            "outbound_context": "Cold intro",
            "labels": {
                "intent": "unsubscribe",
                "sentiment": "negative",
                "urgency": "low",
                "temperature": "cold",
                "needs_reply": False,
                "return_date": None,
                "referral_email": None,
            },
        }
    ]
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("".join(json.dumps(record) + "\n" for record in records))
    env = {"INBOX_DATA_DIR": str(tmp_path)}

    scored = run_cli("eval", str(dataset), "--provider", "offline", "--json", env=env)
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["emails"] == 1
    assert report["accuracy"]["intent"] == 1.0
    assert report["requests_per_email"] == 0

    table = run_cli("eval", str(dataset), env=env)
    assert table.returncode == 0
    assert "macro-F1" in table.stdout

    missing = run_cli("eval", str(tmp_path / "nope.jsonl"), env=env)
    assert missing.returncode != 0
    assert "nope.jsonl" in missing.stderr
    dataset.write_text('{"id": "broken"\n')
    broken = run_cli("eval", str(dataset), env=env)
    assert broken.returncode == 2
    assert "line 1" in broken.stderr

"""``inbox metrics rollup``, run as a user runs it: a fresh process on SQLite."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from inbox.auth.crypto import generate_id
from inbox.auth.models import AuthUser
from inbox.core.db import Database
from inbox.metrics.models import PerformanceMetric
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.users.models import User
from inbox.workspaces.models import Workspace
from tests.test_cli import run_cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {"INBOX_DATA_DIR": str(tmp_path), "INBOX_ENCRYPTION_KEYS": json.dumps([Fernet.generate_key().decode()])}


async def _seed(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A workspace with one rep who sent two emails on 2026-03-02 and one on 2026-03-03."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:6]}")
            now = datetime.now(UTC)
            identity = AuthUser(
                id=generate_id(), name="Rita Rep", email="rita@w.example", created_at=now, updated_at=now
            )
            session.add_all([workspace, identity])
            await session.flush()
            user = User(workspace_id=workspace.id, auth_user_id=identity.id, email="rita@w.example")
            session.add(user)
            await session.flush()
            for day, hour in ((2, 9), (2, 17), (3, 8)):
                session.add(
                    Email(
                        workspace_id=workspace.id,
                        user_id=user.id,
                        direction=Direction.OUTBOUND,
                        delivery_status=DeliveryStatus.SENT,
                        sent_at=datetime(2026, 3, day, hour, tzinfo=UTC),
                        message_id=f"{uuid.uuid4()}@w.example",
                    )
                )
        return workspace.id, user.id
    finally:
        await database.dispose()


async def _rows(url: str) -> dict[date, int]:
    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            rows = await session.scalars(sa.select(PerformanceMetric))
            return {row.date: row.emails_sent for row in rows}
    finally:
        await database.dispose()


def test_metrics_rollup_rebuilds_a_range_and_refuses_bad_input(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    url = f"sqlite+aiosqlite:///{(tmp_path / 'inbox.db').resolve()}"
    workspace_id, _ = asyncio.run(_seed(url))

    done = run_cli(
        "metrics", "rollup", "--from", "2026-03-01", "--to", "2026-03-03", "--workspace", str(workspace_id), env=env
    )
    assert done.returncode == 0, done.stderr
    assert "rolled up 3 day(s) from 2026-03-01 to 2026-03-03: 3 row(s) written" in done.stdout
    assert asyncio.run(_rows(url)) == {date(2026, 3, 1): 0, date(2026, 3, 2): 2, date(2026, 3, 3): 1}

    again = run_cli("metrics", "rollup", "--from", "2026-03-02", "--to", "2026-03-02", env=env)  # every workspace
    assert again.returncode == 0, again.stderr
    assert "0 row(s) written" in again.stdout  # nothing changed

    bad_date = run_cli("metrics", "rollup", "--from", "2026-02-30", "--to", "2026-03-03", env=env)
    assert bad_date.returncode == 2
    assert "'2026-02-30' does not match the format '%Y-%m-%d'" in bad_date.stderr

    reversed_range = run_cli("metrics", "rollup", "--from", "2026-03-03", "--to", "2026-03-01", env=env)
    assert reversed_range.returncode == 2
    assert "error: --from (2026-03-03) is after --to (2026-03-01)" in reversed_range.stderr

    missing = run_cli("metrics", "rollup", "--from", "2026-03-01", env=env)
    assert missing.returncode == 2 and "Missing option '--to'" in missing.stderr

    not_an_id = run_cli(
        "metrics", "rollup", "--from", "2026-03-01", "--to", "2026-03-01", "--workspace", "acme", env=env
    )
    assert not_an_id.returncode == 2 and "is not a workspace id" in not_an_id.stderr

    unknown = uuid.uuid4()
    no_such = run_cli(
        "metrics", "rollup", "--from", "2026-03-01", "--to", "2026-03-01", "--workspace", str(unknown), env=env
    )
    assert no_such.returncode == 2 and f"no workspace {unknown}" in no_such.stderr
    assert asyncio.run(_rows(url)) == {date(2026, 3, 1): 0, date(2026, 3, 2): 2, date(2026, 3, 3): 1}

"""Send throughput of one worker process through the ``send_email`` actor to a local SMTP server.

Fills a fresh Postgres database with ``--emails`` approved outbound emails
(QUEUED, each with its Message-ID) spread over ``--mailboxes`` mailboxes,
starts an aiosmtpd server in a process of its own that counts what it accepts
and the Message-IDs it sees more than once, starts ONE ``inbox worker`` on
Redis, enqueues every email (``--duplicates`` of them twice, as a retried
publish or the sweeper would) and times until the database says none is left
to send.

Prints one JSON line: sends/s, delivered and duplicates (as the server counted
them), sent and failed (as the database says). Goals: >= 300 sends/s, 0 duplicates.

    uv run python -m bench.send [--emails 10000] [--mailboxes 10] [--threads 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bench.api import free_port, stop_server
from inbox.core.db import Database, utcnow
from inbox.core.migrate import upgrade
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.workspaces.models import Workspace

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 14  # a database of its own: the run flushes it
BATCH = 1000


def log(message: str) -> None:
    print(f"[bench.send {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _admin(statement: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", statement],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# --- The receiving SMTP server (its own process) ----------------------------------------------------------------


class CountingHandler:
    def __init__(self) -> None:
        self.delivered = 0
        self.duplicates = 0
        self.seen: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = ""
        for line in bytes(envelope.content).split(b"\r\n"):
            if not line:
                break
            if line[:11].lower() == b"message-id:":
                message_id = line[11:].strip().decode()
                break
        self.delivered += 1
        if message_id in self.seen:
            self.duplicates += 1
        self.seen.add(message_id)
        return "250 2.0.0 OK"


def serve_smtp(port: int, stats_path: Path) -> None:
    """Accept mail on ``port`` until SIGTERM, writing the counts to ``stats_path`` four times a second."""
    import uvloop
    from aiosmtpd.smtp import SMTP

    handler = CountingHandler()

    def write_stats() -> None:
        partial = stats_path.with_suffix(".partial")
        partial.write_text(json.dumps({"delivered": handler.delivered, "duplicates": handler.duplicates}))
        os.replace(partial, stats_path)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        server = await loop.create_server(lambda: SMTP(handler, hostname="bench.local"), "127.0.0.1", port)
        while not stop.is_set():
            write_stats()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
        server.close()
        write_stats()

    uvloop.run(run())


def start_smtp(port: int, stats_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.send", "--serve-smtp", str(port), "--stats", str(stats_path)]
    process = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + 15
    while not stats_path.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the SMTP server did not start")
        time.sleep(0.05)
    return process


def smtp_stats(stats_path: Path) -> dict[str, int]:
    stats: dict[str, int] = json.loads(stats_path.read_text())
    return stats


# --- The data ---------------------------------------------------------------------------------------------------


async def fill(url: str, count: int, mailboxes: int, smtp_port: int) -> list[uuid.UUID]:
    """A workspace, its mailboxes (limits far above the run) and ``count`` approved emails."""
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            accounts = [
                EmailAccount(
                    workspace_id=workspace.id,
                    email_address=f"rep-{n}@ourco.example",
                    display_name=f"Rep {n}",
                    provider=MailboxProvider.IMAP,
                    smtp_host="127.0.0.1",
                    smtp_port=smtp_port,
                    smtp_use_ssl=False,
                    smtp_starttls=False,
                    daily_send_limit=10_000_000,
                )
                for n in range(mailboxes)
            ]
            session.add_all(accounts)
            await session.flush()
            ids: list[uuid.UUID] = []
            now = utcnow()
            for start in range(0, count, BATCH):
                rows = []
                for n in range(start, min(count, start + BATCH)):
                    account = accounts[n % mailboxes]
                    email_id = uuid.uuid4()
                    ids.append(email_id)
                    rows.append(
                        {
                            "id": email_id,
                            "workspace_id": workspace.id,
                            "email_account_id": account.id,
                            "direction": Direction.OUTBOUND,
                            "delivery_status": DeliveryStatus.QUEUED,
                            "from_address": account.email_address,
                            "to_addresses": [f"lead-{n}@customer-{n % 97}.example"],
                            "subject": f"Following up on our call ({n})",
                            "body_text": "Hi,\n\nThanks for your time today. The proposal is attached.\n\nBest,\nRep\n",
                            "message_id": f"{email_id}@ourco.example",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                await session.execute(sa.insert(Email), rows)
        return ids
    finally:
        await database.dispose()


def start_worker(url: str, redis_url: str, threads: int, pool_size: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INBOX_ENVIRONMENT": "production",
        "INBOX_DATABASE_URL": url,
        "INBOX_DATABASE_POOL_SIZE": str(pool_size),
        "INBOX_REDIS_URL": redis_url,
        "INBOX_DATA_DIR": str(data_dir),
        "INBOX_AUTH__SECRET": uuid.uuid4().hex * 2,
        "INBOX_ENCRYPTION_KEYS": json.dumps([Fernet.generate_key().decode()]),
    }
    command = [sys.executable, "-m", "inbox.cli", "worker", "--threads", str(threads)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def enqueue_all(url: str, redis_url: str, ids: list[uuid.UUID]) -> None:
    from workers.broker import install_broker
    from workers.queue import enqueue_send

    broker = install_broker(Settings(database_url=url, redis_url=redis_url))
    enqueue_send(ids)
    broker.close()


async def wait_done(url: str, total: int, limit_seconds: float) -> tuple[float, dict[str, int]]:
    """When no email is left QUEUED or SENDING, and the count per status then."""
    database = Database(url)
    deadline = time.monotonic() + limit_seconds
    try:
        while True:
            async with database.read_sessionmaker() as session:
                rows = await session.execute(
                    sa.select(Email.delivery_status, sa.func.count()).group_by(Email.delivery_status)
                )
                counts = {str(status): int(n) for status, n in rows}
            left = counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.SENDING, 0)
            if left == 0:
                return time.perf_counter(), counts
            if time.monotonic() > deadline:
                raise RuntimeError(f"{left} of {total} emails still unsent after {limit_seconds:.0f} s: {counts}")
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--mailboxes", type=int, default=10)
    parser.add_argument("--duplicates", type=int, default=1000, help="emails enqueued twice")
    parser.add_argument("--threads", type=int, default=64, help="worker threads of the one worker process")
    parser.add_argument("--pool-size", type=int, default=20, help="database pool of the worker")
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{REDIS_DB}")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--serve-smtp", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_smtp is not None:
        serve_smtp(args.serve_smtp, args.stats)
        return 0

    name = f"inbox_bench_send_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    data_dir = Path(f"/tmp/{name}")
    data_dir.mkdir(parents=True)
    _admin(f'CREATE DATABASE "{name}"')
    smtp = worker = None
    try:
        smtp_port = free_port()
        stats_path = data_dir / "smtp.json"
        smtp = start_smtp(smtp_port, stats_path)
        log(f"filling {name} with {args.emails} queued emails over {args.mailboxes} mailboxes")
        ids = asyncio.run(fill(url, args.emails, args.mailboxes, smtp_port))
        redis.Redis.from_url(args.redis).flushdb()
        worker = start_worker(url, args.redis, args.threads, args.pool_size, data_dir)
        time.sleep(3)  # the worker's start-up (imports, broker connection) is not sending
        log(f"enqueueing {len(ids)} sends, {args.duplicates} of them twice")
        started = time.perf_counter()
        enqueue_all(url, args.redis, ids + ids[: args.duplicates])
        finished, counts = asyncio.run(wait_done(url, len(ids), args.timeout))
        seconds = finished - started
        time.sleep(1.0)  # the duplicate queue messages reach the worker too
        stats = smtp_stats(stats_path)
        print(
            json.dumps(
                {
                    "bench": "send",
                    "emails": len(ids),
                    "mailboxes": args.mailboxes,
                    "enqueued_twice": args.duplicates,
                    "seconds": round(seconds, 2),
                    "sends_per_s": round(counts.get(DeliveryStatus.SENT, 0) / seconds, 1),
                    "delivered": stats["delivered"],
                    "duplicates": stats["duplicates"],
                    "sent": counts.get(DeliveryStatus.SENT, 0),
                    "failed": counts.get(DeliveryStatus.FAILED, 0),
                    "worker_threads": args.threads,
                }
            ),
            flush=True,
        )
        return 0
    finally:
        for process in (worker, smtp):
            if process is not None:
                stop_server(process)
        if not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            log(f"database {name} kept")


if __name__ == "__main__":
    sys.exit(main())

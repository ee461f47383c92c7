"""IMAP ingestion benchmark: a full sync of a large mailbox, and IDLE delivery latency.

``uv run python -m bench.ingest`` starts a private Dovecot (the test
harness's), creates a PostgreSQL database of its own and migrates it, then for
each size (default 5,000 and 20,000) builds a mailbox of corpus messages with
fresh Message-IDs and times one full ``sync_mailbox`` into PostgreSQL in a
fresh process, which reports its own peak RSS. Then it runs the long-lived
IDLE loop and appends messages one by one, timing each from APPEND to the
commit of its row. One JSON line per measurement goes to stdout, progress to
stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.api import cpu_seconds
from inbox.core.db import Database
from inbox.core.migrate import upgrade
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.imap_sync import run_mailbox, shutdown_parser_pool, sync_mailbox
from inbox.settings import IngestSettings, Settings
from inbox.threads.models import Email
from tests.ingest.corpus import corpus_messages
from tests.ingest.dovecot import DovecotServer, ImapUser
from tests.ingest.factories import seed_imap_mailbox

ADMIN_URL = os.environ.get("INBOX_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
KEY = (
    "kkhHAvl9XItRrvSc3FGFPPSKlb6N9Qzi-yLRSupENo4="  # a throwaway Fernet key: the bench's mailboxes are local test users
)
_MESSAGE_ID = re.compile(rb"(?im)^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*")


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def fresh_messages(count: int, tag: str) -> list[bytes]:
    """``count`` corpus messages, cycled, each with a Message-ID of its own."""
    corpus = [entry.data for entry in corpus_messages()]
    out = []
    for n, raw in zip(range(count), itertools.cycle(corpus), strict=False):
        body = _MESSAGE_ID.sub(b"", raw.lstrip(b"\xef\xbb\xbf"))
        out.append(b"Message-ID: <%s-%d@bench.invalid>\r\n" % (tag.encode(), n) + body)
    return out


def settings_for(url: str, data_dir: Path, batch_size: int) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=url,
        encryption_keys=[KEY],
        ingest=IngestSettings(batch_size=batch_size, initial_days=30),
    )


async def create_database() -> str:
    name = f"inbox_bench_ingest_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def add_mailbox(url: str, user: ImapUser) -> uuid.UUID:
    return await seed_imap_mailbox(url, KEY, user)


async def child_sync(url: str, account_id: str, data_dir: str, batch_size: int) -> None:
    """Run in a fresh process: one full sync; print messages, seconds and this process's peak RSS."""
    settings = settings_for(url, Path(data_dir), batch_size)
    database = Database(url)
    try:
        started = time.perf_counter()
        report = await sync_mailbox(database, uuid.UUID(account_id), settings, blobs=LocalBlobStore(settings.blob_dir))
        seconds = time.perf_counter() - started
    finally:
        await database.dispose()
        shutdown_parser_pool()
    own, pool = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "stored": report.stored,
                "seconds": seconds,
                "peak_rss_mb": round(own.ru_maxrss / 1024, 1),
                "parser_peak_rss_mb": round(pool.ru_maxrss / 1024, 1),
                "sync_cpu_s": own.ru_utime + own.ru_stime,
                "parser_cpu_s": pool.ru_utime + pool.ru_stime,
            }
        )
    )


def measure_sync(server: DovecotServer, url: str, data_dir: Path, size: int, batch_size: int) -> None:
    user = server.add_user(f"bench{size}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex)
    progress(f"appending {size} messages")
    started = time.perf_counter()
    server.append(user, fresh_messages(size, f"s{size}"))
    progress(f"appended in {time.perf_counter() - started:.1f}s; syncing")
    account_id = asyncio.run(add_mailbox(url, user))
    command = [
        sys.executable,
        "-m",
        "bench.ingest",
        "--child-sync",
        url,
        str(account_id),
        str(data_dir),
        str(batch_size),
    ]
    postgres_before, dovecot_before = cpu_seconds(named("postgres")), cpu_seconds(named("imap"))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    postgres_cpu = cpu_seconds(named("postgres")) - postgres_before
    dovecot_cpu = cpu_seconds(named("imap")) - dovecot_before
    if done.returncode != 0:
        raise SystemExit(f"sync process failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stored = asyncio.run(count_emails(url, account_id))
    emit(
        {
            "kind": "full_sync",
            "messages": size,
            "stored": stored,
            "seconds": round(result["seconds"], 2),
            "messages_per_s": round(size / result["seconds"], 1),
            "peak_rss_mb": result["peak_rss_mb"],
            "parser_peak_rss_mb": result["parser_peak_rss_mb"],
            # CPU per message: the sync process, its parser processes, PostgreSQL (all of it) and Dovecot's imap.
            "cpu_ms_per_message": {
                "sync": round(result["sync_cpu_s"] / size * 1000, 2),
                "parsers": round(result["parser_cpu_s"] / size * 1000, 2),
                "postgres": round(postgres_cpu / size * 1000, 2),
                "dovecot": round(dovecot_cpu / size * 1000, 2),
            },
            "load_average": os.getloadavg()[0],
            "batch_size": batch_size,
        }
    )


def named(command: str) -> list[int]:
    """Processes with this command name (a dead one's CPU is lost: the figure is a floor)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == command:
                pids.append(int(comm.parent.name))
        except OSError:
            continue
    return pids


async def count_emails(url: str, account_id: uuid.UUID) -> int:
    database = Database(url)
    try:
        async with database.transaction() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).select_from(Email).where(Email.email_account_id == account_id)
            )
            return int(count or 0)
    finally:
        await database.dispose()


async def measure_idle(server: DovecotServer, url: str, data_dir: Path, count: int) -> None:
    user = server.add_user(f"idle-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex)
    account_id = await add_mailbox(url, user)
    settings = settings_for(url, data_dir, 200)
    database = Database(url)
    stop = threading.Event()
    committed: asyncio.Queue[float] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def on_stored(ids: list[uuid.UUID]) -> None:
        now = time.monotonic()
        for _ in ids:
            loop.call_soon_threadsafe(committed.put_nowait, now)

    task = asyncio.create_task(
        run_mailbox(
            database, account_id, settings, blobs=LocalBlobStore(settings.blob_dir), stop=stop, on_stored=on_stored
        )
    )
    latencies = []
    try:
        await asyncio.sleep(1.0)
        for raw in fresh_messages(count, "idle"):
            sent = time.monotonic()
            await asyncio.to_thread(server.append, user, [raw])
            latencies.append((await asyncio.wait_for(committed.get(), timeout=30)) - sent)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        await database.dispose()
    ordered = sorted(latencies)
    emit(
        {
            "kind": "idle_delivery",
            "messages": count,
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
        }
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-sync":
        url, account_id, child_dir, batch_size = sys.argv[2:6]
        asyncio.run(child_sync(url, account_id, child_dir, int(batch_size)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,20000", help="mailbox sizes to sync (comma-separated)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--idle", type=int, default=100, help="messages appended one by one while idling")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    import tempfile

    data_dir = Path(tempfile.mkdtemp(prefix="inbox-bench-ingest-"))
    url = asyncio.run(create_database())
    server = DovecotServer.start()
    try:
        upgrade(url)
        for size in (int(s) for s in args.sizes.split(",") if s):
            measure_sync(server, url, data_dir, size, args.batch_size)
        if args.idle:
            progress(f"IDLE: appending {args.idle} messages one by one")
            asyncio.run(measure_idle(server, url, data_dir, args.idle))
    finally:
        server.stop()
        if not args.keep:
            asyncio.run(drop_database(url))
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

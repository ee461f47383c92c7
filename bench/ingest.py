"""IMAP ingestion benchmark: a full sync of a large mailbox, and IDLE delivery latency.

``uv run python -m bench.ingest`` starts a private Dovecot (the test
harness's), creates a PostgreSQL database of its own and migrates it, then for
each size (default 5,000 and 20,000) builds a mailbox of corpus messages with
fresh Message-IDs and times one full ``sync_mailbox`` into PostgreSQL in a
fresh process. That process reports its peak RSS (``VmHWM``) and the CPU that
the sync took in it, in its parser processes and in the PostgreSQL backends it
used; this one adds Dovecot's and PostgreSQL's background processes. Then it
runs the long-lived IDLE loop and appends messages one by one, timing each
from APPEND to the commit of its row. One JSON line per measurement goes to
stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.api import cpu_seconds
from inbox.core.db import Database
from inbox.core.migrate import upgrade
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.imap_sync import run_mailbox, sync_mailbox
from inbox.ingest.parse_pool import shutdown_parser_pool
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


def fresh_messages(count: int, tag: str) -> Iterator[bytes]:
    """``count`` corpus messages, cycled, each with a Message-ID of its own, made one at a time.

    A generator, not a list: 20,000 messages held at once would be 200 MB in this process, and a
    process started from it (``vfork`` + ``exec``) inherits that peak as its own ``ru_maxrss``.
    """
    corpus = [_MESSAGE_ID.sub(b"", entry.data.lstrip(b"\xef\xbb\xbf")) for entry in corpus_messages()]
    for n, body in zip(range(count), itertools.cycle(corpus), strict=False):
        yield b"Message-ID: <%s-%d@bench.invalid>\r\n" % (tag.encode(), n) + body


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
    """Run in a fresh process: one full sync; print what it stored, its time, and the CPU and memory it took.

    CPU is counted here, where every process that did the work can still be seen: this process
    (during the sync only, not its start-up), its parser processes (the forkserver, which has
    reaped them, so their CPU is in its children's time) and the PostgreSQL backends of its pool,
    read before the pool closes them. Peak RSS is ``VmHWM``: ``ru_maxrss`` would carry over the
    peak of the process this one was started from.
    """
    settings = settings_for(url, Path(data_dir), batch_size)
    database = Database(url)
    try:
        cpu_before = time.process_time()
        started = time.perf_counter()
        report = await sync_mailbox(database, uuid.UUID(account_id), settings, blobs=LocalBlobStore(settings.blob_dir))
        seconds = time.perf_counter() - started
        sync_cpu = time.process_time() - cpu_before
        async with database.transaction() as session:
            backends = list(
                await session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            )
        postgres_cpu = cpu_seconds(backends)
        parser_peak = max((peak_rss_mb(pid) for pid in descendants(os.getpid())), default=0.0)
    finally:
        await database.dispose()
        shutdown_parser_pool()
    # The parser processes have exited and been reaped by the forkserver, which is still running.
    parser_cpu = sum(tree_cpu_seconds(pid) for pid in children(os.getpid()))
    print(
        json.dumps(
            {
                "stored": report.stored,
                "seconds": seconds,
                "peak_rss_mb": peak_rss_mb(os.getpid()),
                "parser_peak_rss_mb": parser_peak,
                "sync_cpu_s": sync_cpu,
                "parser_cpu_s": parser_cpu,
                "postgres_cpu_s": postgres_cpu,
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
    # Dovecot: its master and everything under it (the sync's imap process is reaped by the master when the
    # session ends, so its CPU lands in the master's children's time). PostgreSQL's background processes
    # (WAL writer, checkpointer, ...) are shared with whatever else uses the server: a ceiling, not exact.
    dovecot_pid = dovecot_master(server)
    dovecot_before = tree_cpu_seconds(dovecot_pid)
    background_before = cpu_seconds(postgres_background())
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    time.sleep(0.2)  # the master reaps the session's imap process
    dovecot_cpu = tree_cpu_seconds(dovecot_pid) - dovecot_before
    background_cpu = cpu_seconds(postgres_background()) - background_before
    if done.returncode != 0:
        raise SystemExit(f"sync process failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stored = asyncio.run(count_emails(url, account_id))
    cpu = {
        "sync": result["sync_cpu_s"],
        "parsers": result["parser_cpu_s"],
        "postgres": result["postgres_cpu_s"],
        "postgres_background": background_cpu,
        "dovecot": dovecot_cpu,
    }
    emit(
        {
            "kind": "full_sync",
            "messages": size,
            "stored": stored,
            "seconds": round(result["seconds"], 2),
            "messages_per_s": round(size / result["seconds"], 1),
            "peak_rss_mb": result["peak_rss_mb"],
            "parser_peak_rss_mb": result["parser_peak_rss_mb"],
            # CPU per message: the sync process (during the sync), its parser processes, the PostgreSQL
            # backends it used and the server's background processes, and Dovecot.
            "cpu_ms_per_message": {
                **{name: round(seconds / size * 1000, 3) for name, seconds in cpu.items()},
                "total": round(sum(cpu.values()) / size * 1000, 3),
            },
            "load_average": os.getloadavg()[0],
            "batch_size": batch_size,
        }
    )


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += map(int, tasks.read_text().split())
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    out = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``, of the children it has reaped and of its live descendants."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime (fields 14-17 of /proc/<pid>/stat; the split starts at field 3).
    own = sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu_seconds(child) for child in children(pid))


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (``VmHWM``), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def dovecot_master(server: DovecotServer) -> int:
    """The pid of ``server``'s master process, found by the configuration file it was started with."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "dovecot" and str(server.config).encode() in (
                comm.parent / "cmdline"
            ).read_bytes().split(b"\0"):
                return int(comm.parent.name)
        except OSError:
            continue
    raise RuntimeError("the benchmark's Dovecot master process is not running")


def postgres_background() -> list[int]:
    """PostgreSQL's own processes (WAL writer, checkpointer, ...), not its client backends."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() != "postgres":
                continue
            title = (comm.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(name in title for name in ("writer", "checkpointer", "autovacuum", "walsender", "archiver")):
            pids.append(int(comm.parent.name))
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
